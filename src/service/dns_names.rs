//! What a client may type as a VM's name, hostname or an address's reverse DNS, checked before
//! anything is sent to Katapult: a clear refusal here costs no API call and says what is wrong.

/// A DNS label: 1 to 63 letters, digits and hyphens, no hyphen at either end.
fn is_label(label: &str) -> bool {
    (1..=63).contains(&label.len())
        && label
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !label.starts_with('-')
        && !label.ends_with('-')
}

/// A PTR name in lower case, without a trailing dot: two labels or more, at most 253
/// characters. Empty means "Katapult's default name". None when it is not a hostname.
pub fn reverse_dns_name(input: &str) -> Option<String> {
    let name = input.trim().to_ascii_lowercase();
    let name = name.strip_suffix('.').unwrap_or(&name);
    if name.is_empty() {
        return Some(String::new());
    }
    let labels: Vec<&str> = name.split('.').collect();
    (name.len() <= 253 && labels.len() >= 2 && labels.iter().all(|l| is_label(l)))
        .then(|| name.to_string())
}

/// A VM hostname as Katapult takes it (one label), in lower case; None when it is not one.
pub fn vm_hostname(input: &str) -> Option<String> {
    let name = input.trim().to_ascii_lowercase();
    is_label(&name).then_some(name)
}

/// The longest display name taken.
pub const DISPLAY_NAME_MAX: usize = 100;

/// A display name: 1 to `DISPLAY_NAME_MAX` characters, no control characters; None otherwise.
pub fn display_name(input: &str) -> Option<String> {
    let name = input.trim();
    let length = name.chars().count();
    ((1..=DISPLAY_NAME_MAX).contains(&length) && !name.chars().any(char::is_control))
        .then(|| name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reverse_dns_names_are_hostnames() {
        assert_eq!(
            reverse_dns_name(" Mail.Example.COM. ").as_deref(),
            Some("mail.example.com")
        );
        assert_eq!(reverse_dns_name("").as_deref(), Some(""));
        assert_eq!(reverse_dns_name("  ").as_deref(), Some(""));
        for bad in [
            "localhost",
            "bad name.example.com",
            "-a.example.com",
            "a-.example.com",
            "a..example.com",
            "<script>.example.com",
            "ex_ample.com",
            "mail.example.com;rm",
            "ümlaut.example.com",
        ] {
            assert_eq!(reverse_dns_name(bad), None, "{bad}");
        }
        let long_label = format!("{}.com", "a".repeat(64));
        assert_eq!(reverse_dns_name(&long_label), None);
        let long_name = format!("{}.com", vec!["a".repeat(60); 5].join("."));
        assert_eq!(reverse_dns_name(&long_name), None, "over 253 characters");
    }

    #[test]
    fn hostnames_are_one_label() {
        assert_eq!(vm_hostname(" Web-2 ").as_deref(), Some("web-2"));
        for bad in ["", "web.example", "-web", "web-", "we b", &"a".repeat(64)] {
            assert_eq!(vm_hostname(bad), None, "{bad}");
        }
    }

    #[test]
    fn display_names_are_short_plain_text() {
        assert_eq!(
            display_name("  Shop <live> ").as_deref(),
            Some("Shop <live>")
        );
        assert_eq!(display_name(""), None);
        assert_eq!(display_name("a\nb"), None);
        assert_eq!(
            display_name(&"é".repeat(DISPLAY_NAME_MAX)).map(|n| n.chars().count()),
            Some(DISPLAY_NAME_MAX)
        );
        assert_eq!(display_name(&"a".repeat(DISPLAY_NAME_MAX + 1)), None);
    }
}
