//! Buffer view arguments (`penny::View<T>`, `penny::Stripes<T>`, `penny::Tiles<T>`): recognised
//! by their type's
//! name, opened where the kernel's code runs (the plain function's body, every arm of
//! `step`), restricted to a chunk's stripes inside split loops, and named for the pool's
//! leases (`Task::views`).

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Ident, Type};

/// What a view argument lets the kernel do.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum ViewKind {
    /// `View<T>`.
    Read,
    /// `Stripes<T>`.
    Write,
}

/// The kind of view `ty` names, by the last segment of its path (`View`, `penny::View`,
/// `Stripes<f32>`).
pub fn kind(ty: &Type) -> Option<ViewKind> {
    let Type::Path(path) = ty else {
        return None;
    };
    let last = path.path.segments.last()?;
    // Penny's views take one type argument (`View<f32>`): a `View<'a>` of your own isn't one.
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    if args.args.len() != 1 || !matches!(args.args[0], syn::GenericArgument::Type(_)) {
        return None;
    }
    match last.ident.to_string().as_str() {
        "View" => Some(ViewKind::Read),
        "Stripes" | "Tiles" => Some(ViewKind::Write),
        _ => None,
    }
}

/// Whether an argument of type `ty` might be a view under another name (a `type` alias, a
/// `use .. as`): a path type that [`kind`] doesn't recognise and that isn't a primitive or a
/// `std` type a kernel commonly takes. The expansion probes those (`__private::ArgType`).
pub fn maybe_renamed_view(ty: &Type) -> bool {
    let Type::Path(path) = ty else {
        return false;
    };
    if path.qself.is_some() || kind(ty).is_some() {
        return false;
    }
    let Some(last) = path.path.segments.last() else {
        return false;
    };
    let known = [
        "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64", "i128", "isize",
        "f32", "f64", "bool", "char", "Option", "In", "Out",
    ];
    !known.contains(&last.ident.to_string().as_str())
}

