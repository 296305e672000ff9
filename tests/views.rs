//! Views and overrides on a real module directory (a temporary copy of the layout), and the
//! action tokens' single use on a real SQLite.

mod support;

use std::fs;
use std::path::{Path, PathBuf};

use chrono::{Duration, Utc};
use katapult::service::action_tokens::{ActionTokens, Binding, Refusal, TokenError};
use katapult::store::DataStore;
use katapult::views::{ViewError, Views};
use serde_json::json;
use support::{database, MemoryHost};

/// A module directory with one default view and one asset, in a fresh temporary folder.
struct ModuleDir(PathBuf);

impl ModuleDir {
    fn new(name: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("katapult-views-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let module = ModuleDir(dir);
        module.write("views/client/panel.hbs", "<p>default {{name}}</p>");
        module.write("assets/css/client.css", "p {}");
        fs::create_dir_all(module.0.join("overrides")).unwrap();
        module
    }

    fn write(&self, relative: &str, text: &str) {
        let path = self.0.join(relative);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }

    fn views(&self) -> Views {
        Views::new(&self.0)
    }
}

impl Drop for ModuleDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

#[test]
fn an_override_wins_and_an_edit_shows_at_once() {
    let module = ModuleDir::new("override");
    let views = module.views();
    let data = json!({ "name": "web1" });
    assert_eq!(
        views.render("views/client/panel.hbs", &data).unwrap(),
        "<p>default web1</p>"
    );

    module.write("overrides/views/client/panel.hbs", "<p>mine {{name}}</p>");
    assert_eq!(
        views.render("views/client/panel.hbs", &data).unwrap(),
        "<p>mine web1</p>"
    );
    // The compiled copy is refreshed when the file changes (here its size, as mtimes can tie).
    module.write(
        "overrides/views/client/panel.hbs",
        "<p>mine, edited {{name}}</p>",
    );
    assert_eq!(
        views.render("views/client/panel.hbs", &data).unwrap(),
        "<p>mine, edited web1</p>"
    );
    let resolved = views.resolve("views/client/panel.hbs").unwrap();
    assert!(resolved.overridden);

    fs::remove_file(module.0.join("overrides/views/client/panel.hbs")).unwrap();
    assert_eq!(
        views.render("views/client/panel.hbs", &data).unwrap(),
        "<p>default web1</p>"
    );
}

#[test]
fn asset_urls_point_at_the_file_that_wins_with_its_version() {
    let module = ModuleDir::new("assets");
    let views = module.views();
    let url = views.asset_url("assets/css/client.css").unwrap();
    assert!(
        url.starts_with("modules/servers/katapult/assets/css/client.css?v="),
        "{url}"
    );
    module.write("overrides/assets/css/client.css", "p { color: red }");
    let url = views.asset_url("assets/css/client.css").unwrap();
    assert!(
        url.starts_with("modules/servers/katapult/overrides/assets/css/client.css?v="),
        "{url}"
    );
}

#[test]
fn values_are_escaped_and_only_triple_braces_are_not() {
    let module = ModuleDir::new("escape");
    let views = module.views();
    let hostile = r#"<script>alert("x")</script>' onmouseover='y"#;
    let html = views
        .render("views/client/panel.hbs", &json!({ "name": hostile }))
        .unwrap();
    assert!(!html.contains("<script>") && !html.contains("'"), "{html}");
    assert!(html.contains("&lt;script&gt;"), "{html}");
}

#[test]
fn names_from_outside_the_two_folders_are_refused_and_links_out_are_not_followed() {
    let module = ModuleDir::new("traversal");
    let views = module.views();
    fs::write(module.0.join("secret.php"), "<?php $db_password = 'x';").unwrap();
    for name in [
        "../secret.php",
        "views/../secret.php",
        "/etc/passwd",
        "overrides/views/client/panel.hbs",
        "secret.php",
    ] {
        assert!(
            matches!(views.resolve(name), Err(ViewError::NotAllowed(_))),
            "{name}"
        );
    }
    // A link in overrides/ that leads out of it is ignored: the default serves.
    let outside =
        std::env::temp_dir().join(format!("katapult-views-outside-{}.hbs", std::process::id()));
    fs::write(&outside, "<p>outside</p>").unwrap();
    fs::create_dir_all(module.0.join("overrides/views/client")).unwrap();
    std::os::unix::fs::symlink(&outside, module.0.join("overrides/views/client/panel.hbs"))
        .unwrap();
    assert_eq!(
        views
            .render("views/client/panel.hbs", &json!({"name": "a"}))
            .unwrap(),
        "<p>default a</p>"
    );
    fs::remove_file(outside).unwrap();
}

#[test]
fn a_broken_override_is_a_readable_error_naming_the_file() {
    let module = ModuleDir::new("broken");
    let views = module.views();
    module.write(
        "overrides/views/client/panel.hbs",
        "<p>{{#if name}}unclosed</p>",
    );
    let error = views
        .render("views/client/panel.hbs", &json!({}))
        .unwrap_err();
    assert!(
        matches!(&error, ViewError::Template { path, .. } if path.ends_with("overrides/views/client/panel.hbs")),
        "{error}"
    );
    assert_eq!(
        views
            .render("views/client/missing.hbs", &json!({}))
            .unwrap_err(),
        ViewError::Missing("views/client/missing.hbs".into())
    );
}

#[test]
fn the_shipped_views_render_with_the_shipped_assets() {
    // The repository's module/ folder links views/ and assets/ to the top level, as a checkout.
    let views = Views::new(Path::new(env!("CARGO_MANIFEST_DIR")).join("module"));
    for name in [
        "views/client/virtual_machines/page.hbs",
        "views/client/virtual_machines/overview.hbs",
        "views/client/virtual_machines/building.hbs",
        "views/client/virtual_machines/problem.hbs",
    ] {
        assert!(!views.resolve(name).unwrap().overridden, "{name}");
        views.render(name, &json!({})).unwrap();
    }
    assert!(views.asset_url("assets/js/client.js").is_ok());
}

fn binding(action: &str) -> Binding {
    Binding {
        service_id: 4,
        client_id: 2,
        action: action.into(),
    }
}

#[test]
fn a_token_works_once_for_every_process_sharing_the_database() {
    let db = database();
    let host = MemoryHost::new();
    let store = DataStore::open(&db).unwrap();
    let now = Utc::now();
    let tokens = ActionTokens::for_installation(&db, &store, &host, now).unwrap();
    let token = tokens.issue(&binding("StopVm"), now);

    // Another worker: its own signer, made from the same stored secret.
    let other_worker = ActionTokens::for_installation(&db, &store, &host, now).unwrap();
    other_worker
        .redeem(&db, &token, &binding("StopVm"), now)
        .unwrap();
    assert!(matches!(
        tokens.redeem(&db, &token, &binding("StopVm"), now),
        Err(TokenError::Refused(Refusal::Used))
    ));

    // Two tabs: two tokens for the same action, each good once.
    let (a, b) = (
        tokens.issue(&binding("StopVm"), now),
        tokens.issue(&binding("StopVm"), now),
    );
    tokens.redeem(&db, &b, &binding("StopVm"), now).unwrap();
    tokens.redeem(&db, &a, &binding("StopVm"), now).unwrap();

    // An expired token is refused on its time alone.
    let old = tokens.issue(&binding("StartVm"), now - Duration::hours(2));
    assert!(matches!(
        tokens.redeem(&db, &old, &binding("StartVm"), now),
        Err(TokenError::Refused(Refusal::Expired))
    ));

    // The secret is stored sealed, never in clear.
    let stored = store
        .get_text(katapult::store::Owner::Module, "action_token_secret")
        .unwrap()
        .unwrap();
    assert!(stored.starts_with("kv1:"), "{stored}");

    // Another installation (another secret) cannot make tokens this one accepts.
    let other_db = database();
    let other_store = DataStore::open(&other_db).unwrap();
    let stranger = ActionTokens::for_installation(&other_db, &other_store, &host, now).unwrap();
    let forged = stranger.issue(&binding("StopVm"), now);
    assert!(matches!(
        tokens.redeem(&db, &forged, &binding("StopVm"), now),
        Err(TokenError::Refused(Refusal::Forged))
    ));
}
