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
