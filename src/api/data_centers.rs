//! Data centers and their default public networks.

use serde::{Deserialize, Serialize};

use super::common::IdName;
use super::lookup::{lookup_ref, query};
use super::{ApiError, Client};

lookup_ref!(
    /// A data center by id (`loc_…`) or permalink (`uk-lon-01`).
    DataCenterRef, "data_center", id prefix "loc_", Permalink => "permalink"
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataCenter {
    pub id: String,
    pub name: Option<String>,
    pub permalink: Option<String>,
    pub country: Option<IdName>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Network {
    pub id: String,
    pub name: Option<String>,
    pub permalink: Option<String>,
    /// Missing in some older recordings.
    pub default: Option<bool>,
    pub data_center: Option<DataCenter>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DataCentersList {
    pub data_centers: Vec<DataCenter>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DataCenterResponse {
    pub data_center: DataCenter,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NetworkResponse {
    pub network: Network,
}

impl Client {
    /// Every data center (not paginated).
    pub fn data_centers(&self) -> Result<Vec<DataCenter>, ApiError> {
        Ok(self
            .get::<DataCentersList>("/data_centers", vec![])?
            .data_centers)
    }

    pub fn data_center(&self, data_center: &DataCenterRef) -> Result<DataCenter, ApiError> {
        Ok(self
            .get::<DataCenterResponse>("/data_centers/_", query(data_center))?
            .data_center)
    }

    pub fn default_network(&self, data_center: &DataCenterRef) -> Result<Network, ApiError> {
        Ok(self
            .get::<NetworkResponse>("/data_centers/_/default_network", query(data_center))?
            .network)
    }
}
