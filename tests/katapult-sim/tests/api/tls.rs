//! HTTPS with the generated CA.

use katapult_sim::{SimConfig, Simulator};
use reqwest::blocking::Client;

#[test]
fn https_trusts_only_the_generated_ca() {
    let sim = Simulator::start(SimConfig {
        tls: true,
        ..SimConfig::default()
    })
    .unwrap();
    assert!(sim.base_url().starts_with("https://127.0.0.1:"));
    let pem = sim.ca_pem().expect("CA with tls");
    let ca = reqwest::Certificate::from_pem(pem.as_bytes()).unwrap();
    let trusting = Client::builder().tls_certs_only([ca]).build().unwrap();
    let r = trusting
        .get(format!("{}/data_centers", sim.base_url()))
        .bearer_auth("sim-token")
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let localhost = sim.base_url().replace("127.0.0.1", "localhost");
    assert_eq!(
        trusting
            .get(format!("{localhost}/zones"))
            .bearer_auth("sim-token")
            .send()
            .unwrap()
            .status(),
        200
    );

    let untrusting = Client::builder().build().unwrap();
    let err = untrusting
        .get(format!("{}/data_centers", sim.base_url()))
        .send()
        .unwrap_err();
    assert!(err.is_connect() || err.is_request(), "{err:?}");
    assert!(Simulator::start(SimConfig::default())
        .unwrap()
        .ca_pem()
        .is_none());
}
