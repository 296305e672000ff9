//! The `Host` port over WHMCS's own functions.

use ext_php_rs::convert::IntoZvalDyn;
use ext_php_rs::types::{ZendCallable, ZendHashTable, Zval};
use ext_php_rs::zend::ExecutorGlobals;

use super::bailout::{call_php, take_exception};
use crate::service::host::{Host, HostError};
use crate::service::whmcs_config;
use crate::store::sql::conflict_met;
use crate::store::SqlError;

pub struct WhmcsHost;

/// The documented service class hook code receives (module/lib/WHMCS/Service/VirtualMachine.php).
const SERVICE_CLASS: &str = "WHMCS\\Module\\Server\\Katapult\\WHMCS\\Service\\VirtualMachine";

/// Calls a global PHP function (WHMCS's, or the module's PHP files'); a PHP exception it throws
/// becomes an error (and does not escape), and so does a fatal error (`call_php`).
pub(super) fn call_function(name: &str, args: Vec<&dyn IntoZvalDyn>) -> Result<Zval, HostError> {
    call_php(|| {
        let function = ZendCallable::try_from_name(name)
            .map_err(|_| HostError(format!("the PHP function {name}() is not available")))?;
        function.try_call(args).map_err(|e| {
            let message = take_exception()
                .and_then(|ex| ex.try_call_method("getMessage", vec![]).ok())
                .and_then(|m| m.string())
                .unwrap_or_else(|| e.to_string());
            // A database conflict in WHMCS's code (logActivity, a hook, the mailer) ended the
            // transaction it ran in, even where its failure is only logged or ignored.
            conflict_met(&SqlError(message.clone()));
            HostError(format!("{name}(): {message}"))
        })
    })
    .map_err(|stopped| HostError(format!("{name}(): {stopped}")))?
}

impl Host for WhmcsHost {
    fn log_activity(&self, message: &str, client_id: Option<u64>) {
        // Logging must never break the operation it records.
        let _ = call_function(
            "logActivity",
            vec![&message, &(client_id.unwrap_or(0) as i64)],
        );
    }

    fn log_module_call(&self, action: &str, request: &str, response: &str, scrub: &[&str]) {
        let mut replace = ZendHashTable::new();
        for secret in scrub.iter().filter(|s| !s.is_empty()) {
            let _ = replace.push(*secret);
        }
        let _ = call_function(
            "logModuleCall",
            vec![&"katapult", &action, &request, &response, &"", &replace],
        );
    }

    fn fire_hook(&self, name: &str, service_id: u64) -> Result<(), HostError> {
        let service = call_function(
            &format!("{SERVICE_CLASS}::findOrFail"),
            vec![&(service_id as i64)],
        )?;
        let mut arguments = ZendHashTable::new();
        arguments
            .push(service)
            .map_err(|e| HostError(e.to_string()))?;
        call_function("run_hook", vec![&name, &arguments, &true]).map(|_| ())
    }

    fn send_email(&self, template: &str, service_id: u64) -> Result<(), HostError> {
        local_api(
            "SendEmail",
            &[("messagename", template.into()), ("id", service_id.into())],
        )
        .map_err(|HostError(message)| HostError(format!("SendEmail: {message}")))
    }

    fn module_command(&self, command: &str, service_id: u64) -> Result<(), HostError> {
        local_api(command, &[("serviceid", service_id.into())])
    }

    fn whmcs_encrypt(&self, value: &str) -> Result<String, HostError> {
        call_function("encrypt", vec![&value])?
            .string()
            .ok_or_else(|| HostError("encrypt() returned no string".into()))
    }

    fn whmcs_decrypt(&self, value: &str) -> Result<String, HostError> {
        Ok(call_function("decrypt", vec![&value])?
            .string()
            .unwrap_or_default())
    }

    /// `$cc_encryption_hash` as WHMCS set it when it loaded its configuration (a hardened install
    /// may compute it, from `getenv()` say); only when that is not set, the value the file
    /// `ROOTDIR/configuration.php` assigns last.
    fn installation_secret(&self) -> Result<String, HostError> {
        if let Some(hash) = loaded_cc_encryption_hash() {
            return Ok(hash);
        }
        let defined = call_function("defined", vec![&"ROOTDIR"])?.is_true();
        if !defined {
            return Err(HostError(
                "ROOTDIR is not defined: the module must run inside WHMCS".into(),
            ));
        }
        let root = call_function("constant", vec![&"ROOTDIR"])?
            .string()
            .unwrap_or_default();
        let path = std::path::Path::new(&root).join("configuration.php");
        let text = std::fs::read_to_string(&path)
            .map_err(|e| HostError(format!("cannot read {}: {e}", path.display())))?;
        whmcs_config::cc_encryption_hash(&text).ok_or_else(|| {
            HostError(format!(
                "WHMCS set no $cc_encryption_hash, and {} assigns none as a plain string",
                path.display()
            ))
        })
    }
}

/// A value given to `localAPI`.
enum ApiValue<'a> {
    Text(&'a str),
    Id(u64),
}

impl<'a> From<&'a str> for ApiValue<'a> {
    fn from(text: &'a str) -> Self {
        ApiValue::Text(text)
    }
}

impl From<u64> for ApiValue<'_> {
    fn from(id: u64) -> Self {
        ApiValue::Id(id)
    }
}

/// `localAPI($command, $values)`: Ok on `result` `success`, else its `message`.
fn local_api(command: &str, values: &[(&str, ApiValue<'_>)]) -> Result<(), HostError> {
    let mut table = ZendHashTable::new();
    for (key, value) in values {
        match value {
            ApiValue::Text(text) => table.insert(*key, *text),
            ApiValue::Id(id) => table.insert(*key, *id as i64),
        }
        .map_err(|e| HostError(e.to_string()))?;
    }
    let answer = call_function("localAPI", vec![&command, &table])?;
    let field = |name: &str| {
        answer
            .array()
            .and_then(|a| a.get(name))
            .and_then(|r| r.str())
            .map(str::to_string)
    };
    if field("result").as_deref() == Some("success") {
        Ok(())
    } else {
        Err(HostError(
            field("message").unwrap_or_else(|| "no reason given".into()),
        ))
    }
}

/// The global `$cc_encryption_hash`, when it is a non-empty string.
fn loaded_cc_encryption_hash() -> Option<String> {
    let globals = ExecutorGlobals::get();
    let value = globals.symbol_table.get("cc_encryption_hash")?;
    // A global of the main script is an indirect slot; `global $x` makes it a reference.
    value
        .dereference()
        .dereference()
        .string()
        .filter(|hash| !hash.is_empty())
}
