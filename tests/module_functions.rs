//! Module functions against the simulator, with a real SQLite datastore and an in-memory WHMCS.

mod support;

use std::time::Duration;

use chrono::Utc;
use katapult::api::{ApiSettings, ApiToken};
use katapult::module::{config_options, test_connection};
use katapult::service::context::Context;
use katapult::service::settings::ModuleSettings;
use katapult::store::{DataStore, Sql};
use katapult_sim::{SimConfig, Simulator};
use support::{database, MemoryHost, Sqlite};

struct World {
    sim: Simulator,
    db: Sqlite,
    host: MemoryHost,
}

impl World {
    fn new() -> Self {
        let world = Self {
            sim: Simulator::start(SimConfig {
                seed: 11,
                ..SimConfig::default()
            })
            .unwrap(),
            db: database(),
            host: MemoryHost::new(),
        };
        support::create_tblhosting(&world.db);
        // A product saved in the admin area uses the module: WHMCS loads its hooks.
        world
            .db
            .execute(
                "CREATE TABLE tblconfiguration (setting TEXT NOT NULL, value TEXT NOT NULL)",
                &[],
            )
            .unwrap();
        world.db.execute("INSERT INTO tblconfiguration (setting, value) VALUES ('ModuleHooks', 'cpanel,katapult')", &[]).unwrap();
        // Module debug logging is off, as WHMCS ships.
        world
            .db
            .execute(
                "INSERT INTO tblconfiguration (setting, value) VALUES ('ModuleDebugMode', '')",
                &[],
            )
            .unwrap();
        world
    }

    /// Configuration > System Logs > Module Log: "Enable Debug Logging".
    fn enable_module_debug_logging(&self) {
        self.db
            .execute(
                "UPDATE tblconfiguration SET value = 'on' WHERE setting = 'ModuleDebugMode'",
                &[],
            )
            .unwrap();
    }

    fn context(&self) -> Context<'_> {
        support::context(&self.db, &self.host, &self.sim.base_url())
    }

    fn set_key(&self, key: &str) {
        support::set_api_key(&self.db, &self.host, key);
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
    assert_eq!(error, "The Katapult API key is not set: set it on the Other tab of a Katapult product (Setup › Products/Services).");
}

