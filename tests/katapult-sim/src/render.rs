//! JSON shapes of the simulator's objects, as LIVE returns them (the recorded shapes, where they differ from the spec).

use crate::state::{Annotations, Build, Disk, Ip, Org, State, Task, TrashObject, Vm};
use serde_json::{json, Value};

pub fn annotations(a: &Annotations) -> Value {
    Value::Array(
        a.iter()
            .map(|(k, v)| json!({"key": k, "value": v}))
            .collect(),
    )
}

impl State {
    pub fn org_json(&self, org: &Org) -> Value {
        let mut o = self.cat.parent_org.clone();
        o["id"] = json!(org.id);
        o["uuid"] = json!(org.uuid);
        o["name"] = json!(org.name);
        o["sub_domain"] = json!(org.sub_domain);
        o["infrastructure_domain"] = json!(format!("{}.katapult.cloud", org.sub_domain));
        o["created_at"] = json!(org.created_at);
        o["managed"] = json!(org.managed);
        if org.managed {
            // Managed orgs start with no billing details of their own.
            o["activated_at"] = json!(org.created_at);
            o["billing_name"] = json!(org.name);
            for k in ["address1", "address2", "address3", "address4", "postcode"] {
                o[k] = Value::Null;
            }
        }
        o
    }

    pub fn package_json(&self, id: &str) -> Value {
        self.cat.package("id", id).cloned().unwrap_or(Value::Null)
    }

    pub fn zone_json_by_id(&self, id: &str) -> Value {
        self.cat
            .zone("id", id)
            .map(|z| self.cat.zone_json(z))
            .unwrap_or(Value::Null)
    }

    pub fn ip_json(&self, ip: &Ip) -> Value {
        let net = self.cat.network("id", &ip.network_id);
        let subnet = net.and_then(|n| self.cat.subnet(n, ip.version));
        let mask = subnet
            .as_ref()
            .and_then(|s| s["mask"].as_u64())
            .unwrap_or(32);
        let subnet = subnet.unwrap_or(Value::Null);
        json!({
            "id": ip.id,
            "address": ip.address,
            "reverse_dns": ip.reverse_dns,
            "vip": ip.vip,
            "label": ip.label,
            "address_with_mask": format!("{}/{}", ip.address, mask),
            "network": net.map(|n| self.cat.network_json(n, true)).unwrap_or(Value::Null),
            "subnet": subnet,
            "allocation_id": ip.vm_id,
            "allocation_type": ip.vm_id.as_ref().map(|_| "VirtualMachine"),
        })
    }

    pub fn vm_ips(&self, vm_id: &str) -> impl Iterator<Item = &Ip> {
        let vm_id = vm_id.to_string();
        self.ips
            .iter()
            .filter(move |ip| ip.vm_id.as_deref() == Some(vm_id.as_str()))
    }

    pub fn vm_json(&self, vm: &Vm) -> Value {
        let org = self
            .org_by_id(&vm.org_id)
            .map(|o| self.org_json(o))
            .unwrap_or(Value::Null);
        json!({
            "id": vm.id,
            "name": vm.name,
            "hostname": vm.hostname,
            "fqdn": self.fqdn(vm),
            "description": null,
            "created_at": vm.created_at,
            "initial_root_password": vm.root_password,
            "state": vm.state,
            "suspended": false,
            "suspended_at": null,
            "zone": self.zone_json_by_id(&vm.zone_id),
            "organization": org,
            "group": null,
            "package": self.package_json(&vm.package_id),
            "attached_iso": null,
            "memory_in_gb": vm.memory_in_gb,
            "cpu_cores": vm.cpu_cores,
            "use_dedicated_cpus": false,
            "gpu_type": null,
            "gpus": [],
            "tags": [],
            "tag_names": [],
            "ip_addresses": self.vm_ips(&vm.id).map(|ip| self.ip_json(ip)).collect::<Vec<_>>(),
        })
    }

    /// The org VM list item, slimmer than a VM as LIVE's (`GetOrganizationVirtualMachines`):
    /// no state, a zone without its country, `package: {name}`, `ip_addresses: [{address}]`.
    pub fn vm_summary_json(&self, vm: &Vm) -> Value {
        let zone = self.cat.zone("id", &vm.zone_id);
        let pkg = self.cat.package("id", &vm.package_id);
        json!({
            "id": vm.id,
            "name": vm.name,
            "hostname": vm.hostname,
            "fqdn": self.fqdn(vm),
            "created_at": vm.created_at,
            "zone": zone.map(|z| json!({
                "id": z["id"], "name": z["name"], "permalink": z["permalink"],
                "data_center": self.cat.data_center_json(z["data_center"].as_str().unwrap_or_default(), false),
            })),
            "package": pkg.map(|p| json!({"name": p["name"]})),
            "gpu_type": null,
            "ip_addresses": self.vm_ips(&vm.id).map(|ip| json!({"address": ip.address})).collect::<Vec<_>>(),
        })
    }

