//! The configurable-options sync and the options a service chose, against the simulator, on a
//! real SQLite with WHMCS's product and configurable-option tables.

mod support;

use chrono::Utc;

use katapult::service::chosen_options::ChosenOptions;
use katapult::service::context::Context;
use katapult::service::option_sync::{
    sync_configurable_options, AddedChoice, OptionSyncReport, SyncMode,
};
use katapult::service::params::ServiceParams;
use katapult::store::{DataStore, Owner, PhpValue, Sql, SqlValue};
use katapult_sim::{ErrorRule, Faults, SimConfig, Simulator};
use support::{database, MemoryHost, Sqlite};

const TABLES: &[&str] = &[
    "CREATE TABLE tblproducts (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT '', servertype TEXT NOT NULL DEFAULT '', configoption6 TEXT NOT NULL DEFAULT '')",
    "CREATE TABLE tblproductconfiggroups (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT '', description TEXT NOT NULL DEFAULT '')",
    "CREATE TABLE tblproductconfiglinks (id INTEGER PRIMARY KEY, gid INTEGER NOT NULL, pid INTEGER NOT NULL)",
    "CREATE TABLE tblproductconfigoptions (id INTEGER PRIMARY KEY, gid INTEGER NOT NULL, optionname TEXT NOT NULL DEFAULT '', optiontype TEXT NOT NULL DEFAULT '', qtyminimum INTEGER NOT NULL DEFAULT 0, qtymaximum INTEGER NOT NULL DEFAULT 0, `order` INTEGER NOT NULL DEFAULT 0, hidden INTEGER NOT NULL DEFAULT 0)",
    "CREATE TABLE tblproductconfigoptionssub (id INTEGER PRIMARY KEY, configid INTEGER NOT NULL, optionname TEXT NOT NULL DEFAULT '', sortorder INTEGER NOT NULL DEFAULT 0, hidden INTEGER NOT NULL DEFAULT 0)",
    "CREATE TABLE tblhostingconfigoptions (id INTEGER PRIMARY KEY, relid INTEGER NOT NULL, configid INTEGER NOT NULL, optionid INTEGER NOT NULL DEFAULT 0, qty INTEGER NOT NULL DEFAULT 0)",
    "CREATE TABLE tblcurrencies (id INTEGER PRIMARY KEY, code TEXT NOT NULL DEFAULT '')",
    "CREATE TABLE tblpricing (id INTEGER PRIMARY KEY, type TEXT NOT NULL, currency INTEGER NOT NULL, relid INTEGER NOT NULL, msetupfee DECIMAL(16,2) NOT NULL, qsetupfee DECIMAL(16,2) NOT NULL, ssetupfee DECIMAL(16,2) NOT NULL, asetupfee DECIMAL(16,2) NOT NULL, bsetupfee DECIMAL(16,2) NOT NULL, tsetupfee DECIMAL(16,2) NOT NULL, monthly DECIMAL(16,2) NOT NULL, quarterly DECIMAL(16,2) NOT NULL, semiannually DECIMAL(16,2) NOT NULL, annually DECIMAL(16,2) NOT NULL, biennially DECIMAL(16,2) NOT NULL, triennially DECIMAL(16,2) NOT NULL)",
];

struct World {
    sim: Simulator,
    db: Sqlite,
    host: MemoryHost,
}

impl World {
    /// Two Katapult products (offering 7 and 14, and 14 and 30 daily backups) and a cPanel one;
    /// two currencies; the API key set.
    fn new() -> Self {
        let world = Self {
            sim: Simulator::start(SimConfig::default()).unwrap(),
            db: database(),
            host: MemoryHost::new(),
        };
        for table in TABLES {
            world.db.execute(table, &[]).unwrap();
        }
        for (id, module, backups) in [
            (1, "katapult", "7, 14"),
            (2, "cpanel", "3"),
            (3, "katapult", "30,14"),
        ] {
            world.exec(
                "INSERT INTO tblproducts (id, name, servertype, configoption6) VALUES (?, 'VM', ?, ?)",
                &[SqlValue::Int(id), module.into(), backups.into()],
            );
        }
        world.exec(
            "INSERT INTO tblcurrencies (id, code) VALUES (1, 'GBP'), (2, 'EUR')",
            &[],
        );
        support::set_api_key(&world.db, &world.host, "sim-token");
        world
    }

