//! The extension's INI settings, and the API settings they make.

use std::ffi::{c_char, c_int, CStr};
use std::sync::OnceLock;
use std::time::Duration;

use ext_php_rs::flags::IniEntryPermission;
use ext_php_rs::zend::{IniEntryDef, IniEntryDefs};

use crate::api::{ApiSettings, ApiToken, DEFAULT_API_URL};

/// Wins over `katapult.api_url` when set in the process's environment (tests, the demo, staging).
pub const API_URL_ENV: &str = "KATAPULT_API_URL";

// Where the API key goes and which CA is trusted are for php.ini and the server's own config
// (`-d`, a PHP-FPM pool's php_admin_value, Apache's php_admin_value) only: never for `ini_set()`
// at run time, nor for a `.user.ini` or `.htaccess` that PHP code in the web root could write.
const SERVER_ONLY: IniEntryPermission = IniEntryPermission::System;

static INI_ENTRIES: IniEntryDefs<8> = IniEntryDefs::new([
    IniEntryDef::new(
        c"katapult.api_url",
        c"https://api.katapult.io/core/v1",
        SERVER_ONLY,
    ),
    IniEntryDef::new(c"katapult.timeout", c"30", IniEntryPermission::All),
    IniEntryDef::new(c"katapult.connect_timeout", c"5", IniEntryPermission::All),
    IniEntryDef::new(c"katapult.ca_file", c"", SERVER_ONLY),
    IniEntryDef::new(c"katapult.suspend_grace", c"60", IniEntryPermission::All),
    IniEntryDef::new(c"katapult.sync_concurrency", c"64", IniEntryPermission::All),
    IniEntryDef::new(
        c"katapult.vm_link",
        c"https://my.katapult.io/organizations/{organization}/virtual_machines/{vm}",
        SERVER_ONLY,
    ),
    IniEntryDef::end(),
]);

unsafe extern "C" {
    fn zend_ini_string_ex(
        name: *const c_char,
        name_length: usize,
        orig: c_int,
        exists: *mut bool,
    ) -> *mut c_char;
    fn zend_unregister_ini_entries(module_number: c_int);
}

pub fn register(module_number: i32) {
    IniEntryDef::register(INI_ENTRIES.as_slice(), module_number);
}

/// MSHUTDOWN, as C extensions do with UNREGISTER_INI_ENTRIES().
pub extern "C" fn unregister(_ty: i32, module_number: i32) -> i32 {
    // SAFETY: PHP calls MSHUTDOWN with the number it gave this module at MINIT, under which
    // `register` registered the entries; nothing reads them after MSHUTDOWN.
    unsafe { zend_unregister_ini_entries(module_number) };
    0
}

/// The current (possibly per-request) value of one of our INI entries.
fn ini_value(name: &CStr) -> Option<String> {
    let mut exists = false;
    // SAFETY: `name` is a NUL-terminated string of the length passed, and `exists` a live bool;
    // the function only reads the one and writes the other.
    let value = unsafe { zend_ini_string_ex(name.as_ptr(), name.count_bytes(), 0, &mut exists) };
    if !exists || value.is_null() {
        return None;
    }
    Some(
        // SAFETY: non-null, it is the entry's NUL-terminated value, owned by PHP and unchanged
        // while this (single-threaded) request copies it out here.
        unsafe { CStr::from_ptr(value) }
            .to_string_lossy()
            .into_owned(),
    )
}

fn seconds(name: &CStr) -> Result<Duration, String> {
    let raw = ini_value(name).unwrap_or_default();
    raw.trim()
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s > 0.0 && *s <= 3600.0)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| {
            format!(
                "{} must be a number of seconds between 0 and 3600, not `{raw}`",
                name.to_string_lossy()
            )
        })
}

/// How long a suspension waits for the VM to shut down before stopping it.
pub fn suspend_grace() -> Result<Duration, String> {
    seconds(c"katapult.suspend_grace")
}

/// The API URL in effect and where it came from, fixed by `fix_api_url`.
static API_URL: OnceLock<(String, &'static str)> = OnceLock::new();

/// RINIT: fixes, on the process's first request, where its API key is sent: `KATAPULT_API_URL`
/// as the process's environment has it then, else `katapult.api_url`, else the public API. Not
/// at MINIT: a PHP-FPM pool's `env[]` and `php_admin_value` reach its workers after that. A
/// script's `putenv()` (undone by PHP at the end of its request) changes nothing afterwards.
pub fn fix_api_url() {
    API_URL.get_or_init(|| {
        match std::env::var(API_URL_ENV)
            .ok()
            .filter(|url| !url.trim().is_empty())
        {
            Some(url) => (
                url,
                "KATAPULT_API_URL environment variable at the process's start",
            ),
            None => match ini_value(c"katapult.api_url").filter(|url| !url.trim().is_empty()) {
                Some(url) => (url, "katapult.api_url"),
                None => (DEFAULT_API_URL.to_string(), "default"),
            },
        }
    });
}

/// The API URL in effect, and where it came from.
pub fn api_url() -> (String, &'static str) {
    fix_api_url();
    API_URL.get().cloned().unwrap_or_default()
}

/// API settings from the INI entries (and environment) for this token.
pub fn api_settings(token: &str, url: Option<String>) -> Result<ApiSettings, String> {
    let mut settings = ApiSettings::new(url.unwrap_or_else(|| api_url().0), ApiToken::new(token));
    settings.timeout = seconds(c"katapult.timeout")?;
    settings.connect_timeout = seconds(c"katapult.connect_timeout")?;
    settings.ca_file = ini_value(c"katapult.ca_file")
        .filter(|path| !path.trim().is_empty())
        .map(Into::into);
    Ok(settings)
}

/// Where the admin area links a VM id to: `{organization}` and `{vm}` are filled in.
pub fn vm_link() -> String {
    ini_value(c"katapult.vm_link").unwrap_or_default()
}

/// How many builds the build sync checks at once.
pub fn sync_concurrency() -> Result<usize, String> {
    let raw = ini_value(c"katapult.sync_concurrency").unwrap_or_default();
    raw.trim()
        .parse::<usize>()
        .ok()
        .filter(|n| (1..=crate::service::build_sync::MAX_CONCURRENCY).contains(n))
        .ok_or_else(|| {
            format!(
                "katapult.sync_concurrency must be a whole number from 1 to {}, not `{raw}`",
                crate::service::build_sync::MAX_CONCURRENCY
            )
        })
}
