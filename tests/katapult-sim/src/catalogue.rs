//! The seeded, read-only catalogue, taken from real recorded traffic
//! (terraform-provider-katapult cassettes): London, its zones and public
//! network, the 20 public packages, the universal disk templates and the parent
//! organization the default token owns.

use serde_json::{json, Value};
use std::sync::{Arc, LazyLock};

pub struct Catalogue {
    pub parent_org: Value,
    pub data_centers: Vec<Value>,
    /// Zones with `data_center` as an id.
    pub zones: Vec<Value>,
    /// Networks with `data_center` as an id and their `subnets`.
    pub networks: Vec<Value>,
    pub packages: Vec<Value>,
    pub disk_templates: Vec<Value>,
}

impl Catalogue {
    /// One catalogue for every simulator in the process: it never changes.
    pub fn shared() -> Arc<Catalogue> {
        static CATALOGUE: LazyLock<Arc<Catalogue>> = LazyLock::new(|| Arc::new(Catalogue::load()));
        CATALOGUE.clone()
    }

    fn load() -> Catalogue {
        let seed: Value = parse(include_str!("../data/seed.json"));
        let list = |k: &str| seed[k].as_array().cloned().unwrap_or_default();
        Catalogue {
            parent_org: seed["organization"].clone(),
            data_centers: list("data_centers"),
            zones: list("zones"),
            networks: list("networks"),
            packages: parse_list(include_str!("../data/packages.json")),
            disk_templates: parse_list(include_str!("../data/disk_templates.json")),
        }
    }

    pub fn data_center(&self, key: &str, value: &str) -> Option<&Value> {
        find(&self.data_centers, key, value)
    }

    pub fn zone(&self, key: &str, value: &str) -> Option<&Value> {
        find(&self.zones, key, value)
    }

    pub fn network(&self, key: &str, value: &str) -> Option<&Value> {
        find(&self.networks, key, value)
    }

    pub fn package(&self, key: &str, value: &str) -> Option<&Value> {
        find(&self.packages, key, value)
    }

    pub fn disk_template(&self, key: &str, value: &str) -> Option<&Value> {
        find(&self.disk_templates, key, value)
    }

    pub fn default_network(&self, dc_id: &str) -> Option<&Value> {
        self.networks
            .iter()
            .find(|n| n["data_center"] == dc_id && n["default"] == true)
    }

    pub fn subnet(&self, network: &Value, version: u8) -> Option<Value> {
        network["subnets"]
            .as_array()?
            .iter()
            .find(|s| s["version"] == version)
            .cloned()
    }

    /// `{id,name,permalink}` plus `country` when `with_country`.
    pub fn data_center_json(&self, dc_id: &str, with_country: bool) -> Value {
        let dc = self
            .data_center("id", dc_id)
            .cloned()
            .unwrap_or(Value::Null);
        if with_country {
            dc
        } else {
            json!({"id": dc["id"], "name": dc["name"], "permalink": dc["permalink"]})
        }
    }

    pub fn zone_json(&self, zone: &Value) -> Value {
        json!({
            "id": zone["id"], "name": zone["name"], "permalink": zone["permalink"],
            "data_center": self.data_center_json(zone["data_center"].as_str().unwrap_or_default(), true),
        })
    }

    pub fn network_json(&self, net: &Value, dc_country: bool) -> Value {
        json!({
            "id": net["id"], "name": net["name"], "permalink": net["permalink"], "default": net["default"],
            "data_center": self.data_center_json(net["data_center"].as_str().unwrap_or_default(), dc_country),
        })
    }

    /// List items omit the OS badge (LIVE); the single GET includes it.
    pub fn disk_template_json(&self, tpl: &Value, with_badge: bool) -> Value {
        let mut t = tpl.clone();
        if !with_badge {
            if let Some(os) = t["operating_system"].as_object_mut() {
                os.remove("badge");
            }
        }
        t
    }
}

fn find<'a>(items: &'a [Value], key: &str, value: &str) -> Option<&'a Value> {
    items.iter().find(|i| i[key].as_str() == Some(value))
}

fn parse(s: &str) -> Value {
    serde_json::from_str(s).expect("embedded catalogue JSON is valid")
}

fn parse_list(s: &str) -> Vec<Value> {
    parse(s).as_array().cloned().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_from_recordings() {
        let c = Catalogue::load();
        assert_eq!(c.packages.len(), 20);
        assert!(c.package("permalink", "rock-3").is_some());
        assert!(c
            .disk_template("permalink", "templates/ubuntu-22-04")
            .is_some());
        let lon = c.data_center("permalink", "uk-lon-01").unwrap();
        assert_eq!(lon["id"], "loc_UUhPmoCbpic6UX0Y");
        assert_eq!(
            c.default_network("loc_UUhPmoCbpic6UX0Y").unwrap()["id"],
            "netw_gVRkZdSKczfNg34P"
        );
        assert_eq!(c.parent_org["managed"], false);
    }
}
