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

/// A file as resolved: where it is, and whether it is the provider's override.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub path: PathBuf,
    /// The path below the module directory (`overrides/assets/css/client.css`).
    pub relative: String,
    pub overridden: bool,
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
    /// one, else the default.
    pub fn resolve(&self, name: &str) -> Result<Resolved, ViewError> {
        check_name(name)?;
        let root = self
            .root
            .canonicalize()
            .map_err(|e| ViewError::Unreadable {
                path: self.root.display().to_string(),
                reason: e.to_string(),
            })?;
        let top = name.split('/').next().unwrap_or_default();
        for (relative, overridden, folder) in [
            (format!("{OVERRIDES}/{name}"), true, root.join(OVERRIDES)),
            (name.to_string(), false, root.join(top)),
        ] {
            // The folder may be a link (a development checkout links module/views to ../views);
            // what is found must stay inside it, so a link in overrides/ cannot lead elsewhere.
            let (Ok(folder), Ok(path)) =
                (folder.canonicalize(), root.join(&relative).canonicalize())
            else {
                continue;
            };
            if path.starts_with(&folder) && path.is_file() {
                return Ok(Resolved {
                    path,
                    relative,
                    overridden,
                });
            }
        }
        Err(ViewError::Missing(name.to_string()))
    }

    /// Renders the template `name` (`views/...hbs`) with `data`.
    pub fn render(&self, name: &str, data: &Value) -> Result<String, ViewError> {
        let resolved = self.resolve(name)?;
        let mut cache = TEMPLATES
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        cache.ensure(&resolved.path)?;
        let key = resolved.path.to_string_lossy();
        cache
            .registry
            .render(&key, data)
            .map_err(|e| ViewError::Template {
                path: resolved.relative.clone(),
                reason: e.to_string(),
            })
    }

    /// The URL of an asset (`assets/...`), the override's when there is one, with the file's
    /// modification time so browsers fetch an edited file again.
    pub fn asset_url(&self, name: &str) -> Result<String, ViewError> {
        let resolved = self.resolve(name)?;
        let version = fs::metadata(&resolved.path)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
            .map(|d| d.as_secs())
            .unwrap_or_default();
        Ok(format!("{MODULE_URL}/{}?v={version}", resolved.relative))
    }
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
    stamps: HashMap<PathBuf, (SystemTime, u64)>,
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
    /// Compiles the file unless the compiled copy is of the same version (modified time, size).
    fn ensure(&mut self, path: &Path) -> Result<(), ViewError> {
        let shown = || path.display().to_string();
        let metadata = fs::metadata(path).map_err(|e| ViewError::Unreadable {
            path: shown(),
            reason: e.to_string(),
        })?;
        let stamp = (
            metadata.modified().unwrap_or(SystemTime::UNIX_EPOCH),
            metadata.len(),
        );
        if self.stamps.get(path) == Some(&stamp) {
            return Ok(());
        }
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
        self.stamps.insert(path.to_path_buf(), stamp);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
