//! PHP's `serialize()` format, for the values the PHP module left in its datastore.
//!
//! The existing PHP module (through grizzlyware/salmon) stores every value `serialize()`d:
//! strings (`s:7:"org_abc";`), integers (`i:42;`) and `Carbon\Carbon` objects (an `O:` carrying
//! `date`, `timezone_type`, `timezone`). This reads every form `serialize()` produces for scalars,
//! arrays and plain objects, and writes the scalar forms, so either module can read the other's
//! rows. Lengths are byte counts, as in PHP.

use std::fmt::Write as _;

/// A decoded PHP value.
#[derive(Debug, Clone, PartialEq)]
pub enum PhpValue {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    String(String),
    /// Key/value pairs in order (keys are `Int` or `String`).
    Array(Vec<(PhpValue, PhpValue)>),
    /// An object: its class and properties (visibility markers stripped from the names).
    Object {
        class: String,
        properties: Vec<(String, PhpValue)>,
    },
}

/// Why a stored value could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a PHP serialized value at byte {position}: {reason}")]
pub struct DecodeError {
    pub position: usize,
    pub reason: String,
}

/// Deeper nesting than this is refused rather than risking the stack on hostile input.
const MAX_DEPTH: usize = 64;

impl PhpValue {
    /// Parses one complete serialized value.
    pub fn unserialize(input: &str) -> Result<Self, DecodeError> {
        let mut parser = Parser {
            bytes: input.as_bytes(),
            position: 0,
        };
        let value = parser.value(0)?;
        if parser.position != parser.bytes.len() {
            return Err(parser.error("trailing data after the value"));
        }
        Ok(value)
    }

    /// The `serialize()` form of this value.
    pub fn serialize(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut String) {
        match self {
            PhpValue::Null => out.push_str("N;"),
            PhpValue::Bool(b) => {
                let _ = write!(out, "b:{};", u8::from(*b));
            }
            PhpValue::Int(i) => {
                let _ = write!(out, "i:{i};");
            }
            PhpValue::Float(f) => {
                let _ = write!(out, "d:{};", float_text(*f));
            }
            PhpValue::String(s) => {
                let _ = write!(out, "s:{}:\"{s}\";", s.len());
            }
            PhpValue::Array(items) => {
                let _ = write!(out, "a:{}:{{", items.len());
                for (key, value) in items {
                    key.write(out);
                    value.write(out);
                }
                out.push('}');
            }
            PhpValue::Object { class, properties } => {
                let _ = write!(out, "O:{}:\"{class}\":{}:{{", class.len(), properties.len());
                for (name, value) in properties {
                    PhpValue::String(name.clone()).write(out);
                    value.write(out);
                }
                out.push('}');
            }
        }
    }

    /// The value as text, as PHP would cast a scalar to string.
    pub fn as_text(&self) -> Option<String> {
        match self {
            PhpValue::String(s) => Some(s.clone()),
            PhpValue::Int(i) => Some(i.to_string()),
            PhpValue::Float(f) => Some(float_text(*f)),
            PhpValue::Bool(true) => Some("1".into()),
            _ => None,
        }
    }

    /// A property of an object.
    pub fn property(&self, name: &str) -> Option<&PhpValue> {
        match self {
            PhpValue::Object { properties, .. } => {
                properties.iter().find(|(n, _)| n == name).map(|(_, v)| v)
            }
            _ => None,
        }
    }
}

fn float_text(f: f64) -> String {
    if f.is_nan() {
        "NAN".into()
    } else if f.is_infinite() {
        if f > 0.0 {
            "INF".into()
        } else {
            "-INF".into()
        }
    } else {
        format!("{f}")
    }
}

struct Parser<'a> {
    bytes: &'a [u8],
    position: usize,
}

