//! Templates and assets: the defaults in `views/` and `assets/`, and the provider's copies in
//! `overrides/`, which win file by file (`overrides/views/client/virtual_machines/overview.hbs`
//! replaces `views/client/virtual_machines/overview.hbs`).
//!
//! Only the module names files, from constants; a request never does. The names are checked
//! anyway (no `..`, no absolute paths, only the two folders), and a resolved file must stay
//! inside the module directory, so a symlink in `overrides/` cannot reach elsewhere.
//! Compiled templates are cached per process and compiled again when the file changes, so a
//! provider's edit shows on the next page without restarting PHP-FPM. Handlebars escapes every
//! `{{value}}` for HTML.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{LazyLock, Mutex};
use std::time::SystemTime;

use handlebars::Handlebars;
use serde_json::Value;

mod reuse;
pub use reuse::Slots;

/// Where WHMCS serves the module's files from, relative to its root (the client area's URLs are
/// relative to the root too).
pub const MODULE_URL: &str = "modules/servers/katapult";
const OVERRIDES: &str = "overrides";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ViewError {
    #[error("`{0}` is not a view or asset name the module uses")]
    NotAllowed(String),
    #[error("the module file {0} is missing: reinstall the module, or remove a broken override")]
    Missing(String),
    #[error("{path} could not be read: {reason}")]
    Unreadable { path: String, reason: String },
    #[error("the template {path} has an error: {reason}")]
    Template { path: String, reason: String },
}

/// The values templates render, handed to handlebars as they are: `Views::render` copies its
/// values into handlebars' own, which costs a page more than rendering them.
pub struct ViewData(handlebars::Context);

impl ViewData {
    pub fn new(values: Value) -> Self {
        Self(handlebars::Context::from(values))
    }

    pub fn values(&self) -> &Value {
        self.0.data()
    }

    pub fn values_mut(&mut self) -> &mut Value {
        self.0.data_mut()
    }
}

/// A file as resolved: where it is, and whether it is the provider's override.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub path: PathBuf,
    /// The path below the module directory (`overrides/assets/css/client.css`).
    pub relative: String,
    pub overridden: bool,
    stamp: FileStamp,
}

/// The module directory (WHMCS's `modules/servers/katapult`).
#[derive(Debug, Clone)]
pub struct Views {
    root: PathBuf,
}

impl Views {
    pub fn new(module_dir: impl Into<PathBuf>) -> Self {
        Self {
            root: module_dir.into(),
        }
    }

    /// The file that serves `name` (`views/...` or `assets/...`): the override when there is
    /// one, else the default. Two `stat`s in the common case (no override).
    pub fn resolve(&self, name: &str) -> Result<Resolved, ViewError> {
        check_name(name)?;
        let (top, rest) = name.split_once('/').unwrap_or((name, ""));
        // The provider's copy, when there is one: it alone pays for the full check that it
        // stays inside overrides/ (a link there may not lead elsewhere).
        if let Ok(overrides) = canonical_folder(&self.root.join(OVERRIDES)) {
            let candidate = overrides.join(name);
            // (Only a file that is there is followed to its real path.)
            if let Some((stamp, real)) = file_stamp(&candidate)
                .and_then(|stamp| Some((stamp, candidate.canonicalize().ok()?)))
            {
                if real.starts_with(&overrides) {
                    return Ok(Resolved {
                        path: real,
                        relative: format!("{OVERRIDES}/{name}"),
                        overridden: true,
                        stamp,
                    });
                }
            }
        }
        // The module's own file, below its folder (which may be a link: a development checkout
        // links module/views to ../views).
        let missing = || ViewError::Missing(name.to_string());
        let path = canonical_folder(&self.root.join(top))
            .map_err(|_| missing())?
            .join(rest);
        let stamp = file_stamp(&path).ok_or_else(missing)?;
        Ok(Resolved {
            path,
            relative: name.to_string(),
            overridden: false,
            stamp,
        })
    }

    /// Renders the template `name` (`views/...hbs`) with `data` (copied for the template).
    pub fn render(&self, name: &str, data: &Value) -> Result<String, ViewError> {
        self.render_with(name, |registry, key| registry.render(key, data))
    }

    /// Renders the template `name` with `data` as it is: for large values, and for values that
    /// several templates render in turn.
    pub fn render_data(&self, name: &str, data: &ViewData) -> Result<String, ViewError> {
        self.render_with(name, |registry, key| {
            registry.render_with_context(key, &data.0)
        })
    }

