//! Single-use tokens for client-area actions (start, stop, shut down, reset, console).
//!
//! A token is bound to one service, one client and one action, lives for minutes, and works
//! once: its nonce is recorded in the database until it expires, so the rule holds across
//! PHP-FPM workers and web nodes. It is signed (HMAC-SHA256) with a per-installation secret kept,
//! sealed, in the datastore. Each button carries its own token, so two tabs open at once both
//! work, unlike one rotating session token.
//!
//! Form: `v1.<service>.<client>.<action>.<expires>.<nonce>.<mac>`, the nonce and MAC in
//! unpadded base64url; the MAC covers everything before it.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use super::host::Host;
use crate::store::locks::made_once;
use crate::store::nonces::UsedNonces;
use crate::store::secrets::{open_once, SecretBox};
use crate::store::{DataStore, Owner, Sql, SqlError, StoreError};

/// How long a token works. The client-area panel refreshes its buttons well within it.
pub const TOKEN_LIFETIME: Duration = Duration::minutes(30);
const VERSION: &str = "v1";
const SECRET_KEY: &str = "action_token_secret";
const SEALED_ITEM: &str = "Katapult action token secret";
const NONCE_BYTES: usize = 16;

type HmacSha256 = Hmac<Sha256>;

/// What a token allows: one action on one service, by one client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub service_id: u64,
    pub client_id: u64,
    /// The module function the token is for (`StopVm`, `Console`).
    pub action: String,
}

/// Why a token did not work. The client sees one friendly notice for all of them; the activity
/// log says which.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("no token came with the request")]
    Missing,
    #[error("the token is malformed")]
    Malformed,
    #[error("the token's signature is wrong (forged, or made by another installation)")]
    Forged,
    #[error("the token is for {0}")]
    NotForThis(String),
    #[error("the token expired")]
    Expired,
    #[error("the token was already used")]
    Used,
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error("the action-token secret is unavailable: {0}")]
    Secret(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<SqlError> for TokenError {
    fn from(error: SqlError) -> Self {
        TokenError::Store(error.into())
    }
}

/// Signs and checks tokens with the installation's secret.
pub struct ActionTokens {
    /// HMAC-SHA256 with the secret already keyed in: each token's MAC starts from a copy.
    keyed: HmacSha256,
}

impl ActionTokens {
    pub fn with_key(key: [u8; 32]) -> Self {
        Self {
            keyed: <HmacSha256 as KeyInit>::new_from_slice(&key)
                .expect("HMAC takes a key of any length"),
        }
    }

    /// The installation's signer: its secret from the datastore, made on first use.
    pub fn for_installation(
        sql: &dyn Sql,
        store: &DataStore<'_>,
        host: &dyn Host,
        now: DateTime<Utc>,
    ) -> Result<Self, TokenError> {
        Ok(Self::with_key(installation_secret(sql, store, host, now)?))
    }

    pub fn issue(&self, binding: &Binding, now: DateTime<Utc>) -> String {
        let nonce: [u8; NONCE_BYTES] = rand::random();
        let signed = format!(
            "{VERSION}.{}.{}.{}.{}.{}",
            binding.service_id,
            binding.client_id,
            binding.action,
            (now + TOKEN_LIFETIME).timestamp(),
            URL_SAFE_NO_PAD.encode(nonce)
        );
        let mac = URL_SAFE_NO_PAD.encode(self.mac(&signed).finalize().into_bytes());
        format!("{signed}.{mac}")
    }

    /// Checks the token's form, signature, binding and time, without using it up.
    pub fn check(
        &self,
        token: &str,
        expected: &Binding,
        now: DateTime<Utc>,
    ) -> Result<Checked, Refusal> {
        let token = token.trim();
        if token.is_empty() {
            return Err(Refusal::Missing);
        }
        if token.len() > 256 {
            return Err(Refusal::Malformed);
        }
        let (signed, mac) = token.rsplit_once('.').ok_or(Refusal::Malformed)?;
        let mac = URL_SAFE_NO_PAD
            .decode(mac)
            .map_err(|_| Refusal::Malformed)?;
        self.mac(signed)
            .verify_slice(&mac)
            .map_err(|_| Refusal::Forged)?;
        let parts: Vec<&str> = signed.split('.').collect();
        let [VERSION, service, client, action, expires, nonce] = parts[..] else {
            return Err(Refusal::Malformed);
        };
        let number = |s: &str| s.parse::<u64>().map_err(|_| Refusal::Malformed);
        let (service, client, expires) = (number(service)?, number(client)?, number(expires)?);
        if service != expected.service_id {
            return Err(Refusal::NotForThis(format!("another service ({service})")));
        }
        if client != expected.client_id {
            return Err(Refusal::NotForThis(format!("another client ({client})")));
        }
        if action != expected.action {
            return Err(Refusal::NotForThis(format!("another action ({action})")));
        }
        let expires_at = i64::try_from(expires).map_err(|_| Refusal::Malformed)?;
        if expires_at < now.timestamp() {
            return Err(Refusal::Expired);
        }
        Ok(Checked {
            nonce: nonce.to_string(),
            expires_at,
        })
    }

    /// Checks the token and uses it up: after this it is refused as used.
    pub fn redeem(
        &self,
        sql: &dyn Sql,
        token: &str,
        expected: &Binding,
        now: DateTime<Utc>,
    ) -> Result<(), TokenError> {
        let checked = self.check(token, expected, now)?;
        if UsedNonces::open(sql)?.use_once(&checked.nonce, checked.expires_at, now.timestamp())? {
            Ok(())
        } else {
            Err(Refusal::Used.into())
        }
    }

    fn mac(&self, signed: &str) -> HmacSha256 {
        let mut mac = self.keyed.clone();
        mac.update(signed.as_bytes());
        mac
    }
}

/// A token that passed its checks: what is recorded when it is used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    nonce: String,
    expires_at: i64,
}

