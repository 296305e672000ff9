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