    fn render_with(
        &self,
        name: &str,
        render: impl FnOnce(&Handlebars<'static>, &str) -> Result<String, handlebars::RenderError>,
    ) -> Result<String, ViewError> {
        let resolved = self.resolve(name)?;
        let mut cache = TEMPLATES
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        cache.ensure(&resolved)?;
        let key = resolved.path.to_string_lossy();
        render(&cache.registry, &key).map_err(|e| ViewError::Template {
            path: resolved.relative.clone(),
            reason: e.to_string(),
        })
    }

    /// The URL of an asset (`assets/...`), the override's when there is one, with the file's
    /// modification time so browsers fetch an edited file again.
    pub fn asset_url(&self, name: &str) -> Result<String, ViewError> {
        let resolved = self.resolve(name)?;
        let version = resolved
            .stamp
            .0
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        Ok(format!("{MODULE_URL}/{}?v={version}", resolved.relative))
    }
}

/// A file's version: its modification time and size (an edit within the same second still
/// changes the size, nearly always).
pub type FileStamp = (SystemTime, u64);

/// The version of the file at `path`; None when there is none.
pub fn file_stamp(path: &Path) -> Option<FileStamp> {
    let metadata = fs::metadata(path).ok().filter(fs::Metadata::is_file)?;
    Some((
        metadata.modified().unwrap_or(SystemTime::UNIX_EPOCH),
        metadata.len(),
    ))
}

/// The real path of one of the module's folders, looked up once per process: folders do not
/// move while PHP runs, files in them do change.
fn canonical_folder(folder: &Path) -> std::io::Result<PathBuf> {
    static FOLDERS: LazyLock<Mutex<HashMap<PathBuf, PathBuf>>> = LazyLock::new(Default::default);
    let mut folders = FOLDERS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(real) = folders.get(folder) {
        return Ok(real.clone());
    }
    let real = folder.canonicalize()?;
    folders.insert(folder.to_path_buf(), real.clone());
    Ok(real)
}

/// Text that reads the same whether or not it is HTML-escaped where it is shown: angle brackets
/// become their typographic look-alikes. For the answers WHMCS prints as they are (a module
/// function's error), which may quote what someone typed (a hostname, a VM name).
pub fn without_markup(text: &str) -> String {
    text.replace('<', "\u{2039}").replace('>', "\u{203a}")
}

/// HTML-escapes text for element content and attribute values, for the few fields the module
/// writes without a template (the admin area's).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Undoes PHP's `htmlspecialchars($text, ENT_QUOTES)`, as `html_entity_decode` would for what
/// it wrote: `&amp;`, `&lt;`, `&gt;`, `&quot;`, `&#039;` (and `&#39;`), in one pass.
pub fn unescape_special_chars(text: &str) -> String {
    const ENTITIES: [(&str, char); 6] = [
        ("&amp;", '&'),
        ("&lt;", '<'),
        ("&gt;", '>'),
        ("&quot;", '"'),
        ("&#039;", '\''),
        ("&#39;", '\''),
    ];
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        match ENTITIES.iter().find(|(entity, _)| rest.starts_with(entity)) {
            Some((entity, c)) => {
                out.push(*c);
                rest = &rest[entity.len()..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// A name the module may ask for: relative, inside `views/` or `assets/`, plain segments only.
fn check_name(name: &str) -> Result<(), ViewError> {
    let segments: Vec<&str> = name.split('/').collect();
    let plain = segments.iter().all(|segment| {
        !segment.is_empty()
            && !segment.starts_with('.')
            && segment
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    });
    if plain && segments.len() >= 2 && matches!(segments[0], "views" | "assets") {
        Ok(())
    } else {
        Err(ViewError::NotAllowed(name.chars().take(200).collect()))
    }
}

/// The compiled templates of this process, by file, with the file stamp they were compiled from.
struct TemplateCache {
    registry: Handlebars<'static>,
    stamps: HashMap<PathBuf, FileStamp>,
}

static TEMPLATES: LazyLock<Mutex<TemplateCache>> = LazyLock::new(|| {
    let mut registry = Handlebars::new();
    // A template naming a value that is not there renders nothing, as Smarty does; the
    // provider's override keeps working when a later version drops a value.
    registry.set_strict_mode(false);
    Mutex::new(TemplateCache {
        registry,
        stamps: HashMap::new(),
    })
});

impl TemplateCache {
    /// Compiles the file unless the compiled copy is of the same version.
    fn ensure(&mut self, resolved: &Resolved) -> Result<(), ViewError> {
        let path = &resolved.path;
        if self.stamps.get(path) == Some(&resolved.stamp) {
            return Ok(());
        }
        let shown = || path.display().to_string();
        let source = fs::read_to_string(path).map_err(|e| ViewError::Unreadable {
            path: shown(),
            reason: e.to_string(),
        })?;
        self.registry
            .register_template_string(&path.to_string_lossy(), source)
            .map_err(|e| ViewError::Template {
                path: shown(),
                reason: e.to_string(),
            })?;
        self.stamps.insert(path.clone(), resolved.stamp);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_whmcs_encoded_is_decoded_once() {
        assert_eq!(
            unescape_special_chars("a&amp;b &lt;x&gt; &quot;q&quot; it&#039;s &#39;"),
            "a&b <x> \"q\" it's '"
        );
        assert_eq!(unescape_special_chars("&amp;lt; & &copy;"), "&lt; & &copy;");
        assert_eq!(unescape_special_chars("plain-token_123"), "plain-token_123");
    }

    #[test]
    fn only_plain_names_in_the_two_folders_are_allowed() {
        for good in [
            "views/client/virtual_machines/overview.hbs",
            "assets/css/client.css",
        ] {
            assert_eq!(check_name(good), Ok(()), "{good}");
        }
        for bad in [
            "../views/x.hbs",
            "views/../../etc/passwd",
            "/etc/passwd",
            "views",
            "views/",
            "views//x.hbs",
            "lang/english.php",
            "views/a b.hbs",
            "views/./x.hbs",
            "assets/x\0.css",
            "views\\..\\x",
        ] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }
}
