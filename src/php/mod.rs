//! The only code that touches ext-php-rs. It converts and delegates; decisions live in the
//! plain-Rust layers. Every entry point returns a value or throws a PHP exception with a message
//! a provider can act on: a Rust panic is caught by ext-php-rs and surfaces as a PHP `\Error`.

mod addon;
mod api_client;
mod bailout;
mod convert;
mod exceptions;
mod info;
mod ini;
mod module_functions;
mod pdo;
mod virtual_machine;
mod whmcs_host;

use ext_php_rs::prelude::*;

use crate::build_info;

/// The extension's version, e.g. `0.1.0`.
#[php_function]
#[php(name = "Katapult\\version")]
pub fn katapult_version() -> &'static str {
    build_info::VERSION
}

/// MINIT: INI entries, the exception classes, and a one-line panic report (never a backtrace
/// dump into a PHP-FPM log).
pub fn startup(_ty: i32, module_number: i32) -> i32 {
    ini::register(module_number);
    std::panic::set_hook(Box::new(|panic| {
        eprintln!("katapult: internal error: {panic}")
    }));
    match exceptions::register() {
        Ok(()) => 0,
        Err(_) => -1,
    }
}

/// RINIT: the API URL is fixed on the process's first request (`ini::fix_api_url`).
pub extern "C" fn request_startup(_ty: i32, _module_number: i32) -> i32 {
    ini::fix_api_url();
    0
}

/// RSHUTDOWN: nothing of one request's work carries into the next one on this thread.
pub extern "C" fn request_shutdown(_ty: i32, _module_number: i32) -> i32 {
    crate::api::observer::forget_all();
    bailout::forget();
    0
}

#[php_module]
#[php(startup = startup)]
pub fn get_module(module: ModuleBuilder) -> ModuleBuilder {
    let module = module
        .name("katapult")
        .version(build_info::VERSION)
        .info_function(info::module_info)
        .shutdown_function(ini::unregister)
        .request_startup_function(request_startup)
        .request_shutdown_function(request_shutdown)
        .function(wrap_function!(katapult_version))
        .class::<api_client::ApiClient>()
        .class::<virtual_machine::PhpVirtualMachine>()
        .class::<virtual_machine::VirtualMachineService>();
    addon::register(module_functions::register(module))
}
