//! Build information for `php --ri katapult`, and a clear message when the PHP build tools are
//! missing (instead of a bindgen backtrace from ext-php-rs's own build script).

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=.git/HEAD");
    println!("cargo:rerun-if-changed=.git/refs");
    println!("cargo:rerun-if-env-changed=PHP_CONFIG");

    let git_revision = git_revision().unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=KATAPULT_GIT_REVISION={git_revision}");
    println!("cargo:rustc-env=KATAPULT_RUSTC_VERSION={}", rustc_version());

    let building_extension = std::env::var_os("CARGO_FEATURE_PHP").is_some();
    let (php_api, php_version, php_build) = if building_extension {
        check_php_build_tools();
        (
            php_config("--phpapi"),
            php_config("--version"),
            php_build_flavour(),
        )
    } else {
        ("none".to_string(), "none".to_string(), PhpBuild::none())
    };
    println!("cargo:rustc-env=KATAPULT_PHP_API={php_api}");
    println!("cargo:rustc-env=KATAPULT_PHP_VERSION={php_version}");
    println!(
        "cargo:rustc-env=KATAPULT_PHP_THREAD_SAFETY={}",
        php_build.thread_safety
    );
    println!("cargo:rustc-env=KATAPULT_PHP_DEBUG={}", php_build.debug);
    // The Rust target triple (architecture and libc) the extension is compiled for.
    println!(
        "cargo:rustc-env=KATAPULT_BUILD_TARGET={}",
        std::env::var("TARGET").unwrap_or_else(|_| "unknown".into())
    );
}

/// How the PHP the extension compiles against was itself built: thread safety (ZTS or NTS) and
/// debug, the two build modes an extension must match besides the PHP API.
struct PhpBuild {
    thread_safety: &'static str,
    debug: &'static str,
}

impl PhpBuild {
    fn none() -> Self {
        PhpBuild {
            thread_safety: "none",
            debug: "none",
        }
    }
}

/// Read from the `php_config.h` of php-config's headers: the very header the extension compiles
/// against, so it holds for another PHP (`PHP_CONFIG=`) without running that PHP.
fn php_build_flavour() -> PhpBuild {
    let header = std::path::Path::new(&php_config("--include-dir")).join("main/php_config.h");
    println!("cargo:rerun-if-changed={}", header.display());
    let text = std::fs::read_to_string(&header).unwrap_or_default();
    let defined = |name: &str| {
        text.lines()
            .any(|line| line.split_whitespace().eq(["#define", name, "1"]))
    };
    PhpBuild {
        thread_safety: if defined("ZTS") { "ZTS" } else { "NTS" },
        debug: if defined("ZEND_DEBUG") { "yes" } else { "no" },
    }
}

fn php_config_binary() -> String {
    std::env::var("PHP_CONFIG").unwrap_or_else(|_| "php-config".into())
}

fn php_config(flag: &str) -> String {
    run(&php_config_binary(), &[flag]).unwrap_or_else(|| "unknown".into())
}

/// The extension needs php-config (from php-dev) and libclang (for ext-php-rs's bindgen).
/// Say so in one message naming the Debian packages.
fn check_php_build_tools() {
    let mut missing = Vec::new();
    if run(&php_config_binary(), &["--version"]).is_none() {
        missing.push("php-config (Debian package: php-dev)");
    }
    if !libclang_present() {
        missing.push("libclang (Debian packages: clang libclang-dev)");
    }
    if !missing.is_empty() {
        panic!(
            "\n\nkatapult: cannot build the PHP extension, missing: {}.\n\
             On Debian 12: apt-get install -y php-cli php-dev clang libclang-dev\n\
             (or run `make deps`). Set PHP_CONFIG to use another PHP's php-config.\n",
            missing.join(", ")
        );
    }
}

fn libclang_present() -> bool {
    if let Ok(path) = std::env::var("LIBCLANG_PATH") {
        return std::path::Path::new(&path).exists();
    }
    let lib_dirs = [
        "/usr/lib",
        "/usr/lib64",
        "/usr/local/lib",
        "/usr/lib/x86_64-linux-gnu",
        "/usr/lib/aarch64-linux-gnu",
    ];
    let mut candidates: Vec<std::path::PathBuf> =
        lib_dirs.iter().map(std::path::PathBuf::from).collect();
    if let Ok(entries) = std::fs::read_dir("/usr/lib") {
        candidates.extend(
            entries
                .flatten()
                .map(|e| e.path().join("lib"))
                .filter(|p| p.starts_with("/usr/lib/llvm-")),
        );
    }
    candidates.iter().any(|dir| {
        std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .flatten()
                    .any(|e| e.file_name().to_string_lossy().starts_with("libclang"))
            })
            .unwrap_or(false)
    })
}

fn git_revision() -> Option<String> {
    let revision = run("git", &["rev-parse", "--short=12", "HEAD"])?;
    let dirty = run("git", &["status", "--porcelain", "--untracked-files=no"])
        .is_some_and(|s| !s.is_empty());
    Some(if dirty {
        format!("{revision}-dirty")
    } else {
        revision
    })
}

fn rustc_version() -> String {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    run(&rustc, &["--version"]).unwrap_or_else(|| "unknown".into())
}

fn run(program: &str, args: &[&str]) -> Option<String> {
    let output = Command::new(program).args(args).output().ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_string())
}