#[test]
fn every_api_call_is_in_the_module_log_without_the_key() {
    let world = World::new();
    world.set_key("sim-token");
    world.enable_module_debug_logging();
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
fn with_module_debug_logging_off_nothing_is_handed_to_the_module_log() {
    let world = World::new();
    world.set_key("sim-token");
    let ctx = world.context();
    assert_eq!(config_options::packages(&ctx).unwrap().len(), 20);
    assert_eq!(
        config_options::data_centers(&ctx).unwrap()[0].0,
        config_options::CLIENT_CHOOSES
    );
    assert!(world.host.module_log.borrow().is_empty());
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

    world
        .db
        .execute(
            "UPDATE tblconfiguration SET value = 'cpanel' WHERE setting = 'ModuleHooks'",
            &[],
        )
        .unwrap();
    let unhooked = test_connection::test_connection(&ctx);
    assert!(
        !unhooked.success
            && unhooked
                .error
                .contains("The connection to Katapult works, but WHMCS does not load"),
        "{unhooked:?}"
    );
    world
        .db
        .execute(
            "UPDATE tblconfiguration SET value = 'katapult' WHERE setting = 'ModuleHooks'",
            &[],
        )
        .unwrap();

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
        save(&world.context(), " sim-token ", "", false).unwrap();
        let shown = html(&world);
        assert!(shown.contains("An API key is set."), "{shown}");
        assert!(!shown.contains("sim-token"));
        assert!(shown.contains(r#"name="katapult_api_key" value="""#));
    }

    #[test]
    fn a_refused_key_is_not_saved_and_the_reason_is_shown() {
        let world = World::new();
        save(&world.context(), "sim-token", "", false).unwrap();
        save(&world.context(), "typo-token", "", false).unwrap();
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
        save(&world.context(), "sim-token", "", false).unwrap();
        assert_eq!(rejected_key_reason(&store).unwrap(), None);
    }

    #[test]
    fn the_parent_organization_is_saved_and_rendered_escaped() {
        let world = World::new();
        save(
            &world.context(),
            "",
            r#"acme"><script>alert(1)</script>"#,
            false,
        )
        .unwrap();
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

mod create_account {
    use super::*;
    use katapult::module::create_account::{create_account, HOOK_BUILD_REQUESTED};
    use katapult::service::links::ServiceLinks;
    use katapult::service::params::ServiceParams;
    use katapult::store::Owner;

    fn params(service_id: u64, client_id: u64, domain: &str) -> ServiceParams {
        ServiceParams {
            service_id,
            client_id,
            domain: domain.into(),
            config_options: ["rock-3", "uk-lon-01", "templates/ubuntu-22-04"]
                .iter()
                .map(|s| s.to_string())
                .chain(std::iter::repeat_n(String::new(), 21))
                .collect(),
            client_first_name: "Ada".into(),
            client_last_name: "Lovelace".into(),
            ..ServiceParams::default()
        }
    }

    /// Builds the simulator accepted for this installation's service.
    fn builds_for(world: &World, service_id: u64) -> u64 {
        let suffix = format!("/{service_id}");
        world
            .sim
            .stats()
            .builds_by_whmcs_service_id
            .iter()
            .filter(|(mark, _)| mark.ends_with(&suffix))
            .map(|(_, n)| *n)
            .sum()
    }

    fn links(world: &World, service_id: u64) -> ServiceLinks {
        ServiceLinks::read(&DataStore::open(&world.db).unwrap(), service_id).unwrap()
    }

    #[test]
    fn a_build_is_requested_recorded_and_announced_once() {
        let world = World::new();
        world.set_key("sim-token");
        let ctx = world.context();
        assert_eq!(
            create_account(&ctx, &params(1, 7, "Web1.Example.com")),
            "success"
        );
        let recorded = links(&world, 1);
        assert!(recorded
            .vm_build_id
            .as_deref()
            .is_some_and(|b| b.starts_with("vmbuild_")));
        assert!(recorded.vm_build_started_at.is_some());
        assert_eq!(
            *world.host.hooks_fired.borrow(),
            vec![(HOOK_BUILD_REQUESTED.to_string(), 1)]
        );
        let store = DataStore::open(&world.db).unwrap();
        assert!(store
            .get_text(Owner::Client(7), "managed_org_id")
            .unwrap()
            .is_some_and(|o| o.starts_with("org_")));

        let again = create_account(&ctx, &params(1, 7, "Web1.Example.com"));
        assert!(
            again.starts_with("A build for this service is already under way (vmbuild_"),
            "{again}"
        );
        assert_eq!(builds_for(&world, 1), 1);
        assert_eq!(world.host.hooks_fired.borrow().len(), 1);

        // The client's second service goes into the same managed organization.
        assert_eq!(create_account(&ctx, &params(2, 7, "")), "success");
        assert_eq!(world.sim.stats().managed_organizations_created, 1);
    }

    #[test]
    fn a_vm_built_but_never_recorded_is_found_not_built_again() {
        let world = World::new();
        world.set_key("sim-token");
        let ctx = world.context();
        assert_eq!(
            create_account(&ctx, &params(5, 9, "lost.example.com")),
            "success"
        );
        // The answer was lost: WHMCS never learned of the build.
        let build = links(&world, 5).vm_build_id.unwrap();
        DataStore::open(&world.db)
            .unwrap()
            .delete_all(Owner::Service(5))
            .unwrap();
        let early = create_account(&ctx, &params(5, 9, "lost.example.com"));
        assert!(
            early.contains("already has a VM (or a build) named lost-example-com"),
            "{early}"
        );
        let client = katapult::api::Client::new(ApiSettings::new(
            world.sim.base_url(),
            ApiToken::new("sim-token"),
        ))
        .unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        // Katapult shows the VM while it is still built: wait for the build to complete.
        while client
            .virtual_machine_build(&katapult::api::builds::BuildRef::Id(build.clone()))
            .unwrap()
            .state
            != katapult::api::builds::BuildState::Complete
        {
            assert!(
                std::time::Instant::now() < deadline,
                "the build never completed"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        assert_eq!(
            create_account(&ctx, &params(5, 9, "lost.example.com")),
            "success"
        );
        assert!(links(&world, 5)
            .vm_id
            .is_some_and(|id| id.starts_with("vm_")));
        assert_eq!(builds_for(&world, 5), 1);
        let again = create_account(&ctx, &params(5, 9, "lost.example.com"));
        assert!(
            again.starts_with("This service already has a Katapult VM (vm_"),
            "{again}"
        );
    }

    #[test]
    fn two_installations_sharing_a_katapult_account_never_take_each_others_vms() {
        let world = World::new();
        world.set_key("sim-token");
        assert_eq!(
            create_account(&world.context(), &params(1, 1, "live.example.com")),
            "success"
        );
        // A second WHMCS (staging, say) on the same Katapult account, whose ids overlap.
        let staging = World {
            sim: Simulator::start(SimConfig::default()).unwrap(),
            db: database(),
            host: MemoryHost::new(),
        };
        staging.set_key("sim-token");
        let mut ctx = staging.context();
        ctx.api.base_url = world.sim.base_url();
        assert_eq!(
            create_account(&ctx, &params(1, 1, "staging.example.com")),
            "success"
        );
        assert!(
            links(&staging, 1).vm_id.is_none(),
            "staging did not link live's VM"
        );
        assert_eq!(world.sim.stats().builds_created, 2);
        assert_eq!(
            world.sim.stats().managed_organizations_created,
            2,
            "each installation's client has its own organization"
        );
    }

    #[test]
    fn a_product_without_a_data_center_says_where_to_set_one() {
        let world = World::new();
        world.set_key("sim-token");
        let mut incomplete = params(3, 4, "x.example.com");
        incomplete.config_options[1] = String::new();
        let message = create_account(&world.context(), &incomplete);
        assert_eq!(message, "Katapult: the VM build was not requested: no data center is set: choose one in the product's Module Settings, or give the product a \"Data Center\" configurable option");
        incomplete.configurable_options =
            vec![("Data Center|Location".into(), "uk-lon-01|London".into())];
        assert_eq!(create_account(&world.context(), &incomplete), "success");
    }

    #[test]
    fn without_a_key_the_message_says_where_to_set_it() {
        let world = World::new();
        let message = create_account(&world.context(), &params(1, 1, ""));
        assert!(message.ends_with("The Katapult API key is not set: set it on the Other tab of a Katapult product (Setup › Products/Services)."), "{message}");
    }
}
