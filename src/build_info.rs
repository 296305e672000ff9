//! Facts about this build, captured by `build.rs`, shown by `php --ri katapult`.

/// The crate version, e.g. `0.1.0`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// The git revision the extension was built from (`unknown` outside a git checkout).
pub const GIT_REVISION: &str = env!("KATAPULT_GIT_REVISION");
/// The PHP API number (`php-config --phpapi`) the extension was built for, or `none` without PHP.
pub const PHP_API: &str = env!("KATAPULT_PHP_API");
/// The PHP version (`php-config --version`) the extension was built against, or `none`.
pub const PHP_VERSION: &str = env!("KATAPULT_PHP_VERSION");
/// The rustc that compiled the extension.
pub const RUSTC_VERSION: &str = env!("KATAPULT_RUSTC_VERSION");
/// `ZTS` or `NTS`: the thread safety of the PHP the extension was built against, or `none`.
pub const PHP_THREAD_SAFETY: &str = env!("KATAPULT_PHP_THREAD_SAFETY");
/// `yes` when that PHP is a debug build, else `no` (`none` without PHP).
pub const PHP_DEBUG: &str = env!("KATAPULT_PHP_DEBUG");
/// The Rust target triple the extension was compiled for, e.g. `x86_64-unknown-linux-gnu`.
pub const BUILD_TARGET: &str = env!("KATAPULT_BUILD_TARGET");
