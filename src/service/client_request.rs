//! A request from the client area: who is logged in, the action token that came with it, the
//! client's language, and the WHMCS CSRF token its forms must carry. Admin-area and API calls
//! have none: WHMCS has checked the admin.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex};

use serde_json::{Map, Value};

use super::action_tokens::{ActionTokens, Binding, Refusal, TokenError};
use super::context::{Context, ModuleError};
use super::params::ServiceParams;
use crate::store::SqlValue;
use crate::views::{file_stamp, FileStamp};

/// The client-area strings of the client's language (WHMCS `lang/` files, English underneath).
/// Shared, not copied: a language's strings are many, and a PHP process keeps them between
/// requests (`Lang::cached`).
#[derive(Debug, Clone, Default)]
pub struct Lang {
    strings: Arc<Map<String, Value>>,
    /// Tells these strings from any other set this process has had (a language, or a file's edit).
    generation: u64,
}

/// The languages read in this process: (module folder, language) => the files' stamps when read,
/// and their strings.
type LangFiles = HashMap<(PathBuf, String), (Vec<Option<FileStamp>>, Lang)>;

impl Lang {
    pub fn new(strings: Map<String, Value>) -> Self {
        static GENERATIONS: AtomicU64 = AtomicU64::new(1);
        Self {
            strings: Arc::new(strings),
            generation: GENERATIONS.fetch_add(1, Ordering::Relaxed),
        }
    }

    /// The strings of `language` for the module in `module_dir`, as this process last read them
    /// while none of their files (`lang/english.php`, `overrides/lang/english.php`, and the
    /// language's own two) changed; else from `read` (WHMCS's language files are PHP), kept.
    /// A language without files of its own is English.
    pub fn cached(
        module_dir: &Path,
        language: &str,
        read: impl FnOnce(&str) -> Result<Map<String, Value>, String>,
    ) -> Result<Lang, String> {
        static READ: LazyLock<Mutex<LangFiles>> = LazyLock::new(Default::default);
        let stamps_of = |name: &str| {
            ["lang", "overrides/lang"]
                .map(|folder| file_stamp(&module_dir.join(folder).join(format!("{name}.php"))))
        };
        let english = stamps_of("english");
        let own = (language != "english"
            && !language.is_empty()
            && language
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'_' || b == b'-'))
        .then(|| stamps_of(language))
        .filter(|own| own.iter().any(Option::is_some));
        let language = if own.is_some() { language } else { "english" };
        let stamps: Vec<Option<FileStamp>> = english
            .into_iter()
            .chain(own.into_iter().flatten())
            .collect();
        let key = (module_dir.to_path_buf(), language.to_string());
        let mut read_before = READ.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some((when_read, lang)) = read_before.get(&key) {
            if *when_read == stamps {
                return Ok(lang.clone());
            }
        }
        let lang = Lang::new(read(language)?);
        read_before.insert(key, (stamps, lang.clone()));
        Ok(lang)
    }

    /// The string for `key`; the key itself when no language file has it, so a gap shows.
    pub fn text(&self, key: &str) -> String {
        self.strings
            .get(key)
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| key.to_string())
    }

    /// The strings, for a template's `lang.*`.
    pub fn to_value(&self) -> Value {
        Value::Object(Map::clone(&self.strings))
    }

    /// The same for as long as these strings are: a rendering made with them can be reused.
    pub fn generation(&self) -> u64 {
        self.generation
    }
}

#[derive(Debug, Clone, Default)]
pub struct ClientRequest {
    /// The logged-in client (`$_SESSION['uid']`), 0 when nobody is.
    pub viewer_client_id: u64,
    /// The `katapult_token` posted with an action.
    pub action_token: String,
    /// WHMCS's CSRF token (`generate_token('plain')`), for the forms the module renders.
    pub csrf_token: String,
    pub lang: Lang,
    /// The module directory, where `views/`, `assets/` and `overrides/` are.
    pub module_dir: PathBuf,
}

/// Why a client's action was not carried out: what the client is told.
#[derive(Debug)]
pub enum Denied {
    /// The client sees this (from the language file).
    Told(String),
    Failed(ModuleError),
}

impl From<ModuleError> for Denied {
    fn from(error: ModuleError) -> Self {
        Denied::Failed(error)
    }
}

impl ClientRequest {
    /// Lets a client act on a service only when it is theirs, it is Active, and the action's
    /// token is good (it is used up here). Every refusal is in the activity log with its reason.
    pub fn authorize(
        &self,
        ctx: &Context<'_>,
        params: &ServiceParams,
        action: &str,
    ) -> Result<(), Denied> {
        let refuse = |reason: &str, told: &str| {
            ctx.log_for_service(
                params.service_id,
                Some(params.client_id),
                &format!("the client's {action} request was refused: {reason}"),
            );
            Err(Denied::Told(self.lang.text(told)))
        };
        if self.viewer_client_id != params.client_id {
            return refuse(
                &format!("client {} does not own the service", self.viewer_client_id),
                "katapult_not_yours",
            );
        }
        if service_status(ctx, params.service_id)?.as_deref() != Some("Active") {
            return refuse("the service is not Active", "katapult_not_active");
        }
        let store = ctx.store()?;
        let tokens = ActionTokens::for_installation(ctx.sql, &store, ctx.host, ctx.now)
            .map_err(|e| ModuleError::Product(e.to_string()))?;
        match tokens.redeem(
            ctx.sql,
            &self.action_token,
            &self.binding(params, action),
            ctx.now,
        ) {
            Ok(()) => Ok(()),
            // WHMCS's own links (its sidebar's console link) carry no token: point to the panel.
            Err(TokenError::Refused(Refusal::Missing)) => {
                refuse(&Refusal::Missing.to_string(), "katapult_use_panel")
            }
            Err(TokenError::Refused(refusal)) => {
                refuse(&refusal.to_string(), "katapult_link_expired")
            }
            Err(TokenError::Store(error)) => Err(ModuleError::Store(error).into()),
            Err(error @ TokenError::Secret(_)) => {
                Err(ModuleError::Product(error.to_string()).into())
            }
        }
    }

