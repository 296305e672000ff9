//! Module-wide settings: the Katapult API key (one for every product, sealed at rest) and the
//! parent organization, in the datastore's `module_setting` rows.

use chrono::{DateTime, Utc};

use super::host::{Host, HostError};
use crate::api::ApiToken;
use crate::store::locks::made_once;
use crate::store::secrets::{open_once, SecretBox, SecretError};
use crate::store::{DataStore, Owner, SqlError, StoreError};

/// Our sealed API key. The PHP module's `api_v1_key` row is left as it was, so a provider can
/// switch back.
const API_KEY: &str = "api_key";
/// The PHP module's key, WHMCS-`encrypt()`ed; read once after a switch and sealed again as ours.
const LEGACY_API_KEY: &str = "api_v1_key";
const PARENT_ORGANIZATION: &str = "parent_organization";
/// A random id naming this WHMCS installation in Katapult annotations.
const INSTALLATION_ID: &str = "installation_id";
/// The item name bound into the sealed value.
const SEALED_ITEM: &str = "Katapult API key";

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Secret(#[from] SecretError),
    #[error("cannot read WHMCS's installation secret: {0}")]
    Host(#[from] HostError),
    #[error("another process is making this installation's id and has not finished; try again")]
    InstallationIdPending,
    #[error("the API key saved by the previous Katapult module is unreadable: decrypted with this installation's cc_encryption_hash it is not an API token; enter it again on a Katapult product's Other tab")]
    LegacyKeyUnreadable,
}

impl From<SqlError> for SettingsError {
    fn from(error: SqlError) -> Self {
        SettingsError::Store(error.into())
    }
}

/// Whether an API key is set, without revealing it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiKeyStatus {
    NotSet,
    Set,
    Unreadable(String),
}

/// API tokens are printable ASCII without spaces, of some length (garbage bytes of that length
/// are all printable with a chance of at most (94/256)^8, about 1 in 3,000).
fn plausible_api_token(text: &str) -> bool {
    (8..=256).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_graphic())
}

pub struct ModuleSettings<'a> {
    store: &'a DataStore<'a>,
    host: &'a dyn Host,
}

impl<'a> ModuleSettings<'a> {
    pub fn new(store: &'a DataStore<'a>, host: &'a dyn Host) -> Self {
        Self { store, host }
    }

    fn secrets(&self) -> Result<SecretBox, SettingsError> {
        Ok(SecretBox::new(&self.host.installation_secret()?)?)
    }

    /// The API key, if one is set. The PHP module's key is moved into our format on first read.
    pub fn api_key(&self, now: DateTime<Utc>) -> Result<Option<ApiToken>, SettingsError> {
        if let Some(sealed) = self.store.get_text(Owner::Module, API_KEY)? {
            let secret = self.host.installation_secret()?;
            return Ok(Some(ApiToken::new(open_once(
                &secret,
                SEALED_ITEM,
                &sealed,
            )?)));
        }
        let Some(legacy) = self.store.get_text(Owner::Module, LEGACY_API_KEY)? else {
            return Ok(None);
        };
        let key = self.host.whmcs_decrypt(&legacy)?;
        let key = key.trim();
        // WHMCS's decrypt() has no integrity check: under another installation secret it returns
        // garbage, never an error. Only text shaped like an API token is taken for the key.
        if !plausible_api_token(key) {
            return Err(SettingsError::LegacyKeyUnreadable);
        }
        self.store_api_key(key, now)?;
        self.host.log_activity("[Katapult] Moved the API key saved by the previous Katapult module into this module's encrypted store", None);
        Ok(Some(ApiToken::new(key)))
    }

    pub fn api_key_status(&self, now: DateTime<Utc>) -> ApiKeyStatus {
        match self.api_key(now) {
            Ok(Some(_)) => ApiKeyStatus::Set,
            Ok(None) => ApiKeyStatus::NotSet,
            Err(error) => ApiKeyStatus::Unreadable(error.to_string()),
        }
    }

    /// Seals and stores a new key (validating it is the caller's job: see the save hook).
    pub fn set_api_key(&self, key: &str, now: DateTime<Utc>) -> Result<(), SettingsError> {
        self.store_api_key(key.trim(), now)?;
        self.host.log_activity(
            "[Katapult] Updated the API key (it applies to every Katapult product)",
            None,
        );
        Ok(())
    }

    fn store_api_key(&self, key: &str, now: DateTime<Utc>) -> Result<(), SettingsError> {
        let sealed = self.secrets()?.seal(SEALED_ITEM, key);
        self.store
            .set_text(Owner::Module, API_KEY, &sealed, None, now)?;
        Ok(())
    }

    /// This installation's id, made once. Katapult annotations carry it beside WHMCS ids, so two
    /// installations sharing a Katapult account (staging and live, say) never take each other's
    /// VMs for their own: their service and client ids overlap.
    pub fn installation_id(&self, now: DateTime<Utc>) -> Result<String, SettingsError> {
        // Made under a claim: two processes making it at once would each annotate VMs with their
        // own, and the one whose write lost would take its VMs for another installation's.
        if let Some(id) = self.store.get_text(Owner::Module, INSTALLATION_ID)? {
            return Ok(id);
        }
        // Read from the database from here on (a page's copy of the items predates the others').
        let sql = self.store.sql();
        let fresh = DataStore::checked(sql);
        let read = || Ok::<_, SettingsError>(fresh.get_text(Owner::Module, INSTALLATION_ID)?);
        let make = || {
            let id = format!("{:012x}", rand::random::<u64>() & 0xffff_ffff_ffff);
            self.store
                .set_text(Owner::Module, INSTALLATION_ID, &id, None, now)?;
            Ok(id)
        };
        made_once(sql, INSTALLATION_ID, read, make)?.ok_or(SettingsError::InstallationIdPending)
    }

    /// The parent organization (`org_…` or a sub-domain), as the PHP module stored it.
    pub fn parent_organization(&self) -> Result<Option<String>, SettingsError> {
        Ok(self.store.get_text(Owner::Module, PARENT_ORGANIZATION)?)
    }

    pub fn set_parent_organization(
        &self,
        organization: &str,
        now: DateTime<Utc>,
    ) -> Result<(), SettingsError> {
        self.store.set_text(
            Owner::Module,
            PARENT_ORGANIZATION,
            organization.trim(),
            None,
            now,
        )?;
        self.host.log_activity(
            &format!(
                "[Katapult] Updated the parent organization to {}",
                organization.trim()
            ),
            None,
        );
        Ok(())
    }
}
