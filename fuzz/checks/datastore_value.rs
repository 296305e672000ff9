//! Datastore values (src/store/php_value.rs, src/store/datastore.rs): the text of a stored row,
//! as the PHP module may have left it, through `PhpValue::unserialize` and the readers of items.
//!
//! Rules: no panic; what `unserialize` reads, `serialize` writes back in a form that reads as the
//! same value (NaN aside, equal to itself) and is written identically again; `text_item` gives
//! non-empty text or an error; a time read from a row, written back as our `Carbon\Carbon`, reads
//! as the same instant (to the microsecond the form keeps). The first 12 input bytes also name
//! an instant that must survive `carbon` → `serialize` → `unserialize` → `time_item`.

use chrono::{DateTime, SubsecRound, Utc};
use katapult::store::datastore::{carbon, text_item, time_item};
use katapult::store::PhpValue;

use super::Bytes;

pub fn check(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(value) = PhpValue::unserialize(&text) {
        round_trip(&value);
        items(&value);
    }
    instant(&mut Bytes(data));
}

fn round_trip(value: &PhpValue) {
    let written = value.serialize();
    let again = PhpValue::unserialize(&written)
        .unwrap_or_else(|e| panic!("our own serialization does not read: {e}\n{written:?}"));
    assert!(
        same(value, &again),
        "the round trip changed the value:\n{value:?}\n{again:?}"
    );
    assert_eq!(again.serialize(), written, "serialization is not stable");
}

/// Equality where a NaN equals a NaN (and -0.0 differs from 0.0, as their forms do).
fn same(a: &PhpValue, b: &PhpValue) -> bool {
    match (a, b) {
        (PhpValue::Float(x), PhpValue::Float(y)) => {
            x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan())
        }
        (PhpValue::Array(x), PhpValue::Array(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((xk, xv), (yk, yv))| same(xk, yk) && same(xv, yv))
        }
        (
            PhpValue::Object {
                class: xc,
                properties: xp,
            },
            PhpValue::Object {
                class: yc,
                properties: yp,
            },
        ) => {
            xc == yc
                && xp.len() == yp.len()
                && xp
                    .iter()
                    .zip(yp)
                    .all(|((xn, xv), (yn, yv))| xn == yn && same(xv, yv))
        }
        _ => a == b,
    }
}

/// The readers the module uses on a stored value.
fn items(value: &PhpValue) {
    let as_text = value.as_text();
    for name in ["date", "timezone", "timezone_type"] {
        let _ = value.property(name).map(PhpValue::as_text);
    }
    match text_item("key", Some(value.clone())) {
        Ok(Some(text)) => {
            assert!(!text.is_empty());
            assert_eq!(Some(&text), as_text.as_ref());
        }
        Ok(None) => assert_eq!(value, &PhpValue::Null),
        Err(error) => assert!(error.to_string().contains("`key`")),
    }
    match time_item("key", Some(value.clone())) {
        Ok(Some(time)) => {
            if let PhpValue::Int(seconds) = value {
                assert_eq!(time.timestamp(), *seconds);
            }
            // Written back in our form, it reads as the same instant.
            assert_eq!(
                written_and_read(time),
                time.trunc_subsecs(6),
                "{value:?} read as {time:?}"
            );
        }
        Ok(None) => assert_eq!(value, &PhpValue::Null),
        Err(error) => assert!(error.to_string().contains("`key`")),
    }
}

/// An instant from the input: seconds (within chrono's ±262,000 years), then nanoseconds.
fn instant(input: &mut Bytes) {
    let seconds = input.u64() as i64 % 8_200_000_000_000;
    let nanos = u32::from_le_bytes([input.byte(), input.byte(), input.byte(), input.byte()]);
    if let Some(time) = DateTime::from_timestamp(seconds, nanos % 1_000_000_000) {
        assert_eq!(written_and_read(time), time.trunc_subsecs(6), "{time:?}");
    }
}

/// `time` as `DataStore::set_time` stores it, read back as `DataStore::get_time` reads it.
fn written_and_read(time: DateTime<Utc>) -> DateTime<Utc> {
    let stored = carbon(time).serialize();
    let value = PhpValue::unserialize(&stored)
        .unwrap_or_else(|e| panic!("{time:?} stored as {stored:?}, which does not read: {e}"));
    match time_item("key", Some(value)) {
        Ok(Some(read)) => read,
        other => panic!("{time:?} stored as {stored:?} reads as {other:?}"),
    }
}
