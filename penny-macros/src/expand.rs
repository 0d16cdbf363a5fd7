//! Emits the state struct, its constructor, its `Debug` and its `Task` impl.
//!
//! Shape of the generated `step` (`machine` builds the arms):
//!
//! ```text
//! if already done { return Done(output) }      if budget == 0 { return Yielded }
//! let mut penny_phase = self.phase;
//! let result = 'penny_resume: loop {
//!     'penny_to_N: { ... 'penny_to_0: {
//!         match penny_phase { 0 => break 'penny_to_0, ..., N => break 'penny_to_N }
//!     }
//!     // resume point 0: load arguments; prologue; enter the first loop (break 'penny_to_1)
//!     } ...
//!     // resume point h: load what is in scope; leaf loop: run min(budget, left) iterations
//!     // as a plain `for`; store what changed; yield or go on
//!     }
//! };
//! self.phase = penny_phase;
//! ```
//!
//! (See [`resume_chain`]; `machine` decides what each jump becomes.)
//!
//! On errors, [`stub`] emits a state type with the same name and constructor, so the user sees
//! Penny's errors and not a "cannot find type" at every use.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Ident, Type};

use crate::ctxt::Errors;
use crate::kernel::Kernel;
use crate::types::is_known_pod;

/// Emits the expansion, or reports errors found while emitting.
pub fn expand(kernel: &Kernel, errors: &mut Errors) -> TokenStream {
    let lowered = crate::machine::lower(kernel, errors);
    let state = &kernel.state;
    let fn_name = &kernel.func.sig.ident;
    let vis = &kernel.func.vis;
    let output = &kernel.output;
    let phase = &lowered.phase_field;
    let output_field = &lowered.output_field;
    let generics = &kernel.func.sig.generics;
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    let generic = !generics.params.is_empty();

    // Fields, constructor values and checks.
    let mut fields = Vec::new();
    let mut inits = Vec::new();
    let mut checks = Vec::new();
    let mut debug = Vec::new();
    for arg in &kernel.args {
        let (name, ty) = (&arg.name, &arg.ty);
        let doc = format!(" Argument `{name}` of [`{fn_name}`].");
        fields.push(quote!(#[doc = #doc] #name: #ty));
        inits.push(quote!(#name));
        debug.push(name.clone());
        checks.push(quote_spanned!(ty.span()=> ::penny::__private::assert_state::<#ty>();));
    }
    for carried in kernel.vars.carried() {
        let (name, field) = (&carried.ident, carried.field.as_ref().expect("named"));
        let ty = carried.ty.as_ref().expect("carried bindings are typed");
        let doc = format!(" `{name}`, which lives across iteration boundaries.");
        if carried.opaque() {
            let doc = format!("{doc} `None` until its `let` runs.");
            fields.push(quote!(#[doc = #doc] #field: ::core::option::Option<#ty>));
            inits.push(quote!(#field: ::core::option::Option::None));
            checks.push(quote_spanned!(ty.span()=> ::penny::__private::assert_state::<#ty>();));
        } else {
            fields.push(quote!(#[doc = #doc] #field: #ty));
            inits.push(quote!(#field: <#ty as ::penny::Pod>::ZERO));
        }
        debug.push(field.clone());
    }
    for info in &lowered.infos {
        for (field, _) in &info.chunk_sizes {
            let doc = format!(
                " The chunk size of `{}`, evaluated once when the loop started.",
                info.name
            );
            fields.push(quote!(#[doc = #doc] #field: usize));
            inits.push(quote!(#field: 0));
            debug.push(field.clone());
        }
        if let Some(saved) = &info.saved {
            let doc = format!(
                " The range of `{}`, evaluated once when the loop started.",
                info.name
            );
            fields.push(quote!(#[doc = #doc] #saved: ::penny::__private::SavedRange));
            inits.push(quote!(#saved: ::penny::__private::SavedRange::EMPTY));
            debug.push(saved.clone());
        }
        if let Some(done) = &info.done {
            let doc = format!(
                " Iterations of `{}` finished: where the loop resumes.",
                info.name
            );
            fields.push(quote!(#[doc = #doc] #done: u64));
            inits.push(quote!(#done: 0));
            debug.push(done.clone());
        }
        if let Some(len) = &info.len {
            let doc = format!(
                " Length of `{}`'s range, fixed when the loop starts.",
                info.name
            );
            fields.push(quote!(#[doc = #doc] #len: u64));
            inits.push(quote!(#len: 0));
            debug.push(len.clone());
        }
        if let Some(split) = &info.split {
            let (stop, halves, leaf) = (&split.stop, &split.halves, &split.leaf);
            let doc = format!(
                " Where this part of the split loop `{}` stops: its range's length until the \
                 task splits it.",
                info.name
            );
            fields.push(quote!(#[doc = #doc] #stop: u64));
            inits.push(quote!(#stop: 0));
            debug.push(stop.clone());
            let doc = format!(" Halves of `{}` split off and not joined yet.", info.name);
            fields.push(quote!(#[doc = #doc] #halves: u32));
            inits.push(quote!(#halves: 0));
            debug.push(halves.clone());
            let doc = format!(
                " Iterations per leaf of `{}`'s float reductions (0: none): splits fall on leaf \
                 boundaries.",
                info.name
            );
            fields.push(quote!(#[doc = #doc] #leaf: u64));
            inits.push(quote!(#leaf: 0));
            debug.push(leaf.clone());
            let reductions = lowered
                .splits
                .iter()
                .find(|s| s.head == info.head)
                .map(|s| s.reductions.as_slice())
                .unwrap_or_default();
            for red in reductions {
                if let (Some(ty), crate::split::ReduceOpTokens::Builtin(op)) =
                    (&red.unseen, &red.op)
                {
                    // A float behind an alias would keep no tree: its result would depend on
                    // where the loop split. Such a type must be written out.
                    let message = format!(
                        "the reduction of `{}` needs the fixed tree of a float reduction, but \
                         its type is written as `{}`, which Penny can't see is a float: write \
                         `f32` or `f64` (or an array of them) in its annotation",
                        red.name,
                        quote!(#ty)
                    );
                    checks.push(quote_spanned! {red.name.span()=>
                        ::core::assert!(
                            !::penny::__private::reduce::is_tree::<::penny::__private::reduce::#op, #ty>(),
                            #message
                        );
                    });
                }
                if let Some((partials, ty)) = &red.partials {
                    let doc = format!(
                        " The partial results of the reduction of `{}` in `{}`.",
                        red.name, info.name
                    );
                    let pty = crate::split::partials_type(&red.op, ty);
                    fields.push(quote!(#[doc = #doc] #partials: #pty));
                    inits.push(quote!(#partials: <#pty as ::penny::__private::reduce::Partials<#ty>>::start(<#ty as ::penny::Pod>::ZERO, 0)));
                    debug.push(partials.clone());
                }
            }
        }
    }
    if let Some(half) = &lowered.half_field {
        fields.push(quote!(
            #[doc = " Whether this state is a half split off another task's split loop: it stops at that loop's end, where the task it came from joins it."]
            #half: bool
        ));
        inits.push(quote!(#half: false));
        debug.push(half.clone());
    }
    fields.push(quote!(
        #[doc = " Where `step` resumes: 0 is the start of the function, others are loop heads and the code after loops and branches."]
        #phase: u32
    ));
    inits.push(quote!(#phase: 0));
    debug.push(phase.clone());
    fields.push(quote!(
        #[doc = " The function's result, once `step` returned `Done`."]
        #output_field: ::core::option::Option<#output>
    ));
    inits.push(quote!(#output_field: ::core::option::Option::None));
    debug.push(output_field.clone());
    checks.push(quote_spanned!(output.span()=> ::penny::__private::assert_output::<#output>();));
    let phantom = phantom_field(kernel);
    if let Some((field, init)) = &phantom {
        fields.push(field.clone());
        inits.push(init.clone());
    }

    let params = kernel.args.iter().map(|a| {
        let (name, ty) = (&a.name, &a.ty);
        quote!(#name: #ty)
    });
    let limit = proc_macro2::Literal::usize_unsuffixed(kernel.attr.slot_bytes);
    let fn_text = fn_name.to_string();
    let align_message = format!(
        "the state of `{fn_name}` is aligned beyond `penny::__private::MAX_TASK_ALIGN`, which \
         no pool can hold: keep the over-aligned value in a `penny::In` buffer and carry an \
         index"
    );
    let size_check = quote! {
        let penny_size = ::core::mem::size_of::<#state #ty_generics>();
        if penny_size > #limit {
            panic!("{}", ::penny::__private::Message::state_too_big(#fn_text, penny_size, #limit).as_str());
        }
        if ::core::mem::align_of::<#state #ty_generics>() > ::penny::__private::MAX_TASK_ALIGN {
            panic!(#align_message);
        }
    };
    let struct_doc = format!(
        " Resumable state of [`{fn_name}`]: its arguments, the variables its loops carry, and \
         its loop cursors. Generated by `#[penny::task]`; drive it with [`penny::Task::step`]."
    );
    let new_doc = format!(" A task that runs [`{fn_name}`] from the start with these arguments.");
    let impl_doc = format!(
        " Runs [`{fn_name}`] a chunk at a time: `step` resumes at `{phase}`, runs at most \
         `budget` loop iterations and stops at an iteration boundary."
    );
    let bounds = state_bounds(kernel);
    let where_state = merge_where(where_clause, &bounds);
    let hoisted = &lowered.hoisted;
    let progress = crate::progress::progress_body(kernel, &lowered.infos, phase, output_field);
    let body = resume_chain(&lowered.arms);
    let split_methods = crate::split::methods(&lowered.splits, phase, lowered.half_field.as_ref());
    let view_args: Vec<_> = kernel
        .args
        .iter()
        .filter_map(|a| crate::views::kind(&a.ty).map(|k| (a.name.clone(), k)))
        .collect();
    let views_method = crate::views::views_method(&view_args);
    let use_reduce = (!lowered.splits.is_empty()).then(crate::split::use_reduce);
    // The chunk's whole budget, for a split loop's leaf arm to tell whether this chunk ran
    // anything before reaching the loop's start (see `split::leaf_arm`).
    let chunk_budget =
        (!lowered.splits.is_empty()).then(|| quote!(let penny_chunk = penny_budget;));
    let state_text = state.to_string();
    // Generic kernels check their size when `new` is instantiated; others at once.
    let (checks_item, new_check) = if generic {
        (
            quote! {
                impl #impl_generics #state #ty_generics #where_clause {
                    #[doc = " Compile-time check: the state fits its limit."]
                    const PENNY_FITS: () = { #size_check };
                }
            },
            quote!(let () = Self::PENNY_FITS;),
        )
    } else {
        (
            quote! {
                #[doc = " Compile-time checks: every field can be task state, the output can leave a task, and the state fits its limit."]
                const _: () = {
                    #(#checks)*
                    #size_check
                };
            },
            quote!(),
        )
    };
    let no_loop_warning = no_resumable_loop_warning(kernel);
    // `new` takes the kernel's arguments: as many as clippy tolerates on the kernel itself.
    let many_args = (kernel.args.len() > 7).then(|| quote!(#[allow(clippy::too_many_arguments)]));
    // The user's `#[allow(..)]` on the kernel covers what is generated from it too (the state's
    // fields are named after its variables: `#[allow(non_snake_case)]` must reach them).
    let allows = user_allows(kernel);
    let allows = quote!(#(#allows)*);

    quote! {
        #[doc = #struct_doc]
        #[repr(C)]
        #allows
        #vis struct #state #impl_generics #where_clause {
            #(#fields,)*
        }

        impl #impl_generics ::core::clone::Clone for #state #ty_generics #where_state {
            #[inline]
            fn clone(&self) -> Self {
                *self
            }
        }

        impl #impl_generics ::core::marker::Copy for #state #ty_generics #where_state {}

        #allows
        impl #impl_generics ::core::fmt::Debug for #state #ty_generics #where_clause {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                #[allow(unused_imports)]
                use ::penny::__private::{ShowDebug as _, ShowOpaque as _};
                f.debug_struct(#state_text)
                    #(.field(stringify!(#debug), (&&::penny::__private::DebugField(&self.#debug)).penny_debug()))*
                    .finish()
            }
        }

        #allows
        impl #impl_generics #state #ty_generics #where_clause {
            #[doc = #new_doc]
            #many_args
            #vis fn new(#(#params),*) -> Self {
                #new_check
                Self { #(#inits,)* }
            }
        }

        #checks_item
        #no_loop_warning

        #[doc = #impl_doc]
        #allows
        impl #impl_generics ::penny::Task for #state #ty_generics #where_state {
            type Output = #output;

            #[inline]
            #[allow(unused_mut, unused_variables, unused_assignments, unused_labels, unreachable_code, clippy::all)]
            fn step(&mut self, budget: u32) -> ::penny::Step<#output> {
                if let ::core::option::Option::Some(output) = self.#output_field {
                    return ::penny::Step::Done(output);
                }
                if budget == 0 {
                    return ::penny::Step::Yielded;
                }
                #(#hoisted)*
                use ::penny::Step as PennyStep;
                #use_reduce
                let mut penny_budget = u64::from(budget);
                #chunk_budget
                // The phase lives in a local while `step` runs: a jump back through the
                // `match` then switches on a value LLVM knows at the jump, and can go straight
                // to its arm. Every way out of the loop leaves through here, which stores it.
                let mut penny_phase = self.#phase;
                let penny_result = 'penny_resume: loop {
                    #body
                };
                self.#phase = penny_phase;
                if let ::penny::Step::Done(output) = penny_result {
                    self.#output_field = ::core::option::Option::Some(output);
                }
                penny_result
            }

            #[allow(unused_variables, clippy::all)]
            fn progress(&self) -> ::penny::Progress {
                #progress
            }

            #split_methods
            #views_method
        }
    }
}

/// The body of `step`'s `'penny_resume` loop: the arms' code in program order, each after the
/// end of a labelled block (`'penny_to_N`) that the dispatching `match` breaks out of, so a
/// jump forward from one arm to a later one is a `break` to its start, not a trip through the
/// `match`:
///
/// ```text
/// 'penny_to_2: { 'penny_to_1: { 'penny_to_0: {
///     match penny_phase { 0 => break 'penny_to_0, 1 => break 'penny_to_1, 2 => break 'penny_to_2, .. }
/// } arm 0 } arm 1 } arm 2
/// ```
///
/// Every arm's code ends in a jump, a yield or the result, so none runs on into the next.
fn resume_chain(arms: &[(u32, TokenStream)]) -> TokenStream {
    let labels: Vec<syn::Lifetime> = arms
        .iter()
        .map(|(pc, _)| crate::machine::entry_label(*pc))
        .collect();
    let pcs = arms.iter().map(|(pc, _)| crate::machine::pc_literal(*pc));
    let mut code = quote! {
        match penny_phase {
            #(#pcs => break #labels,)*
            _ => unreachable!("corrupt task state: no such phase"),
        }
    };
    for ((_, arm), label) in arms.iter().zip(&labels) {
        code = quote!(#label: { #code } #arm);
    }
    code
}

/// `for<'penny> T: StateValue` for every field type Penny can't see is plain data: the
/// `for<'penny>` keeps rustc from checking the bound where it is written, so a type that
/// can't be state is reported once, by the checks (or where `new` is used), not by every
/// impl.
fn state_bounds(kernel: &Kernel) -> Vec<TokenStream> {
    let mut seen: Vec<String> = Vec::new();
    let mut bounds = Vec::new();
    let types = kernel
        .args
        .iter()
        .map(|a| &a.ty)
        .chain(kernel.vars.carried().filter_map(|c| c.ty.as_ref()))
        .chain(std::iter::once(&kernel.output));
    for ty in types {
        let text = quote!(#ty).to_string();
        if !is_known_pod(ty) && !seen.contains(&text) {
            seen.push(text);
            bounds.push(quote!(for<'penny> #ty: ::penny::__private::StateValue));
        }
    }
    for param in kernel.func.sig.generics.type_params() {
        let ident = &param.ident;
        let text = ident.to_string();
        if !seen.contains(&text) {
            seen.push(text);
            bounds.push(quote!(for<'penny> #ident: ::penny::__private::StateValue));
        }
    }
    bounds
}

fn merge_where(where_clause: Option<&syn::WhereClause>, bounds: &[TokenStream]) -> TokenStream {
    // Each predicate with its own comma: the user's list may end with one already
    // (rustfmt writes a multi-line `where` that way), and `T: A,,` doesn't parse.
    let existing = where_clause.map(|w| {
        let predicates = w.predicates.iter();
        quote!(#(#predicates,)*)
    });
    if bounds.is_empty() && existing.is_none() {
        return quote!();
    }
    quote!(where #existing #(#bounds,)*)
}

/// A `PhantomData` field for type parameters no field mentions (rustc requires every type
/// parameter to be used).
fn phantom_field(kernel: &Kernel) -> Option<(TokenStream, TokenStream)> {
    let params: Vec<&Ident> = kernel
        .func
        .sig
        .generics
        .type_params()
        .map(|p| &p.ident)
        .collect();
    if params.is_empty() {
        return None;
    }
    Some((
        quote!(
            #[doc = " The kernel's type parameters."]
            penny_types: ::core::marker::PhantomData<fn() -> (#(#params,)*)>
        ),
        quote!(penny_types: ::core::marker::PhantomData),
    ))
}

/// A warning (through `#[deprecated]`, the one lint a macro can raise on stable) when the
/// kernel has no resumable loop: it runs in one step, can't be preempted and reports no
/// progress. Allowed like any lint with `#[allow(deprecated)]` on the kernel.
fn no_resumable_loop_warning(kernel: &Kernel) -> TokenStream {
    if kernel.body.has_resumable() {
        return quote!();
    }
    let name = &kernel.func.sig.ident;
    let note = format!(
        "`{name}` has no resumable loop, so its task runs in one step: it can't be preempted, \
         cancelled midway or report progress. Write its work as a loop statement of the \
         function body (e.g. `for i in 0..n {{ .. }}` instead of an iterator chain or a helper \
         call); allow this with `#[allow(deprecated)]` on the kernel"
    );
    let allows = user_allows(kernel);
    let span = name.span();
    quote_spanned! {span=>
        #(#allows)*
        const _: () = {
            #[deprecated(note = #note)]
            struct PennyNoResumableLoop;
            let _ = PennyNoResumableLoop;
        };
    }
}

/// The `#[allow(..)]` attributes on the kernel.
fn user_allows<'k>(kernel: &'k Kernel) -> impl Iterator<Item = &'k syn::Attribute> {
    kernel
        .func
        .attrs
        .iter()
        .filter(|a| a.path().is_ident("allow"))
}

/// What stands in for the expansion when the kernel has errors: the state type with its
/// constructor and `Task` impl, so uses of it type-check and only Penny's errors show.
pub fn stub(func: &syn::ItemFn, state: &Ident, output: &Type, output_ok: bool) -> TokenStream {
    let vis = &func.vis;
    // Lifetimes were reported: without them the stub can be `'static` like any state.
    let mut generics = func.sig.generics.clone();
    generics.params = generics
        .params
        .into_iter()
        .filter(|p| !matches!(p, syn::GenericParam::Lifetime(_)))
        .collect();
    generics.where_clause = None;
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    // Arguments whose types borrow are left out: the stub only has to be callable.
    let params: Vec<TokenStream> = func
        .sig
        .inputs
        .iter()
        .filter_map(|input| match input {
            syn::FnArg::Typed(arg) if !mentions_lifetime(&arg.ty) => {
                let ty = &arg.ty;
                Some(quote!(_: #ty))
            }
            _ => None,
        })
        .collect();
    let output_ok = output_ok && !mentions_lifetime(output);
    let type_params: Vec<&Ident> = generics.type_params().map(|p| &p.ident).collect();
    let task = output_ok.then(|| {
        quote! {
            impl #impl_generics ::penny::Task for #state #ty_generics #where_clause {
                type Output = #output;
                fn step(&mut self, _budget: u32) -> ::penny::Step<#output> {
                    unreachable!("the kernel did not compile")
                }
                fn progress(&self) -> ::penny::Progress {
                    unreachable!("the kernel did not compile")
                }
            }
        }
    });
    quote! {
        #[doc = " Stand-in for the state of a kernel that did not compile."]
        #vis struct #state #impl_generics #where_clause {
            penny_types: ::core::marker::PhantomData<fn() -> (#(#type_params,)*)>,
        }
        impl #impl_generics ::core::clone::Clone for #state #ty_generics #where_clause {
            fn clone(&self) -> Self {
                *self
            }
        }
        impl #impl_generics ::core::marker::Copy for #state #ty_generics #where_clause {}
        impl #impl_generics #state #ty_generics #where_clause {
            #[allow(clippy::new_without_default)]
            #vis fn new(#(#params),*) -> Self {
                unreachable!("the kernel did not compile")
            }
        }
        #task
    }
}

/// Whether `ty` names a lifetime (`&T`, `View<'a>`).
fn mentions_lifetime(ty: &Type) -> bool {
    struct Finder(bool);
    impl<'ast> syn::visit::Visit<'ast> for Finder {
        fn visit_lifetime(&mut self, _: &'ast syn::Lifetime) {
            self.0 = true;
        }
        fn visit_type_reference(&mut self, _: &'ast syn::TypeReference) {
            self.0 = true;
        }
    }
    let mut finder = Finder(false);
    syn::visit::visit_type(&mut finder, ty);
    finder.0
}
