//! `cargo xtask bundler-test`: Penny's package through a real bundler. `tests/bundler/` is a
//! tiny npm project (exact versions in its package-lock.json) that `vite build`s two pages
//! into `tests/bundler/dist/`: its own (Checksum tasks) and the demo page. Both are opened in
//! headless Chromium from an in-process server with the isolation headers: the results must
//! equal the native ones, which proves the workers Vite bundled started and ran tasks on the
//! shared memory. First `tsc --noEmit` checks `check.ts` against the package's `.d.ts`.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::cmd::{Cmd, Result};
use crate::democheck::DEMO_DONE;
use crate::page::{self, field, no_error};
use crate::{serve, stages};

const BUNDLE_DONE: &str =
    "window.__pennyBundle && window.__pennyBundle.done && JSON.stringify(window.__pennyBundle)";

fn project() -> PathBuf {
    stages::root().join("tests").join("bundler")
}

/// The stage: returns a note for the summary table.
pub fn stage() -> Result<String> {
    page::tools()?;
    node_for_vite()?;
    let dir = project();
    install(&dir)?;
    let bin = |name: &str| dir.join("node_modules").join(".bin").join(name);
    let version = |name: &str| {
        let out = Cmd::new(&bin(name).to_string_lossy())
            .arg("--version")
            .probe()
            .unwrap_or_default();
        // "vite/8.4.0 linux-x64 node-v20.20.2", "Version 7.0.2"
        let first = out.split_whitespace().find(|w| w.contains('.'));
        first.unwrap_or("?").trim_start_matches("vite/").to_owned()
    };
    let (vite, tsc) = (version("vite"), version("tsc"));

    Cmd::new(&bin("tsc").to_string_lossy())
        .cwd(&dir)
        .args(["-p", "tsconfig.json"])
        .run()?;
    println!("tsc {tsc}: check.ts type-checks against the package's .d.ts");

    Cmd::new(&bin("vite").to_string_lossy())
        .cwd(&dir)
        .arg("build")
        .run()?;
    let dist = dir.join("dist");
    let worker = bundled_worker(&dist.join("assets"))?;
    println!(
        "vite {vite}: the bundled worker is {}",
        page::describe(&worker)
    );

    let cases = page::expected()?;
    let server = serve::start(&dist, 0, false)
        .map_err(|e| format!("could not serve {}: {e}", dist.display()))?;

    // The smoke page: Checksum tasks on a pool of two bundled workers.
    let smoke = page::open(&server.url("/tests/bundler/index.html"), BUNDLE_DONE, None)?;
    no_error(&smoke, "the bundled smoke page")?;
    if field(&smoke, "workers") != "2" {
        return Err(format!(
            "the bundled pool has {} workers, not 2",
            field(&smoke, "workers")
        ));
    }
    let results = smoke.get("results").map(|r| r.items()).unwrap_or_default();
    if results.is_empty() {
        return Err("the bundled smoke page reported no results".to_owned());
    }
    for result in results {
        let args = page::arg_texts(result);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let native = page::expected_result(&cases, "checksum", &args)?;
        let got = field(result, "result");
        if got.trim_end_matches('n') != native {
            return Err(format!("bundled Checksum{args:?} = {got}, native {native}"));
        }
    }
    println!(
        "bundled smoke page: {} Checksum results = native, on 2 workers",
        results.len()
    );

    // The demo page, bundled: the reference image's hash.
    let shot = stages::root()
        .join(page::ARTIFACTS)
        .join("demo-bundled.png");
    let demo = page::open(
        &server.url("/penny-examples/web/index.html?check=1"),
        DEMO_DONE,
        Some(&shot),
    )?;
    no_error(&demo, "the bundled demo page")?;
    let native = page::expected_result(&cases, "mandelbrot_image", &[])?;
    let hash = field(&demo, "hash");
    if hash != native {
        return Err(format!(
            "the bundled demo's image hash {hash} differs from the native {native}"
        ));
    }
    println!("bundled demo (?check=1): hash {hash} = native");
    println!("screenshot: {}", page::describe(&shot));
    drop(server);

    Ok(format!(
        "vite {vite}: {} checksums and the demo's hash = native; tsc {tsc} ok",
        results.len()
    ))
}

/// Vite 8 needs Node ^20.19 or >= 22.12 (its `engines`); say so before npm does less clearly.
fn node_for_vite() -> Result<()> {
    let version = crate::webtest::node()?;
    let parts: Vec<u32> = version
        .trim_start_matches('v')
        .split('.')
        .filter_map(|p| p.parse().ok())
        .collect();
    let (major, minor) = (
        parts.first().copied().unwrap_or(0),
        parts.get(1).copied().unwrap_or(0),
    );
    if (major == 20 && minor >= 19) || (major == 22 && minor >= 12) || major > 22 {
        Ok(())
    } else {
        Err(format!(
            "node {version} is too old for Vite 8 (it needs ^20.19 or >= 22.12): install a newer Node.js"
        ))
    }
}

/// `npm ci` when `node_modules` is missing or older than `package-lock.json` (npm writes
/// `node_modules/.package-lock.json` on every install).
fn install(dir: &Path) -> Result<()> {
    let modified = |path: &Path| std::fs::metadata(path).and_then(|m| m.modified()).ok();
    let lock = modified(&dir.join("package-lock.json")).unwrap_or(SystemTime::now());
    let installed = modified(&dir.join("node_modules").join(".package-lock.json"));
    if installed.is_some_and(|installed| installed >= lock) {
        println!("tests/bundler/node_modules is up to date with package-lock.json");
        return Ok(());
    }
    Cmd::new("npm")
        .cwd(dir)
        .args(["ci", "--no-audit", "--no-fund"])
        .run()
        .map_err(|e| format!("{e} (npm comes with Node.js; the registry must be reachable)"))
}

/// The worker chunk Vite bundled (`assets/penny-worker-*.js` that holds the package, not
/// the two-line entry it also copies for Node's branch of the glue).
fn bundled_worker(assets: &Path) -> Result<PathBuf> {
    let entries = std::fs::read_dir(assets).map_err(|e| format!("{}: {e}", assets.display()))?;
    entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| {
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            name.starts_with("penny-worker") && name.ends_with(".js")
        })
        .max_by_key(|path| std::fs::metadata(path).map(|m| m.len()).unwrap_or(0))
        .filter(|path| std::fs::metadata(path).map(|m| m.len()).unwrap_or(0) > 4096)
        .ok_or_else(|| {
            format!(
                "vite emitted no bundled penny-worker chunk in {}: it did not see the glue's \
                 `new Worker(new URL(..., import.meta.url))`",
                assets.display()
            )
        })
}
