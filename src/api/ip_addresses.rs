//! IP addresses of an organization, and their reverse DNS.

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::lookup::{body, lookup_ref, query};
use super::organizations::OrganizationRef;
use super::pagination::page_of;
use super::transport::Repeat;
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
}
