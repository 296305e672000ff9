use katapult_sim::{BuildSpeed, SimConfig, Simulator};
use reqwest::blocking::Client;
use reqwest::header::HeaderMap;
use serde_json::Value;
use std::time::Duration;

pub const PARENT_ORG: &str = "org_eodfyqFF3YWb2OFC";
pub const PARENT_SUB_DOMAIN: &str = "terraform-acc-test";

pub struct Api {
    pub sim: Simulator,
    pub client: Client,
    pub token: Option<String>,
}

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
    pub json: Value,
}

impl Resp {
    pub fn code(&self) -> &str {
        self.json["error"]["code"].as_str().unwrap_or("")
    }
}

impl Api {
    pub fn start(speed: BuildSpeed) -> Api {
        Api::with_config(SimConfig {
            build_speed: speed,
            seed: 7,
            ..SimConfig::default()
        })
    }

    pub fn with_config(config: SimConfig) -> Api {
        let sim = Simulator::start(config).expect("simulator starts");
        let client = Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap();
        Api {
            sim,
            client,
            token: Some("sim-token".into()),
        }
    }

    /// `path` is below `/core/v1` and may carry a query string.
    pub fn call(&self, method: &str, path: &str, body: Option<Value>) -> Resp {
        let url = format!("{}{}", self.sim.base_url(), path);
        let mut req = self
            .client
            .request(method.parse().unwrap(), url)
            .header("Accept", "application/json");
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().expect("request succeeds");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().unwrap();
        let json = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{method} {path}: invalid JSON ({e}): {text}"));
        Resp {
            status,
            headers,
            json,
        }
    }

    pub fn get(&self, path: &str) -> Resp {
        self.call("GET", path, None)
    }

    pub fn post(&self, path: &str, body: Value) -> Resp {
        self.call("POST", path, Some(body))
    }

    /// Creates a managed org and returns its id and sub_domain.
    pub fn managed_org(&self, sub_domain: &str) -> (String, String) {
        let r = self.post(
            "/organizations/_/managed",
            serde_json::json!({"organization": {"id": PARENT_ORG}, "name": "Client", "sub_domain": sub_domain}),
        );
        assert_eq!(r.status, 201, "{:?}", r.json);
        (
            r.json["organization"]["id"].as_str().unwrap().to_string(),
            sub_domain.to_string(),
        )
    }

    /// Builds a VM in `org_id` and polls until it is `started`; returns the VM id.
    pub fn built_vm(&self, org_id: &str, hostname: &str) -> String {
        let r = self.post(
            "/organizations/_/virtual_machines/build",
            serde_json::json!({
                "organization": {"id": org_id},
                "data_center": {"permalink": "uk-lon-01"},
                "package": {"permalink": "rock-3"},
                "disk_template": {"permalink": "templates/ubuntu-22-04"},
                "hostname": hostname,
            }),
        );
        assert_eq!(r.status, 201, "{:?}", r.json);
        let build = r.json["virtual_machine_build"]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let vm_id = poll(|| {
            let b = self.get(&format!("/virtual_machines/builds/{build}"));
            b.json["virtual_machine_build"]["virtual_machine"]["id"]
                .as_str()
                .map(str::to_string)
        });
        poll(|| {
            let v = self.get(&format!("/virtual_machines/{vm_id}"));
            (v.json["virtual_machine"]["state"] == "started").then_some(())
        });
        vm_id
    }

    /// Polls a task until it is completed.
    pub fn wait_task(&self, task_id: &str) -> Value {
        poll(|| {
            let t = self.get(&format!("/tasks/{task_id}"));
            (t.json["task"]["status"] == "completed").then_some(t.json["task"].clone())
        })
    }
}

/// Retries `f` every 50 ms for up to 10 s.
pub fn poll<T>(mut f: impl FnMut() -> Option<T>) -> T {
    for _ in 0..200 {
        if let Some(v) = f() {
            return v;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("condition not reached in time");
}
