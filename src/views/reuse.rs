//! Renderings reused: a panel shown again with the same values (a client's page views and polls
//! while the VM stays as it is) is not rendered again by this PHP process. What differs on every
//! rendering (the single-use action tokens, WHMCS's CSRF token, the panel inside the page) stands
//! in the data as slots (`Slots`); the HTML rendered around the slots is kept, keyed by everything
//! else the rendering read (the data, the language's strings, each template file's path and
//! version), and the slots are filled with this rendering's values. Handlebars renders the same
//! data the same way, so the reused HTML is what a new rendering would give.

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, LazyLock, Mutex};

use memchr::memmem;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::{ViewError, Views};

/// How many renderings a process keeps (each a panel's HTML, a few kilobytes).
const KEPT: usize = 64;

/// The keys whose string values are single-use: every action token the module issues is under
/// a `token` key, and WHMCS's CSRF token under `csrf`.
const SINGLE_USE_KEYS: [&str; 2] = ["token", "csrf"];

/// Values that stand in a view's data as slots, in slot order.
#[derive(Default)]
pub struct Slots(Vec<String>);

/// A slot as it stands in the data: this process's mark, the slot's number, and `=`, which
/// handlebars escapes (`&#x3D;`): the HTML says whether the template showed the value escaped
/// (`{{value}}`) or as it is (`{{{value}}}`), and the slot is filled the same way. The mark is
/// drawn at random, so no value a client or Katapult chose can be taken for a slot.
static SLOT_MARK: LazyLock<String> = LazyLock::new(|| {
    let drawn: u64 = rand::random();
    format!("kslot{drawn:016x}n")
});
const SHOWN_AS_IS: &str = "=";
const SHOWN_ESCAPED: &str = "&#x3D;";

/// Finds the mark in rendered HTML (memchr's vectorised search: a panel is kilobytes long, its
/// slots a dozen).
static SLOT_FINDER: LazyLock<memmem::Finder<'static>> =
    LazyLock::new(|| memmem::Finder::new(SLOT_MARK.as_bytes()).into_owned());

static RENDERED: LazyLock<Mutex<HashMap<[u8; 32], Arc<str>>>> = LazyLock::new(Default::default);

impl Slots {
    /// Swaps every single-use value in `data` (a string under a `token` or `csrf` key, at any
    /// depth) for a slot.
    pub fn take(data: &mut Value) -> Slots {
        let mut slots = Slots::default();
        slots.take_within(data);
        slots
    }

