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
        let mut client = Client::builder().timeout(Duration::from_secs(10));
        if let Some(pem) = sim.ca_pem() {
            client =
                client.tls_certs_only([reqwest::Certificate::from_pem(pem.as_bytes()).unwrap()]);
        }
        let client = client.build().unwrap();
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

    /// Starts a rock-3 Ubuntu build in London with the `extra` arguments merged in;
    /// returns the build id and its task id.
    pub fn start_build(&self, org_id: &str, hostname: &str, extra: Value) -> (String, String) {
        let mut body = serde_json::json!({
            "organization": {"id": org_id},
            "data_center": {"permalink": "uk-lon-01"},
            "package": {"permalink": "rock-3"},
            "disk_template": {"permalink": "templates/ubuntu-22-04"},
            "hostname": hostname,
        });
        if let (Some(b), Value::Object(extra)) = (body.as_object_mut(), extra) {
            b.extend(extra);
        }
        let r = self.post("/organizations/_/virtual_machines/build", body);
        assert_eq!(r.status, 201, "{:?}", r.json);
        let id = |v: &Value| v["id"].as_str().unwrap().to_string();
        (id(&r.json["virtual_machine_build"]), id(&r.json["task"]))
    }

    /// Builds a VM in `org_id` and polls until it is `started`; returns the VM id.
    pub fn built_vm(&self, org_id: &str, hostname: &str) -> String {
        self.built_vm_with(org_id, hostname, serde_json::json!({}))
    }

    /// `built_vm` with extra build arguments (e.g. `disks`).
    pub fn built_vm_with(&self, org_id: &str, hostname: &str, extra: Value) -> String {
        let (build, _) = self.start_build(org_id, hostname, extra);
        // The VM appears while the build is still `building`: wait for `complete`.
        let vm_id = poll(|| {
            let b = self.get(&format!("/virtual_machines/builds/{build}"));
            let b = &b.json["virtual_machine_build"];
            (b["state"] == "complete")
                .then(|| b["virtual_machine"]["id"].as_str().map(str::to_string))
                .flatten()
        });
        poll(|| {
            let v = self.get(&format!("/virtual_machines/{vm_id}"));
            (v.json["virtual_machine"]["state"] == "started").then_some(())
        });
        vm_id
    }

    /// The simulator's control endpoint `path` (below the root URL), over HTTP.
    pub fn control(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = self.client.request(
            method.parse().unwrap(),
            format!("{}{}", self.sim.root_url(), path),
        );
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().expect("request succeeds");
        (resp.status().as_u16(), resp.json().unwrap())
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
