//! Emits the state struct, its constructor and its `Task` impl.
//!
//! Shape of the generated `step` (see the module docs of `lib.rs` for the whole picture):
//!
//! ```text
//! if already done { return Done(output) }      if budget == 0 { return Yielded }
//! load arguments and carried variables into locals named like the user's variables
//! let result = 'penny_resume: loop {
//!     match self.phase {          // one arm per resume point
//!         0 => { prologue; enter first loop }
//!         h => { leaf loop: run min(budget, left) iterations as a plain `for`, then
//!                yield or leave }
//!         ...
//!     }
//! };
//! store the locals back; result
//! ```
//!
//! User `break`/`continue`/`return` that leave the code of one arm become assignments to
//! `self.phase` plus `continue 'penny_resume` (or `break 'penny_resume Done(v)`).

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Ident, Type};

use crate::ast::Seq;
use crate::attr::TaskAttr;
use crate::ctxt::Errors;
use crate::machine::Emitter;
use crate::vars::Vars;

/// An argument of the kernel.
pub struct Arg {
    /// Its name.
    pub name: Ident,
    /// Its type.
    pub ty: Type,
    /// Whether it was declared `mut`.
    pub mutable: bool,
}

/// Everything the emitter needs.
pub struct Kernel<'a> {
    /// The user's function.
    pub func: &'a syn::ItemFn,
    /// `#[penny::task(...)]` options.
    pub attr: TaskAttr,
    /// Name of the state struct.
    pub state: Ident,
    /// The arguments.
    pub args: Vec<Arg>,
    /// The return type (`()` when none).
    pub output: Type,
    /// The body as a tree of resumable loops.
    pub body: Seq,
    /// Carried variables.
    pub vars: Vars,
    /// Names whose every use reads the same value (see [`crate::pure`]).
    pub immutables: std::collections::HashSet<String>,
}