    fn take_within(&mut self, value: &mut Value) {
        match value {
            Value::Object(entries) => {
                for (key, entry) in entries.iter_mut() {
                    match entry {
                        Value::String(text) if SINGLE_USE_KEYS.contains(&key.as_str()) => {
                            let value = std::mem::take(text);
                            *entry = self.slot(value);
                        }
                        _ => self.take_within(entry),
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|item| self.take_within(item)),
            _ => {}
        }
    }

    /// A slot for `value`, to put in a view's data in its place.
    pub fn slot(&mut self, value: String) -> Value {
        let slot = format!("{}{}{SHOWN_AS_IS}", *SLOT_MARK, self.0.len());
        self.0.push(value);
        Value::String(slot)
    }

    /// `html` with each slot replaced by its value, escaped where the template escaped the slot.
    pub fn fill(&self, html: &str) -> String {
        let mark = SLOT_MARK.as_str();
        let mut filled =
            String::with_capacity(html.len() + self.0.iter().map(String::len).sum::<usize>());
        let mut rest = html;
        while let Some(at) = SLOT_FINDER.find(rest.as_bytes()) {
            filled.push_str(&rest[..at]);
            let after = &rest[at + mark.len()..];
            let digits = after.bytes().take_while(u8::is_ascii_digit).count();
            let value = after[..digits]
                .parse::<usize>()
                .ok()
                .and_then(|index| self.0.get(index));
            let tail = &after[digits..];
            match value {
                Some(value) if tail.starts_with(SHOWN_AS_IS) => {
                    filled.push_str(value);
                    rest = &tail[SHOWN_AS_IS.len()..];
                }
                Some(value) if tail.starts_with(SHOWN_ESCAPED) => {
                    if value.bytes().any(escaped_in_html) {
                        filled.push_str(&handlebars::html_escape(value));
                    } else {
                        // Tokens are base64url and dots: nothing in them to escape.
                        filled.push_str(value);
                    }
                    rest = &tail[SHOWN_ESCAPED.len()..];
                }
                _ => {
                    filled.push_str(mark);
                    rest = after;
                }
            }
        }
        filled.push_str(rest);
        filled
    }
}

/// Whether handlebars' HTML escaping changes the byte.
fn escaped_in_html(byte: u8) -> bool {
    matches!(byte, b'<' | b'>' | b'"' | b'\'' | b'`' | b'=' | b'&')
}

/// SHA-256 fed as a writer, so the data is hashed as it is serialised.
struct Hashing(Sha256);

impl Write for Hashing {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.update(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Views {
    /// The HTML `render` makes of `data` (slots in place of its single-use values) with the
    /// `templates` it uses; or, when this process rendered the same data, with the same
    /// `strings` (a generation of the language's strings, which `render` adds) and the same
    /// versions of the same template files before, that HTML again.
    pub fn render_reused(
        &self,
        templates: &[&str],
        strings: u64,
        data: Value,
        render: impl FnOnce(Value) -> Result<String, ViewError>,
    ) -> Result<Arc<str>, ViewError> {
        let mut key = Hashing(Sha256::new());
        for name in templates {
            let resolved = self.resolve(name)?;
            key.0.update(resolved.path.as_os_str().as_encoded_bytes());
            key.0.update([0]);
            let (modified, size) = resolved.stamp;
            let modified = modified
                .duration_since(std::time::UNIX_EPOCH)
                .map(|since| since.as_nanos())
                .unwrap_or_default();
            key.0.update(modified.to_le_bytes());
            key.0.update(size.to_le_bytes());
        }
        key.0.update(strings.to_le_bytes());
        serde_json::to_writer(&mut key, &data).map_err(|e| ViewError::Template {
            path: templates.first().copied().unwrap_or_default().to_string(),
            reason: e.to_string(),
        })?;
        let key: [u8; 32] = key.0.finalize().into();
        let rendered = || {
            RENDERED
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
        };
        if let Some(html) = rendered().get(&key) {
            return Ok(html.clone());
        }
        let html: Arc<str> = render(data)?.into();
        let mut kept = rendered();
        if kept.len() >= KEPT {
            // The oldest is not known: any one goes (a page view renders it again if needed).
            if let Some(any) = kept.keys().next().copied() {
                kept.remove(&any);
            }
        }
        kept.insert(key, html.clone());
        Ok(html)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn rendered(template: &str, data: &Value) -> String {
        let mut registry = handlebars::Handlebars::new();
        registry.register_template_string("t", template).unwrap();
        registry.render("t", data).unwrap()
    }

    #[test]
    fn single_use_values_become_slots_and_come_back_as_the_template_shows_them() {
        let mut data = json!({
            "csrf": "c5rf",
            "name": "token",
            "actions": [{"token": "t.one", "label": "Start"}, {"token": "t=<two>"}],
            "console": {"token": "t.three", "count": 3},
        });
        let original = data.clone();
        let mut slots = Slots::take(&mut data);
        let text = data.to_string();
        for value in ["c5rf", "t.one", "t=<two>", "t.three"] {
            assert!(!text.contains(value), "{value} left in {text}");
        }
        assert_eq!(data["name"], "token", "only the values under the keys");
        data["panel"] = slots.slot("<b>as it is</b>".into());
        let mut expected = original;
        expected["panel"] = json!("<b>as it is</b>");
        let template = "{{csrf}} {{#each actions}}<a data-t=\"{{token}}\">{{{token}}}</a>{{/each}} {{console.token}} {{{panel}}} {{panel}}";
        assert_eq!(
            slots.fill(&rendered(template, &data)),
            rendered(template, &expected)
        );
    }

    #[test]
    fn text_that_only_looks_like_a_slot_is_left() {
        let mut data = json!({"token": "a"});
        let slots = Slots::take(&mut data);
        let mark = SLOT_MARK.as_str();
        let html = format!("{mark}9= {mark}x {mark}0 {mark}");
        assert_eq!(slots.fill(&html), html);
    }

    #[test]
    fn the_same_data_is_rendered_once_and_a_change_renders_again() {
        let views = Views::new(concat!(env!("CARGO_MANIFEST_DIR"), "/module"));
        let templates = ["views/client/virtual_machines/problem.hbs"];
        let renders = std::cell::Cell::new(0);
        let render = |data: Value| {
            renders.set(renders.get() + 1);
            Ok(format!("rendered {data}"))
        };
        let unique = rand::random::<u64>();
        let first = views
            .render_reused(&templates, unique, json!({"a": 1}), render)
            .unwrap();
        let again = views
            .render_reused(&templates, unique, json!({"a": 1}), render)
            .unwrap();
        assert_eq!((first.as_ref(), renders.get()), (again.as_ref(), 1));
        views
            .render_reused(&templates, unique, json!({"a": 2}), render)
            .unwrap();
        views
            .render_reused(&templates, unique + 1, json!({"a": 1}), render)
            .unwrap();
        assert_eq!(renders.get(), 3, "other data, other strings: rendered");
    }
}
