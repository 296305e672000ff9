//! The repository stands alone: no tracked file reads, cites or names a folder beside the checkout
//! (the shared folder of the development machines) or an absolute path of a development machine,
//! since a user's clone has neither.

use std::path::{Path, PathBuf};
use std::process::Command;

/// What a file must not contain: the folder beside the checkout, the usual roots of development
/// machines' trees (this project's among them), and the folder that holds this checkout.
fn forbidden() -> Vec<String> {
    let mut needles = vec![["..", "/shared"].concat()];
    for root in ["work", "home", "Users", "root"] {
        needles.push(format!("/{root}/"));
    }
    // The folder that holds this checkout, whatever it is called on this machine.
    if let Some(parent) = root().parent().filter(|p| p.parent().is_some()) {
        needles.push(format!("{}/", parent.display()));
    }
    needles
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The tracked files (`git ls-files`), or every file under the root outside build output when the
/// tree is not a git checkout (an unpacked release).
fn files() -> Vec<PathBuf> {
    let listed = Command::new("git")
        .args(["ls-files", "-z"])
        .current_dir(root())
        .output()
        .ok()
        .filter(|out| out.status.success());
    match listed {
        Some(out) => String::from_utf8_lossy(&out.stdout)
            .split('\0')
            .filter(|name| !name.is_empty())
            .map(|name| root().join(name))
            .collect(),
        None => walk(&root()),
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if ["target", ".git", "node_modules"].contains(&name.to_string_lossy().as_ref()) {
            continue;
        }
        match entry.file_type() {
            Ok(kind) if kind.is_dir() => found.extend(walk(&path)),
            Ok(kind) if kind.is_file() => found.push(path),
            _ => {}
        }
    }
    found
}

#[test]
fn no_file_names_a_folder_beside_the_checkout_or_a_machine_path() {
    let needles = forbidden();
    let this_file = root().join(file!());
    let mut checked = 0;
    let mut hits = Vec::new();
    for path in files() {
        // Cargo.lock is generated; binary files (fuzz corpus, images) hold no paths a reader follows.
        if path == this_file || path.ends_with("Cargo.lock") {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        checked += 1;
        for (number, line) in text.lines().enumerate() {
            if let Some(needle) = needles.iter().find(|n| line.contains(n.as_str())) {
                hits.push(format!(
                    "{}:{}: {needle}",
                    path.strip_prefix(root()).unwrap_or(&path).display(),
                    number + 1
                ));
            }
        }
    }
    assert!(
        checked > 100,
        "only {checked} text files found under {}",
        root().display()
    );
    assert!(
        hits.is_empty(),
        "files naming a folder a clone does not have:\n{}",
        hits.join("\n")
    );
}

/// The module files say their version (the admin tab compares it with the extension's): a release
/// bumps both, so `make dist` never packs module files that warn about their own extension.
#[test]
fn the_module_files_say_the_crate_version() {
    let katapult_php = std::fs::read_to_string(root().join("module/katapult.php")).unwrap();
    let declared = katapult_php
        .lines()
        .find_map(|line| line.strip_prefix("const KATAPULT_MODULE_VERSION = '"))
        .and_then(|rest| rest.strip_suffix("';"))
        .expect("module/katapult.php declares const KATAPULT_MODULE_VERSION = '…';");
    assert_eq!(declared, env!("CARGO_PKG_VERSION"));
}