/// The secret, sealed with the installation's key in the datastore; the first process to need it
/// makes it, under a lock, and the others wait for it.
fn installation_secret(
    sql: &dyn Sql,
    store: &DataStore<'_>,
    host: &dyn Host,
    now: DateTime<Utc>,
) -> Result<[u8; 32], TokenError> {
    let installation = host
        .installation_secret()
        .map_err(|e| TokenError::Secret(e.to_string()))?;
    let read = |store: &DataStore<'_>| -> Result<Option<[u8; 32]>, TokenError> {
        let Some(sealed) = store.get_text(Owner::Module, SECRET_KEY)? else {
            return Ok(None);
        };
        let opened = open_once(&installation, SEALED_ITEM, &sealed)
            .map_err(|e| TokenError::Secret(e.to_string()))?;
        let bytes = URL_SAFE_NO_PAD
            .decode(opened)
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .ok_or_else(|| TokenError::Secret("the stored secret is not 32 bytes".into()))?;
        Ok(Some(bytes))
    };
    let make = || {
        let secret: [u8; 32] = rand::random();
        let sealer =
            SecretBox::new(&installation).map_err(|e| TokenError::Secret(e.to_string()))?;
        let sealed = sealer.seal(SEALED_ITEM, &URL_SAFE_NO_PAD.encode(secret));
        store.set_text(Owner::Module, SECRET_KEY, &sealed, None, now)?;
        Ok(secret)
    };
    if let Some(secret) = read(store)? {
        return Ok(secret);
    }
    // From here on, read from the database: the page's copy of the module's items predates the
    // other process's write.
    let fresh = DataStore::checked(sql);
    made_once(sql, SECRET_KEY, || read(&fresh), make)?.ok_or_else(|| {
        TokenError::Secret("another process is making it and has not finished; try again".into())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binding(action: &str) -> Binding {
        Binding {
            service_id: 12,
            client_id: 7,
            action: action.into(),
        }
    }

    #[test]
    fn a_token_checks_only_for_its_service_client_action_and_time() {
        let tokens = ActionTokens::with_key([9; 32]);
        let now = Utc::now();
        let token = tokens.issue(&binding("StopVm"), now);
        assert!(token.starts_with("v1.12.7.StopVm."), "{token}");
        assert!(tokens.check(&token, &binding("StopVm"), now).is_ok());
        assert_eq!(
            tokens.check(&token, &binding("StartVm"), now),
            Err(Refusal::NotForThis("another action (StopVm)".into()))
        );
        let other_service = Binding {
            service_id: 13,
            ..binding("StopVm")
        };
        assert!(matches!(
            tokens.check(&token, &other_service, now),
            Err(Refusal::NotForThis(_))
        ));
        let other_client = Binding {
            client_id: 8,
            ..binding("StopVm")
        };
        assert!(matches!(
            tokens.check(&token, &other_client, now),
            Err(Refusal::NotForThis(_))
        ));
        assert_eq!(
            tokens.check(
                &token,
                &binding("StopVm"),
                now + TOKEN_LIFETIME + Duration::seconds(1)
            ),
            Err(Refusal::Expired)
        );
    }

    #[test]
    fn forged_and_malformed_tokens_are_refused() {
        let tokens = ActionTokens::with_key([9; 32]);
        let now = Utc::now();
        let token = tokens.issue(&binding("StopVm"), now);
        // Changing what is signed (a later expiry, another service) breaks the signature.
        let later = token.replacen(".StopVm.", ".StartVm.", 1);
        assert_eq!(
            tokens.check(&later, &binding("StartVm"), now),
            Err(Refusal::Forged)
        );
        let other_key = ActionTokens::with_key([1; 32]);
        assert_eq!(
            other_key.check(&token, &binding("StopVm"), now),
            Err(Refusal::Forged)
        );
        for bad in [
            "x",
            "v1.12.7",
            "....",
            &"a".repeat(300),
            "v1.12.7.StopVm.1.n.!!",
        ] {
            assert!(
                matches!(
                    tokens.check(bad, &binding("StopVm"), now),
                    Err(Refusal::Malformed | Refusal::Forged)
                ),
                "{bad}"
            );
        }
        assert_eq!(
            tokens.check("  ", &binding("StopVm"), now),
            Err(Refusal::Missing)
        );
    }

    #[test]
    fn tokens_are_unique() {
        let tokens = ActionTokens::with_key([9; 32]);
        let now = Utc::now();
        assert_ne!(
            tokens.issue(&binding("StopVm"), now),
            tokens.issue(&binding("StopVm"), now)
        );
    }
}
