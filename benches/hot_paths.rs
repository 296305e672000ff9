//! What runs on every client-area page, timed alone: decoding Katapult's VM response, building
//! and rendering the overview, and signing and checking an action token. `cargo bench` (or
//! `make bench`, which runs these after the end-to-end benchmarks).

use std::path::Path;

use chrono::Utc;
use criterion::{criterion_group, criterion_main, Criterion};
use katapult::api::virtual_machines::VirtualMachineResponse;
use katapult::module::client_area::{overview_model, OVERVIEW_TEMPLATE};
use katapult::service::action_tokens::{ActionTokens, Binding};
use katapult::service::client_request::{ClientRequest, Lang};
use katapult::service::params::ServiceParams;
use katapult::views::Views;

const VM_RESPONSE: &str = include_str!("data/virtual_machine.json");

fn request() -> ClientRequest {
    let lang = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("module/lang/english.php"),
    )
    .unwrap()
    .lines()
    .filter_map(|line| {
        let rest = line.strip_prefix("$_LANG['")?;
        let (key, value) = rest.split_once("'] = ")?;
        Some((
            key.to_string(),
            serde_json::Value::String(
                value
                    .trim_end_matches(';')
                    .trim_matches(['\'', '"'])
                    .to_string(),
            ),
        ))
    })
    .collect();
    ClientRequest {
        viewer_client_id: 7,
        action_token: String::new(),
        csrf_token: "0123456789abcdef".into(),
        lang: Lang::new(lang),
        module_dir: Path::new(env!("CARGO_MANIFEST_DIR")).join("module"),
    }
}

fn hot_paths(c: &mut Criterion) {
    c.bench_function("decode a VM response", |b| {
        b.iter(|| {
            serde_json::from_str::<VirtualMachineResponse>(std::hint::black_box(VM_RESPONSE))
                .unwrap()
        })
    });

    let vm = serde_json::from_str::<VirtualMachineResponse>(VM_RESPONSE)
        .unwrap()
        .virtual_machine;
    let request = request();
    let params = ServiceParams {
        service_id: 42,
        client_id: 7,
        username: "root".into(),
        password: "s3cret-Passw0rd".into(),
        ..Default::default()
    };
    let tokens = ActionTokens::with_key([7; 32]);
    let views = Views::new(&request.module_dir);
    c.bench_function("build and render the overview", |b| {
        b.iter(|| {
            let data = overview_model(&params, &request, &vm, &tokens, Utc::now());
            views.render(OVERVIEW_TEMPLATE, &data).unwrap()
        })
    });

    let binding = Binding {
        service_id: 42,
        client_id: 7,
        action: "StopVm".into(),
    };
    c.bench_function("sign an action token", |b| {
        b.iter(|| tokens.issue(&binding, Utc::now()))
    });
    let token = tokens.issue(&binding, Utc::now());
    c.bench_function("check an action token", |b| {
        b.iter(|| tokens.check(&token, &binding, Utc::now()).unwrap())
    });
}

criterion_group!(benches, hot_paths);
criterion_main!(benches);