/// A check, beside the kernel, that no argument is a view under another name (see
/// `__private::ArgType`): nothing when every argument's type is a view's, a primitive's or
/// another type no view can be named as.
pub fn renamed_view_check(func: &syn::ItemFn) -> TokenStream {
    let probes: Vec<_> = func
        .sig
        .inputs
        .iter()
        .filter_map(|input| match input {
            syn::FnArg::Typed(arg) if maybe_renamed_view(&arg.ty) => Some(&arg.ty),
            _ => None,
        })
        .map(|ty| {
            quote::quote_spanned!(syn::spanned::Spanned::span(ty)=>
                (&::penny::__private::ArgType::<#ty>::NEW).penny_check();)
        })
        .collect();
    if probes.is_empty() {
        return quote!();
    }
    let (impl_generics, _, where_clause) = func.sig.generics.split_for_impl();
    quote! {
        #[doc = " Compile-time check: no argument is a view named through a `type` alias or `use .. as`."]
        const _: () = {
            #[allow(dead_code)]
            fn penny_views_by_name #impl_generics () #where_clause {
                use ::penny::__private::{NotAView as _, ViewThroughAlias as _};
                #(#probes)*
            }
        };
    }
}

/// Reports each view argument used whole where it would have to be a view again: returned,
/// passed to a function or method, or put in a struct, tuple or array. Inside the kernel the
/// name stands for the open view (see [`open`]), which rustc would report as a mismatch of
/// `StripesPart` and `Stripes` in generated code. Each such use in `plain` (the user's
/// function, before its views are opened) becomes `unreachable!()`, so only this error
/// shows. Names the body binds again are left alone.
pub fn check_whole_uses(plain: &mut syn::ItemFn, errors: &mut crate::ctxt::Errors) {
    use syn::visit::Visit;
    use syn::visit_mut::VisitMut;
    struct Bound(std::collections::HashSet<String>);
    impl<'ast> Visit<'ast> for Bound {
        fn visit_pat_ident(&mut self, p: &'ast syn::PatIdent) {
            self.0.insert(p.ident.to_string());
            syn::visit::visit_pat_ident(self, p);
        }
    }
    struct Whole<'e> {
        views: std::collections::HashSet<String>,
        errors: &'e mut crate::ctxt::Errors,
    }
    impl Whole<'_> {
        fn check(&mut self, expr: &mut syn::Expr, what: &str) {
            let syn::Expr::Path(path) = &*expr else {
                return;
            };
            let Some(name) = path.path.get_ident().map(Ident::to_string) else {
                return;
            };
            if self.views.contains(&name) {
                self.errors.at(
                    &*expr,
                    format!(
                        "`{name}` is a buffer view argument, which can't be {what}: inside the \
                         kernel `{name}` is the open view, to index (`{name}[i]`) and measure \
                         (`{name}.len()`). Pass or return the values instead; the buffer itself \
                         is the caller's, to read once the task has ended"
                    ),
                );
                *expr = syn::parse_quote!(::core::unreachable!());
            }
        }
    }
    impl VisitMut for Whole<'_> {
        fn visit_expr_return_mut(&mut self, e: &mut syn::ExprReturn) {
            if let Some(value) = &mut e.expr {
                self.check(value, "returned");
            }
            syn::visit_mut::visit_expr_return_mut(self, e);
        }
        fn visit_expr_call_mut(&mut self, e: &mut syn::ExprCall) {
            for arg in &mut e.args {
                self.check(arg, "passed on whole");
            }
            syn::visit_mut::visit_expr_call_mut(self, e);
        }
        fn visit_expr_method_call_mut(&mut self, e: &mut syn::ExprMethodCall) {
            for arg in &mut e.args {
                self.check(arg, "passed on whole");
            }
            syn::visit_mut::visit_expr_method_call_mut(self, e);
        }
        fn visit_expr_struct_mut(&mut self, e: &mut syn::ExprStruct) {
            for field in &mut e.fields {
                self.check(&mut field.expr, "stored in a struct");
            }
            syn::visit_mut::visit_expr_struct_mut(self, e);
        }
        fn visit_expr_tuple_mut(&mut self, e: &mut syn::ExprTuple) {
            for elem in &mut e.elems {
                self.check(elem, "stored in a tuple");
            }
            syn::visit_mut::visit_expr_tuple_mut(self, e);
        }
        fn visit_expr_array_mut(&mut self, e: &mut syn::ExprArray) {
            for elem in &mut e.elems {
                self.check(elem, "stored in an array");
            }
            syn::visit_mut::visit_expr_array_mut(self, e);
        }
        // Nested items have their own arguments.
        fn visit_item_mut(&mut self, _: &mut syn::Item) {}
    }
    let mut bound = Bound(Default::default());
    bound.visit_block(&plain.block);
    let views = plain
        .sig
        .inputs
        .iter()
        .filter_map(|input| match input {
            syn::FnArg::Typed(arg) => match (&*arg.pat, kind(&arg.ty)) {
                (syn::Pat::Ident(p), Some(_)) => Some(p.ident.to_string()),
                _ => None,
            },
            _ => None,
        })
        .filter(|name| !bound.0.contains(name))
        .collect::<std::collections::HashSet<_>>();
    if views.is_empty() {
        return;
    }
    let before = errors.len();
    let mut whole = Whole { views, errors };
    if let Some(syn::Stmt::Expr(tail, None)) = plain.block.stmts.last_mut() {
        whole.check(tail, "returned");
    }
    whole.visit_block_mut(&mut plain.block);
    if whole.errors.len() > before {
        // What follows an `unreachable!()` would be reported as such.
        plain
            .attrs
            .push(syn::parse_quote!(#[allow(unreachable_code)]));
    }
}

/// An open view under the argument's name: its guard (which holds the lease) under a
/// hidden name, and the plain-data access the kernel's code uses (kept in registers: the
/// guard's address never reaches the loop).
pub fn open(name: &Ident, value: TokenStream) -> TokenStream {
    let guard = quote::format_ident!("penny_open_{}", name);
    quote! {
        let mut #guard = ::penny::__private::open_view(&#value);
        #[allow(unused_mut)]
        let mut #name = ::penny::__private::access(&mut #guard);
    }
}

/// The plain function's body, with its view arguments opened first.
pub fn open_in_plain(func: &mut syn::ItemFn) {
    let mut opens = Vec::new();
    for input in &func.sig.inputs {
        if let syn::FnArg::Typed(arg) = input {
            if let (syn::Pat::Ident(p), Some(_)) = (&*arg.pat, kind(&arg.ty)) {
                let name = &p.ident;
                opens.push(open(name, quote!(#name)));
            }
        }
    }
    if opens.is_empty() {
        return;
    }
    let stmts = &func.block.stmts;
    let block: syn::Block = syn::parse_quote!({ #(#opens)* #(#stmts)* });
    *func.block = block;
}

/// `Task::views` for the view arguments `args` (name, kind): empty when there are none.
pub fn views_method(args: &[(Ident, ViewKind)]) -> TokenStream {
    if args.is_empty() {
        return quote!();
    }
    let names = args.iter().map(|(name, _)| name);
    quote! {
        fn views(&self, visit: &mut dyn ::core::ops::FnMut(::penny::ViewRef)) {
            #(visit(::penny::__private::view_ref(&self.#names));)*
        }
    }
}
