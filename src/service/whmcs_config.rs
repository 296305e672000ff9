//! Reading WHMCS's `configuration.php` without running it: only `$cc_encryption_hash`, the
//! installation secret the module's own secrets are derived from.

/// The value of `$cc_encryption_hash = '…';` (single or double quoted, escapes honoured).
pub fn cc_encryption_hash(configuration: &str) -> Option<String> {
    let mut rest = configuration;
    while let Some(at) = rest.find("$cc_encryption_hash") {
        rest = &rest[at + "$cc_encryption_hash".len()..];
        let after = rest.trim_start();
        let Some(value) = after.strip_prefix('=') else {
            continue;
        };
        if let Some(parsed) = string_literal(value.trim_start()) {
            return Some(parsed);
        }
    }
    None
}

/// A PHP string literal at the start of `text`.
fn string_literal(text: &str) -> Option<String> {
    let quote = text.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let mut value = String::new();
    let mut chars = text[1..].chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next()? {
                escaped if escaped == quote || escaped == '\\' => value.push(escaped),
                other => {
                    value.push('\\');
                    value.push(other);
                }
            },
            c if c == quote => return Some(value),
            c => value.push(c),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_hash_as_whmcs_writes_it() {
        let file = "<?php\n$license = 'WHMCS-abc';\n$db_host = 'localhost';\n$cc_encryption_hash = 'aBc123\\'x\\\\y';\n$mysql_charset = 'utf8';\n";
        assert_eq!(cc_encryption_hash(file).as_deref(), Some("aBc123'x\\y"));
        assert_eq!(
            cc_encryption_hash("<?php $cc_encryption_hash=\"q\\\"w\";").as_deref(),
            Some("q\"w")
        );
    }

    #[test]
    fn a_missing_or_unfinished_hash_is_none() {
        assert_eq!(cc_encryption_hash("<?php $db_host = 'x';"), None);
        assert_eq!(
            cc_encryption_hash("<?php $cc_encryption_hash = 'open"),
            None
        );
        assert_eq!(
            cc_encryption_hash("<?php // $cc_encryption_hash\n$cc_encryption_hash = 'real';")
                .as_deref(),
            Some("real")
        );
    }
}
