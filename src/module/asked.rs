//! A change a client asks of their service from the panel (with the form's single-use token) or
//! an admin asks from the admin area: who asks, and how a refusal or a failure is said to them
//! and written to the activity log.

use crate::service::client_request::{ClientRequest, Denied};
use crate::service::context::{Context, ModuleError};
use crate::service::params::ServiceParams;

pub struct Asked<'a, 'c> {
    pub ctx: &'a Context<'c>,
    pub params: &'a ServiceParams,
    /// The client-area request; None from the admin area.
    pub client: Option<&'a ClientRequest>,
    /// What is asked, for the log ("rename").
    pub what: &'static str,
    /// What an admin is told was not done ("the VM was not renamed").
    pub not_done: &'static str,
}

impl Asked<'_, '_> {
    /// "the client" or "an admin", for the log.
    pub fn who(&self) -> &'static str {
        if self.client.is_some() {
            "the client"
        } else {
            "an admin"
        }
    }

    /// A client's request may go on (theirs, Active, the token for `function` good and used up
    /// here; see `ClientRequest::authorize`); an admin's always may. Err is the answer.
    pub fn authorized(&self, function: &str) -> Result<(), String> {
        let Some(request) = self.client else {
            return Ok(());
        };
        match request.authorize(self.ctx, self.params, function) {
            Ok(()) => Ok(()),
            Err(Denied::Told(text)) => Err(text),
            Err(Denied::Failed(error)) => Err(self.failed(error)),
        }
    }

    /// Nothing was done, for `reason`: logged; a client gets their language's `key`, an admin
    /// the reason.
    pub fn refused(&self, reason: &str, key: &str) -> String {
        self.log(&format!(
            "{}'s {} request was refused: {reason}",
            self.who(),
            self.what
        ));
        super::told(
            self.client,
            key,
            &format!("Katapult: {}: {reason}.", self.not_done),
        )
    }

    /// Something failed on the way (Katapult, the database): the reason is logged; a client gets
    /// their language's plain sentence, an admin what was not done and why.
    pub fn failed(&self, error: ModuleError) -> String {
        self.log(&format!("{} by {} failed: {error}", self.what, self.who()));
        match self.client {
            Some(request) => request.lang.text("katapult_action_failed"),
            None => super::said(Err(error), self.not_done),
        }
    }

    pub fn log(&self, message: &str) {
        self.ctx
            .log_for_service(self.params.service_id, Some(self.params.client_id), message);
    }
}
