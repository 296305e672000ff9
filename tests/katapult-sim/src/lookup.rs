//! Apia argument handling: Rack-style query parameters deep-merged with the JSON
//! body (body wins), lookup objects that need exactly one key, path-segment
//! fallback, and pagination arguments.

use crate::errors::{ApiError, ApiResult};
use percent_encoding::percent_decode_str;
use serde_json::{json, Map, Value};

/// Merged request arguments plus the raw `:param` path segment, if the route has one.
#[derive(Debug, Default, Clone)]
pub struct Args {
    pub map: Map<String, Value>,
    pub path_param: Option<String>,
}

/// One resolved lookup: which key was used and its value as a string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lookup {
    pub key: String,
    pub value: String,
}

pub struct Page {
    pub page: usize,
    pub per_page: usize,
}

const MAX_PER_PAGE: usize = 200;

impl Args {
    pub fn new(query: Option<&str>, body: Option<Value>, path_param: Option<String>) -> Self {
        let mut map = Map::new();
        if let Some(q) = query {
            for pair in q.split('&').filter(|p| !p.is_empty()) {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                normalize(&mut map, &decode(k), Value::String(decode(v)));
            }
        }
        if let Some(Value::Object(body)) = body {
            deep_merge(&mut map, body);
        }
        Args { map, path_param }
    }

    fn present(&self, name: &str) -> Option<&Value> {
        self.map.get(name).filter(|v| !v.is_null())
    }

    /// A required lookup argument; falls back to the path segment as its first key.
    pub fn lookup(&self, name: &str, keys: &[&str]) -> ApiResult<Lookup> {
        match self.optional_lookup(name, keys)? {
            Some(l) => Ok(l),
            None => match &self.path_param {
                Some(seg) => Ok(Lookup {
                    key: keys[0].to_string(),
                    value: seg.clone(),
                }),
                None => Err(ApiError::missing_required_argument(name)),
            },
        }
    }

    /// A required lookup that is not the route's `:param` (so no path fallback).
    pub fn required_lookup(&self, name: &str, keys: &[&str]) -> ApiResult<Lookup> {
        self.optional_lookup(name, keys)?
            .ok_or_else(|| ApiError::missing_required_argument(name))
    }

    /// A lookup argument taken only from the query/body (no path fallback).
    pub fn optional_lookup(&self, name: &str, keys: &[&str]) -> ApiResult<Option<Lookup>> {
        let Some(v) = self.present(name) else {
            return Ok(None);
        };
        let Value::Object(obj) = v else {
            return Err(ApiError::invalid_argument(
                name,
                "object_expected",
                "An object was expected but something else was provided",
            ));
        };
        let given: Vec<(&str, String)> = keys
            .iter()
            .filter_map(|k| obj.get(*k).and_then(scalar).map(|s| (*k, s)))
            .collect();
        match given.as_slice() {
            [] => Err(ApiError::invalid_argument(
                name,
                "missing_lookup_value",
                &format!("A value for one of {} must be provided", keys.join(", ")),
            )),
            [(k, v)] => Ok(Some(Lookup {
                key: k.to_string(),
                value: v.clone(),
            })),
            _ => Err(ApiError::invalid_argument(
                name,
                "ambiguous_lookup_values",
                &format!("Only one of {} may be provided", keys.join(", ")),
            )),
        }
    }

    /// An argument as sent (an object, say), when present and not null.
    pub fn value(&self, name: &str) -> Option<&Value> {
        self.present(name)
    }

    pub fn string(&self, name: &str) -> Option<String> {
        self.present(name).and_then(scalar)
    }

    pub fn require_string(&self, name: &str) -> ApiResult<String> {
        self.string(name)
            .ok_or_else(|| ApiError::missing_required_argument(name))
    }

    pub fn bool(&self, name: &str) -> ApiResult<Option<bool>> {
        match self.present(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::String(s)) if s == "true" || s == "1" => Ok(Some(true)),
            Some(Value::String(s)) if s == "false" || s == "0" => Ok(Some(false)),
            Some(_) => Err(ApiError::invalid_argument(
                name,
                "invalid_scalar",
                "The value provided is not a valid boolean",
            )),
        }
    }

    /// `[{key, value}]` pairs from `annotations` (body array or `annotations[][key]=` query).
    pub fn annotations(&self) -> ApiResult<Vec<(String, String)>> {
        match self.present("annotations") {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| {
                    let key = item.get("key").and_then(scalar);
                    let value = item.get("value").and_then(scalar).unwrap_or_default();
                    key.map(|k| (k, value)).ok_or_else(|| {
                        ApiError::missing_required_argument("key").with_detail(json!({
                            "path": ["annotations", "key"],
                            "argument": {"name": "key", "description": null},
                        }))
                    })
                })
                .collect(),
            Some(_) => Err(ApiError::invalid_argument(
                "annotations",
                "array_expected",
                "An array was expected but something else was provided",
            )),
        }
    }

    pub fn require_integer(&self, name: &str) -> ApiResult<i64> {
        let v = self
            .present(name)
            .ok_or_else(|| ApiError::missing_required_argument(name))?;
        integer(name, v)
    }

    pub fn page(&self) -> ApiResult<Page> {
        let page = self.positive_int("page", 1, usize::MAX)?;
        let per_page = self.positive_int("per_page", 30, MAX_PER_PAGE)?;
        Ok(Page { page, per_page })
    }

    fn positive_int(&self, name: &str, default: usize, max: usize) -> ApiResult<usize> {
        let Some(v) = self.present(name) else {
            return Ok(default);
        };
        let n = integer(name, v)?;
        let mut err = None;
        if n <= 0 {
            err = Some("must be greater than 0".to_string());
        } else if n as u64 > max as u64 {
            err = Some(format!("must be less than or equal to {max}"));
        }
        match err {
            None => Ok(n as usize),
            Some(msg) => {
                let mut e = ApiError::invalid_argument(
                    name,
                    "validation_errors",
                    "Validation errors occurred with the value provided",
                );
                e.detail["errors"] = json!([msg]);
                Err(e)
            }
        }
    }
}