    fn context(&self) -> Context<'_> {
        support::context(&self.db, &self.host, &self.sim.base_url())
    }

    fn sync(&self, mode: SyncMode) -> OptionSyncReport {
        sync_configurable_options(&self.context(), mode).unwrap()
    }

    fn exec(&self, sql: &str, params: &[SqlValue]) {
        self.db.execute(sql, params).unwrap();
    }

    fn ints(&self, sql: &str, params: &[SqlValue]) -> Vec<i64> {
        self.db
            .query(sql, params)
            .unwrap()
            .into_iter()
            .map(|r| r[0].as_int().unwrap())
            .collect()
    }

    fn texts(&self, sql: &str, params: &[SqlValue]) -> Vec<String> {
        self.db
            .query(sql, params)
            .unwrap()
            .into_iter()
            .map(|r| r[0].as_text().unwrap().to_string())
            .collect()
    }

    fn stored(&self, key: &str) -> Option<PhpValue> {
        DataStore::open(&self.db)
            .unwrap()
            .get(Owner::Module, key)
            .unwrap()
    }

    fn option_id(&self, name: &str) -> i64 {
        self.ints(
            "SELECT id FROM tblproductconfigoptions WHERE optionname = ?",
            &[name.into()],
        )[0]
    }

    /// `(optionname, hidden)` of an option's choices, in order.
    fn choices(&self, option: i64) -> Vec<(String, i64)> {
        self.db
            .query("SELECT optionname, hidden FROM tblproductconfigoptionssub WHERE configid = ? ORDER BY sortorder, id", &[SqlValue::Int(option)])
            .unwrap()
            .into_iter()
            .map(|r| (r[0].as_text().unwrap().to_string(), r[1].as_int().unwrap()))
            .collect()
    }

    fn prices_of(&self, choice: i64) -> Vec<i64> {
        self.ints("SELECT currency FROM tblpricing WHERE type = 'configoptions' AND relid = ? AND monthly = 0 AND annually = 0 AND msetupfee = 0 ORDER BY currency", &[SqlValue::Int(choice)])
    }

    fn choice_id(&self, option: i64, value: &str) -> i64 {
        self.ints(
            "SELECT id FROM tblproductconfigoptionssub WHERE configid = ? AND optionname LIKE ?",
            &[SqlValue::Int(option), format!("{value}|%").into()],
        )[0]
    }
}

#[test]
fn the_first_sync_builds_the_group_shown_and_at_zero_price() {
    let world = World::new();
    let report = world.sync(SyncMode::Daily);

    assert!(report.group_created);
    assert_eq!(
        report.products_linked, 2,
        "only the Katapult products are linked"
    );
    let group = world.ints(
        "SELECT id FROM tblproductconfiggroups WHERE name = 'Katapult Virtual Machines'",
        &[],
    );
    assert_eq!(group.len(), 1);
    assert_eq!(
        world.ints(
            "SELECT pid FROM tblproductconfiglinks WHERE gid = ? ORDER BY pid",
            &[SqlValue::Int(group[0])]
        ),
        vec![1, 3]
    );
    // The ids are kept where the PHP module keeps them, in its form (an int).
    assert_eq!(
        world.stored("vm_config_option_group_id"),
        Some(PhpValue::Int(group[0]))
    );

    let data_center = world.option_id("Data Center");
    assert_eq!(
        world.stored("vm_config_option_datacenter_id"),
        Some(PhpValue::Int(data_center))
    );
    assert_eq!(
        world.choices(data_center),
        vec![("uk-lon-01|London".to_string(), 0)]
    );
    let templates = world.choices(world.option_id("Disk Template"));
    assert!(
        templates
            .iter()
            .any(|(name, hidden)| name.starts_with("templates/ubuntu-22-04|") && *hidden == 0),
        "{templates:?}"
    );
    assert!(
        templates.len() > 1,
        "the universal templates are included: {templates:?}"
    );
    let disk_size = world.option_id("Custom Disk Size (GB)");
    assert_eq!(
        world.texts(
            "SELECT optiontype FROM tblproductconfigoptions WHERE id = ?",
            &[SqlValue::Int(disk_size)]
        ),
        vec!["4"]
    );
    assert_eq!(
        world.choices(disk_size),
        vec![("price-per-gb|Price Per GB".to_string(), 0)]
    );
    // None, then every retention a Katapult product offers (not the cPanel product's).
    assert_eq!(
        world.choices(world.option_id("Backups")),
        [
            "0|No backups",
            "7|7 daily backups",
            "14|14 daily backups",
            "30|30 daily backups"
        ]
        .map(|name| (name.to_string(), 0))
        .to_vec()
    );

    // Every choice is priced at zero in each currency, once.
    let choices = world.ints("SELECT id FROM tblproductconfigoptionssub", &[]);
    for choice in &choices {
        assert_eq!(world.prices_of(*choice), vec![1, 2], "choice {choice}");
    }
    assert_eq!(
        world.ints("SELECT COUNT(*) FROM tblpricing", &[]),
        vec![2 * choices.len() as i64]
    );

    let activity = world.host.activity.borrow();
    let synced: Vec<&String> = activity
        .iter()
        .map(|(line, _)| line)
        .filter(|line| line.contains("Configurable options"))
        .collect();
    assert_eq!(synced, vec!["[Katapult] Configurable options synced: created the \"Katapult Virtual Machines\" group, linked to 2 Katapult product(s); created the \"Data Center\" option, the \"Disk Template\" option, the \"Custom Disk Size (GB)\" option, the \"Extra IPv4 Addresses\" option, the \"Backups\" option; Data Center choices added: uk-lon-01 (zero price, shown); Disk Template choices added: 12 new (zero price, shown); Custom Disk Size (GB) choices added: price-per-gb (zero price, shown); Extra IPv4 Addresses choices added: price-per-address (zero price, shown); Backups choices added: 0, 7, 14, 30 (zero price, shown)"]);
}

