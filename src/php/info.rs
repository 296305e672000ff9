//! `php --ri katapult` / phpinfo(): what was built, from what, for which PHP, and the INI table.

use ext_php_rs::ffi::zend_module_entry;
use ext_php_rs::{info_table_end, info_table_row, info_table_start};

use crate::build_info;

unsafe extern "C" {
    fn display_ini_entries(module: *mut zend_module_entry);
}

pub extern "C" fn module_info(module: *mut zend_module_entry) {
    let (api_url, url_source) = super::ini::api_url();
    info_table_start!();
    info_table_row!("katapult support", "enabled");
    info_table_row!("version", build_info::VERSION);
    info_table_row!("git revision", build_info::GIT_REVISION);
    info_table_row!("built for PHP API", build_info::PHP_API);
    info_table_row!("built against PHP", build_info::PHP_VERSION);
    info_table_row!("thread safety", build_info::PHP_THREAD_SAFETY);
    info_table_row!("PHP debug build", build_info::PHP_DEBUG);
    info_table_row!("build target", build_info::BUILD_TARGET);
    info_table_row!("compiler", build_info::RUSTC_VERSION);
    info_table_row!("API URL in effect", api_url.as_str());
    info_table_row!("API URL from", url_source);
    info_table_end!();
    // SAFETY: PHP calls MINFO with this module's own entry, which it keeps for the process;
    // display_ini_entries only reads it (and the INI entries registered under its number).
    unsafe { display_ini_entries(module) };
}