    pub fn vm_ref_json(&self, vm: &Vm) -> Value {
        json!({"id": vm.id, "name": vm.name, "hostname": vm.hostname, "fqdn": self.fqdn(vm), "state": vm.state})
    }

    pub fn build_json(&self, b: &Build) -> Value {
        let vm = b
            .vm_id
            .as_deref()
            .and_then(|id| self.vms.iter().find(|v| v.id == id))
            .map(|vm| self.vm_ref_json(vm));
        json!({
            "id": b.id,
            "spec_xml": self.spec_xml(b),
            "state": b.state,
            "virtual_machine": vm,
            "created_at": b.created_at,
        })
    }

    /// The normalised spec the API echoes for a simple build.
    fn spec_xml(&self, b: &Build) -> String {
        let tpl = b
            .template_id
            .as_deref()
            .and_then(|id| self.cat.disk_template("id", id))
            .map(|t| {
                format!(
                    "  <DiskTemplate>\n    <DiskTemplate by=\"permalink\">{}</DiskTemplate>\n    <Version by=\"number\">{}</Version>\n  </DiskTemplate>\n",
                    t["permalink"].as_str().unwrap_or_default(),
                    t["latest_version"]["number"].as_u64().unwrap_or(1)
                )
            })
            .unwrap_or_default();
        format!(
            "<?xml version=\"1.0\"?>\n<VirtualMachineSpec>\n  <Zone>{}</Zone>\n  <Resources>\n    <Package>{}</Package>\n  </Resources>\n{}  <NetworkInterfaces>\n    <NetworkInterface>\n      <Network>{}</Network>\n    </NetworkInterface>\n  </NetworkInterfaces>\n  <Hostname>\n    <Hostname>{}</Hostname>\n  </Hostname>\n</VirtualMachineSpec>\n",
            b.zone_id, b.package_id, tpl, b.network_id, b.hostname
        )
    }

    /// A VM's disk list item: the disk summary and its attachment.
    pub fn vm_disk_json(&self, d: &Disk) -> Value {
        json!({
            "disk": {
                "id": d.id, "name": d.name, "size_in_gb": d.size_in_gb, "wwn": d.wwn,
                "state": d.state, "created_at": d.created_at,
            },
            "attach_on_boot": true,
            "boot": d.boot,
            "state": "attached",
        })
    }

    /// The full disk (`GET /disks/_`, and the resize response).
    pub fn disk_json(&self, d: &Disk) -> Value {
        let vm = self.vms.iter().find(|v| v.id == d.vm_id);
        let data_center = vm
            .and_then(|vm| self.cat.zone("id", &vm.zone_id))
            .map(|z| {
                self.cat
                    .data_center_json(z["data_center"].as_str().unwrap_or_default(), false)
            })
            .unwrap_or(Value::Null);
        let installation = d.installation.as_ref().and_then(|inst| {
            let t = self.cat.disk_template("id", &inst.template_id)?;
            Some(json!({
                "id": inst.id,
                "disk_template_version": {
                    "id": t["latest_version"]["id"],
                    "number": t["latest_version"]["number"],
                    "stable": true,
                    "disk_template": self.cat.disk_template_json(t, true),
                },
                "attributes": [{
                    "key": "root_password", "label": "Root password",
                    "value": vm.map(|vm| vm.root_password.as_str()),
                    "description": null, "protect": true,
                }],
            }))
        });
        json!({
            "id": d.id,
            "name": d.name,
            "size_in_gb": d.size_in_gb,
            "wwn": d.wwn,
            "state": d.state,
            "created_at": d.created_at,
            "storage_speed": d.storage_speed,
            "io_profile": null,
            "bus_type": "virtio",
            "data_center": data_center,
            "virtual_machine_disk": vm.map(|vm| json!({
                "virtual_machine": {"id": vm.id, "fqdn": self.fqdn(vm)},
                "attach_on_boot": true,
                "boot": d.boot,
                "state": "attached",
            })),
            "installation": installation,
        })
    }

    pub fn task_json(&self, t: &Task) -> Value {
        json!({
            "id": t.id,
            "name": t.name,
            "status": t.status,
            "created_at": t.created_at,
            "started_at": t.started_at,
            "finished_at": t.finished_at,
            "progress": t.progress,
        })
    }

    pub fn trash_json(&self, t: &TrashObject) -> Value {
        json!({"id": t.id, "keep_until": t.keep_until, "object_id": t.object_id, "object_type": "VirtualMachine"})
    }
}
