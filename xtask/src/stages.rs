//! The stages `cargo xtask` runs. Each returns a short note for the summary table.

use std::path::{Path, PathBuf};

use crate::cmd::{Cmd, Result, TestCounts};
use crate::setup;

/// The workspace root (xtask lives one level below it).
pub fn root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().unwrap_or(manifest_dir).to_owned()
}

/// `cargo` for the workspace, run from its root.
fn cargo() -> Cmd {
    Cmd::cargo().cwd(root())
}

/// Formatting and lints: `cargo fmt --check` (default rustfmt settings) and clippy with
/// warnings as errors, over every target of the workspace.
pub fn lints() -> Result<String> {
    Cmd::new("rustup")
        .args(["component", "add", "rustfmt", "clippy"])
        .run()?;
    cargo().args(["fmt", "--all", "--check"]).run()?;
    cargo()
        .args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ])
        .run()?;
    Ok("rustfmt clean, clippy clean (-D warnings)".to_owned())
}

/// The test suite as on a native target: unit, integration, trybuild UI and insta snapshot
/// tests, proptest equivalence, doctests. Snapshots and UI expectations must match: nothing is
/// written back.
pub fn native_tests() -> Result<String> {
    let counts = cargo()
        .env("CI", "true")
        .env("INSTA_UPDATE", "no")
        .env_remove("INSTA_FORCE_PASS")
        .env_remove("TRYBUILD")
        .args(["test", "--workspace", "--no-fail-fast"])
        .run_tests()?;
    Ok(counts.to_string())
}

/// Where the loom tests live, by convention (as in tokio): any penny-runtime test whose name
/// contains `loom` (e.g. a `#[cfg(loom)] mod loom_deque`), and every test in
/// `penny-runtime/tests/loom_*.rs`.
pub fn loom() -> Result<String> {
    let rustflags = match std::env::var("RUSTFLAGS") {
        Ok(flags) if !flags.trim().is_empty() => format!("{flags} --cfg loom"),
        _ => "--cfg loom".to_owned(),
    };
    let loom_cargo = || {
        cargo()
            .env("RUSTFLAGS", &rustflags)
            .env("LOOM_MAX_PREEMPTIONS", "3")
            .env("CARGO_TARGET_DIR", root().join("target").join("loom"))
            .args(["test", "-p", "penny-runtime", "--release"])
    };
    // 1. Every unit and integration test whose name contains `loom`.
    let mut counts = loom_cargo()
        .args(["--lib", "--tests", "--", "loom"])
        .run_tests()?;
    // 2. The rest of the tests in `tests/loom_*.rs` (those 1. did not already run).
    let files = loom_test_files()?;
    if !files.is_empty() {
        let mut cmd = loom_cargo();
        for file in &files {
            cmd = cmd.args(["--test", file]);
        }
        counts.merge(cmd.args(["--", "--skip", "loom"]).run_tests()?);
    }
    if counts.ran() == 0 {
        println!(
            "warning: no loom tests found (tests named *loom* or in penny-runtime/tests/loom_*.rs)"
        );
        return Ok("no loom tests yet".to_owned());
    }
    Ok(counts.to_string())
}

fn loom_test_files() -> Result<Vec<String>> {
    let dir = root().join("penny-runtime").join("tests");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Ok(Vec::new());
    };
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| format!("reading {}: {e}", dir.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(stem) = name.strip_suffix(".rs") {
            if stem.starts_with("loom_") {
                files.push(stem.to_owned());
            }
        }
    }
    files.sort();
    Ok(files)
}

/// The seeds the `simulation` stage of `cargo xtask test` runs.
pub const SIM_SEEDS: &str = "0..3000";

/// The audit findings the simulation must find when put back (`--cfg penny_regress=..`).
const REGRESSIONS: [&str; 3] = ["finding4", "finding5", "finding8"];

/// The deterministic simulation of the pool (`penny-runtime/src/sim`) over `seeds`
/// (`a..b`): every seed must run with every invariant held; a failing seed is printed with
/// the command that replays it.
pub fn simulation(seeds: &str) -> Result<String> {
    let counts = cargo()
        .env("PENNY_SIM_SEEDS", seeds)
        .args([
            "test",
            "-p",
            "penny-runtime",
            "--lib",
            "--",
            "sim::tests::seeds",
        ])
        .run_tests()?;
    Ok(format!("seeds {seeds}: {counts}"))
}

/// Puts each of findings 4, 5 and 8 back in turn and checks the simulation finds it: builds
/// penny-runtime's unit tests with `--cfg penny_regress="findingN"` (`cargo rustc --profile
/// test`, so only the runtime is rebuilt, not its dependencies) and runs
/// `sim::tests::finds_the_regression`, which fails unless some seed reports the finding.
pub fn sim_regressions() -> Result<String> {
    let mut found = Vec::new();
    for finding in REGRESSIONS {
        let cfg = format!("penny_regress=\"{finding}\"");
        let build = cargo()
            .args([
                "rustc",
                "-p",
                "penny-runtime",
                "--lib",
                "--profile",
                "test",
                "--message-format=json-render-diagnostics",
                "--",
                "--cfg",
            ])
            .arg(&cfg);
        println!("$ {build}");
        let json = build
            .output()
            .map_err(|out| format!("building with --cfg {cfg} failed:\n{out}"))?;
        let exe = test_executable(&json, "penny_runtime")
            .ok_or_else(|| format!("no test executable in the output of `{build}`"))?;
        Cmd::new(&exe)
            .args(["sim::tests::finds_the_regression", "--nocapture"])
            .run_tests()?;
        found.push(finding);
    }
    Ok(format!("found when put back: {}", found.join(", ")))
}