impl Parser<'_> {
    fn error(&self, reason: impl Into<String>) -> DecodeError {
        DecodeError {
            position: self.position,
            reason: reason.into(),
        }
    }

    fn expect(&mut self, byte: u8) -> Result<(), DecodeError> {
        match self.bytes.get(self.position) {
            Some(b) if *b == byte => {
                self.position += 1;
                Ok(())
            }
            Some(b) => Err(self.error(format!(
                "expected `{}`, found `{}`",
                byte as char, *b as char
            ))),
            None => Err(self.error(format!("expected `{}`, found the end", byte as char))),
        }
    }

    /// Bytes up to (not including) `end`, which is consumed.
    fn until(&mut self, end: u8) -> Result<String, DecodeError> {
        let start = self.position;
        let length = self.bytes[start..]
            .iter()
            .position(|b| *b == end)
            .ok_or_else(|| self.error(format!("missing `{}`", end as char)))?;
        self.position = start + length + 1;
        std::str::from_utf8(&self.bytes[start..start + length])
            .map(str::to_string)
            .map_err(|_| self.error("invalid UTF-8"))
    }

    fn number<T: std::str::FromStr>(&mut self, end: u8) -> Result<T, DecodeError> {
        let start = self.position;
        let text = self.until(end)?;
        text.parse().map_err(|_| DecodeError {
            position: start,
            reason: format!("`{text}` is not a number"),
        })
    }

    /// `N:"…"` with N a byte count; the quotes are consumed.
    fn counted_string(&mut self) -> Result<String, DecodeError> {
        let length: usize = self.number(b':')?;
        self.expect(b'"')?;
        let start = self.position;
        let end = start
            .checked_add(length)
            .filter(|end| *end <= self.bytes.len())
            .ok_or_else(|| self.error("string runs past the end"))?;
        let text = std::str::from_utf8(&self.bytes[start..end])
            .map_err(|_| self.error("invalid UTF-8 in a string"))?
            .to_string();
        self.position = end;
        self.expect(b'"')?;
        Ok(text)
    }

    fn value(&mut self, depth: usize) -> Result<PhpValue, DecodeError> {
        if depth > MAX_DEPTH {
            return Err(self.error("nested too deeply"));
        }
        let kind = *self
            .bytes
            .get(self.position)
            .ok_or_else(|| self.error("empty value"))?;
        self.position += 1;
        if kind == b'N' {
            self.expect(b';')?;
            return Ok(PhpValue::Null);
        }
        self.expect(b':')?;
        match kind {
            b'b' => match self.until(b';')?.as_str() {
                "0" => Ok(PhpValue::Bool(false)),
                "1" => Ok(PhpValue::Bool(true)),
                other => Err(self.error(format!("`{other}` is not a boolean"))),
            },
            b'i' => Ok(PhpValue::Int(self.number(b';')?)),
            b'd' => {
                let text = self.until(b';')?;
                let value = match text.as_str() {
                    "NAN" => f64::NAN,
                    "INF" => f64::INFINITY,
                    "-INF" => f64::NEG_INFINITY,
                    _ => text
                        .parse()
                        .map_err(|_| self.error(format!("`{text}` is not a float")))?,
                };
                Ok(PhpValue::Float(value))
            }
            b's' => {
                let text = self.counted_string()?;
                self.expect(b';')?;
                Ok(PhpValue::String(text))
            }
            b'a' => Ok(PhpValue::Array(self.pairs(depth)?)),
            b'O' => {
                let class = self.counted_string()?;
                self.expect(b':')?;
                let properties = self
                    .pairs(depth)?
                    .into_iter()
                    .map(|(name, value)| match name {
                        // Protected and private names carry "\0*\0" / "\0Class\0" prefixes.
                        PhpValue::String(n) => {
                            Ok((n.rsplit('\0').next().unwrap_or_default().to_string(), value))
                        }
                        other => Ok((other.as_text().unwrap_or_default(), value)),
                    })
                    .collect::<Result<_, DecodeError>>()?;
                Ok(PhpValue::Object { class, properties })
            }
            other => Err(self.error(format!("unsupported type `{}`", other as char))),
        }
    }

    /// `N:{key value …}` after the type letter and colon.
    fn pairs(&mut self, depth: usize) -> Result<Vec<(PhpValue, PhpValue)>, DecodeError> {
        let count: usize = self.number(b':')?;
        self.expect(b'{')?;
        // Each pair takes at least 4 bytes; a larger count is a lie, not a reason to allocate.
        let mut items = Vec::with_capacity(count.min(self.bytes.len() / 4));
        for _ in 0..count {
            let key = self.value(depth + 1)?;
            if !matches!(key, PhpValue::Int(_) | PhpValue::String(_)) {
                return Err(self.error("array keys must be integers or strings"));
            }
            let value = self.value(depth + 1)?;
            items.push((key, value));
        }
        self.expect(b'}')?;
        Ok(items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Exactly what PHP 8.2 prints for `serialize(Carbon::parse('2024-03-05 14:07:09', 'UTC'))`.
    pub(crate) const CARBON: &str = r#"O:13:"Carbon\Carbon":3:{s:4:"date";s:26:"2024-03-05 14:07:09.000000";s:13:"timezone_type";i:3;s:8:"timezone";s:3:"UTC";}"#;

    #[test]
    fn reads_the_forms_the_php_module_wrote() {
        assert_eq!(
            PhpValue::unserialize(r#"s:20:"vmbuild_TEmhezUShNu";"#)
                .unwrap_err()
                .reason,
            "expected `\"`, found `;`"
        );
        assert_eq!(
            PhpValue::unserialize(r#"s:19:"vmbuild_TEmhezUShNu";"#).unwrap(),
            PhpValue::String("vmbuild_TEmhezUShNu".into())
        );
        assert_eq!(PhpValue::unserialize("i:42;").unwrap(), PhpValue::Int(42));
        let carbon = PhpValue::unserialize(CARBON).unwrap();
        assert_eq!(
            carbon.property("date"),
            Some(&PhpValue::String("2024-03-05 14:07:09.000000".into()))
        );
        assert_eq!(carbon.property("timezone_type"), Some(&PhpValue::Int(3)));
    }

    #[test]
    fn string_lengths_are_bytes() {
        let value = PhpValue::String("Zoë ☃".into());
        assert_eq!(value.serialize(), "s:8:\"Zoë ☃\";");
        assert_eq!(PhpValue::unserialize(&value.serialize()).unwrap(), value);
    }

    #[test]
    fn round_trips_every_kind() {
        let value = PhpValue::Array(vec![
            (PhpValue::Int(0), PhpValue::Null),
            (PhpValue::String("b".into()), PhpValue::Bool(true)),
            (PhpValue::String("f".into()), PhpValue::Float(1.5)),
            (
                PhpValue::Int(7),
                PhpValue::Object {
                    class: "stdClass".into(),
                    properties: vec![("x".into(), PhpValue::Int(-3))],
                },
            ),
        ]);
        assert_eq!(PhpValue::unserialize(&value.serialize()).unwrap(), value);
    }

    #[test]
    fn private_and_protected_property_names_are_plain() {
        let text = "O:1:\"A\":2:{s:4:\"\0*\0p\";i:1;s:4:\"\0A\0q\";i:2;}";
        let value = PhpValue::unserialize(text).unwrap();
        assert_eq!(value.property("p"), Some(&PhpValue::Int(1)));
        assert_eq!(value.property("q"), Some(&PhpValue::Int(2)));
    }

    #[test]
    fn hostile_input_is_an_error_not_a_crash() {
        for bad in [
            "",
            "s:5:\"ab\";",
            "s:99999999999999999999:\"a\";",
            "a:1000000:{}",
            "i:x;",
            "O:3:\"abc\":1:{i:0;}",
            "b:2;",
            "s:1:\"a\";junk",
            &"a:1:{i:0;".repeat(100),
        ] {
            assert!(PhpValue::unserialize(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
