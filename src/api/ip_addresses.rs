//! IP addresses of an organization: their reverse DNS, and extra addresses made, allocated to a
//! VM, unallocated and released.

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::lookup::{body, lookup_ref, query};
use super::organizations::OrganizationRef;
use super::pagination::page_of;
use super::transport::Repeat;
use super::virtual_machines::VirtualMachineRef;
use super::{ApiError, Client};

lookup_ref!(
    /// An IP address by id (`ip_…`) or the address itself.
    IpAddressRef, "ip_address", id prefix "ip_", Address => "address"
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IpAddress {
    pub id: String,
    pub address: String,
    pub reverse_dns: Option<String>,
    pub address_with_mask: Option<String>,
    pub vip: Option<bool>,
    pub label: Option<String>,
    pub allocation_id: Option<String>,
    pub allocation_type: Option<String>,
    pub network: Option<IpNetwork>,
}

impl IpAddress {
    pub fn is_ipv4(&self) -> bool {
        self.address.parse::<std::net::Ipv4Addr>().is_ok()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IpNetwork {
    pub id: String,
    pub name: Option<String>,
    pub permalink: Option<String>,
}

page_of!(IpAddressesPage, ip_addresses: IpAddress);

/// What unallocating or releasing an address answers: an empty object.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EmptyAnswer {}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IpAddressResponse {
    pub ip_address: IpAddress,
    /// What the address is allocated to; its shape differs between the spec and LIVE (§9).
    #[serde(default)]
    pub allocation: Option<Value>,
}

impl Client {
    /// Every IP address of the organization, all pages.
    pub fn ip_addresses(&self, organization: &OrganizationRef) -> Result<Vec<IpAddress>, ApiError> {
        self.get_all::<IpAddressesPage>("/organizations/_/ip_addresses", query(organization))
    }

    pub fn ip_address(&self, ip: &IpAddressRef) -> Result<IpAddress, ApiError> {
        Ok(self
            .get::<IpAddressResponse>("/ip_addresses/_", query(ip))?
            .ip_address)
    }

    /// Sets the PTR record. Harmless to repeat: it sets the same value again.
    pub fn update_reverse_dns(
        &self,
        ip: &IpAddressRef,
        reverse_dns: &str,
    ) -> Result<IpAddress, ApiError> {
        let request = body(&[ip], json!({"reverse_dns": reverse_dns}));
        Ok(self
            .write::<IpAddressResponse>(
                Method::PATCH,
                "/ip_addresses/_",
                request,
                Repeat::Harmless,
            )?
            .ip_address)
    }

    /// Makes a new IPv4 address in the organization, on `network` (an id). Never repeated after
    /// a lost answer: it could make a second address (the caller finds the first by listing).
    pub fn create_ipv4_address(
        &self,
        organization: &OrganizationRef,
        network_id: &str,
    ) -> Result<IpAddress, ApiError> {
        let request = body(
            &[organization],
            json!({"network": {"id": network_id}, "version": "ipv4"}),
        );
        Ok(self
            .write::<IpAddressResponse>(
                Method::POST,
                "/organizations/_/ip_addresses",
                request,
                Repeat::Never,
            )?
            .ip_address)
    }

    /// Allocates the address to the VM (Katapult picks the interface). A repeat after a lost
    /// answer is refused as `ip_already_allocated`, which `ApiError::is_already_allocated` names.
    pub fn allocate_ip(
        &self,
        vm: &VirtualMachineRef,
        ip: &IpAddressRef,
    ) -> Result<IpAddress, ApiError> {
        let request = body(&[vm, ip], json!({}));
        Ok(self
            .write::<IpAddressResponse>(
                Method::POST,
                "/virtual_machines/_/allocate_ip",
                request,
                Repeat::Harmless,
            )?
            .ip_address)
    }

    /// Takes the address off whatever it is allocated to; it stays the organization's.
    pub fn unallocate_ip(&self, ip: &IpAddressRef) -> Result<(), ApiError> {
        self.write::<EmptyAnswer>(
            Method::POST,
            "/ip_addresses/_/unallocate",
            body(&[ip], json!({})),
            Repeat::Harmless,
        )?;
        Ok(())
    }

    /// Gives the address back to Katapult. Harmless to repeat: once released, a repeat answers 404.
    pub fn release_ip_address(&self, ip: &IpAddressRef) -> Result<(), ApiError> {
        self.write::<EmptyAnswer>(
            Method::DELETE,
            "/ip_addresses/_",
            body(&[ip], json!({})),
            Repeat::Harmless,
        )?;
        Ok(())
    }
}
