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
