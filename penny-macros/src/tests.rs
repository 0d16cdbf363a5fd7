//! Expansion snapshots: `tests/expand/kernels.txt` at the workspace root names kernels of
//! `penny-examples` (the ones the equivalence suite and benchmarks run); each one's
//! expansion, parsed as a file and pretty-printed, is compared with
//! `tests/expand/snapshots/<function>.snap`. Review changes with `cargo insta review`.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn expand_dir() -> PathBuf {
    root().join("tests/expand")
}

/// Expands `#[penny::task] fn name` of the Rust file `path` and pretty-prints the result.
fn expand_kernel(path: &Path, name: &str) -> String {
    let source = std::fs::read_to_string(path).expect("readable kernel file");
    let file: syn::File = syn::parse_str(&source).expect("kernel file parses");
    let mut func = file
        .items
        .into_iter()
        .find_map(|item| match item {
            syn::Item::Fn(func) if func.sig.ident == name => Some(func),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no fn `{name}` in {}", path.display()));
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
    let expanded: syn::File = syn::parse2(tokens).expect("the expansion parses as Rust items");
    prettyplease::unparse(&expanded)
}

/// `(file, function)` pairs listed in `tests/expand/kernels.txt`.
fn snapshotted_kernels() -> Vec<(PathBuf, String)> {
    let list = std::fs::read_to_string(expand_dir().join("kernels.txt")).expect("kernels.txt");
    list.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| {
            let (file, name) = line.split_once(' ').expect("`<file> <function>`");
            (root().join(file), name.trim().to_string())
        })
        .collect()
}

#[test]
fn expansions_match_snapshots() {
    let kernels = snapshotted_kernels();
    assert!(
        kernels.len() >= 8,
        "at least 8 representative kernels are snapshotted"
    );
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(expand_dir().join("snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| {
        for (path, name) in kernels {
            let description = format!("{}: {name}", path.display());
            let description = description.replace(&format!("{}/", root().display()), "");
            insta::assert_snapshot!(name.clone(), expand_kernel(&path, &name), &description);
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
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let kernel = root().join("penny-examples/src/bench_kernels.rs");
    let expansion = expand_kernel(&kernel, "sum_sqrt");
    // The body of `step` has no derives, so cargo expand prints it as is, but for the one
    // `unreachable!` it expands.
    let start = expansion.find("    fn step(").expect("a step fn");
    let end = expansion
        .find("    #[allow(unused_variables")
        .expect("the progress fn");
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
