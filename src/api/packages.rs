//! Virtual machine packages (the sizes a VM comes in).

use serde::{Deserialize, Serialize};

use super::common::IdName;
use super::lookup::{lookup_ref, query};
use super::pagination::page_of;
use super::{ApiError, Client};

lookup_ref!(
    /// A package by id (`vmpkg_…`) or permalink (`rock-3`).
    PackageRef, "virtual_machine_package", id prefix "vmpkg_", Permalink => "permalink"
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VirtualMachinePackage {
    pub id: String,
    pub name: Option<String>,
    pub permalink: Option<String>,
    pub cpu_cores: Option<u32>,
    pub ipv4_addresses: Option<u32>,
    pub memory_in_gb: Option<u32>,
    pub storage_in_gb: Option<u32>,
    /// Missing in 2023 recordings.
    pub monthly_bandwidth_allowance_in_gb: Option<u64>,
    pub privacy: Option<String>,
    pub use_dedicated_cpus: Option<bool>,
    pub group: Option<IdName>,
}

impl VirtualMachinePackage {
    /// Moving from `self` to `target` takes resources away, which Katapult only does to a
    /// stopped VM (the API refuses to shrink a running one).
    pub fn is_downgrade_to(&self, target: &VirtualMachinePackage) -> bool {
        let less =
            |from: Option<u32>, to: Option<u32>| matches!((from, to), (Some(f), Some(t)) if t < f);
        less(self.cpu_cores, target.cpu_cores) || less(self.memory_in_gb, target.memory_in_gb)
    }
}

page_of!(PackagesPage, virtual_machine_packages: VirtualMachinePackage);

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PackageResponse {
    pub virtual_machine_package: VirtualMachinePackage,
}

impl Client {
    /// Every public package, all pages.
    pub fn virtual_machine_packages(&self) -> Result<Vec<VirtualMachinePackage>, ApiError> {
        self.get_all::<PackagesPage>("/virtual_machine_packages", vec![])
    }

    pub fn virtual_machine_package(
        &self,
        package: &PackageRef,
    ) -> Result<VirtualMachinePackage, ApiError> {
        Ok(self
            .get::<PackageResponse>("/virtual_machine_packages/_", query(package))?
            .virtual_machine_package)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn package(cpu: u32, memory: u32) -> VirtualMachinePackage {
        serde_json::from_value(
            serde_json::json!({"id": "vmpkg_x", "cpu_cores": cpu, "memory_in_gb": memory}),
        )
        .unwrap()
    }

    #[test]
    fn downgrade_means_fewer_cpus_or_less_memory() {
        assert!(package(2, 6).is_downgrade_to(&package(1, 6)));
        assert!(package(2, 6).is_downgrade_to(&package(4, 3)));
        assert!(!package(1, 3).is_downgrade_to(&package(2, 6)));
        assert!(!package(1, 3).is_downgrade_to(&package(1, 3)));
    }
}
