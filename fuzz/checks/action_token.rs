//! Action tokens (src/service/action_tokens.rs): a token string checked against a fixed key,
//! binding and time.
//!
//! The rule that matters: `check` accepts a token only when its MAC is the HMAC-SHA256, under
//! the installation's key, of everything before it, written as `issue` writes it. The fuzzer does
//! not know the key, so nothing it makes up may pass; a token that passes (a genuine one from
//! the corpus, say) must verify per the MAC computed here independently, carry the expected
//! binding and a time not past, be refused by another installation's key, by any other binding
//! and once expired.
//!
//! The first input byte picks the mode:
//! - 0: the rest is the token, as text;
//! - 1: the rest mutates the fields of a genuine token issued at start-up; only the genuine token
//!   itself (give or take surrounding whitespace) may pass;
//! - 2: the rest is a binding and a time: what `issue` makes of them must pass `check` exactly
//!   when its form allows (no `.` in the action, 256 bytes at most).

use std::sync::OnceLock;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, KeyInit, Mac};
use katapult::service::action_tokens::{ActionTokens, Binding, Refusal, TOKEN_LIFETIME};
use sha2::Sha256;

use super::Bytes;

pub const KEY: [u8; 32] = [0x5a; 32];
const OTHER_KEY: [u8; 32] = [0xa5; 32];
/// 2023-11-14 22:13:20 UTC: the time tokens are issued and checked at.
pub const NOW: i64 = 1_700_000_000;

pub fn binding() -> Binding {
    Binding {
        service_id: 12,
        client_id: 7,
        action: "StopVm".into(),
    }
}

pub fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(NOW, 0).expect("a valid time")
}

/// A genuine token for `binding()` at `NOW`, issued once per process (its nonce is random).
fn genuine() -> &'static str {
    static GENUINE: OnceLock<String> = OnceLock::new();
    GENUINE.get_or_init(|| ActionTokens::with_key(KEY).issue(&binding(), now()))
}

pub fn check(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let tokens = ActionTokens::with_key(KEY);
    match mode % 3 {
        0 => {
            let token = String::from_utf8_lossy(rest);
            check_token(&tokens, &token, &binding(), now());
        }
        1 => {
            let token = mutate(genuine(), &mut Bytes(rest));
            if check_token(&tokens, &token, &binding(), now()) {
                assert_eq!(
                    token.trim(),
                    genuine(),
                    "a changed token was accepted: {token:?}"
                );
            }
        }
        _ => issued(&tokens, &mut Bytes(rest)),
    }
}

/// Checks `token` for `expected` at `now`; true when it was accepted, after making sure it had to be.
fn check_token(tokens: &ActionTokens, token: &str, expected: &Binding, now: DateTime<Utc>) -> bool {
    let result = tokens.check(token, expected, now);
    let trimmed = token.trim();
    assert_eq!(
        result == Err(Refusal::Missing),
        trimmed.is_empty(),
        "{token:?}: {result:?}"
    );
    if trimmed.len() > 256 {
        assert_eq!(result, Err(Refusal::Malformed), "{token:?}");
    }
    if result.is_err() {
        return false;
    }

    // The MAC is the HMAC of what precedes it, in canonical unpadded base64url.
    let (signed, mac) = trimmed
        .rsplit_once('.')
        .unwrap_or_else(|| panic!("accepted without a MAC: {token:?}"));
    assert_eq!(
        mac,
        URL_SAFE_NO_PAD.encode(hmac(&KEY, signed)),
        "accepted a token whose MAC is not the HMAC of its fields: {token:?}"
    );
    // The fields are those `issue` writes, for this binding, not expired.
    let fields: Vec<&str> = signed.split('.').collect();
    let [version, service, client, action, expires, nonce] = fields[..] else {
        panic!("accepted a token of {} fields: {token:?}", fields.len());
    };
    assert_eq!(version, "v1");
    assert_eq!(service.parse::<u64>(), Ok(expected.service_id), "{token:?}");
    assert_eq!(client.parse::<u64>(), Ok(expected.client_id), "{token:?}");
    assert_eq!(action, expected.action, "{token:?}");
    let expires: i64 = expires.parse().expect("an expiry");
    assert!(
        expires >= now.timestamp(),
        "accepted after expiry: {token:?}"
    );
    assert!(!nonce.is_empty());

    // Another installation refuses it as forged.
    assert_eq!(
        ActionTokens::with_key(OTHER_KEY).check(token, expected, now),
        Err(Refusal::Forged),
        "another key accepted {token:?}"
    );
    // Any other binding refuses it.
    let others = [
        Binding {
            service_id: expected.service_id.wrapping_add(1),
            ..expected.clone()
        },
        Binding {
            client_id: expected.client_id.wrapping_add(1),
            ..expected.clone()
        },
        Binding {
            action: format!("{}x", expected.action),
            ..expected.clone()
        },
    ];
    for other in &others {
        assert!(
            matches!(tokens.check(token, other, now), Err(Refusal::NotForThis(_))),
            "{token:?} accepted for {other:?}"
        );
    }
    // And it works until its expiry, not after.
    if let Some(at_expiry) = DateTime::from_timestamp(expires, 0) {
        assert!(tokens.check(token, expected, at_expiry).is_ok());
    }
    if let Some(after) = expires
        .checked_add(1)
        .and_then(|t| DateTime::from_timestamp(t, 0))
    {
        assert_eq!(
            tokens.check(token, expected, after),
            Err(Refusal::Expired),
            "{token:?}"
        );
    }
    true
}

