//! The trash: deleted objects wait here until `keep_until`, or until purged.

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::lookup::{body, lookup_ref, query};
use super::tasks::{Task, TaskResponse};
use super::transport::Repeat;
use super::{ApiError, Client};

lookup_ref!(
    /// A trash object by its own id (`trsh_…`) or by the id of the object in it.
    TrashObjectRef, "trash_object", id prefix "trsh_", ObjectId => "object_id"
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrashObject {
    pub id: String,
    pub keep_until: Option<i64>,
    pub object_id: Option<String>,
    pub object_type: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrashObjectResponse {
    pub trash_object: TrashObject,
}

impl Client {
    pub fn trash_object(&self, trash_object: &TrashObjectRef) -> Result<TrashObject, ApiError> {
        Ok(self
            .get::<TrashObjectResponse>("/trash_objects/_", query(trash_object))?
            .trash_object)
    }

    /// Deletes the object for good. Harmless to repeat: once purged, a repeat answers 404.
    pub fn purge_trash_object(&self, trash_object: &TrashObjectRef) -> Result<Task, ApiError> {
        Ok(self
            .write::<TaskResponse>(
                Method::DELETE,
                "/trash_objects/_",
                body(&[trash_object], json!({})),
                Repeat::Harmless,
            )?
            .task)
    }

    /// Brings the object back where it was. Harmless to repeat: a restored object is no longer
    /// in the trash, and a repeat is 404.
    pub fn restore_trash_object(
        &self,
        trash_object: &TrashObjectRef,
    ) -> Result<TrashObject, ApiError> {
        Ok(self
            .write::<TrashObjectResponse>(
                Method::POST,
                "/trash_objects/_/restore",
                body(&[trash_object], json!({})),
                Repeat::Harmless,
            )?
            .trash_object)
    }
}
