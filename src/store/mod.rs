//! State the module keeps between requests, in the WHMCS database: the key/value datastore the
//! PHP module also uses, and the secrets in it. It speaks SQL only through the `Sql` port.

pub mod client_budget;
pub mod datastore;
pub mod live_reads;
pub mod locks;
pub mod nonces;
pub mod php_value;
pub mod secrets;
pub mod service_reads;
pub mod sql;

pub use datastore::{DataStore, Owner, StoreError};
pub use php_value::PhpValue;
pub use sql::{Dialect, MaybeTransient, Row, Sql, SqlError, SqlValue};