fn hmac(key: &[u8], signed: &str) -> Vec<u8> {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("any key length");
    mac.update(signed.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// The genuine token with its `.`-separated fields changed as the input says.
fn mutate(genuine: &str, input: &mut Bytes) -> String {
    let mut fields: Vec<Vec<u8>> = genuine.split('.').map(|f| f.as_bytes().to_vec()).collect();
    let (mut prefix, mut suffix) = (Vec::new(), Vec::new());
    while !input.is_empty() {
        let op = input.byte();
        let at = input.byte() as usize;
        let field = if fields.is_empty() {
            None
        } else {
            Some(at % fields.len())
        };
        match (op % 9, field) {
            // Replace a field.
            (0, Some(f)) => {
                let length = input.byte() as usize % 48;
                fields[f] = input.take(length).to_vec();
            }
            // Change one byte of a field.
            (1, Some(f)) if !fields[f].is_empty() => {
                let position = input.byte() as usize % fields[f].len();
                fields[f][position] = input.byte();
            }
            // Cut a field short.
            (2, Some(f)) => {
                let keep = input.byte() as usize % (fields[f].len() + 1);
                fields[f].truncate(keep);
            }
            // Add a byte to a field.
            (3, Some(f)) => {
                let b = input.byte();
                fields[f].push(b);
            }
            // Drop a field.
            (4, Some(f)) => {
                fields.remove(f);
            }
            // Repeat a field.
            (5, Some(f)) => {
                let copy = fields[f].clone();
                fields.insert(f, copy);
            }
            // Swap two fields.
            (6, Some(f)) => {
                let g = input.byte() as usize % fields.len();
                fields.swap(f, g);
            }
            // Something before or after the token.
            (7, _) => {
                let b = input.byte();
                if at % 2 == 0 {
                    prefix.push(b)
                } else {
                    suffix.push(b)
                }
            }
            // A number written another way (leading zero, plus sign).
            (8, Some(f)) => {
                let sign = if at % 2 == 0 { b'0' } else { b'+' };
                fields[f].insert(0, sign);
            }
            _ => {}
        }
    }
    let mut token = prefix;
    token.extend(fields.join(&b'.'));
    token.extend(suffix);
    String::from_utf8_lossy(&token).into_owned()
}

/// A token issued for an arbitrary binding at an arbitrary time passes exactly when it can.
fn issued(tokens: &ActionTokens, input: &mut Bytes) {
    let service_id = input.u64();
    let client_id = input.u64();
    // Any time from 1970 to 2106 (a clock, not an input, gives `issue` its time).
    let seconds = input.u64() % (u32::MAX as u64);
    let now = DateTime::from_timestamp(seconds as i64, 0).expect("in range");
    let action = String::from_utf8_lossy(input.take(400)).into_owned();
    let binding = Binding {
        service_id,
        client_id,
        action,
    };
    let token = tokens.issue(&binding, now);
    let expected = !binding.action.contains('.') && token.len() <= 256;
    let accepted = check_token(tokens, &token, &binding, now);
    assert_eq!(
        accepted,
        expected,
        "{token:?}: {:?}",
        tokens.check(&token, &binding, now)
    );
    if accepted {
        assert_eq!(
            tokens.check(
                &token,
                &binding,
                now + TOKEN_LIFETIME + Duration::seconds(1)
            ),
            Err(Refusal::Expired)
        );
    }
}
