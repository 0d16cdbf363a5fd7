//! The `#[penny::task]` attribute and its companions.
//!
//! `#[penny::task]` keeps the user's function as it is (it is the reference every lowered
//! task is tested against) and adds a state struct named after it in UpperCamelCase that
//! implements `penny::Task`. The pipeline, one module each:
//!
//! 1. `attr` parses the attribute's options; `desugar` rewrites the body into equivalent Rust
//!    the lowering handles (`for mut x`, labelled blocks);
//! 2. `valid` checks the signature and the control flow;
//! 3. `infer` annotates the `let`s whose types the code implies;
//! 4. `ast` builds the tree of resumable loops (and `valid` checks the yield points against
//!    the ones it consumed); `pure` tells which ranges may be evaluated again;
//! 5. `vars` resolves every use to its binding, finds the carried ones and reads their
//!    types (`types`);
//! 6. `expand` emits the struct, `new`, `Debug` and the `Task` impl, with `machine` building
//!    the dispatcher arms of `step` (and `rewrite` redirecting the user's
//!    `break`/`continue`/`return`) and `progress` the body of `progress()`.
//!
//! Every error from every phase is collected and reported at its span; when there is any,
//! the user's function is emitted with the errors and a stand-in state type, so rustc adds
//! no cascade.

#![forbid(unsafe_code)]

extern crate proc_macro;

mod ast;
mod attr;
mod changes;
mod ctxt;
mod desugar;
mod expand;
mod infer;
mod js;
mod kernel;
mod machine;
mod names;
mod pod;
mod progress;
mod pure;
mod rewrite;
mod split;
mod types;
mod updates;
mod valid;
mod vars;
mod views;
mod writes;

#[cfg(test)]
mod tests;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::visit_mut::VisitMut;
use syn::{FnArg, ItemFn, Pat, ReturnType};

use crate::ctxt::Errors;

/// Lowers the loops of a kernel into a resumable, `Copy` state machine.
///
/// For `fn mandel_brot(a: A, b: B) -> R`, adds `struct MandelBrot` with
/// `MandelBrot::new(a, b)` and `impl penny::Task<Output = R>`; the function itself stays.
/// Options: `#[penny::task(slot = 512)]` raises the slot size the state must fit (default
/// 4096 bytes); `js` exports a JS class; `state = ParticleTask` names the state struct (for
/// a module that already has an item named like the default).
#[proc_macro_attribute]
pub fn task(
    attr: proc_macro::TokenStream,
    item: proc_macro::TokenStream,
) -> proc_macro::TokenStream {
    task_impl(attr.into(), item.into()).into()
}

/// An explicit yield point: written as the last statement of a loop body inside a
/// `#[penny::task]` kernel, it makes that loop resumable. Anywhere else it is an error.
#[proc_macro]
pub fn yield_now(_input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    quote! {
        ::core::compile_error!(
            "`penny::yield_now!()` only means something as the last statement of a loop body \
             inside a `#[penny::task]` function"
        )
    }
    .into()
}

/// Marks a `for` loop inside a `#[penny::task]` kernel whose iterations are independent, so
/// a running task may split its remaining range across idle workers:
/// `#[penny::split]`, or with reductions `#[penny::split(reduce(sum = +, best = max))]`.
/// `#[penny::task]` consumes it; anywhere else it is an error.
#[proc_macro_attribute]
pub fn split(
    _attr: proc_macro::TokenStream,
    _item: proc_macro::TokenStream,
) -> proc_macro::TokenStream {
    quote! {
        ::core::compile_error!(
            "`#[penny::split]` only means something on a `for` loop inside a `#[penny::task]` \
             function"
        );
    }
    .into()
}

