//! Lookups: how the API finds one object (a `_` path segment and one `object[key]=value`
//! argument, e.g. `/virtual_machines/_?virtual_machine[id]=vm_…`).
//!
//! Paths carry the `_` placeholder; the object is named by exactly one lookup key, in the query
//! string for GET (`virtual_machine[id]=vm_…`) and in the JSON body for writes
//! (`{"virtual_machine":{"id":"vm_…"}}`). Each resource has a `…Ref` enum of its lookup keys.

use serde_json::{json, Value};

/// One resolved lookup: `organization` + `sub_domain` + `acme`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lookup {
    pub argument: &'static str,
    pub key: &'static str,
    pub value: String,
}

impl Lookup {
    /// `organization[sub_domain]=acme`, for GET query strings.
    pub(crate) fn query(&self) -> (String, String) {
        (
            format!("{}[{}]", self.argument, self.key),
            self.value.clone(),
        )
    }

    /// `"organization": {"sub_domain": "acme"}`, for JSON bodies.
    pub(crate) fn body_entry(&self) -> (String, Value) {
        (self.argument.to_string(), json!({ self.key: self.value }))
    }
}

/// A reference to one API object.
pub trait ToLookup {
    fn to_lookup(&self) -> Lookup;
}

/// Declares a `…Ref` enum: its API argument name, its id variant (with the id prefix that tells an
/// id from the other key when parsing a stored string) and its other lookup keys.
macro_rules! lookup_ref {
    ($(#[$doc:meta])* $name:ident, $argument:literal, id prefix $prefix:literal $(, $variant:ident => $key:literal)*) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum $name {
            Id(String),
            $($variant(String),)*
        }

        impl $crate::api::lookup::ToLookup for $name {
            fn to_lookup(&self) -> $crate::api::lookup::Lookup {
                let (key, value) = match self {
                    $name::Id(v) => ("id", v),
                    $($name::$variant(v) => ($key, v),)*
                };
                $crate::api::lookup::Lookup { argument: $argument, key, value: value.clone() }
            }
        }

        lookup_ref!(@parse $name, $prefix $(, $variant)*);
    };
    // Resources with a second key: a stored string is an id when it carries the id prefix.
    (@parse $name:ident, $prefix:literal, $variant:ident) => {
        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                if value.starts_with($prefix) { $name::Id(value.to_string()) } else { $name::$variant(value.to_string()) }
            }
        }
    };
    (@parse $name:ident, $prefix:literal) => {
        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                $name::Id(value.to_string())
            }
        }
    };
}
pub(crate) use lookup_ref;

/// The JSON body of a write: the lookups, then the call's own fields.
pub(crate) fn body(lookups: &[&dyn ToLookup], fields: Value) -> Value {
    let mut object = serde_json::Map::new();
    for lookup in lookups {
        let (argument, value) = lookup.to_lookup().body_entry();
        object.insert(argument, value);
    }
    if let Value::Object(extra) = fields {
        object.extend(extra);
    }
    Value::Object(object)
}

/// The query string of a list filtered, when asked, on one annotation
/// (`annotations[][key]=k&annotations[][value]=v`).
pub(crate) fn query_with_annotation(
    lookup: &dyn ToLookup,
    annotation: Option<&crate::api::Annotation>,
) -> Vec<(String, String)> {
    let mut q = query(lookup);
    if let Some(annotation) = annotation {
        q.push(("annotations[][key]".into(), annotation.key.clone()));
        q.push(("annotations[][value]".into(), annotation.value.clone()));
    }
    q
}

/// The query string of a GET naming one object.
pub(crate) fn query(lookup: &dyn ToLookup) -> Vec<(String, String)> {
    vec![lookup.to_lookup().query()]
}

#[cfg(test)]
mod tests {
    use super::*;

    lookup_ref!(ThingRef, "thing", id prefix "thg_", Permalink => "permalink");

    #[test]
    fn strings_become_ids_by_prefix() {
        assert_eq!(ThingRef::from("thg_abc"), ThingRef::Id("thg_abc".into()));
        assert_eq!(
            ThingRef::from("uk-lon-01"),
            ThingRef::Permalink("uk-lon-01".into())
        );
    }

    #[test]
    fn query_and_body_forms() {
        let r = ThingRef::Permalink("templates/ubuntu-22-04".into());
        assert_eq!(
            r.to_lookup().query(),
            (
                "thing[permalink]".to_string(),
                "templates/ubuntu-22-04".to_string()
            )
        );
        assert_eq!(
            body(&[&r], json!({"x": 1})),
            json!({"thing": {"permalink": "templates/ubuntu-22-04"}, "x": 1})
        );
    }
}
