//! Katapult cloud servers for WHMCS.
//!
//! The crate is layered (see the README's architecture section): `api` is a typed Katapult Core
//! API v1 client that knows nothing of WHMCS or PHP; `php` (behind the `php` feature) is the only
//! code that touches ext-php-rs and turns the layers below into PHP classes and functions.

pub mod api;
pub mod build_info;
pub mod module;
pub mod service;
pub mod store;
pub mod views;

#[cfg(feature = "php")]
mod php;
