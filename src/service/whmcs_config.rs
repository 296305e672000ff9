//! Reading WHMCS's `configuration.php` without running it: only `$cc_encryption_hash`, the
//! installation secret the module's own secrets are derived from. WHMCS `include`s the file, so
//! it is read the way PHP runs it: comments are skipped and the last assignment counts. An
//! assignment PHP would compute (`getenv(…)`, another file's variable) cannot be known here.

/// The value the file's last `$cc_encryption_hash = …;` gives, when that is a plain string
/// literal; None when there is none or it is computed.
pub fn cc_encryption_hash(configuration: &str) -> Option<String> {
    const NAME: &str = "$cc_encryption_hash";
    let mut last = None;
    let mut rest = configuration;
    while let Some(c) = rest.chars().next() {
        if let Some(after) = after_comment(rest) {
            rest = after;
        } else if c == '\'' || c == '"' {
            rest = string_literal(rest).map_or("", |(_, after)| after);
        } else if rest.starts_with(NAME) && !continues_name(&rest[NAME.len()..]) {
            rest = &rest[NAME.len()..];
            let after = skip_space(rest);
            if let Some(value) = after.strip_prefix('=').filter(|v| !v.starts_with('=')) {
                let value = skip_space(value);
                last = match string_literal(value) {
                    Some((literal, after)) if skip_space(after).starts_with(';') => literal,
                    _ => None,
                };
            }
        } else {
            rest = &rest[c.len_utf8()..];
        }
    }
    last
}

fn continues_name(text: &str) -> bool {
    text.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// What follows the comment `text` starts with (a `//` or `#` one ends at the line's end or at
/// `?>`, as PHP ends it; `#[` is an attribute); None when it starts with no comment.
fn after_comment(text: &str) -> Option<&str> {
    if text.starts_with("//") || (text.starts_with('#') && !text.starts_with("#[")) {
        let end = [text.find('\n'), text.find("?>")]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(text.len());
        Some(&text[end..])
    } else {
        let comment = text.strip_prefix("/*")?;
        Some(comment.find("*/").map_or("", |end| &comment[end + 2..]))
    }
}

/// Whitespace and comments skipped.
fn skip_space(mut text: &str) -> &str {
    loop {
        let trimmed = text.trim_start();
        match after_comment(trimmed) {
            Some(after) => text = after,
            None => return trimmed,
        }
    }
}

/// A PHP string literal at the start of `text`: its value (None when PHP would interpolate a
/// variable into it) and what follows it. None when `text` holds no finished literal.
fn string_literal(text: &str) -> Option<(Option<String>, &str)> {
    let quote = text.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let mut value = String::new();
    let mut interpolated = false;
    let mut chars = text[1..].char_indices();
    while let Some((at, c)) = chars.next() {
        match c {
            '\\' => {
                let (_, escaped) = chars.next()?;
                match (quote, escaped) {
                    (_, e) if e == quote || e == '\\' => value.push(e),
                    ('"', 'n') => value.push('\n'),
                    ('"', 't') => value.push('\t'),
                    ('"', 'r') => value.push('\r'),
                    ('"', '$') => value.push('$'),
                    (_, other) => {
                        value.push('\\');
                        value.push(other);
                    }
                }
            }
            '$' if quote == '"' => {
                interpolated = true;
                value.push(c);
            }
            c if c == quote => {
                let after = &text[1 + at + 1..];
                return Some(((!interpolated).then_some(value), after));
            }
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
    }

    #[test]
    fn the_last_assignment_counts_and_comments_are_skipped() {
        let file = "<?php\n$cc_encryption_hash = 'first';\n$cc_encryption_hash = 'second';\n";
        assert_eq!(cc_encryption_hash(file).as_deref(), Some("second"));
        for commented in [
            "<?php $cc_encryption_hash = 'real';\n// $cc_encryption_hash = 'old';\n",
            "<?php $cc_encryption_hash = 'real';\n# $cc_encryption_hash = 'old';\n",
            "<?php $cc_encryption_hash = 'real';\n/* $cc_encryption_hash = 'old';\n*/",
            "<?php $cc_encryption_hash = 'real'; $note = '$cc_encryption_hash = \"old\";';",
        ] {
            assert_eq!(
                cc_encryption_hash(commented).as_deref(),
                Some("real"),
                "{commented}"
            );
        }
        assert_eq!(
            cc_encryption_hash(
                "<?php $cc_encryption_hash_old = 'old'; $cc_encryption_hash == 'x';"
            ),
            None,
            "another variable, a comparison"
        );
    }

    #[test]
    fn a_computed_last_assignment_is_unknown() {
        let file =
            "<?php\n$cc_encryption_hash = 'stale';\n$cc_encryption_hash = getenv('WHMCS_HASH');\n";
        assert_eq!(cc_encryption_hash(file), None);
        assert_eq!(
            cc_encryption_hash("<?php $cc_encryption_hash = \"$secret\";"),
            None
        );
        assert_eq!(
            cc_encryption_hash("<?php $cc_encryption_hash = 'a' . 'b';"),
            None
        );
    }
}
