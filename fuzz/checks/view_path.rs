//! Template and asset resolution (src/views/mod.rs): arbitrary names resolved in a module
//! directory whose `overrides/` holds a real override and links leading elsewhere.
//!
//! Rules: no panic; a name resolves only when it is plain (`views/…` or `assets/…`, no empty,
//! dot-led or odd segments); an override resolves to its real path inside `overrides/`; a
//! default to a file inside the module's own `views/` or `assets/` (the real folders: `views`
//! is a link, as in a development checkout); nothing resolves to the folder outside; the
//! names listed in `KNOWN` resolve as listed; `asset_url` names the same file.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use katapult::views::{ViewError, Views, MODULE_URL};

/// The scratch folder: `module/` (the module directory), `checkout-views/` (its `views`, linked),
/// `outside/` (what links in `overrides/` point at, which must never be served).
struct Layout {
    base: PathBuf,
    module: PathBuf,
    views: PathBuf,
    assets: PathBuf,
    overrides: PathBuf,
    outside: PathBuf,
}

/// What a name must resolve to: `Some(true)` the override, `Some(false)` the default, `None` missing.
const KNOWN: &[(&str, Option<bool>)] = &[
    ("views/client/panel.hbs", Some(true)),
    ("views/client/overview.hbs", Some(false)),
    ("assets/css/client.css", Some(false)),
    ("assets/js/client.js", Some(false)),
    ("views/client/escape.hbs", None),
    ("assets/linked/stolen.css", None),
    ("views/client/inside.hbs", None),
    ("views/client/dangling.hbs", None),
    ("views/client/folder.hbs", None),
    ("views/client", None),
];

static LAYOUT: OnceLock<Layout> = OnceLock::new();

fn layout() -> &'static Layout {
    LAYOUT.get_or_init(|| {
        let base = std::env::temp_dir().join(format!("katapult-fuzz-views-{}", std::process::id()));
        let _ = fs::remove_dir_all(&base);
        let module = base.join("module");
        let write = |path: PathBuf, text: &str| {
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, text).unwrap();
        };
        let link = |target: &Path, at: PathBuf| {
            fs::create_dir_all(at.parent().unwrap()).unwrap();
            std::os::unix::fs::symlink(target, at).unwrap();
        };
        write(base.join("checkout-views/client/panel.hbs"), "default");
        write(base.join("checkout-views/client/overview.hbs"), "default");
        write(
            base.join("checkout-views/client/folder.hbs/x"),
            "a folder, not a view",
        );
        link(&base.join("checkout-views"), module.join("views"));
        write(module.join("assets/css/client.css"), "p {}");
        write(module.join("assets/js/client.js"), "");
        write(base.join("outside/secret.hbs"), "secret");
        write(base.join("outside/stolen.css"), "secret");
        let overrides = module.join("overrides");
        write(overrides.join("views/client/panel.hbs"), "mine");
        // Links out of overrides/: to a file and a folder outside the module, to a module file
        // outside overrides/, to nothing.
        link(
            &base.join("outside/secret.hbs"),
            overrides.join("views/client/escape.hbs"),
        );
        link(
            &base.join("outside/stolen.css"),
            overrides.join("assets/css/client.css"),
        );
        link(&base.join("outside"), overrides.join("assets/linked"));
        link(
            Path::new("../../../views/client/overview.hbs"),
            overrides.join("views/client/inside.hbs"),
        );
        link(
            &module.join("assets/js/client.js"),
            overrides.join("views/client/overview.hbs"),
        );
        link(
            &base.join("nowhere"),
            overrides.join("views/client/dangling.hbs"),
        );
        fs::create_dir_all(overrides.join("views/client/folder.hbs")).unwrap();
        let real = |p: PathBuf| p.canonicalize().unwrap();
        Layout {
            views: real(module.join("views")),
            assets: real(module.join("assets")),
            overrides: real(module.join("overrides")),
            outside: real(base.join("outside")),
            module,
            base,
        }
    })
}

/// Removes the scratch folder (the regression test does, after its last check).
pub fn remove_module_dir() {
    if let Some(layout) = LAYOUT.get() {
        let _ = fs::remove_dir_all(&layout.base);
    }
}

pub fn check(data: &[u8]) {
    let layout = layout();
    let name = String::from_utf8_lossy(data);
    let name = name.as_ref();
    let views = Views::new(&layout.module);
    let resolved = views.resolve(name);

    if let Some((_, expected)) = KNOWN.iter().find(|(known, _)| *known == name) {
        match (expected, &resolved) {
            (Some(overridden), Ok(r)) => assert_eq!(r.overridden, *overridden, "{name}: {r:?}"),
            (None, Err(ViewError::Missing(_) | ViewError::NotAllowed(_))) => {}
            _ => panic!("{name}: expected {expected:?}, got {resolved:?}"),
        }
    }

    let resolved = match resolved {
        Ok(resolved) => resolved,
        Err(error) => {
            assert!(!error.to_string().is_empty());
            if let ViewError::NotAllowed(shown) = &error {
                assert!(shown.chars().count() <= 200);
            }
            assert!(views.asset_url(name).is_err(), "{name}: url without a file");
            return;
        }
    };

    // Only plain names get this far.
    let segments: Vec<&str> = name.split('/').collect();
    assert!(
        segments.len() >= 2 && matches!(segments[0], "views" | "assets"),
        "{name:?} resolved"
    );
    assert!(
        segments.iter().all(|s| !s.is_empty()
            && !s.starts_with('.')
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))),
        "{name:?} resolved"
    );

    let real = resolved
        .path
        .canonicalize()
        .unwrap_or_else(|e| panic!("{name}: resolved to {:?}: {e}", resolved.path));
    assert!(real.is_file(), "{name}: {real:?} is not a file");
    assert!(
        !real.starts_with(&layout.outside),
        "{name}: resolved outside the module: {real:?}"
    );
    if resolved.overridden {
        assert_eq!(resolved.relative, format!("overrides/{name}"));
        assert_eq!(resolved.path, real, "{name}: an override is its real path");
        assert!(
            real.starts_with(&layout.overrides),
            "{name}: override outside overrides/: {real:?}"
        );
    } else {
        assert_eq!(resolved.relative, name);
        let folder = if segments[0] == "views" {
            &layout.views
        } else {
            &layout.assets
        };
        assert!(
            resolved.path.starts_with(folder) && real.starts_with(folder),
            "{name}: default outside {folder:?}: {:?} -> {real:?}",
            resolved.path
        );
    }

    let url = views
        .asset_url(name)
        .unwrap_or_else(|e| panic!("{name}: resolves but has no URL: {e}"));
    let version = url
        .strip_prefix(&format!("{MODULE_URL}/{}?v=", resolved.relative))
        .unwrap_or_else(|| panic!("{name}: URL {url}"));
    assert!(version.parse::<u64>().is_ok(), "{name}: URL {url}");
}