impl Page {
    /// Slices `items` and builds the Apia pagination object.
    pub fn apply<T: Clone>(&self, items: &[T]) -> (Value, Vec<T>) {
        let total = items.len();
        let total_pages = total.div_ceil(self.per_page);
        let start = (self.page - 1).saturating_mul(self.per_page).min(total);
        let end = (start + self.per_page).min(total);
        let pagination = json!({
            "current_page": self.page,
            "total_pages": total_pages,
            "total": total,
            "per_page": self.per_page,
            "large_set": total > 1000,
        });
        (pagination, items[start..end].to_vec())
    }
}

/// Whether `have` satisfies every `(key, value)` filter (an empty value matches any).
pub fn annotations_match(have: &[(String, String)], filters: &[(String, String)]) -> bool {
    filters.iter().all(|(fk, fv)| {
        have.iter()
            .any(|(k, v)| k == fk && (fv.is_empty() || v == fv))
    })
}

/// An integer argument (a JSON number, or digits from a query string).
pub fn integer(name: &str, v: &Value) -> ApiResult<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse::<i64>().ok(),
        _ => None,
    }
    .ok_or_else(|| {
        ApiError::invalid_argument(
            name,
            "invalid_scalar",
            "The value provided is not a valid integer",
        )
    })
}

/// An enum argument: one of `allowed`, or Apia's `invalid_enum_value`.
pub fn enum_value(name: &str, v: &Value, allowed: &[&'static str]) -> ApiResult<&'static str> {
    allowed
        .iter()
        .find(|a| v.as_str() == Some(**a))
        .copied()
        .ok_or_else(|| {
            ApiError::invalid_argument(
                name,
                "invalid_enum_value",
                &format!("The value provided is not one of {}", allowed.join(", ")),
            )
        })
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn decode(s: &str) -> String {
    percent_decode_str(&s.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

/// Rack's `normalize_params`: `a[b]=`, `a[]=`, `a[][k]=` nesting.
fn normalize(params: &mut Map<String, Value>, name: &str, v: Value) {
    let trimmed = name.trim_start_matches(['[', ']']);
    let end = trimmed.find(['[', ']']).unwrap_or(trimmed.len());
    let k = &trimmed[..end];
    if k.is_empty() {
        return;
    }
    let mut after = &trimmed[end..];
    if let Some(rest) = after.strip_prefix(']') {
        after = rest;
    }
    if after.is_empty() {
        params.insert(k.to_string(), v);
    } else if after == "[]" {
        let entry = params.entry(k).or_insert_with(|| json!([]));
        if let Value::Array(a) = entry {
            a.push(v);
        }
    } else if let Some(child) = after.strip_prefix("[]") {
        let child_key = child.trim_start_matches('[');
        let child_key = child_key.strip_suffix(']').unwrap_or(child_key);
        let entry = params.entry(k).or_insert_with(|| json!([]));
        let Value::Array(arr) = entry else { return };
        let first = child_key.split(['[', ']']).next().unwrap_or_default();
        match arr.last_mut() {
            Some(Value::Object(last)) if !last.contains_key(first) => {
                normalize(last, child_key, v);
            }
            _ => {
                let mut m = Map::new();
                normalize(&mut m, child_key, v);
                arr.push(Value::Object(m));
            }
        }
    } else {
        let entry = params.entry(k).or_insert_with(|| json!({}));
        if !entry.is_object() {
            *entry = json!({});
        }
        if let Value::Object(inner) = entry {
            normalize(inner, after, v);
        }
    }
}

fn deep_merge(into: &mut Map<String, Value>, from: Map<String, Value>) {
    for (k, v) in from {
        match (into.get_mut(&k), v) {
            (Some(Value::Object(a)), Value::Object(b)) => deep_merge(a, b),
            (_, v) => {
                into.insert(k, v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rack_brackets_and_body_precedence() {
        let a = Args::new(
            Some("organization%5Bid%5D=org_q&annotations[][key]=a&annotations[][value]=1&annotations[][key]=b&x=1+2"),
            Some(json!({"organization": {"sub_domain": "s"}, "x": "body"})),
            None,
        );
        assert_eq!(
            a.map["organization"],
            json!({"id": "org_q", "sub_domain": "s"})
        );
        assert_eq!(
            a.map["annotations"],
            json!([{"key": "a", "value": "1"}, {"key": "b"}])
        );
        assert_eq!(a.map["x"], json!("body"));
        let err = a.lookup("organization", &["id", "sub_domain"]).unwrap_err();
        assert_eq!(err.detail["issue"], "ambiguous_lookup_values");
    }

    #[test]
    fn path_fallback_and_pagination() {
        let a = Args::new(None, None, Some("vm_x".into()));
        let l = a.lookup("virtual_machine", &["id", "fqdn"]).unwrap();
        assert_eq!((l.key.as_str(), l.value.as_str()), ("id", "vm_x"));
        let (p, items) = Page {
            page: 2,
            per_page: 2,
        }
        .apply(&[1, 2, 3]);
        assert_eq!(items, vec![3]);
        assert_eq!(p["total_pages"], 2);
        let (p, _) = Page {
            page: 1,
            per_page: 30,
        }
        .apply::<u8>(&[]);
        assert_eq!(p["total_pages"], 0);
    }
}