    /// What a token for `action` on this service, by this client, is bound to.
    pub fn binding(&self, params: &ServiceParams, action: &str) -> Binding {
        Binding {
            service_id: params.service_id,
            client_id: self.viewer_client_id,
            action: action.to_string(),
        }
    }
}

/// Who acts, for the activity log: the client (a client-area request) or an admin.
pub fn actor(client: Option<&ClientRequest>) -> &'static str {
    if client.is_some() {
        "the client"
    } else {
        "an admin"
    }
}

/// A client's request must pass `ClientRequest::authorize`; an admin's (None) WHMCS has checked.
pub fn authorize_actor(
    client: Option<&ClientRequest>,
    ctx: &Context<'_>,
    params: &ServiceParams,
    action: &str,
) -> Result<(), Denied> {
    client.map_or(Ok(()), |request| request.authorize(ctx, params, action))
}

/// The service's status in WHMCS (`Active`, `Suspended`, …), read fresh.
pub fn service_status(ctx: &Context<'_>, service_id: u64) -> Result<Option<String>, ModuleError> {
    let rows = ctx.sql.query(
        "SELECT domainstatus FROM tblhosting WHERE id = ?",
        &[SqlValue::Int(service_id as i64)],
    )?;
    Ok(rows
        .first()
        .and_then(|r| r.first())
        .and_then(SqlValue::as_text)
        .map(str::to_string))
}

#[cfg(test)]
mod lang_tests {
    use std::cell::Cell;
    use std::fs;

    use serde_json::json;

    use super::*;

    /// A module folder of its own in the system's temporary folder.
    fn module_dir(files: &[(&str, &str)]) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("katapult-lang-{}", rand::random::<u64>()));
        for (path, text) in files {
            let path = dir.join(path);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, text).unwrap();
        }
        dir
    }

    /// Reads a language as the PHP side would, counting the reads.
    fn reader<'a>(
        reads: &'a Cell<u32>,
        title: &'a str,
    ) -> impl FnOnce(&str) -> Result<Map<String, Value>, String> + 'a {
        move |language| {
            reads.set(reads.get() + 1);
            Ok(json!({ "language": language, "title": title })
                .as_object()
                .unwrap()
                .clone())
        }
    }

    #[test]
    fn a_language_is_read_once_while_its_files_are_unchanged() {
        let dir = module_dir(&[("lang/english.php", "<?php"), ("lang/german.php", "<?php")]);
        let reads = Cell::new(0);
        let first = Lang::cached(&dir, "german", reader(&reads, "one")).unwrap();
        let again = Lang::cached(&dir, "german", reader(&reads, "two")).unwrap();
        assert_eq!((reads.get(), again.text("title")), (1, "one".to_string()));
        assert_eq!(first.generation(), again.generation());
        assert_eq!(again.text("language"), "german");

        // A provider's override, added: read again, and a new generation.
        fs::create_dir_all(dir.join("overrides/lang")).unwrap();
        fs::write(dir.join("overrides/lang/german.php"), "<?php // mine").unwrap();
        let changed = Lang::cached(&dir, "german", reader(&reads, "three")).unwrap();
        assert_eq!(
            (reads.get(), changed.text("title")),
            (2, "three".to_string())
        );
        assert_ne!(changed.generation(), first.generation());

        // Edited (another size), then removed: read again each time.
        fs::write(dir.join("lang/english.php"), "<?php // edited").unwrap();
        Lang::cached(&dir, "german", reader(&reads, "four")).unwrap();
        fs::remove_file(dir.join("overrides/lang/german.php")).unwrap();
        Lang::cached(&dir, "german", reader(&reads, "five")).unwrap();
        assert_eq!(reads.get(), 4);
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_language_without_files_of_its_own_is_english() {
        let dir = module_dir(&[("lang/english.php", "<?php")]);
        let reads = Cell::new(0);
        for language in ["klingon", "", "../lang/german", "German", "english"] {
            let lang = Lang::cached(&dir, language, reader(&reads, "t")).unwrap();
            assert_eq!(lang.text("language"), "english", "{language:?}");
        }
        assert_eq!(reads.get(), 1, "one read of English serves them all");
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_string_no_file_has_shows_its_key() {
        let lang = Lang::new(json!({"a": "A", "n": 3}).as_object().unwrap().clone());
        assert_eq!(
            (lang.text("a"), lang.text("b"), lang.text("n")),
            ("A".into(), "b".into(), "n".into())
        );
    }
}
