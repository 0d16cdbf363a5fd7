//! Installs what the stages need, idempotently: every function first checks whether the thing
//! is already there and then says nothing more than one line.

use std::path::PathBuf;

use crate::cmd::{Cmd, Result};

/// The nightly that builds the threaded wasm (`-Z build-std`). Pinned: bump deliberately.
pub const NIGHTLY: &str = "nightly-2026-05-19";

/// The nightly Miri runs on. `nightly-2026-05-19` ships no `miri` component (its dist manifest
/// marks `miri-preview` unavailable), so Miri has its own pin: the next day's nightly.
pub const MIRI_NIGHTLY: &str = "nightly-2026-05-20";

/// Must match the `wasm-bindgen` crate version exactly.
pub const WASM_BINDGEN_VERSION: &str = "0.2.130";

/// `wasm-bindgen-cli 0.2.130`'s lock file pins `webpki-roots 1.0.11`, which the reachable
/// index lacks; this is the version the lock file is moved to.
const WEBPKI_ROOTS_FALLBACK: &str = "1.0.10";

/// Installs `toolchain` (minimal profile) if rustup does not have it.
pub fn toolchain(toolchain: &str) -> Result<String> {
    let installed = Cmd::new("rustup")
        .args(["toolchain", "list"])
        .probe()
        .ok_or("`rustup toolchain list` failed: is rustup installed and on PATH?")?;
    if installed.lines().any(|line| line.starts_with(toolchain)) {
        println!("toolchain {toolchain}: already installed");
        return Ok(String::new());
    }
    Cmd::new("rustup")
        .args(["toolchain", "install", toolchain, "--profile", "minimal"])
        .run()
        .map_err(|e| format!("could not install toolchain {toolchain}: {e}"))?;
    Ok(format!("installed {toolchain}"))
}

/// Adds a rustup component (e.g. `rust-src`, `miri`) to `toolchain` if it is missing.
pub fn component(toolchain: &str, component: &str) -> Result<String> {
    let installed = Cmd::new("rustup")
        .args(["component", "list", "--installed", "--toolchain", toolchain])
        .probe()
        .unwrap_or_default();
    // Lines look like `rust-src` or `miri-x86_64-unknown-linux-gnu`.
    if installed.lines().any(|line| {
        line == component
            || line
                .strip_prefix(component)
                .is_some_and(|rest| rest.starts_with('-') && rest.contains("-unknown-"))
    }) {
        println!("{component} for {toolchain}: already installed");
        return Ok(String::new());
    }
    let cmd = Cmd::new("rustup").args(["component", "add", component, "--toolchain", toolchain]);
    println!("$ {cmd}");
    cmd.output()
        .map(|_| format!("added {component}"))
        .map_err(|out| format!("`{cmd}` failed: {}", rustup_message(&out)))
}

/// Adds a target's prebuilt std if it is missing. Returns `Ok(false)` (not an error) when the
/// toolchain's dist has no such component, which `-Z build-std` builds do not need anyway.
pub fn target(toolchain: &str, target: &str) -> Result<bool> {
    let installed = Cmd::new("rustup")
        .args(["target", "list", "--installed", "--toolchain", toolchain])
        .probe()
        .unwrap_or_default();
    if installed.lines().any(|line| line.trim() == target) {
        println!("target {target} for {toolchain}: already installed");
        return Ok(true);
    }
    let cmd = Cmd::new("rustup").args(["target", "add", target, "--toolchain", toolchain]);
    match cmd.output() {
        Ok(_) => {
            println!("$ {cmd}: added");
            Ok(true)
        }
        Err(out) if out.contains("unavailable for download") => {
            println!(
                "target {target} for {toolchain}: no prebuilt std in this nightly's dist \
                 (not needed: the threaded build rebuilds std from rust-src)"
            );
            Ok(false)
        }
        Err(out) => Err(format!("`{cmd}` failed: {}", rustup_message(&out))),
    }
}

/// The first `error:` line of rustup's output (it appends a backtrace after it).
fn rustup_message(out: &str) -> String {
    out.lines()
        .find(|line| line.starts_with("error:"))
        .unwrap_or_else(|| out.lines().next().unwrap_or("no output"))
        .trim_start_matches("error: ")
        .to_owned()
}

fn cargo_home() -> Result<PathBuf> {
    if let Some(home) = std::env::var_os("CARGO_HOME") {
        return Ok(PathBuf::from(home));
    }
    let home = std::env::var_os("HOME").ok_or("neither CARGO_HOME nor HOME is set")?;
    Ok(PathBuf::from(home).join(".cargo"))
}

/// Installs `wasm-bindgen-cli` at exactly [`WASM_BINDGEN_VERSION`] into `~/.cargo/bin`, unless
/// the binary there already reports that version.
pub fn wasm_bindgen_cli() -> Result<String> {
    wasm_bindgen_cli_version(WASM_BINDGEN_VERSION).map(|(_, note)| note)
}

/// Where `wasm-bindgen-cli` `version` lives: the pinned version in `~/.cargo/bin` (where a
/// reader expects it), any other in its own `~/.cargo/penny-tools/wasm-bindgen-<version>`, so
/// that building a crate locked to another version never replaces the pinned binary.
fn wasm_bindgen_root(version: &str) -> Result<PathBuf> {
    let cargo_home = cargo_home()?;
    Ok(if version == WASM_BINDGEN_VERSION {
        cargo_home
    } else {
        cargo_home
            .join("penny-tools")
            .join(format!("wasm-bindgen-{version}"))
    })
}