/// Implements `penny::Pod` (a `ZERO` value) for a `Copy` struct whose fields are all `Pod`.
/// Kernels don't need it: any `Copy + Send + 'static` type can be a task's argument or state;
/// it stays for code written when they did.
#[proc_macro_derive(Pod)]
pub fn derive_pod(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    pod::derive(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// The whole expansion of `#[penny::task]`, as a function of tokens (tests call this).
pub(crate) fn task_impl(attr: TokenStream, item: TokenStream) -> TokenStream {
    let func: ItemFn = match syn::parse2(item) {
        Ok(func) => func,
        Err(error) => return error.to_compile_error(),
    };
    let mut errors = Errors::default();
    let options = match syn::parse2::<attr::TaskAttr>(attr) {
        Ok(options) => options,
        Err(error) => {
            errors.push(error);
            attr::TaskAttr::default()
        }
    };
    let plain = plain_function(&func, &mut errors);
    // Beside the plain function, whatever else happens: the check that no argument is a view
    // under another name (in an `impl` block no item but the function may stand).
    let renamed = (!valid::is_method(&func)).then(|| {
        let check = views::renamed_view_check(&func);
        // `#[split]` after `use penny::split;` is consumed here, before rustc resolves it:
        // this use of the import keeps `unused_imports` quiet about it.
        let import = split::uses_imported_name(&func.block).then(|| {
            quote! {
                const _: () = {
                    #[allow(unused_imports)]
                    use split as _;
                };
            }
        });
        quote!(#check #import)
    });
    // On the user's text: the rewrites below may bind names of their own (`penny_`).
    valid::check_reserved_names(&func, &mut errors);
    let mut func = func;
    desugar::let_for_mut(&mut func.block);
    desugar::loop_labelled_blocks(&mut func.block);
    // The lowering reads types from annotations; infer the ones the code implies.
    let func = infer::annotate_lets(&func);
    let state = options.state.clone().unwrap_or_else(|| {
        let state = state_name(&func.sig.ident);
        // `fn option` would declare a struct `Option` that hides std's for the whole module
        // (rustc then reports E0107 and E0308 about `Option<u32>` at the attribute).
        if PRELUDE_TYPES.contains(&state.to_string().as_str()) {
            errors.push(syn::Error::new(
                func.sig.ident.span(),
                format!(
                    "the state struct of `fn {0}` would be named `{state}`, which would hide \
                     the prelude's `{state}` in this module: name it with \
                     `#[penny::task(state = {state}Task)]`",
                    func.sig.ident
                ),
            ));
            // The stand-in takes that name, so the prelude's type stays visible.
            return format_ident!("{}Task", state, span = state.span());
        }
        state
    });
    let output: syn::Type = match &func.sig.output {
        ReturnType::Default => syn::parse_quote!(()),
        ReturnType::Type(_, ty) => (**ty).clone(),
    };

    valid::check_signature(&func, &mut errors);
    valid::check_hidden_control_flow(&func, &mut errors);
    js::check(&func, options.js, &mut errors);

    let mut args = Vec::new();
    for input in &func.sig.inputs {
        if let FnArg::Typed(arg) = input {
            if let Pat::Ident(p) = &*arg.pat {
                args.push(vars::ArgInfo {
                    name: p.ident.clone(),
                    ty: (*arg.ty).clone(),
                    mutable: p.mutability.is_some(),
                });
            }
        }
    }
    let mut builder = ast::Builder::new(&mut errors, args.len());
    let body = builder.function_body(&func.block, &output);
    let consumed = std::mem::take(&mut builder.consumed_yields);
    let consumed_splits = std::mem::take(&mut builder.consumed_splits);
    let count = builder.bindings();
    valid::check_yield_points(&func, &consumed, &mut errors);
    split::check_unconsumed(&func.block, &consumed_splits, &mut errors);
    valid::check_hidden_loops(&body, &mut errors);
    let vars = vars::analyze(&args, &body, count, &output, &mut errors);
    valid::check_local_item_types(&func, &vars, &mut errors);
    // Writes through a buffer view argument are what split loops are for: not carried
    // variables to reduce.
    let outer: std::collections::HashSet<String> = vars
        .bindings
        .iter()
        .enumerate()
        .filter(|(id, b)| {
            (b.is_arg || b.carried) && !(b.is_arg && views::kind(&args[*id].ty).is_some())
        })
        .map(|(_, b)| b.ident.to_string())
        .collect();
    // Which built-in reductions a variable's type refuses, when every binding of its name
    // says so (`machine` checks again with the binding in scope at the loop).
    let refused = |name: &str| {
        let mut kinds = vars
            .bindings
            .iter()
            .filter(|b| (b.is_arg || b.carried) && b.ident == name)
            .map(|b| {
                b.ty.as_ref()
                    .and_then(|ty| split::never_builtin(ty, &func.sig.generics))
            });
        let first = kinds.next()??;
        kinds.all(|k| k.is_some()).then_some(first)
    };
    let split_outer = split::Outer {
        carried: &|name| outer.contains(name),
        refused: &refused,
    };
    split::check_loops(&body, &split_outer, &mut errors);
    let output_ok = types::not_pod_reason(&output).is_none();
    if !errors.is_empty() {
        let errors = errors.into_compile_errors();
        // In an `impl` block no item but the function may stand: no stand-in type there.
        let stub =
            (!valid::is_method(&func)).then(|| expand::stub(&func, &state, &output, output_ok));
        return quote!(#plain #stub #renamed #errors);
    }
    let mut loops = Vec::new();
    collect_loops(&body, &mut loops);
    let kernel = kernel::Kernel {
        func: &func,
        attr: options,
        state: state.clone(),
        args,
        output: output.clone(),
        loops,
        vars,
        immutables: pure::immutable_names(&func),
        body: &body,
    };
    let expansion = expand::expand(&kernel, &mut errors);
    if !errors.is_empty() {
        let errors = errors.into_compile_errors();
        let stub = expand::stub(&func, &state, &output, output_ok);
        return quote!(#plain #stub #renamed #errors);
    }
    let js = js::emit(&kernel);
    quote!(#plain #expansion #renamed #js)
}

/// The resumable loops of `seq`, indexed by their id.
fn collect_loops<'a>(seq: &'a ast::Seq, out: &mut Vec<&'a ast::Loop>) {
    for part in &seq.parts {
        match part {
            ast::Part::Loop(l) => {
                debug_assert_eq!(out.len(), l.id);
                out.push(l);
                collect_loops(&l.body, out);
            }
            ast::Part::Branch(b) => {
                for arm in &b.arms {
                    collect_loops(arm, out);
                }
            }
            _ => {}
        }
    }
}

/// The user's function with every `yield_now!()` statement and `#[penny::split]` attribute
/// removed and its view arguments opened: the reference implementation, unchanged otherwise
/// (but for whole uses of views, reported into `errors`).
fn plain_function(func: &ItemFn, errors: &mut Errors) -> ItemFn {
    struct StripYields;
    impl VisitMut for StripYields {
        fn visit_block_mut(&mut self, block: &mut syn::Block) {
            block.stmts.retain(|stmt| !ast::is_yield_stmt(stmt));
            syn::visit_mut::visit_block_mut(self, block);
        }
    }
    let mut plain = func.clone();
    StripYields.visit_block_mut(&mut plain.block);
    split::strip(&mut plain.block);
    views::check_whole_uses(&mut plain, errors);
    views::open_in_plain(&mut plain);
    plain
}

/// `mandel_brot` → `MandelBrot`.
/// Types of std's prelude a default state name must not take.
const PRELUDE_TYPES: &[&str] = &["Option", "Result", "Vec", "String", "Box"];

fn state_name(fn_name: &syn::Ident) -> syn::Ident {
    let name = fn_name.to_string();
    let name = name.strip_prefix("r#").unwrap_or(&name);
    let mut camel = String::new();
    for word in name.split('_').filter(|w| !w.is_empty()) {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            camel.extend(first.to_uppercase());
            camel.push_str(chars.as_str());
        }
    }
    format_ident!("{}", camel, span = fn_name.span())
}
