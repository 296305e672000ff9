//! The fuzz targets' corpus as a regression suite: every file in `fuzz/corpus/<target>/` and
//! `fuzz/artifacts/<target>/` (crashes kept on purpose) goes through the same checks as the fuzz
//! target (`fuzz/checks/`, included here), on stable `cargo test`, without cargo-fuzz.
//! `make fuzz` runs the targets themselves (tests/tools/fuzz.sh).

use std::path::{Path, PathBuf};

#[path = "../fuzz/checks/mod.rs"]
mod checks;

/// Every input kept for `target`, by file name.
fn inputs(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut found = Vec::new();
    for folder in ["corpus", "artifacts"] {
        let Ok(entries) = std::fs::read_dir(fuzz.join(folder).join(target)) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_file() {
                found.push((path.clone(), std::fs::read(&path).unwrap()));
            }
        }
    }
    found.sort();
    found
}

/// Runs `check` on every kept input of `target`, naming the input that fails.
fn replay(target: &str, minimum: usize, check: fn(&[u8])) {
    let inputs = inputs(target);
    assert!(
        inputs.len() >= minimum,
        "only {} inputs for {target} in fuzz/corpus",
        inputs.len()
    );
    for (path, data) in &inputs {
        if let Err(panic) = std::panic::catch_unwind(|| check(data)) {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            panic!("{target}: {} fails: {message}", path.display());
        }
    }
    println!("{target}: {} inputs replayed", inputs.len());
}

#[test]
fn api_decode_corpus() {
    replay("api_decode", 5, checks::api_decode::check);
}

#[test]
fn action_token_corpus() {
    replay("action_token", 3, checks::action_token::check);
}

#[test]
fn view_path_corpus() {
    /// The check's scratch module directory goes, pass or fail.
    struct Cleanup;
    impl Drop for Cleanup {
        fn drop(&mut self) {
            checks::view_path::remove_module_dir();
        }
    }
    let _cleanup = Cleanup;
    replay("view_path", 5, checks::view_path::check);
}

#[test]
fn datastore_value_corpus() {
    replay("datastore_value", 5, checks::datastore_value::check);
}

// Bugs the fuzzers found, each pinned down by name.

/// datastore_value: a stored `Carbon\Carbon` whose date says second 60 (PHP never writes one, but
/// reads it as the next minute's first) was read as a chrono leap second, an instant that
/// `set_time` then wrote back as another (fuzz/artifacts/datastore_value/regression-*).
#[test]
fn a_sixtieth_second_reads_as_the_next_minute() {
    use katapult::store::datastore::{carbon, time_item};
    use katapult::store::PhpValue;
    let stored = |date: &str, zone: &str| {
        PhpValue::unserialize(&format!(
            r#"O:13:"Carbon\Carbon":3:{{s:4:"date";s:{}:"{date}";s:13:"timezone_type";i:3;s:8:"timezone";s:{}:"{zone}";}}"#,
            date.len(),
            zone.len()
        ))
        .unwrap()
    };
    let read = time_item("t", Some(stored("2024-06-30 23:59:60.000000", "UTC")))
        .unwrap()
        .unwrap();
    let next_minute = time_item("t", Some(stored("2024-07-01 00:00:00.000000", "UTC")))
        .unwrap()
        .unwrap();
    assert_eq!(read, next_minute);
    let written = PhpValue::unserialize(&carbon(read).serialize()).unwrap();
    assert_eq!(time_item("t", Some(written)).unwrap(), Some(read));
    // The fuzzer's own input: a zone with a seconds offset (London's 1847 mean time, −0:01:15).
    let read = time_item(
        "t",
        Some(stored("0587-03-31 01:30:60.000000", "Europe/London")),
    )
    .unwrap()
    .unwrap();
    let written = PhpValue::unserialize(&carbon(read).serialize()).unwrap();
    assert_eq!(time_item("t", Some(written)).unwrap(), Some(read));
}

/// The action_token corpus holds a genuine token, so the replay runs the checks of an accepted
/// one too (and not only of refusals).
#[test]
fn the_action_token_corpus_holds_an_accepted_token() {
    use checks::action_token::{binding, now, KEY};
    use katapult::service::action_tokens::ActionTokens;
    let tokens = ActionTokens::with_key(KEY);
    let accepted = inputs("action_token")
        .iter()
        .filter(|(_, data)| data.first() == Some(&0))
        .filter(|(_, data)| {
            let token = String::from_utf8_lossy(&data[1..]);
            tokens.check(&token, &binding(), now()).is_ok()
        })
        .count();
    assert!(
        accepted >= 1,
        "no genuine token in fuzz/corpus/action_token"
    );
}
