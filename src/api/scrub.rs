//! Secrets out of text that quotes an API answer: the module log, and error messages that show
//! the start of a body the client could not read (they reach the activity log and the admin).
//! A VM's `initial_root_password` is near the start of its JSON, so a 200 answer that fails to
//! decode would otherwise carry it into the error.

use serde_json::Value;

/// What a secret value is replaced with.
const REMOVED: &str = "[removed]";

/// True for a key whose string value is a secret: any `…password`, `…secret`, `…token` or
/// `api_key`.
fn secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    key.ends_with("password")
        || key.ends_with("secret")
        || key.ends_with("token")
        || key == "api_key"
}

/// The body with the string value of every secret-shaped key replaced: as JSON when it is JSON,
/// else as text (an answer cut short, or not quite JSON).
pub fn without_secrets(body: &str) -> String {
    fn scrub(value: &mut Value) {
        match value {
            Value::Object(fields) => {
                for (key, field) in fields.iter_mut() {
                    if secret_key(key) && field.is_string() {
                        *field = Value::String(REMOVED.into());
                    } else {
                        scrub(field);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(scrub),
            _ => {}
        }
    }
    match serde_json::from_str::<Value>(body) {
        Ok(mut json) => {
            scrub(&mut json);
            json.to_string()
        }
        Err(_) => without_secret_text(body),
    }
}

/// `text` up to its first unescaped `"`, and the rest from that quote ("" when none).
fn split_at_closing_quote(text: &str) -> (&str, &str) {
    let mut escaped = false;
    let end = text.char_indices().find(|&(_, c)| {
        let closes = c == '"' && !escaped;
        escaped = c == '\\' && !escaped;
        closes
    });
    match end {
        Some((index, _)) => text.split_at(index),
        None => (text, ""),
    }
}

/// For text that is not whole JSON: each string literal is read in turn, and where one is a
/// secret-shaped key followed by `:` and a string, that string is removed up to its closing
/// quote or the end of the text.
fn without_secret_text(body: &str) -> String {
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(open) = rest.find('"') {
        out.push_str(&rest[..=open]);
        let (literal, after) = split_at_closing_quote(&rest[open + 1..]);
        out.push_str(literal);
        let Some(after) = after.strip_prefix('"') else {
            return out;
        };
        out.push('"');
        let value = after.trim_start().strip_prefix(':').map(str::trim_start);
        match value.and_then(|v| v.strip_prefix('"')) {
            Some(secret) if secret_key(literal) => {
                out.push_str(":\"");
                out.push_str(REMOVED);
                let (_, after_secret) = split_at_closing_quote(secret);
                match after_secret.strip_prefix('"') {
                    Some(tail) => {
                        out.push('"');
                        rest = tail;
                    }
                    None => return out,
                }
            }
            _ => rest = after,
        }
    }
    out.push_str(rest);
    out
}

/// A decoder's message without the values it quotes (serde_json quotes the string it met:
/// `invalid type: string "…", expected …`).
pub fn without_quoted_values(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(open) = rest.find('"') {
        out.push_str(&rest[..=open]);
        out.push('…');
        let (_, after) = split_at_closing_quote(&rest[open + 1..]);
        match after.strip_prefix('"') {
            Some(tail) => {
                out.push('"');
                rest = tail;
            }
            None => return out,
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_passwords_and_other_secrets_are_removed_from_json() {
        let body = r#"{"virtual_machine":{"id":"vm_1","initial_root_password":"s3cr3t!","nested":[{"password":"p"}],"client_secret":"cs","api_token":"tk","description":"password"}}"#;
        let scrubbed = without_secrets(body);
        for secret in ["s3cr3t!", "\"p\"", "\"cs\"", "\"tk\""] {
            assert!(!scrubbed.contains(secret), "{secret} in {scrubbed}");
        }
        assert!(scrubbed.contains("vm_1") && scrubbed.contains(r#""description":"password""#));
        assert_eq!(without_secrets("<html>502</html>"), "<html>502</html>");
    }

    #[test]
    fn a_body_cut_short_loses_its_secrets_too() {
        let cut = r#"{"virtual_machine":{"id":"vm_1","initial_root_password" : "s3\"cr3t!","state":"started","x":{"password":"p4ss"#;
        assert_eq!(
            without_secrets(cut),
            r#"{"virtual_machine":{"id":"vm_1","initial_root_password":"[removed]","state":"started","x":{"password":"[removed]"#
        );
        let whole_value_missing = r#"{"initial_root_password": "#;
        assert_eq!(without_secrets(whole_value_missing), whole_value_missing);
        let key_cut = r#"{"id":"vm_1","initial_root_pass"#;
        assert_eq!(without_secrets(key_cut), key_cut);
        let trailing = r#"{"token":"abc"} trailing"#;
        assert_eq!(
            without_secrets(trailing),
            r#"{"token":"[removed]"} trailing"#
        );
    }

    #[test]
    fn decoder_messages_lose_the_values_they_quote() {
        assert_eq!(
            without_quoted_values(
                r#"invalid type: string "hunter2", expected u64 at line 1 column 9"#
            ),
            r#"invalid type: string "…", expected u64 at line 1 column 9"#
        );
        assert_eq!(
            without_quoted_values("EOF while parsing"),
            "EOF while parsing"
        );
        assert_eq!(without_quoted_values(r#"string "cut"#), r#"string "…"#);
    }
}
