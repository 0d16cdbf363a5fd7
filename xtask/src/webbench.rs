//! `cargo xtask bench web`: the JS benchmark (`penny-examples/bench-web/`). Builds the
//! examples package and the wasm-bindgen-rayon comparison (`comparisons/rayon-web`), runs the
//! native column (`penny-examples`' `web_bench_native` example), the harness in Node
//! (`bench-web/node.mjs`) and in headless Chromium (`bench-web/index.html` on an in-process
//! `serve` server, driven by `tests/web/chromium.mjs --wait-for`), each `repeat` times in
//! turn, and prints the markdown tables of `bench-web/report.mjs`.

use std::path::{Path, PathBuf};

use crate::cmd::{Cmd, Result};
use crate::report::Report;
use crate::{json, serve, stages, web, webtest};

/// What `cargo xtask bench web` was asked for.
#[derive(Debug)]
pub struct Options {
    pub native: bool,
    pub node: bool,
    pub chromium: bool,
    pub build: bool,
    pub rounds: Option<u32>,
    /// `--scenarios a,b`: the harness's scenarios (Node and Chromium; all when absent).
    pub scenarios: Option<String>,
    pub repeat: u32,
    pub markdown: Option<PathBuf>,
}

impl Options {
    /// Parses `[--native] [--node] [--chromium] [--no-build] [--rounds N] [--repeat N]
    /// [--scenarios a,b] [--markdown PATH]`; with none of the three platforms named, all
    /// three run.
    pub fn parse(args: &[String]) -> Result<Options> {
        let mut o = Options {
            native: false,
            node: false,
            chromium: false,
            build: true,
            rounds: None,
            scenarios: None,
            repeat: 1,
            markdown: None,
        };
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            let mut value = || {
                args.next()
                    .ok_or_else(|| format!("`cargo xtask bench web {arg}` needs a value"))
            };
            let number = |v: &String| {
                v.parse::<u32>()
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or_else(|| format!("`{arg} {v}`: not a positive number"))
            };
            match arg.as_str() {
                "--native" => o.native = true,
                "--node" => o.node = true,
                "--chromium" => o.chromium = true,
                "--no-build" => o.build = false,
                "--rounds" => o.rounds = Some(number(value()?)?),
                "--repeat" => o.repeat = number(value()?)?,
                "--scenarios" => {
                    let v = value()?;
                    let known = ["throughput", "suite", "roundTrip", "urgent", "longTasks"];
                    if let Some(bad) = v.split(',').find(|s| !known.contains(s)) {
                        return Err(format!(
                            "`--scenarios {v}`: unknown scenario `{bad}` (known: {})",
                            known.join(", ")
                        ));
                    }
                    o.scenarios = Some(v.clone());
                }
                // Relative to where the command was run (node runs from the root).
                "--markdown" => o.markdown = Some(absolute(value()?)),
                other => {
                    return Err(format!(
                        "unknown option `{other}` for `cargo xtask bench web`"
                    ))
                }
            }
        }
        if !(o.native || o.node || o.chromium) {
            (o.native, o.node, o.chromium) = (true, true, true);
        }
        Ok(o)
    }
}

fn absolute(path: &str) -> PathBuf {
    std::env::current_dir()
        .map(|cwd| cwd.join(path))
        .unwrap_or_else(|_| path.into())
}

/// The packages the harness loads, relative to the repository root.
const PKG: &str = "penny-examples/pkg/penny_examples.js";
const RAYON_PKG: &str = "comparisons/rayon-web/pkg/rayon_web.js";
const RAYON_CLIENT: &str = "comparisons/rayon-web/web/client.mjs";

/// Where each run's JSON goes: `target/bench-web/<platform>-<run>.json`.
fn out_dir() -> PathBuf {
    stages::root().join("target").join("bench-web")
}

/// Adds the stages to `report`.
pub fn stages(report: &mut Report, o: &Options) {
    let dir = out_dir();
    let _ = std::fs::remove_dir_all(&dir);
    if let Err(e) = std::fs::create_dir_all(&dir) {
        report.stage("bench output directory", || {
            Err(format!("{}: {e}", dir.display()))
        });
        return;
    }
    if o.build && (o.node || o.chromium) {
        report.stage("wasm package (cargo xtask web)", || {
            web::stage(&web::default_manifest(), None)
        });
        let rayon = stages::root().join("comparisons/rayon-web/Cargo.toml");
        report.stage("wasm-bindgen-rayon comparison package", || {
            web::stage(&rayon, None)
        });
    }
    let rayon = stages::root().join(RAYON_PKG).is_file();
    let mut files = Vec::new();
    // The platforms take turns, so a slow spell of the machine hits them alike. Each stage's
    // note gives the load average before and after it: on a shared machine, what else ran.
    let loaded = |f: &dyn Fn() -> Result<String>| {
        let before = load_average();
        f().map(|note| format!("{note} (load {before} → {})", load_average()))
    };
    for run in 1..=o.repeat {
        let out = |platform: &str| dir.join(format!("{platform}-{run}.json"));
        let of = format!("{run}/{}", o.repeat);
        if o.native {
            let path = out("native");
            if report.stage(&format!("native bench ({of})"), || {
                loaded(&|| native(&path, o.rounds))
            }) {
                files.push(path);
            }
        }
        if o.node {
            let path = out("node");
            if report.stage(&format!("JS bench in Node ({of})"), || {
                loaded(&|| in_node(&path, o, rayon))
            }) {
                files.push(path);
            }
        }
        if o.chromium {
            let path = out("chromium");
            if report.stage(&format!("JS bench in headless Chromium ({of})"), || {
                loaded(&|| in_chromium(&path, o, rayon))
            }) {
                files.push(path);
            }
        }
    }
    if !files.is_empty() {
        report.stage("report (bench-web/report.mjs)", || {
            tables(&files, o.markdown.as_deref())
        });
    }
}

