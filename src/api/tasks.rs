//! Tasks: the background jobs behind power actions, package changes and purges.

use serde::{Deserialize, Serialize};

use super::common::api_enum;
use super::lookup::{lookup_ref, query};
use super::{ApiError, Client};

lookup_ref!(
    /// A task by id (`task_…`).
    TaskRef, "task", id prefix "task_"
);

api_enum!(
    /// TaskStatusEnum.
    TaskStatus { Pending => "pending", Running => "running", Completed => "completed", Failed => "failed" }
);

impl TaskStatus {
    pub fn is_finished(&self) -> bool {
        matches!(self, TaskStatus::Completed | TaskStatus::Failed)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Task {
    pub id: String,
    pub name: Option<String>,
    #[serde(default)]
    pub status: TaskStatus,
    pub created_at: Option<i64>,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    pub progress: Option<u32>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TaskResponse {
    pub task: Task,
}

impl Client {
    pub fn task(&self, task: &TaskRef) -> Result<Task, ApiError> {
        Ok(self.get::<TaskResponse>("/tasks/_", query(task))?.task)
    }
}
