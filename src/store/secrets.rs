//! Secrets at rest (the Katapult API key): AES-256-GCM with a random nonce, authenticated.
//!
//! The key is derived with HKDF-SHA256 from the installation's secret (WHMCS's
//! `cc_encryption_hash`), so nothing new has to be kept safe, and the item's name is bound in as
//! associated data, so a sealed value cannot be moved to another item. Sealed values read
//! `kv1:` + base64(nonce ‖ ciphertext ‖ tag).

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use aes_gcm::aead::{Aead, Generate, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use hkdf::Hkdf;
use sha2::{Digest, Sha256};

const PREFIX: &str = "kv1:";
const NONCE_LEN: usize = 12;
const SALT: &[u8] = b"katapult-whmcs-native secrets";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    #[error("the installation secret (cc_encryption_hash in WHMCS's configuration.php) is empty; secrets cannot be stored safely")]
    NoInstallationSecret,
    #[error("the stored {item} is not in the module's sealed format")]
    NotSealed { item: String },
    #[error("the stored {item} cannot be decrypted: it was altered, or WHMCS's cc_encryption_hash changed since it was saved; enter it again")]
    Undecryptable { item: String },
}

/// Seals and opens secrets with one installation's key.
pub struct SecretBox {
    cipher: Aes256Gcm,
}

impl SecretBox {
    pub fn new(installation_secret: &str) -> Result<Self, SecretError> {
        if installation_secret.trim().is_empty() {
            return Err(SecretError::NoInstallationSecret);
        }
        let mut key = Key::<Aes256Gcm>::default();
        Hkdf::<Sha256>::new(Some(SALT), installation_secret.as_bytes())
            .expand(b"aes-256-gcm key", &mut key)
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        Ok(Self {
            cipher: Aes256Gcm::new(&key),
        })
    }

    pub fn seal(&self, item: &str, plaintext: &str) -> String {
        let nonce = Nonce::generate();
        let ciphertext = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: item.as_bytes(),
                },
            )
            .expect("AES-GCM encryption of an in-memory buffer cannot fail");
        let mut sealed = nonce.to_vec();
        sealed.extend(ciphertext);
        format!("{PREFIX}{}", BASE64.encode(sealed))
    }

    pub fn open(&self, item: &str, stored: &str) -> Result<String, SecretError> {
        let not_sealed = || SecretError::NotSealed { item: item.into() };
        let bytes = stored
            .strip_prefix(PREFIX)
            .and_then(|b64| BASE64.decode(b64.trim()).ok())
            .ok_or_else(not_sealed)?;
        if bytes.len() <= NONCE_LEN {
            return Err(not_sealed());
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        let nonce = Nonce::try_from(nonce).map_err(|_| not_sealed())?;
        let plaintext = self
            .cipher
            .decrypt(
                &nonce,
                Payload {
                    msg: ciphertext,
                    aad: item.as_bytes(),
                },
            )
            .map_err(|_| SecretError::Undecryptable { item: item.into() })?;
        String::from_utf8(plaintext).map_err(|_| SecretError::Undecryptable { item: item.into() })
    }
}

/// What this process has opened: per item, the sealed value, a digest of the installation secret
/// it was opened with, and the plaintext. A page needs the API key and the token secret on every
/// request; deriving the key and decrypting them each time was a few percent of a page.
type Opened = HashMap<String, (String, [u8; 32], String)>;
static OPENED: Mutex<Option<Opened>> = Mutex::new(None);

/// `SecretBox::open` once per process for each sealed value: the plaintext is kept against the
/// item, the sealed value and the installation secret, and a new sealed value (or secret) for the
/// item replaces it, so nothing is kept past a change. Errors are never kept.
pub fn open_once(
    installation_secret: &str,
    item: &str,
    stored: &str,
) -> Result<String, SecretError> {
    let secret_digest: [u8; 32] = Sha256::digest(installation_secret.as_bytes()).into();
    let mut opened = OPENED.lock().unwrap_or_else(PoisonError::into_inner);
    let opened = opened.get_or_insert_with(HashMap::new);
    if let Some((sealed, digest, plaintext)) = opened.get(item) {
        if sealed == stored && *digest == secret_digest {
            return Ok(plaintext.clone());
        }
    }
    let plaintext = SecretBox::new(installation_secret)?.open(item, stored)?;
    opened.insert(
        item.to_string(),
        (stored.to_string(), secret_digest, plaintext.clone()),
    );
    Ok(plaintext)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_with_a_fresh_nonce_each_time() {
        let secrets = SecretBox::new("whmcs-cc-hash").unwrap();
        let first = secrets.seal("api key", "kat-token-123");
        let second = secrets.seal("api key", "kat-token-123");
        assert_ne!(first, second);
        assert!(!first.contains("kat-token-123"));
        assert!(first.starts_with(PREFIX));
        assert_eq!(secrets.open("api key", &first).unwrap(), "kat-token-123");
        assert_eq!(secrets.open("api key", &second).unwrap(), "kat-token-123");
    }

    #[test]
    fn tampering_a_wrong_secret_or_another_item_is_an_error() {
        let secrets = SecretBox::new("whmcs-cc-hash").unwrap();
        let sealed = secrets.seal("api key", "kat-token-123");
        let mut bytes = BASE64.decode(&sealed[PREFIX.len()..]).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        let tampered = format!("{PREFIX}{}", BASE64.encode(bytes));
        let undecryptable = SecretError::Undecryptable {
            item: "api key".into(),
        };
        assert_eq!(
            secrets.open("api key", &tampered),
            Err(undecryptable.clone())
        );
        assert_eq!(
            SecretBox::new("another-hash")
                .unwrap()
                .open("api key", &sealed),
            Err(undecryptable)
        );
        assert!(
            secrets.open("parent", &sealed).is_err(),
            "sealed values are bound to their item"
        );
        assert_eq!(
            secrets.open("api key", "whmcs-encrypted=="),
            Err(SecretError::NotSealed {
                item: "api key".into()
            })
        );
        assert_eq!(
            secrets.open("api key", "kv1:!!!"),
            Err(SecretError::NotSealed {
                item: "api key".into()
            })
        );
        assert_eq!(
            secrets.open("api key", "kv1:AAAA"),
            Err(SecretError::NotSealed {
                item: "api key".into()
            })
        );
    }

    #[test]
    fn opened_once_per_sealed_value_and_never_past_a_change() {
        let item = "open_once test item";
        let first = SecretBox::new("hash-1").unwrap().seal(item, "first");
        assert_eq!(open_once("hash-1", item, &first).unwrap(), "first");
        assert_eq!(open_once("hash-1", item, &first).unwrap(), "first");
        let second = SecretBox::new("hash-1").unwrap().seal(item, "second");
        assert_eq!(open_once("hash-1", item, &second).unwrap(), "second");
        assert!(
            open_once("hash-2", item, &second).is_err(),
            "another installation secret opens nothing it did not seal"
        );
        assert!(open_once("hash-1", "another item", &second).is_err());
        assert_eq!(open_once("hash-1", item, &second).unwrap(), "second");
    }

    #[test]
    fn an_empty_installation_secret_is_refused() {
        assert_eq!(
            SecretBox::new("  ").err(),
            Some(SecretError::NoInstallationSecret)
        );
    }
}