/// Installs `wasm-bindgen-cli` at exactly `version` (see [`wasm_bindgen_root`] for where),
/// unless the binary there already reports that version. Returns the binary and a note.
pub fn wasm_bindgen_cli_version(version: &str) -> Result<(PathBuf, String)> {
    let root = wasm_bindgen_root(version)?;
    let bin = root.join("bin").join("wasm-bindgen");
    let want = format!("wasm-bindgen {version}");
    let have = Cmd::new(&bin.to_string_lossy()).arg("--version").probe();
    if have.as_deref().map(str::trim) == Some(want.as_str()) {
        println!("{want}: already installed at {}", bin.display());
        return Ok((bin, format!("{want} already installed")));
    }
    if let Some(have) = have {
        println!("{} has `{}`; installing {want}", bin.display(), have.trim());
    }

    // First the reproducible route: the crate's own lock file.
    let locked = Cmd::cargo()
        .args(["install", "wasm-bindgen-cli", "--version", version])
        .arg("--root")
        .arg(&root)
        .args(["--locked", "--force"]);
    println!("$ {locked}");
    let err = match locked.output() {
        Ok(_) => return Ok((bin, format!("installed {want}"))),
        Err(out) => out,
    };
    if !err.contains("webpki-roots") {
        return Err(format!("`{locked}` failed:\n{err}"));
    }

    // Its lock file pins a webpki-roots the index lacks. `cargo install` has already unpacked
    // the crate into the registry: copy it out, move that one pin, install from the copy, still
    // `--locked`.
    println!(
        "note: the published Cargo.lock pins a webpki-roots the index lacks; \
         installing with webpki-roots {WEBPKI_ROOTS_FALLBACK} instead"
    );
    let name = format!("wasm-bindgen-cli-{version}");
    let source = find_registry_source(&cargo_home()?, &name).ok_or_else(|| {
        format!("`{locked}` failed and {name} is not unpacked in the registry:\n{err}")
    })?;
    // Outside the workspace, or cargo would take it for an unlisted member.
    let work = std::env::temp_dir().join(format!("penny-xtask-{name}"));
    let _ = std::fs::remove_dir_all(&work);
    copy_dir(&source, &work)
        .map_err(|e| format!("copying {} to {}: {e}", source.display(), work.display()))?;
    Cmd::cargo()
        .args([
            "update",
            "--quiet",
            "-p",
            "webpki-roots",
            "--precise",
            WEBPKI_ROOTS_FALLBACK,
        ])
        .cwd(&work)
        .run()?;
    Cmd::cargo()
        .args(["install", "--path", "."])
        .arg("--root")
        .arg(&root)
        .args(["--locked", "--force"])
        .cwd(&work)
        .run()?;
    let _ = std::fs::remove_dir_all(&work);
    let have = Cmd::new(&bin.to_string_lossy())
        .arg("--version")
        .probe()
        .unwrap_or_default();
    if have.trim() != want {
        return Err(format!(
            "installed, but `{} --version` says `{}`",
            bin.display(),
            have.trim()
        ));
    }
    Ok((
        bin,
        format!("installed {want} (webpki-roots {WEBPKI_ROOTS_FALLBACK})"),
    ))
}

fn find_registry_source(cargo_home: &std::path::Path, name: &str) -> Option<PathBuf> {
    let src = cargo_home.join("registry").join("src");
    std::fs::read_dir(src)
        .ok()?
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.path().join(name))
        .find(|dir| dir.join("Cargo.toml").is_file())
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let dest = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &dest)?;
        } else {
            std::fs::copy(entry.path(), dest)?;
        }
    }
    Ok(())
}

/// Installs Debian's `chromium` and `chromium-driver` if `/usr/bin/chromium` or
/// `/usr/bin/chromedriver` is missing.
pub fn chromium() -> Result<String> {
    let chromium = std::path::Path::new("/usr/bin/chromium");
    let driver = std::path::Path::new("/usr/bin/chromedriver");
    if chromium.exists() && driver.exists() {
        println!("chromium and chromedriver: already installed");
        return Ok("chromium already installed".to_owned());
    }
    let root = Cmd::new("id")
        .arg("-u")
        .probe()
        .is_some_and(|uid| uid.trim() == "0");
    let apt = |args: &[&str]| {
        let cmd = if root {
            Cmd::new("apt-get")
        } else {
            Cmd::new("sudo").args(["-n", "apt-get"])
        };
        cmd.env("DEBIAN_FRONTEND", "noninteractive")
            .args(args.iter().copied())
    };
    let hint = if root {
        ""
    } else {
        " (not root: this needs passwordless sudo)"
    };
    apt(&["update", "-q"])
        .run()
        .map_err(|e| format!("{e}{hint}"))?;
    apt(&["install", "-y", "-q", "chromium", "chromium-driver"])
        .run()
        .map_err(|e| format!("{e}{hint}"))?;
    let version = Cmd::new("/usr/bin/chromium")
        .arg("--version")
        .probe()
        .unwrap_or_default();
    Ok(format!("installed {}", version.trim()))
}