#[test]
fn later_syncs_add_what_is_new_hidden_and_touch_nothing_the_provider_set() {
    let world = World::new();
    world.sync(SyncMode::Daily);
    world.host.activity.borrow_mut().clear();
    let templates = world.option_id("Disk Template");
    let data_center = world.option_id("Data Center");

    // The provider renames London, prices and hides a template; then Katapult "adds" a template
    // (its row is removed here, so the sync sees it as new).
    let london = world.choice_id(data_center, "uk-lon-01");
    world.exec(
        "UPDATE tblproductconfigoptionssub SET optionname = 'uk-lon-01|London, UK' WHERE id = ?",
        &[SqlValue::Int(london)],
    );
    world.exec(
        "UPDATE tblpricing SET monthly = 4.5 WHERE relid = ?",
        &[SqlValue::Int(london)],
    );
    let ubuntu = world.choice_id(templates, "templates/ubuntu-22-04");
    world.exec(
        "DELETE FROM tblproductconfigoptionssub WHERE id = ?",
        &[SqlValue::Int(ubuntu)],
    );
    world.exec(
        "DELETE FROM tblpricing WHERE relid = ?",
        &[SqlValue::Int(ubuntu)],
    );
    let before = world.ints("SELECT COUNT(*) FROM tblpricing", &[])[0];

    let report = world.sync(SyncMode::Daily);
    assert!(!report.group_created && report.options_created.is_empty());
    assert_eq!(
        report.choices_added,
        vec![AddedChoice {
            option: "Disk Template",
            value: "templates/ubuntu-22-04".into(),
            hidden: true
        }]
    );
    let added = world.choice_id(templates, "templates/ubuntu-22-04");
    assert_eq!(
        world.choices(templates).last().unwrap(),
        &(
            world.texts(
                "SELECT optionname FROM tblproductconfigoptionssub WHERE id = ?",
                &[SqlValue::Int(added)]
            )[0]
            .clone(),
            1
        ),
        "added last, hidden"
    );
    assert_eq!(world.prices_of(added), vec![1, 2]);
    assert_eq!(
        world.ints("SELECT COUNT(*) FROM tblpricing", &[])[0],
        before + 2,
        "only the new choice is priced (the PHP module re-priced the disk option daily)"
    );
    assert_eq!(
        world.choices(data_center),
        vec![("uk-lon-01|London, UK".to_string(), 0)]
    );
    assert_eq!(
        world.texts(
            "SELECT CAST(monthly AS TEXT) FROM tblpricing WHERE relid = ? AND currency = 1",
            &[SqlValue::Int(london)]
        ),
        vec!["4.5"]
    );
    assert_eq!(world.host.activity.borrow()[0].0, "[Katapult] Configurable options synced: Disk Template choices added: templates/ubuntu-22-04 (zero price, hidden until you show them)");

    // Nothing new: nothing changes and nothing is logged.
    world.host.activity.borrow_mut().clear();
    assert_eq!(world.sync(SyncMode::Daily), OptionSyncReport::default());
    assert!(world.host.activity.borrow().is_empty());
}

