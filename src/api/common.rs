//! Small types several resources share.

use std::fmt;

use serde::{Deserialize, Serialize};

/// `{key, value}` metadata on VMs and organizations; list endpoints filter on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Annotation {
    pub key: String,
    pub value: String,
}

impl Annotation {
    pub fn new(key: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            value: value.into(),
        }
    }
}

/// A `{id, name}` reference the API embeds in other objects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdName {
    pub id: String,
    pub name: Option<String>,
}

/// A secret the API hands out (a VM's initial root password). Serializes as itself, for the
/// caller that must store it; `Debug` redacts it so it never reaches a log by accident.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// Declares a state enum that keeps working when Katapult adds a state: unknown values decode
/// as `Unknown` instead of failing the whole response.
macro_rules! api_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident => $wire:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $(#[serde(rename = $wire)] $variant,)+
            #[default]
            #[serde(other, rename = "unknown")]
            Unknown,
        }

        impl $name {
            pub fn as_str(&self) -> &'static str {
                match self {
                    $($name::$variant => $wire,)+
                    $name::Unknown => "unknown",
                }
            }
        }
    };
}
pub(crate) use api_enum;

#[cfg(test)]
mod tests {
    use super::*;

    api_enum!(Colour { Red => "red", DarkBlue => "dark_blue" });

    #[test]
    fn unknown_states_decode_instead_of_failing() {
        let parsed: Vec<Colour> =
            serde_json::from_str(r#"["red","dark_blue","ultraviolet"]"#).unwrap();
        assert_eq!(parsed, vec![Colour::Red, Colour::DarkBlue, Colour::Unknown]);
        assert_eq!(Colour::DarkBlue.as_str(), "dark_blue");
    }

    #[test]
    fn secrets_are_redacted_in_debug_only() {
        let s = Secret::new("hunter2");
        assert!(!format!("{s:?}").contains("hunter2"));
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"hunter2\"");
    }
}
