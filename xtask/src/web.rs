//! `cargo xtask web`: any crate that depends on `penny` → a threaded wasm-bindgen package
//! (`--target web`) that browsers and Node (as ES modules) load over one shared memory.

use std::path::{Path, PathBuf};

use crate::cmd::{Cmd, Result};
use crate::{json, setup, stages};

/// The crate `cargo xtask web` builds when given no `--manifest-path`.
pub fn default_manifest() -> PathBuf {
    stages::root().join("penny-examples").join("Cargo.toml")
}

/// What `cargo metadata` says about the crate being packaged.
#[derive(Debug)]
struct Crate {
    name: String,
    version: String,
    /// The lib target's name with `-` → `_`: the stem of the `.wasm` and of the JS files.
    lib_name: String,
    cdylib: bool,
    manifest: PathBuf,
    manifest_dir: PathBuf,
    target_dir: PathBuf,
    workspace_root: PathBuf,
}

/// A built package.
#[derive(Debug)]
pub struct Package {
    pub dir: PathBuf,
    pub lib_name: String,
    pub wasm_bindgen: String,
}

impl Package {
    /// The JS entry point (`<lib>.js`).
    pub fn js(&self) -> PathBuf {
        self.dir.join(format!("{}.js", self.lib_name))
    }
}

fn metadata(manifest: &Path) -> Result<Crate> {
    let manifest = manifest
        .canonicalize()
        .map_err(|e| format!("{}: {e}", manifest.display()))?;
    let cmd = Cmd::cargo()
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--manifest-path",
        ])
        .arg(&manifest);
    // stdout only: cargo's warnings on stderr are not JSON.
    let Some(out) = cmd.probe() else {
        let why = cmd.output().err().unwrap_or_default();
        return Err(format!("`{cmd}` failed:\n{}", why.trim_end()));
    };
    let meta = json::parse(&out)?;
    // In a workspace `--no-deps` lists every member: pick the one this manifest describes.
    let package = meta
        .get("packages")
        .map(json::Value::items)
        .unwrap_or_default()
        .iter()
        .find(|p| p.str_at("manifest_path").ok().map(Path::new) == Some(manifest.as_path()))
        .ok_or_else(|| {
            format!(
                "`cargo metadata` lists no package for {}",
                manifest.display()
            )
        })?;
    let lib = package
        .get("targets")
        .map(json::Value::items)
        .unwrap_or_default()
        .iter()
        .find(|t| {
            t.get("kind").map(json::Value::items).is_some_and(|kinds| {
                kinds
                    .iter()
                    .any(|k| matches!(k.as_str(), Some("lib" | "cdylib" | "rlib")))
            })
        })
        .ok_or_else(|| format!("{} has no [lib] target", manifest.display()))?;
    let cdylib = lib
        .get("crate_types")
        .map(json::Value::items)
        .unwrap_or_default()
        .iter()
        .any(|k| k.as_str() == Some("cdylib"));
    Ok(Crate {
        name: package.str_at("name")?.to_owned(),
        version: package.str_at("version")?.to_owned(),
        lib_name: lib.str_at("name")?.replace('-', "_"),
        cdylib,
        manifest_dir: manifest.parent().unwrap_or(Path::new("/")).to_owned(),
        manifest,
        target_dir: PathBuf::from(meta.str_at("target_directory")?),
        workspace_root: PathBuf::from(meta.str_at("workspace_root")?),
    })
}

/// The `wasm-bindgen` crate version a `Cargo.lock` pins, if it has one; an error if it pins
/// several (which one the `.wasm` links would be a guess).
fn locked_wasm_bindgen(lock: &str) -> Result<Option<String>> {
    let mut versions = Vec::new();
    for block in lock.split("[[package]]").skip(1) {
        let field = |key: &str| {
            block.lines().find_map(|line| {
                let (k, v) = line.split_once('=')?;
                (k.trim() == key).then(|| v.trim().trim_matches('"').to_owned())
            })
        };
        if field("name").as_deref() == Some("wasm-bindgen") {
            versions.extend(field("version"));
        }
    }
    match versions.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(one.clone())),
        many => Err(format!(
            "Cargo.lock pins several wasm-bindgen versions ({}): keep one",
            many.join(", ")
        )),
    }
}