/// The `executable` of the test artifact of crate `name` in cargo's JSON messages.
fn test_executable(json: &str, name: &str) -> Option<String> {
    json.lines()
        .filter(|l| l.contains("\"reason\":\"compiler-artifact\""))
        .filter(|l| l.contains(&format!("\"name\":\"{name}\"")))
        .find_map(|l| {
            let (_, rest) = l.split_once("\"executable\":\"")?;
            let (path, _) = rest.split_once('"')?;
            Some(path.to_owned())
        })
}

/// Builds penny-runtime for `wasm32-unknown-unknown` with atomics and shared memory
/// (`xtask/wasm-threads.toml`) on the pinned nightly, in `target/wasm`.
pub fn wasm() -> Result<String> {
    setup::toolchain(setup::NIGHTLY)?;
    setup::component(setup::NIGHTLY, "rust-src")?;
    setup::target(setup::NIGHTLY, "wasm32-unknown-unknown")?;

    let target_dir = root().join("target").join("wasm");
    let config = root().join("xtask").join("wasm-threads.toml");
    // `cargo +nightly <subcommand>` for the threaded wasm target, in `target/wasm`.
    let wasm_cargo = |subcommand: &str| {
        Cmd::cargo()
            .cwd(root())
            .arg(format!("+{}", setup::NIGHTLY))
            // RUSTFLAGS would replace the config's target rustflags (atomics, shared memory).
            .env_remove("RUSTFLAGS")
            .env_remove("CARGO_ENCODED_RUSTFLAGS")
            .env("CARGO_TARGET_DIR", &target_dir)
            .arg(subcommand)
            .args([
                "--target",
                "wasm32-unknown-unknown",
                "--release",
                "--config",
            ])
            .arg(&config)
    };
    wasm_cargo("build").args(["-p", "penny-runtime"]).run()?;
    // The wasm-only code (the Web Worker backend, the JS API) under clippy, as natively.
    setup::component(setup::NIGHTLY, "clippy")?;
    wasm_cargo("clippy")
        .args([
            "-p",
            "penny-runtime",
            "-p",
            "penny-examples",
            "--",
            "-D",
            "warnings",
        ])
        .run()?;

    let out = target_dir.join("wasm32-unknown-unknown").join("release");
    let rlib = out.join("libpenny_runtime.rlib");
    let size = std::fs::metadata(&rlib)
        .map_err(|e| format!("the build succeeded but {} is missing: {e}", rlib.display()))?
        .len();
    // std must have been rebuilt (build-std), or the wasm config was not applied.
    let deps = out.join("deps");
    let rebuilt_std = std::fs::read_dir(&deps)
        .map_err(|e| format!("reading {}: {e}", deps.display()))?
        .filter_map(|entry| entry.ok())
        .any(|entry| {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            name.starts_with("libstd-") && name.ends_with(".rlib")
        });
    if !rebuilt_std {
        return Err(format!(
            "no rebuilt std in {}: the threaded config ({}) was not applied",
            deps.display(),
            config.display()
        ));
    }
    println!(
        "artifact: {} ({} KiB), std rebuilt with atomics",
        rlib.display(),
        size / 1024
    );
    Ok(format!("{} ({} KiB)", relative(&rlib), size / 1024))
}

/// Runs penny-runtime's unit tests under Miri, on [`setup::MIRI_NIGHTLY`], in `target/miri`.
pub fn miri() -> Result<String> {
    let toolchain = setup::MIRI_NIGHTLY;
    setup::toolchain(toolchain)?;
    setup::component(toolchain, "rust-src")?;
    setup::component(toolchain, "miri")?;
    let counts: TestCounts = Cmd::cargo()
        .cwd(root())
        .arg(format!("+{toolchain}"))
        .env("CARGO_TARGET_DIR", root().join("target").join("miri"))
        .args(["miri", "test", "-p", "penny-runtime", "--lib"])
        .run_tests()?;
    Ok(counts.to_string())
}

/// The native demo.
pub fn demo(args: &[String]) -> Result<String> {
    cargo()
        .args([
            "run",
            "--release",
            "-p",
            "penny-examples",
            "--bin",
            "demo",
            "--",
        ])
        .args(args)
        .run()
        .map_err(|e| {
            let bin = root().join("penny-examples/src/bin/demo.rs");
            if bin.exists() {
                e
            } else {
                format!(
                    "{e}\n(there is no demo yet: {} does not exist)",
                    relative(&bin)
                )
            }
        })?;
    Ok(String::new())
}

/// One benchmark target of one package.
pub fn bench(package: &str, target: &str, args: &[String]) -> Result<String> {
    cargo()
        .args(["bench", "-p", package, "--bench", target])
        .args(dash_dash(args))
        .run()?;
    Ok(String::new())
}

fn dash_dash(args: &[String]) -> Vec<String> {
    if args.is_empty() {
        Vec::new()
    } else {
        std::iter::once("--".to_owned())
            .chain(args.iter().cloned())
            .collect()
    }
}

pub fn relative(path: &Path) -> String {
    path.strip_prefix(root())
        .unwrap_or(path)
        .display()
        .to_string()
}
