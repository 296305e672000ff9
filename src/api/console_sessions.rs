//! Console (VNC) sessions: a short-lived URL that opens the VM's screen in a browser.

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::lookup::body;
use super::transport::Repeat;
use super::virtual_machines::{VirtualMachineRef, VirtualMachineSummary};
use super::{ApiError, Client};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConsoleSession {
    pub id: String,
    pub url: String,
    pub expires_at: Option<i64>,
    pub virtual_machine: Option<VirtualMachineSummary>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConsoleSessionResponse {
    pub console_session: ConsoleSession,
}

impl Client {
    /// Opens a console session; the VM must be started. Harmless to repeat: an unused extra
    /// session simply expires.
    pub fn create_console_session(
        &self,
        vm: &VirtualMachineRef,
    ) -> Result<ConsoleSession, ApiError> {
        let response: ConsoleSessionResponse = self.write(
            Method::POST,
            "/virtual_machines/_/console_sessions",
            body(&[vm], json!({})),
            Repeat::Harmless,
        )?;
        Ok(response.console_session)
    }
}
