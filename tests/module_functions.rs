//! Module functions against the simulator, with a real SQLite datastore and an in-memory WHMCS.

mod support;

use std::time::Duration;

use chrono::Utc;
use katapult::api::{ApiSettings, ApiToken};
use katapult::module::{config_options, test_connection};
use katapult::service::context::Context;
use katapult::service::settings::ModuleSettings;
use katapult::store::DataStore;
use katapult_sim::{SimConfig, Simulator};
use support::{database, MemoryHost, Sqlite};

struct World {
    sim: Simulator,
    db: Sqlite,
    host: MemoryHost,
}

impl World {
    fn new() -> Self {
        Self {
            sim: Simulator::start(SimConfig {
                seed: 11,
                ..SimConfig::default()
            })
            .unwrap(),
            db: database(),
            host: MemoryHost::new(),
        }
    }

    fn context(&self) -> Context<'_> {
        let mut api = ApiSettings::new(self.sim.base_url(), ApiToken::new("unset"));
        api.timeout = Duration::from_secs(5);
        Context {
            sql: &self.db,
            host: &self.host,
            api,
            now: Utc::now(),
        }
    }

    fn set_key(&self, key: &str) {
        let store = DataStore::open(&self.db).unwrap();
        ModuleSettings::new(&store, &self.host)
            .set_api_key(key, Utc::now())
            .unwrap();
    }
}

#[test]
fn loaders_fill_the_dropdowns_from_the_api() {
    let world = World::new();
    world.set_key("sim-token");
    let ctx = world.context();
    let packages = config_options::packages(&ctx).unwrap();
    assert_eq!(packages.len(), 20);
    assert!(
        packages.contains(&(
            "rock-3".into(),
            "ROCK-3 (1 vCPU, 3 GB RAM, 25 GB disk)".into()
        )),
        "{packages:?}"
    );
    let data_centers = config_options::data_centers(&ctx).unwrap();
    assert_eq!(data_centers[0].0, config_options::CLIENT_CHOOSES);
    assert!(data_centers.contains(&("uk-lon-01".into(), "London".into())));
    let templates = config_options::disk_templates(&ctx).unwrap();
    assert!(templates
        .iter()
        .any(|(permalink, _)| permalink == "templates/ubuntu-22-04"));
    // The parent organization was detected from the key and kept.
    let store = DataStore::open(&world.db).unwrap();
    assert!(ModuleSettings::new(&store, &world.host)
        .parent_organization()
        .unwrap()
        .is_some_and(|p| p.starts_with("org_")));
}

#[test]
fn without_a_key_the_loaders_say_where_to_set_it() {
    let world = World::new();
    let error = config_options::packages(&world.context())
        .unwrap_err()
        .to_string();
    assert_eq!(error, "The Katapult API key is not set: set it on the Other tab of a Katapult product (Setup > Products/Services).");
}

#[test]
fn every_api_call_is_in_the_module_log_without_the_key() {
    let world = World::new();
    world.set_key("sim-token");
    config_options::packages(&world.context()).unwrap();
    let log = world.host.module_log.borrow();
    assert!(!log.is_empty());
    let (action, request, response) = &log[0];
    assert_eq!(action, "GET /virtual_machine_packages");
    assert!(request.starts_with("GET http://127.0.0.1:"), "{request}");
    assert!(response.starts_with("HTTP 200"), "{response}");
    assert!(log
        .iter()
        .all(|(a, q, r)| !format!("{a}{q}{r}").contains("sim-token")));
}

#[test]
fn test_connection_names_what_is_wrong() {
    let world = World::new();
    let ctx = world.context();
    let missing = test_connection::test_connection(&ctx);
    assert!(
        !missing.success && missing.error.contains("API key is not set"),
        "{missing:?}"
    );

    world.set_key("sim-token");
    assert_eq!(
        test_connection::test_connection(&ctx),
        test_connection::ConnectionTest {
            success: true,
            error: String::new()
        }
    );

    world.set_key("a-wrong-key");
    let refused = test_connection::test_connection(&ctx);
    assert!(
        refused.error.starts_with("Katapult refused the API key"),
        "{refused:?}"
    );
    assert!(!refused.error.contains("a-wrong-key"));

    world.set_key("sim-token");
    let store = DataStore::open(&world.db).unwrap();
    ModuleSettings::new(&store, &world.host)
        .set_parent_organization("no-such-org", Utc::now())
        .unwrap();
    let unknown_parent = test_connection::test_connection(&ctx);
    assert!(
        unknown_parent
            .error
            .starts_with("The parent organization was not found"),
        "{unknown_parent:?}"
    );

    let mut offline = world.context();
    offline.api.base_url = "http://127.0.0.1:1/core/v1".into();
    let unreachable = test_connection::test_connection(&offline);
    assert!(
        unreachable
            .error
            .starts_with("Katapult could not be reached"),
        "{unreachable:?}"
    );
}

mod product_settings_pane {
    use super::*;
    use katapult::module::product_settings_pane::{
        fields, is_katapult_product, rejected_key_reason, save,
    };
    use katapult::store::Sql;

    fn html(world: &World) -> String {
        fields(&world.context())
            .unwrap()
            .into_iter()
            .map(|(label, html)| format!("{label}: {html}"))
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn shows_whether_a_key_is_set_never_the_key() {
        let world = World::new();
        assert!(html(&world).contains("No API key is set yet"));
        save(&world.context(), " sim-token ", "").unwrap();
        let shown = html(&world);
        assert!(shown.contains("An API key is set."), "{shown}");
        assert!(!shown.contains("sim-token"));
        assert!(shown.contains(r#"name="katapult_api_key" value="""#));
    }

    #[test]
    fn a_refused_key_is_not_saved_and_the_reason_is_shown() {
        let world = World::new();
        save(&world.context(), "sim-token", "").unwrap();
        save(&world.context(), "typo-token", "").unwrap();
        let store = DataStore::open(&world.db).unwrap();
        assert!(rejected_key_reason(&store)
            .unwrap()
            .is_some_and(|r| r.contains("Katapult refused it")));
        let shown = html(&world);
        assert!(
            shown.contains("An API key is set.")
                && shown.contains("The last key entered was not saved: Katapult refused it"),
            "{shown}"
        );
        // The accepted key still works.
        assert!(test_connection::test_connection(&world.context()).success);
        save(&world.context(), "sim-token", "").unwrap();
        assert_eq!(rejected_key_reason(&store).unwrap(), None);
    }

    #[test]
    fn the_parent_organization_is_saved_and_rendered_escaped() {
        let world = World::new();
        save(&world.context(), "", r#"acme"><script>alert(1)</script>"#).unwrap();
        let shown = html(&world);
        assert!(!shown.contains("<script>"), "{shown}");
        assert!(shown.contains("acme&quot;&gt;&lt;script&gt;"), "{shown}");
    }

    #[test]
    fn only_katapult_products_get_the_pane() {
        let world = World::new();
        world
            .db
            .execute(
                "CREATE TABLE tblproducts (id INTEGER PRIMARY KEY, servertype TEXT NOT NULL)",
                &[],
            )
            .unwrap();
        world
            .db
            .execute(
                "INSERT INTO tblproducts (id, servertype) VALUES (1, 'katapult'), (2, 'cpanel')",
                &[],
            )
            .unwrap();
        let ctx = world.context();
        assert!(is_katapult_product(&ctx, 1).unwrap());
        assert!(!is_katapult_product(&ctx, 2).unwrap());
        assert!(!is_katapult_product(&ctx, 3).unwrap());
    }
}