#[test]
fn the_php_modules_group_carries_on() {
    let world = World::new();
    // As the PHP module left it: its own ids, a Data Center option with London, nothing else.
    world.exec(
        "INSERT INTO tblproductconfiggroups (id, name) VALUES (40, 'Katapult Virtual Machines')",
        &[],
    );
    world.exec("INSERT INTO tblproductconfigoptions (id, gid, optionname, optiontype) VALUES (41, 40, 'Data Center', '1'), (42, 40, 'Disk Template', '1')", &[]);
    world.exec("INSERT INTO tblproductconfigoptionssub (id, configid, optionname, sortorder) VALUES (50, 41, 'uk-lon-01|London', 0)", &[]);
    let store = DataStore::open(&world.db).unwrap();
    for (key, id) in [
        ("vm_config_option_group_id", 40),
        ("vm_config_option_datacenter_id", 41),
        ("vm_config_option_disk_template_id", 42),
    ] {
        store
            .set(Owner::Module, key, &PhpValue::Int(id), None, Utc::now())
            .unwrap();
    }

    let report = world.sync(SyncMode::Daily);
    assert!(!report.group_created);
    // v1 data had no custom disk size, extra IPv4 nor backups: they are made, in the PHP module's
    // group, their choices shown (new options), the existing options' new choices hidden.
    assert_eq!(
        report.options_created,
        vec![
            "the \"Custom Disk Size (GB)\" option".to_string(),
            "the \"Extra IPv4 Addresses\" option".to_string(),
            "the \"Backups\" option".to_string()
        ]
    );
    assert_eq!(
        world.ints(
            "SELECT gid FROM tblproductconfigoptions WHERE optionname IN ('Custom Disk Size (GB)', 'Extra IPv4 Addresses', 'Backups')",
            &[]
        ),
        vec![40, 40, 40]
    );
    assert!(world
        .choices(world.option_id("Backups"))
        .iter()
        .all(|(_, hidden)| *hidden == 0));
    assert_eq!(
        world.ints("SELECT COUNT(*) FROM tblproductconfiggroups", &[]),
        vec![1]
    );
    assert_eq!(
        world.choices(41),
        vec![("uk-lon-01|London".to_string(), 0)],
        "London is not added twice"
    );
    assert!(
        world.choices(42).iter().all(|(_, hidden)| *hidden == 1),
        "templates new to an existing option come in hidden"
    );
}

#[test]
fn what_the_provider_deleted_stays_deleted_until_a_resync_is_asked_for() {
    let world = World::new();
    world.sync(SyncMode::Daily);
    let disk_size = world.option_id("Custom Disk Size (GB)");
    world.exec(
        "DELETE FROM tblproductconfigoptions WHERE id = ?",
        &[SqlValue::Int(disk_size)],
    );

    let report = world.sync(SyncMode::Daily);
    assert_eq!(
        report.left_deleted,
        vec!["the \"Custom Disk Size (GB)\" option".to_string()]
    );
    assert!(world
        .ints(
            "SELECT id FROM tblproductconfigoptions WHERE optionname = 'Custom Disk Size (GB)'",
            &[]
        )
        .is_empty());

    let report = world.sync(SyncMode::Requested);
    assert_eq!(
        report.options_created,
        vec!["the \"Custom Disk Size (GB)\" option".to_string()]
    );
    assert_eq!(
        world
            .choices(world.option_id("Custom Disk Size (GB)"))
            .len(),
        1
    );

    // The whole group, too.
    // (Another group made since keeps SQLite from handing the deleted group's id out again.)
    world.exec(
        "INSERT INTO tblproductconfiggroups (name) VALUES ('Backups')",
        &[],
    );
    world.exec(
        "DELETE FROM tblproductconfiggroups WHERE name = 'Katapult Virtual Machines'",
        &[],
    );
    assert_eq!(
        world.sync(SyncMode::Daily).left_deleted,
        vec!["the \"Katapult Virtual Machines\" group".to_string()]
    );
    let report = world.sync(SyncMode::Requested);
    assert!(
        report.group_created && report.options_created.len() == 5,
        "{report:?}"
    );
}