/// Builds the crate at `manifest` into a wasm-bindgen package in `out` (default: `pkg/`
/// beside the manifest).
pub fn build(manifest: &Path, out: Option<&Path>) -> Result<Package> {
    setup::toolchain(setup::NIGHTLY)?;
    setup::component(setup::NIGHTLY, "rust-src")?;
    setup::target(setup::NIGHTLY, "wasm32-unknown-unknown")?;

    let krate = metadata(manifest)?;
    if !krate.cdylib {
        return Err(format!(
            "{}'s lib makes no .wasm: add `crate-type = [\"cdylib\", \"rlib\"]` under [lib] in {}",
            krate.name,
            manifest.display()
        ));
    }
    // The same subdirectory `cargo xtask wasm` uses: in this workspace the rebuilt std and
    // penny-runtime are shared with that stage, and the native target dir stays warm.
    let target_dir = krate.target_dir.join("wasm");
    let config = stages::root().join("xtask").join("wasm-threads.toml");
    Cmd::cargo()
        // From the crate's own directory, so that its `.cargo/config.toml` applies.
        .cwd(&krate.manifest_dir)
        .arg(format!("+{}", setup::NIGHTLY))
        // RUSTFLAGS would replace the config's target rustflags (atomics, shared memory).
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .args([
            "build",
            "--release",
            "--lib",
            "--target",
            "wasm32-unknown-unknown",
        ])
        .arg("--config")
        .arg(&config)
        .arg("--manifest-path")
        .arg(&krate.manifest)
        .arg("--target-dir")
        .arg(&target_dir)
        .run()?;
    let wasm = target_dir
        .join("wasm32-unknown-unknown")
        .join("release")
        .join(format!("{}.wasm", krate.lib_name));
    if !wasm.is_file() {
        return Err(format!(
            "the build succeeded but {} is missing",
            wasm.display()
        ));
    }

    // The CLI must be the exact version of the crate the .wasm was built with; read the lock
    // file after the build, which creates it for a crate that had none.
    let lock_path = krate.workspace_root.join("Cargo.lock");
    let lock =
        std::fs::read_to_string(&lock_path).map_err(|e| format!("{}: {e}", lock_path.display()))?;
    let version = match locked_wasm_bindgen(&lock)? {
        Some(version) => version,
        None => {
            println!(
                "{} does not depend on wasm-bindgen: using the pinned {}",
                krate.name,
                setup::WASM_BINDGEN_VERSION
            );
            setup::WASM_BINDGEN_VERSION.to_owned()
        }
    };
    let (bindgen, _) = setup::wasm_bindgen_cli_version(&version)?;

    let dir = match out {
        Some(out) => out.to_owned(),
        None => krate.manifest_dir.join("pkg"),
    };
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    // wasm-bindgen overwrites its files but never removes snippets an older build left.
    let _ = std::fs::remove_dir_all(dir.join("snippets"));
    let _ = std::fs::remove_file(dir.join("package.json"));
    let bindgen_cmd = Cmd::new(&bindgen.to_string_lossy())
        // anyhow would append a backtrace of the CLI itself to every error: noise here.
        .env("RUST_LIB_BACKTRACE", "0")
        .args(["--target", "web", "--out-dir"])
        .arg(&dir)
        .arg(&wasm);
    println!("$ {bindgen_cmd}");
    bindgen_cmd.output().map_err(|out| {
        let hint = if out.contains("__wbindgen_malloc") {
            format!(
                "\nhint: wasm-bindgen's thread support needs the wasm-bindgen crate linked into \
                 the .wasm, and {} does not link it. Depend on it for wasm32 (`wasm-bindgen = \
                 \"={version}\"` under [target.'cfg(target_arch = \"wasm32\")'.dependencies]) and \
                 use it from the crate (a #[wasm_bindgen] export, or `use wasm_bindgen as _;`).",
                krate.name
            )
        } else {
            String::new()
        };
        format!("`{bindgen_cmd}` failed:\n{}{hint}", out.trim_end())
    })?;

    let package = Package {
        dir,
        lib_name: krate.lib_name.clone(),
        wasm_bindgen: version,
    };
    check_shared_memory(&package.js())?;
    write_worker_entry(&krate, &package.dir)?;
    let files = write_package_json(&krate, &package.dir)?;
    if out.is_none() {
        // The default `pkg/` sits inside the crate's source tree: keep it out of git. (An
        // `--out` directory is the caller's to manage.)
        let ignore = package.dir.join(".gitignore");
        if !ignore.exists() {
            std::fs::write(&ignore, "# generated by `cargo xtask web`\n*\n")
                .map_err(|e| format!("{}: {e}", ignore.display()))?;
        }
    }
    println!("wrote {}:", package.dir.display());
    for file in files.iter().chain(["package.json".to_owned()].iter()) {
        let size = std::fs::metadata(package.dir.join(file))
            .map(|m| m.len())
            .unwrap_or(0);
        println!("  {file:<34} {:>8} bytes", size);
    }
    Ok(package)
}

