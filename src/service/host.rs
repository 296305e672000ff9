//! The `Host` port: what the module needs from WHMCS besides SQL. `php/` implements it with
//! WHMCS's own functions (logActivity, logModuleCall, run_hook, decrypt, the installation secret);
//! tests implement it in memory.

/// A failure of the host itself (a missing WHMCS function, a PHP exception in a hook).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct HostError(pub String);

pub trait Host {
    /// A line in WHMCS's activity log, against a client when one is named.
    fn log_activity(&self, message: &str, client_id: Option<u64>);

    /// An API exchange in WHMCS's module log; every string in `scrub` is masked by WHMCS.
    fn log_module_call(&self, action: &str, request: &str, response: &str, scrub: &[&str]);

    /// Fires a custom hook (`run_hook`) with the service's `VirtualMachine` object, as hook code
    /// written for the PHP module expects: `add_hook($name, 0, function (VirtualMachine $s) {…})`.
    fn fire_hook(&self, name: &str, service_id: u64) -> Result<(), HostError>;

    /// Sends an email template about a service (`localAPI('SendEmail')`).
    fn send_email(&self, template: &str, service_id: u64) -> Result<(), HostError>;

    /// One of WHMCS's module commands on a service (`localAPI('ModuleCreate')`,
    /// `'ModuleChangePackage'`): WHMCS builds the module's parameters and calls it.
    fn module_command(&self, command: &str, service_id: u64) -> Result<(), HostError>;

    /// WHMCS's `encrypt()`: how WHMCS stores a service's password in tblhosting.
    fn whmcs_encrypt(&self, value: &str) -> Result<String, HostError>;

    /// WHMCS's `decrypt()`: how the PHP module stored the API key.
    fn whmcs_decrypt(&self, value: &str) -> Result<String, HostError>;

    /// The installation's secret (`cc_encryption_hash` from WHMCS's configuration.php).
    fn installation_secret(&self) -> Result<String, HostError>;
}
