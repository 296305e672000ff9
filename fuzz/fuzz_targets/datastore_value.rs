#![no_main]

// The checks are shared with tests/fuzz_regressions.rs; this target uses one of them.
#[allow(dead_code)]
#[path = "../checks/mod.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::datastore_value::check(data));
