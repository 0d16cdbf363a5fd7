//! The wasm tests: one set of `tests/web/*.test.mjs` files, run against the package
//! `cargo xtask web` built, in Node (`tests/web/node.mjs`) and in headless Chromium driven by
//! chromedriver (`tests/web/chromium.mjs`, pointed at `tests/web/runner.html` on an in-process
//! `serve` server).

use std::path::{Path, PathBuf};

use crate::cmd::{Cmd, Result};
use crate::{serve, stages};

/// The oldest Node the harness runs on: it needs ES modules, top-level await and global
/// `fetch` (chromium.mjs talks to chromedriver with it).
const NODE_MIN_MAJOR: u32 = 18;

/// The browser-only test run on a page served without the isolation headers.
const ISOLATION: &str = "tests/web/isolation.browser.mjs";

/// The package the tests load, relative to the repository root (what `cargo xtask web` builds
/// for penny-examples).
const PKG: &str = "penny-examples/pkg/penny_examples.js";

/// Checks that `node` is there and new enough; returns its version.
pub fn node() -> Result<String> {
    let install = "install Node.js >= 18: `apt-get install -y nodejs` (Debian 12 ships 18), \
                   or see https://nodejs.org";
    let version = Cmd::new("node")
        .arg("--version")
        .probe()
        .ok_or_else(|| format!("`node` was not found on PATH: {install}"))?;
    let version = version.trim().to_owned();
    let major = version
        .trim_start_matches('v')
        .split('.')
        .next()
        .and_then(|m| m.parse::<u32>().ok())
        .ok_or_else(|| format!("cannot read the version `node --version` printed: {version}"))?;
    if major < NODE_MIN_MAJOR {
        return Err(format!("node {version} is too old: {install}"));
    }
    Ok(version)
}

/// Every `tests/web/*.test.mjs`, relative to the repository root, sorted.
pub fn all_test_files() -> Result<Vec<String>> {
    let dir = stages::root().join("tests").join("web");
    let entries = std::fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut files: Vec<String> = entries
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".test.mjs"))
        .map(|name| format!("tests/web/{name}"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(format!("no *.test.mjs files in {}", dir.display()));
    }
    Ok(files)
}

/// Test files named on the command line, made relative to the repository root: the browser
/// fetches them from the server, which serves only that tree.
pub fn test_files_from_args(args: &[String]) -> Result<Vec<String>> {
    let root = stages::root();
    let cwd = std::env::current_dir().map_err(|e| e.to_string())?;
    args.iter()
        .map(|arg| {
            let path = cwd.join(arg);
            let path = path
                .canonicalize()
                .map_err(|e| format!("{}: {e}", path.display()))?;
            path.strip_prefix(&root)
                .map(|rel| rel.to_string_lossy().into_owned())
                .map_err(|_| format!("{arg} is outside the repository {}", root.display()))
        })
        .collect()
}

/// Where the native reference results go (`penny-examples`' `web_expected`), relative to
/// the repository root: the tests compare every JS result with them.
const EXPECTED: &str = "target/web-expected.json";

/// Writes [`EXPECTED`]: what the plain (native) functions return for the tests' cases;
/// returns its path.
pub fn write_expected() -> Result<PathBuf> {
    let json = Cmd::cargo()
        .cwd(stages::root())
        .args([
            "run",
            "--quiet",
            "--release",
            "-p",
            "penny-examples",
            "--bin",
            "web_expected",
        ])
        .output()?;
    let path = stages::root().join(EXPECTED);
    std::fs::write(&path, json).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(path)
}

/// A harness script, as the command line shows it (the commands run from the root).
fn harness(script: &str) -> String {
    format!("tests/web/{script}")
}

/// Runs the test files in Node against the examples package.
pub fn in_node(files: &[String]) -> Result<String> {
    let version = node()?;
    write_expected()?;
    let counts = Cmd::new("node")
        .cwd(stages::root())
        .env("PENNY_EXPECTED", EXPECTED)
        // The leak test calls the GC so finalizers free dropped handles' Rust side.
        .arg("--expose-gc")
        .arg(harness("node.mjs"))
        .args(["--pkg", PKG])
        .args(files)
        .run_tests()?;
    Ok(format!("{counts} (node {version})"))
}

/// Runs the test files in headless Chromium: serves the repository on a free port from this
/// process, and has `chromium.mjs` open `runner.html` on it through chromedriver.
pub fn in_chromium(files: &[String]) -> Result<String> {
    node()?;
    for tool in ["/usr/bin/chromium", "/usr/bin/chromedriver"] {
        if !Path::new(tool).exists() {
            return Err(format!("{tool} is missing: run `cargo xtask setup`"));
        }
    }
    write_expected()?;
    let server = serve::start(&stages::root(), 0, false)
        .map_err(|e| format!("could not start the test server: {e}"))?;
    let run = |prefix: &str, files: &[String]| {
        let mut query = format!("pkg={prefix}/{}", url_encode(PKG));
        query.push_str(&format!("&expected={prefix}/{}", url_encode(EXPECTED)));
        for file in files {
            query.push_str(&format!("&file={prefix}/{}", url_encode(file)));
        }
        let url = server.url(&format!("{prefix}/tests/web/runner.html?{query}"));
        Cmd::new("node")
            .cwd(stages::root())
            .arg(harness("chromium.mjs"))
            .args(["--url", &url])
            // The leak test calls the GC so finalizers free dropped handles' Rust side.
            .args(["--flag", "--js-flags=--expose-gc"])
            .run_tests()
    };
    let mut counts = run("", files)?;
    // The same package on a page without cross-origin isolation: one clear error.
    counts.merge(run("/no-isolation", &[ISOLATION.to_owned()])?);
    drop(server);
    let chromium = Cmd::new("/usr/bin/chromium")
        .arg("--version")
        .probe()
        .unwrap_or_default();
    // "Chromium 156.0.8078.114 built on Debian ...": the first two words say enough.
    let chromium: Vec<&str> = chromium.split_whitespace().take(2).collect();
    Ok(format!("{counts} ({})", chromium.join(" ")))
}

/// Percent-encodes what a path may hold beyond URL-safe characters (a space, a `&`).
fn url_encode(path: &str) -> String {
    path.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'/' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