#[test]
fn a_disk_size_turned_into_a_dropdown_gets_no_price_per_gb() {
    let world = World::new();
    world.sync(SyncMode::Daily);
    let disk_size = world.option_id("Custom Disk Size (GB)");
    world.exec(
        "UPDATE tblproductconfigoptions SET optiontype = '1' WHERE id = ?",
        &[SqlValue::Int(disk_size)],
    );
    world.exec(
        "DELETE FROM tblproductconfigoptionssub WHERE configid = ?",
        &[SqlValue::Int(disk_size)],
    );
    world.exec("INSERT INTO tblproductconfigoptionssub (configid, optionname) VALUES (?, '50|50 GB'), (?, '100|100 GB')", &[SqlValue::Int(disk_size), SqlValue::Int(disk_size)]);
    assert_eq!(world.sync(SyncMode::Daily), OptionSyncReport::default());
    assert_eq!(world.choices(disk_size).len(), 2);
}

#[test]
fn when_katapult_fails_nothing_is_written() {
    let world = World::new();
    world.sim.set_faults(Faults {
        errors: vec![ErrorRule {
            endpoint: "GET /organizations/*/disk_templates".into(),
            probability: 1.0,
            status: 503,
        }],
        ..Faults::default()
    });
    let error = sync_configurable_options(&world.context(), SyncMode::Daily).unwrap_err();
    assert!(error.to_string().contains("503"), "{error}");
    for table in [
        "tblproductconfiggroups",
        "tblproductconfigoptions",
        "tblproductconfigoptionssub",
        "tblpricing",
        "tblproductconfiglinks",
    ] {
        assert_eq!(
            world.ints(&format!("SELECT COUNT(*) FROM {table}"), &[]),
            vec![0],
            "{table}"
        );
    }
    assert_eq!(world.stored("vm_config_option_group_id"), None);
}

#[test]
fn a_service_reads_its_choices_through_the_synced_ids_even_when_renamed() {
    let world = World::new();
    world.sync(SyncMode::Daily);
    let data_center = world.option_id("Data Center");
    let templates = world.option_id("Disk Template");
    let disk_size = world.option_id("Custom Disk Size (GB)");
    let extra_ipv4 = world.option_id("Extra IPv4 Addresses");
    // The provider renamed the options; WHMCS then passes them under the new names.
    world.exec(
        "UPDATE tblproductconfigoptions SET optionname = 'Location' WHERE id = ?",
        &[SqlValue::Int(data_center)],
    );
    let ubuntu = world.choice_id(templates, "templates/ubuntu-22-04");
    world.exec("INSERT INTO tblhostingconfigoptions (relid, configid, optionid, qty) VALUES (7, ?, ?, 0), (7, ?, ?, 0), (7, ?, 0, 60), (7, ?, 0, 2)", &[
        SqlValue::Int(data_center), SqlValue::Int(world.choice_id(data_center, "uk-lon-01")),
        SqlValue::Int(templates), SqlValue::Int(ubuntu),
        SqlValue::Int(disk_size), SqlValue::Int(extra_ipv4),
    ]);
    let params = ServiceParams {
        service_id: 7,
        client_id: 1,
        ..Default::default()
    };
    let store = DataStore::open(&world.db).unwrap();
    assert_eq!(
        ChosenOptions::for_service(&world.db, &store, &params).unwrap(),
        ChosenOptions {
            data_center: Some("uk-lon-01".into()),
            disk_template: Some("templates/ubuntu-22-04".into()),
            disk_size_gb: Some(60),
            extra_ipv4: 2,
            backups: None,
        }
    );

    // A service with nothing chosen falls back to options by name (made by hand), else nothing.
    let by_name = ServiceParams {
        service_id: 8,
        configurable_options: vec![(
            "Disk Template".into(),
            "templates/debian-12|Debian 12".into(),
        )],
        ..Default::default()
    };
    assert_eq!(
        ChosenOptions::for_service(&world.db, &store, &by_name).unwrap(),
        ChosenOptions {
            disk_template: Some("templates/debian-12".into()),
            ..Default::default()
        }
    );
}

#[test]
fn a_sync_already_running_elsewhere_is_left_to_finish() {
    let world = World::new();
    let other = katapult::store::locks::Locks::open(&world.db, "another-web-node").unwrap();
    assert!(other
        .try_claim("configurable_option_sync", chrono::Duration::minutes(10))
        .unwrap());
    let report = world.sync(SyncMode::Daily);
    assert!(report.skipped_busy);
    assert!(world
        .ints("SELECT id FROM tblproductconfiggroups", &[])
        .is_empty());
    other.release("configurable_option_sync").unwrap();
    assert!(world.sync(SyncMode::Daily).group_created);
}