/// The glue must create the memory it imports as shared (`new WebAssembly.Memory({...,
/// shared:true})`); if it does not, the threads config did not reach the link and every
/// worker would get its own memory.
fn check_shared_memory(js: &Path) -> Result<()> {
    let glue = std::fs::read_to_string(js).map_err(|e| format!("{}: {e}", js.display()))?;
    let memory = glue
        .find("new WebAssembly.Memory(")
        .map(|at| &glue[at..glue[at..].find(')').map_or(glue.len(), |end| at + end)]);
    match memory {
        Some(memory) if memory.contains("shared:true") => {
            println!("{}: {memory}) — shared", js.display());
            Ok(())
        }
        Some(memory) => Err(format!(
            "{} creates an unshared memory ({memory})): the threads config was not applied",
            js.display()
        )),
        None => Err(format!(
            "{} creates no WebAssembly.Memory: the .wasm does not import its memory",
            js.display()
        )),
    }
}

/// Writes `penny-worker.js`, each pool worker's script: it loads the package's main JS (and
/// with it Penny's worker glue) and hands the glue over (see `penny-runtime/js/workers.js`).
fn write_worker_entry(krate: &Crate, dir: &Path) -> Result<()> {
    let text = format!(
        "// A Penny pool worker's script (written by `cargo xtask web`): loads this package in the\n\
         // worker and hands its glue to Penny's worker code (snippets/penny-runtime-*/js/workers.js).\n\
         import * as glue from './{}.js';\n\
         globalThis.__pennyGlue = glue;\n",
        krate.lib_name
    );
    let path = dir.join("penny-worker.js");
    std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Writes `package.json` (ES modules, so Node loads the `.js` as wasm-bindgen wrote it).
/// Returns the files wasm-bindgen wrote, which the package lists.
fn write_package_json(krate: &Crate, dir: &Path) -> Result<Vec<String>> {
    let lib = &krate.lib_name;
    let files: Vec<String> = [
        format!("{lib}.js"),
        format!("{lib}.d.ts"),
        format!("{lib}_bg.wasm"),
        format!("{lib}_bg.wasm.d.ts"),
        "penny-worker.js".to_owned(),
        "snippets".to_owned(),
    ]
    .into_iter()
    .filter(|file| dir.join(file).exists())
    .collect();
    let list = files
        .iter()
        .map(|f| json::quote(f))
        .collect::<Vec<_>>()
        .join(", ");
    let main = json::quote(&format!("{lib}.js"));
    let text = format!(
        "{{\n  \"name\": {},\n  \"version\": {},\n  \"type\": \"module\",\n  \"main\": {main},\n  \
         \"module\": {main},\n  \"types\": {},\n  \"files\": [{list}],\n  \
         \"sideEffects\": [\"./snippets/*\"]\n}}\n",
        json::quote(&krate.name),
        json::quote(&krate.version),
        json::quote(&format!("{lib}.d.ts")),
    );
    let path = dir.join("package.json");
    std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(files)
}

/// The stage: builds the package, returns a note for the summary table.
pub fn stage(manifest: &Path, out: Option<&Path>) -> Result<String> {
    let package = build(manifest, out)?;
    let wasm = package.dir.join(format!("{}_bg.wasm", package.lib_name));
    let size = std::fs::metadata(&wasm).map(|m| m.len()).unwrap_or(0);
    Ok(format!(
        "{} ({} KiB), wasm-bindgen {}",
        stages::relative(&wasm),
        size / 1024,
        package.wasm_bindgen
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_locked_wasm_bindgen() {
        let lock = "version = 4\n\n[[package]]\nname = \"wasm-bindgen\"\nversion = \"0.2.130\"\n\
                    source = \"x\"\n\n[[package]]\nname = \"wasm-bindgen-macro\"\n\
                    version = \"0.2.130\"\n";
        assert_eq!(
            locked_wasm_bindgen(lock).unwrap().as_deref(),
            Some("0.2.130")
        );
        assert_eq!(locked_wasm_bindgen("version = 4\n").unwrap(), None);
        let two = format!("{lock}[[package]]\nname = \"wasm-bindgen\"\nversion = \"0.2.99\"\n");
        assert!(locked_wasm_bindgen(&two).is_err());
    }
}