/// The 1-minute load average (Linux), or `?`.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".to_owned())
}

/// The native column: `web_bench_native` in release.
fn native(json: &Path, rounds: Option<u32>) -> Result<String> {
    let mut cmd = Cmd::cargo().cwd(stages::root()).args([
        "run",
        "--release",
        "--quiet",
        "-p",
        "penny-examples",
        "--example",
        "web_bench_native",
        "--",
        "--json",
    ]);
    cmd = cmd.arg(json);
    if let Some(n) = rounds {
        cmd = cmd.args(["--rounds", &n.to_string()]);
    }
    cmd.run()?;
    Ok(stages::relative(json))
}

/// The harness in Node; `plain`: with comparisons/rayon-web's single-thread baseline.
fn in_node(json: &Path, o: &Options, plain: bool) -> Result<String> {
    let version = webtest::node()?;
    let mut cmd = Cmd::new("node")
        .cwd(stages::root())
        .args(["penny-examples/bench-web/node.mjs", "--pkg", PKG, "--json"])
        .arg(json);
    if plain {
        cmd = cmd.args(["--plain", RAYON_PKG]);
    }
    if let Some(n) = o.rounds {
        cmd = cmd.args(["--rounds", &n.to_string()]);
    }
    if let Some(s) = &o.scenarios {
        cmd = cmd.args(["--scenarios", s]);
    }
    cmd.run()?;
    Ok(format!("{} (node {version})", stages::relative(json)))
}

/// The harness in headless Chromium: serves the repository from this process, has
/// `chromium.mjs` open the bench page and wait for `window.__pennyBench`, and writes what it
/// printed for it.
fn in_chromium(json: &Path, o: &Options, rayon: bool) -> Result<String> {
    webtest::node()?;
    for tool in ["/usr/bin/chromium", "/usr/bin/chromedriver"] {
        if !Path::new(tool).exists() {
            return Err(format!("{tool} is missing: run `cargo xtask setup`"));
        }
    }
    let server = serve::start(&stages::root(), 0, false)
        .map_err(|e| format!("could not start the server: {e}"))?;
    let mut query = format!("pkg=/{PKG}");
    if rayon {
        query.push_str(&format!("&plain=/{RAYON_PKG}&rayon=/{RAYON_CLIENT}"));
    }
    if let Some(n) = o.rounds {
        query.push_str(&format!("&rounds={n}"));
    }
    if let Some(s) = &o.scenarios {
        query.push_str(&format!("&scenarios={s}"));
    }
    let url = server.url(&format!("/penny-examples/bench-web/index.html?{query}"));
    let expr = "window.__pennyBench && window.__pennyBench.done && window.__pennyBench";
    let cmd = Cmd::new("node").cwd(stages::root()).args([
        "tests/web/chromium.mjs",
        "--timeout",
        "900",
        "--url",
        &url,
        "--wait-for",
        expr,
    ]);
    println!("$ {cmd}");
    println!("(the page's log is printed when it is done: about a minute)");
    crate::cmd::flush();
    let out = cmd
        .output()
        .map_err(|out| format!("`{cmd}` failed:\n{out}"))?;
    drop(server);
    print!("{out}");
    // chromium.mjs prints `EXPR = <the value as JSON>` last.
    let prefix = format!("{expr} = ");
    let value = out
        .lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .ok_or("chromium.mjs printed no value for window.__pennyBench")?;
    let parsed = json::parse(value)?;
    if let Some(error) = parsed.get("error").and_then(json::Value::as_str) {
        return Err(format!("the bench page failed: {error}"));
    }
    std::fs::write(json, value).map_err(|e| format!("{}: {e}", json.display()))?;
    Ok(stages::relative(json))
}

/// The markdown tables of all runs (`report.mjs` takes the median over repeated runs).
fn tables(files: &[PathBuf], markdown: Option<&Path>) -> Result<String> {
    let mut cmd = Cmd::new("node")
        .cwd(stages::root())
        .arg("penny-examples/bench-web/report.mjs");
    if let Some(path) = markdown {
        cmd = cmd.arg("--markdown").arg(path);
    }
    cmd.args(files).run()?;
    Ok(markdown.map_or_else(String::new, |p| p.display().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Options> {
        Options::parse(&args.iter().map(|a| a.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn options() {
        let all = parse(&[]).unwrap();
        assert!(all.native && all.node && all.chromium && all.build);
        assert_eq!((all.rounds, all.repeat), (None, 1));
        let some = parse(&["--node", "--no-build", "--rounds", "3", "--repeat", "2"]).unwrap();
        assert!(some.node && !some.native && !some.chromium && !some.build);
        assert_eq!((some.rounds, some.repeat), (Some(3), 2));
        assert!(parse(&["--markdown", "x.md"])
            .unwrap()
            .markdown
            .unwrap()
            .is_absolute());
        assert!(parse(&["--rounds", "0"]).is_err());
        assert!(parse(&["--rounds"]).is_err());
        let some = parse(&["--chromium", "--scenarios", "suite,urgent"]).unwrap();
        assert_eq!(some.scenarios.as_deref(), Some("suite,urgent"));
        assert!(parse(&["--scenarios", "suite,nope"]).is_err());
        assert!(parse(&["--nope"]).is_err());
    }
}
