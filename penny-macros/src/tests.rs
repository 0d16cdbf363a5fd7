//! Expansion snapshots: each `tests/expand/<name>.rs` at the workspace root holds one
//! kernel; its expansion, parsed as a file and pretty-printed, is compared with
//! `tests/expand/snapshots/`. Review changes with `cargo insta review`.

use std::path::{Path, PathBuf};

fn expand_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/expand")
}

/// Expands the `#[penny::task]` function in `source` and pretty-prints the result.
fn expand_source(source: &str) -> String {
    let file: syn::File = syn::parse_str(source).expect("kernel source parses");
    let mut out = Vec::new();
    for item in file.items {
        match item {
            syn::Item::Fn(mut func) => {
                let position = func
                    .attrs
                    .iter()
                    .position(|a| a.path().segments.last().is_some_and(|s| s.ident == "task"))
                    .expect("the kernel has a #[penny::task] attribute");
                let attr = func.attrs.remove(position);
                let args = match attr.meta {
                    syn::Meta::List(list) => list.tokens,
                    _ => proc_macro2::TokenStream::new(),
                };
                let tokens = crate::task_impl(args, quote::quote!(#func));
                let expanded: syn::File =
                    syn::parse2(tokens).expect("the expansion parses as Rust items");
                out.push(prettyplease::unparse(&expanded));
            }
            other => out.push(prettyplease::unparse(&syn::File {
                shebang: None,
                attrs: Vec::new(),
                items: vec![other],
            })),
        }
    }
    out.join("\n")
}

#[test]
fn expansions_match_snapshots() {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(expand_dir())
        .expect("tests/expand exists")
        .map(|entry| entry.expect("readable entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "rs"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 8, "at least 8 representative kernels are snapshotted");
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(expand_dir().join("snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| {
        for path in paths {
            let name = path.file_stem().expect("file name").to_string_lossy().into_owned();
            let source = std::fs::read_to_string(&path).expect("readable kernel");
            insta::assert_snapshot!(name, expand_source(&source), &source);
        }
    });
}

#[test]
fn state_names_are_upper_camel_case() {
    let name = |s: &str| crate::state_name(&syn::Ident::new(s, proc_macro2::Span::call_site()));
    assert_eq!(name("mandel_brot"), "MandelBrot");
    assert_eq!(name("sum2d"), "Sum2d");
    assert_eq!(name("dot"), "Dot");
}

/// The README shows the real `cargo expand` output of the `sum_sqrt` kernel; its lowered
/// `step` must still be what the macro emits today.
#[test]
fn readme_shows_the_current_expansion() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let source = std::fs::read_to_string(expand_dir().join("sum_sqrt.rs")).expect("kernel");
    let expansion = expand_source(&source);
    // The body of `step` has no derives, so cargo expand prints it as is, but for the one
    // `unreachable!` it expands.
    let start = expansion.find("    fn step(").expect("a step fn");
    let end = expansion.find("    #[allow(unused_variables").expect("the progress fn");
    let lines = expansion[start..end].lines();
    for line in lines.filter(|l| !l.trim().is_empty() && !l.contains("unreachable!")) {
        assert!(
            readme.contains(line.trim_end()),
            "README.md's worked example is out of date (missing `{}`): paste the output of \
             `cargo expand -p penny-examples --lib bench_kernels` for `SumSqrt` into it",
            line.trim()
        );
    }
}
