//! `cargo xtask`: Penny's build, test and benchmark driver. std only, no dependencies.
//!
//! Run `cargo xtask help` for the commands; `docs/commands.md` describes what each one runs
//! and installs.

mod bundler;
mod cmd;
mod democheck;
mod json;
mod page;
mod report;
mod serve;
mod setup;
mod stages;
mod web;
mod webbench;
mod webtest;

use std::path::PathBuf;
use std::process::ExitCode;

use report::Report;

const USAGE: &str = "\
usage: cargo xtask <command> [options]

commands:
  test [--quick] [--no-miri]
              every test: rustfmt and clippy, native tests, the pool simulation (seeds
              0..3000, and findings put back), loom, threaded wasm build, the browser tools
              (installs what is missing), the wasm package (`web`) and the wasm tests in
              Node and headless Chromium, the demo page check, the bundler smoke test,
              Miri. --quick runs only the lints and the native tests; --no-miri skips Miri.
  demo [ARGS] run the native demo (cargo run --release -p penny-examples --bin demo -- ARGS)
  loom        penny-runtime's loom model tests (--cfg loom, LOOM_MAX_PREEMPTIONS=3)
  sim [A..B]  the deterministic simulation of the pool over seeds A..B (default 0..3000)
  sim-regress put findings 4, 5 and 8 back one at a time; the simulation must find each
  miri        penny-runtime's unit tests under Miri (installs the pinned nightly + miri)
  wasm        build penny-runtime for wasm32 with threads (atomics, shared memory)
  web [--manifest-path PATH] [--out DIR]
              build a crate that depends on penny (default: penny-examples) for wasm32 with
              threads and run wasm-bindgen --target web on it: a package in DIR (default:
              pkg/ beside the crate's Cargo.toml) with <lib>.js, <lib>_bg.wasm, package.json
  serve [--port N] [--dir DIR] [--no-build]
              build the examples package (`web`, unless --no-build), then serve DIR (default:
              the repository) on 127.0.0.1:N (default 8000) with the cross-origin isolation
              headers threads need; /no-isolation/PATH serves PATH without them
  web-test [--node] [--chromium] [--no-build] [FILES..]
              build the examples package, then run the wasm tests (default: every
              tests/web/*.test.mjs) in Node and in headless Chromium (or only the one named)
  demo-check [--no-build]
              build the examples package, then open the demo page in headless Chromium: its
              ?check=1 image must hash like the native one; screenshots in target/artifacts/
  bundler-test [--no-build]
              build the examples package, then npm ci, tsc --noEmit and vite build in
              tests/bundler/; the bundled pages (Checksum tasks, the demo) must start their
              workers and match the native results in headless Chromium
  bench [ARGS]
              criterion benchmarks of penny-examples (lowering) and penny-runtime (ARGS go
              to criterion), then the suite-wide lowering benchmark (penny-examples suite)
  bench suite [ARGS]
              only the suite-wide lowering benchmark: task / plain for every kernel
              (ARGS: filters, --rounds N, --markdown PATH, --list, --hand)
  bench web [--native] [--node] [--chromium] [--no-build] [--rounds N] [--repeat N]
            [--scenarios a,b] [--markdown PATH]
              the JS benchmark (penny-examples/bench-web): builds the examples package and
              the wasm-bindgen-rayon comparison, then runs the native column, the harness in
              Node and in headless Chromium (default: all three; --repeat N takes turns N
              times, the report takes medians) and prints markdown tables; --scenarios picks
              the harness's (throughput, suite, roundTrip, urgent, longTasks; default all)
  setup       install everything `test` needs, run nothing
  help        this text
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((command, rest)) = args.split_first() else {
        eprint!("{USAGE}");
        return ExitCode::from(2);
    };
    let result = match command.as_str() {
        "test" => test(rest),
        "demo" => single("demo", |r| {
            r.stage("demo", || stages::demo(rest));
        }),
        "loom" => no_options(command, rest).and_then(|()| {
            single("loom", |r| {
                r.stage("loom tests", stages::loom);
            })
        }),
        "sim" => match rest {
            [] => single("sim", |r| {
                r.stage("simulation", || stages::simulation(stages::SIM_SEEDS));
            }),
            [range] if range.contains("..") => single("sim", |r| {
                r.stage("simulation", || stages::simulation(range));
            }),
            _ => Err(format!(
                "`cargo xtask sim` takes a seed range like 0..100000\n\n{USAGE}"
            )),
        },
        "sim-regress" => no_options(command, rest).and_then(|()| {
            single("sim-regress", |r| {
                r.stage(
                    "simulation finds findings put back",
                    stages::sim_regressions,
                );
            })
        }),
        "miri" => no_options(command, rest).and_then(|()| {
            single("miri", |r| {
                r.stage("miri", stages::miri);
            })
        }),
        "wasm" => no_options(command, rest).and_then(|()| {
            single("wasm", |r| {
                r.stage("threaded wasm build", stages::wasm);
            })
        }),
        "web" => web(rest),
        "serve" => serve(rest),
        "web-test" => web_test(rest),
        "demo-check" => page_command(command, rest, DEMO_STAGE, democheck::stage),
        "bundler-test" => page_command(command, rest, BUNDLER_STAGE, bundler::stage),
        "bench" => match rest.split_first() {
            Some((web, args)) if web == "web" => webbench::Options::parse(args)
                .map_err(|e| format!("{e}\n\n{USAGE}"))
                .and_then(|options| single("bench web", |r| webbench::stages(r, &options))),
            Some((suite, args)) if suite == "suite" => single("bench suite", |r| {
                r.stage("bench penny-examples suite", || {
                    stages::bench("penny-examples", "suite", args)
                });
            }),
            _ => single("bench", |r| {
                r.stage("bench penny-examples lowering", || {
                    stages::bench("penny-examples", "lowering", rest)
                });
                r.stage("bench penny-runtime scheduler", || {
                    stages::bench("penny-runtime", "scheduler", rest)
                });
                r.stage("bench penny-examples suite", || {
                    stages::bench("penny-examples", "suite", &[])
                });
            }),
        },
        "setup" => no_options(command, rest).and_then(|()| single("setup", setup_all)),
        "help" | "-h" | "--help" => {
            print!("{USAGE}");
            Ok(true)
        }
        other => Err(format!("unknown command `{other}`\n\n{USAGE}")),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

fn no_options(command: &str, rest: &[String]) -> Result<(), String> {
    match rest.first() {
        None => Ok(()),
        Some(arg) => Err(format!(
            "`cargo xtask {command}` takes no arguments (got `{arg}`)\n\n{USAGE}"
        )),
    }
}

/// Runs the stages `f` adds to a report, prints the summary, returns whether all passed.
fn single(title: &str, f: impl FnOnce(&mut Report)) -> Result<bool, String> {
    let mut report = Report::new(&format!("cargo xtask {title}"));
    f(&mut report);
    Ok(report.finish())
}

fn setup_all(report: &mut Report) {
    report.stage("nightly toolchain", || {
        setup::toolchain(setup::NIGHTLY)?;
        setup::component(setup::NIGHTLY, "rust-src")?;
        setup::target(setup::NIGHTLY, "wasm32-unknown-unknown")?;
        Ok(setup::NIGHTLY.to_owned())
    });
    report.stage("miri toolchain", || {
        setup::toolchain(setup::MIRI_NIGHTLY)?;
        setup::component(setup::MIRI_NIGHTLY, "rust-src")?;
        setup::component(setup::MIRI_NIGHTLY, "miri")?;
        Ok(setup::MIRI_NIGHTLY.to_owned())
    });
    report.stage("wasm-bindgen-cli", setup::wasm_bindgen_cli);
    report.stage("chromium", setup::chromium);
}

fn test(rest: &[String]) -> Result<bool, String> {
    let mut quick = false;
    let mut miri = true;
    for arg in rest {
        match arg.as_str() {
            "--quick" => quick = true,
            "--no-miri" => miri = false,
            other => {
                return Err(format!(
                    "unknown option `{other}` for `cargo xtask test`\n\n{USAGE}"
                ))
            }
        }
    }
    let title = if quick { "test --quick" } else { "test" };
    single(title, |report| {
        report.stage("format and lints (rustfmt, clippy)", stages::lints);
        report.stage(
            "native tests (cargo test --workspace)",
            stages::native_tests,
        );
        if quick {
            let why = "--quick";
            report.skip("simulation", why);
            report.skip("simulation finds findings put back", why);
            report.skip("loom tests", why);
            report.skip("threaded wasm build", why);
            report.skip("browser tools", why);
            report.skip(WEB_STAGE, why);
            report.skip("wasm tests in Node", why);
            report.skip("wasm tests in headless Chromium", why);
            report.skip(DEMO_STAGE, why);
            report.skip(BUNDLER_STAGE, why);
            report.skip("miri", why);
            return;
        }
        report.stage("simulation", || stages::simulation(stages::SIM_SEEDS));
        report.stage(
            "simulation finds findings put back",
            stages::sim_regressions,
        );
        report.stage("loom tests", stages::loom);
        report.stage("threaded wasm build", stages::wasm);
        // Before the wasm stages: a fresh machine needs wasm-bindgen-cli and Chromium first.
        report.stage("browser tools (wasm-bindgen-cli, chromium)", || {
            Ok(format!(
                "{}; {}",
                setup::wasm_bindgen_cli()?,
                setup::chromium()?
            ))
        });
        web_stages(report, true, true, true, None);
        report.stage(DEMO_STAGE, democheck::stage);
        report.stage(BUNDLER_STAGE, bundler::stage);
        if miri {
            report.stage("miri", stages::miri);
        } else {
            report.skip("miri", "--no-miri");
        }
    })
}

/// The wasm package and the wasm tests in Node and Chromium; `files` defaults to every
/// `tests/web/*.test.mjs`.
fn web_stages(
    report: &mut Report,
    build: bool,
    node: bool,
    chromium: bool,
    files: Option<Vec<String>>,
) {
    if build {
        report.stage(WEB_STAGE, || web::stage(&web::default_manifest(), None));
    }
    let files = match files {
        Some(files) => files,
        None => match webtest::all_test_files() {
            Ok(files) => files,
            Err(e) => {
                report.stage("wasm tests", || Err(e));
                return;
            }
        },
    };
    if node {
        report.stage("wasm tests in Node", || webtest::in_node(&files));
    }
    if chromium {
        report.stage("wasm tests in headless Chromium", || {
            webtest::in_chromium(&files)
        });
    }
}

const WEB_STAGE: &str = "wasm package (cargo xtask web)";
const DEMO_STAGE: &str = "demo page in headless Chromium";
const BUNDLER_STAGE: &str = "bundler smoke test (vite)";

/// `demo-check` and `bundler-test`: the examples package (unless `--no-build`), then `stage`.
fn page_command(
    command: &str,
    rest: &[String],
    name: &str,
    stage: fn() -> cmd::Result<String>,
) -> Result<bool, String> {
    let build = match rest {
        [] => true,
        [flag] if flag == "--no-build" => false,
        [other, ..] => {
            return Err(format!(
                "unknown option `{other}` for `cargo xtask {command}`\n\n{USAGE}"
            ))
        }
    };
    single(command, |r| {
        if build {
            r.stage(WEB_STAGE, || web::stage(&web::default_manifest(), None));
        }
        r.stage(name, stage);
    })
}

/// `--name VALUE` out of `rest`, for the commands that take options with values.
fn option_value<'a>(
    command: &str,
    name: &str,
    args: &mut std::slice::Iter<'a, String>,
) -> Result<&'a String, String> {
    args.next()
        .ok_or_else(|| format!("`cargo xtask {command} {name}` needs a value\n\n{USAGE}"))
}

fn web(rest: &[String]) -> Result<bool, String> {
    let mut manifest = web::default_manifest();
    let mut out: Option<PathBuf> = None;
    let mut args = rest.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--manifest-path" => manifest = option_value("web", arg, &mut args)?.into(),
            "--out" => out = Some(option_value("web", arg, &mut args)?.into()),
            other => {
                return Err(format!(
                    "unknown option `{other}` for `cargo xtask web`\n\n{USAGE}"
                ))
            }
        }
    }
    single("web", |r| {
        r.stage(WEB_STAGE, || web::stage(&manifest, out.as_deref()));
    })
}

fn serve(rest: &[String]) -> Result<bool, String> {
    let mut port: u16 = 8000;
    let mut dir = stages::root();
    let mut build = true;
    let mut args = rest.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => {
                let value = option_value("serve", arg, &mut args)?;
                port = value
                    .parse()
                    .map_err(|_| format!("`--port {value}`: not a port number"))?;
            }
            "--dir" => dir = option_value("serve", arg, &mut args)?.into(),
            "--no-build" => build = false,
            other => {
                return Err(format!(
                    "unknown option `{other}` for `cargo xtask serve`\n\n{USAGE}"
                ))
            }
        }
    }
    if build
        && !single("web", |r| {
            r.stage(WEB_STAGE, || web::stage(&web::default_manifest(), None));
        })?
    {
        return Ok(false);
    }
    let server = serve::start(&dir, port, true)
        .map_err(|e| format!("cannot serve {} on port {port}: {e}", dir.display()))?;
    println!();
    println!("serving {} (Ctrl-C stops)", dir.display());
    println!("demo:   {}", server.url("/penny-examples/web/index.html"));
    println!(
        "tests:  {}",
        server.url("/tests/web/runner.html?pkg=/penny-examples/pkg/penny_examples.js&file=/tests/web/smoke.test.mjs")
    );
    println!(
        "without cross-origin isolation: {}",
        server.url(&format!(
            "{}/penny-examples/web/index.html",
            serve::NO_ISOLATION
        ))
    );
    cmd::flush();
    server.wait();
    Ok(true)
}

fn web_test(rest: &[String]) -> Result<bool, String> {
    let (mut node, mut chromium, mut build) = (false, false, true);
    let mut files = Vec::new();
    for arg in rest {
        match arg.as_str() {
            "--node" => node = true,
            "--chromium" => chromium = true,
            "--no-build" => build = false,
            other if other.starts_with("--") => {
                return Err(format!(
                    "unknown option `{other}` for `cargo xtask web-test`\n\n{USAGE}"
                ))
            }
            file => files.push(file.to_owned()),
        }
    }
    if !node && !chromium {
        (node, chromium) = (true, true);
    }
    let files = if files.is_empty() {
        None
    } else {
        Some(webtest::test_files_from_args(&files)?)
    };
    single("web-test", |r| web_stages(r, build, node, chromium, files))
}