/// Emits the expansion, or reports errors found while emitting.
pub fn expand(kernel: &Kernel, errors: &mut Errors) -> TokenStream {
    let mut emitter = Emitter::new(kernel);
    emitter.assign_pcs(&kernel.body, &mut 1);
    let arms = emitter.function_arms();
    errors_into(&mut emitter.errors, errors);
    let state = &kernel.state;
    let fn_name = &kernel.func.sig.ident;
    let vis = &kernel.func.vis;
    let output = &kernel.output;
    let phase = &emitter.phase_field;
    let output_field = &emitter.output_field;

    // Fields, constructor values, loads and stores.
    let mut fields = Vec::new();
    let mut inits = Vec::new();
    let mut loads = Vec::new();
    let mut stores = Vec::new();
    let mut checks = Vec::new();
    for arg in &kernel.args {
        let (name, ty) = (&arg.name, &arg.ty);
        let doc = format!(" Argument `{name}` of [`{fn_name}`].");
        fields.push(quote!(#[doc = #doc] #name: #ty));
        inits.push(quote!(#name));
        if arg.mutable || kernel.vars.shadowed_args.contains(&name.to_string()) {
            loads.push(quote!(let mut #name = self.#name;));
            stores.push(quote!(self.#name = #name;));
        } else {
            loads.push(quote!(let #name = self.#name;));
        }
        checks.push(quote_spanned!(ty.span()=> ::penny::__private::assert_pod::<#ty>();));
    }
    for carried in &kernel.vars.carried {
        let (name, ty) = (&carried.name, &carried.ty);
        let doc = format!(" `{name}`, which lives across iteration boundaries.");
        fields.push(quote!(#[doc = #doc] #name: #ty));
        inits.push(quote!(#name: <#ty as ::penny::Pod>::ZERO));
        loads.push(quote!(let mut #name = self.#name;));
        stores.push(quote!(self.#name = #name;));
        // `<#ty as Pod>::ZERO` above already proves (and reports) that the type is `Pod`.
    }
    for info in &emitter.infos {
        if let Some(done) = &info.done {
            let doc = format!(
                " Iterations of `{}` finished: where the loop resumes.",
                info.name
            );
            fields.push(quote!(#[doc = #doc] #done: u64));
            inits.push(quote!(#done: 0));
        }
        if let Some(saved) = &info.saved {
            let doc = format!(
                " The range of `{}`, evaluated once when the loop started.",
                info.name
            );
            fields.push(quote!(#[doc = #doc] #saved: ::penny::__private::SavedRange));
            inits.push(quote!(#saved: ::penny::__private::SavedRange::EMPTY));
        }
        if let Some(len) = &info.len {
            let doc = format!(
                " Length of `{}`'s range, fixed when the loop starts.",
                info.name
            );
            fields.push(quote!(#[doc = #doc] #len: u64));
            inits.push(quote!(#len: 0));
        }
    }
    fields.push(quote!(
        #[doc = " Where `step` resumes: 0 is the start of the function, others are loop heads and the code after loops."]
        #phase: u32
    ));
    inits.push(quote!(#phase: 0));
    fields.push(quote!(
        #[doc = " The function's result, once `step` returned `Done`."]
        #output_field: ::core::option::Option<#output>
    ));
    inits.push(quote!(#output_field: ::core::option::Option::None));
    checks.push(quote_spanned!(output.span()=> ::penny::__private::assert_output::<#output>();));

    let params = kernel.args.iter().map(|a| {
        let (name, ty) = (&a.name, &a.ty);
        quote!(#name: #ty)
    });
    let slot = proc_macro2::Literal::usize_unsuffixed(kernel.attr.slot_bytes);
    let slot_bytes = kernel.attr.slot_bytes;
    let slot_message = format!(
        "the state of `{fn_name}` doesn't fit a {slot}-byte task slot: carry less state, or \
         raise the slot with `#[penny::task(slot = {bigger})]`",
        slot = slot_bytes,
        bigger = slot_bytes * 2
    );
    let struct_doc = format!(
        " Resumable state of [`{fn_name}`]: its arguments, the variables its loops carry, and \
         its loop cursors. Generated by `#[penny::task]`; drive it with [`penny::Task::step`]."
    );
    let new_doc = format!(" A task that runs [`{fn_name}`] from the start with these arguments.");
    let impl_doc = format!(
        " Runs [`{fn_name}`] a chunk at a time: `step` resumes at `{phase}`, runs at most \
         `budget` loop iterations and stops at an iteration boundary."
    );
    let (derive, copy_impls, where_pod) = copy_impls(kernel);
    let hoisted = &emitter.hoisted;
    let progress = emitter.progress_body();

    quote! {
        #[doc = #struct_doc]
        #derive
        #[repr(C)]
        #vis struct #state {
            #(#fields,)*
        }
        #copy_impls

        impl #state {
            #[doc = #new_doc]
            #vis fn new(#(#params),*) -> Self {
                Self { #(#inits,)* }
            }
        }

        #[doc = " Compile-time checks: every field is plain data, the output can leave a task, and the state fits its slot."]
        const _: () = {
            #(#checks)*
            if ::core::mem::size_of::<#state>() > #slot {
                panic!(#slot_message);
            }
        };

        #[doc = #impl_doc]
        impl ::penny::Task for #state #where_pod {
            type Output = #output;

            #[allow(unused_mut, unused_variables, unused_assignments, unreachable_code, clippy::all)]
            fn step(&mut self, budget: u32) -> ::penny::Step<#output> {
                if let ::core::option::Option::Some(output) = self.#output_field {
                    return ::penny::Step::Done(output);
                }
                if budget == 0 {
                    return ::penny::Step::Yielded;
                }
                #(#hoisted)*
                /// `Step` of this task's output (a plain path, so `break 'label value` parses).
                type PennyStep = ::penny::Step<#output>;
                let mut penny_budget = u64::from(budget);
                #(#loads)*
                let penny_result = 'penny_resume: loop {
                    match self.#phase {
                        #(#arms)*
                        _ => unreachable!("corrupt task state: no such phase"),
                    }
                };
                #(#stores)*
                if let ::penny::Step::Done(output) = penny_result {
                    self.#output_field = ::core::option::Option::Some(output);
                }
                penny_result
            }

            #[allow(unused_variables, clippy::all)]
            fn progress(&self) -> ::penny::Progress {
                #progress
            }
        }
    }
}

/// `Clone`/`Copy` for the state struct. When a field's type is one Penny can't see is plain
/// data (a user struct), the impls (and the `Task` impl) carry `for<'penny> T: Pod` bounds:
/// the `for<'penny>` keeps rustc from checking them where they are written, so a type that
/// isn't `Pod` is reported once, where `new` needs its `ZERO`, instead of by every impl.
fn copy_impls(kernel: &Kernel) -> (TokenStream, TokenStream, TokenStream) {
    let mut opaque: Vec<&Type> = Vec::new();
    let types = kernel
        .args
        .iter()
        .map(|a| &a.ty)
        .chain(kernel.vars.carried.iter().map(|c| &c.ty));
    for ty in types {
        let text = quote!(#ty).to_string();
        if !crate::types::is_known_pod(ty) && !opaque.iter().any(|t| quote!(#t).to_string() == text)
        {
            opaque.push(ty);
        }
    }
    let output = &kernel.output;
    let opaque_output = !crate::types::is_known_pod(output);
    if opaque.is_empty() && !opaque_output {
        return (quote!(#[derive(Clone, Copy)]), quote!(), quote!());
    }
    // The output is kept in the state too; it must be `Copy`, not necessarily `Pod`.
    let output_bound = opaque_output.then(|| quote!(for<'penny> #output: ::core::marker::Copy,));
    let where_pod = quote!(where #(for<'penny> #opaque: ::penny::Pod,)* #output_bound);
    let state = &kernel.state;
    let impls = quote! {
        impl ::core::clone::Clone for #state #where_pod {
            fn clone(&self) -> Self {
                *self
            }
        }
        impl ::core::marker::Copy for #state #where_pod {}
    };
    (quote!(), impls, where_pod)
}

fn errors_into(from: &mut Errors, into: &mut Errors) {
    let taken = std::mem::take(from);
    if !taken.is_empty() {
        for error in taken.into_errors() {
            into.push(error);
        }
    }
}
