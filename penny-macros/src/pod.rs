//! `#[derive(Pod)]`: a struct is plain data when all its fields are.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields};

/// Implements `penny::Pod` with `ZERO` built from each field's `ZERO`; each field's type must
/// be `Pod` (checked by the impl's where-clause, so the error points at the field).
pub fn derive(input: &DeriveInput) -> syn::Result<TokenStream> {
    let Data::Struct(data) = &input.data else {
        return Err(syn::Error::new_spanned(
            &input.ident,
            "`#[derive(penny::Pod)]` works on structs only, and an enum doesn't need it: any \
             `Copy` type can be a task's argument or state as it is. Remove this derive and \
             keep `#[derive(Clone, Copy)]`",
        ));
    };
    let name = &input.ident;
    let mut generics = input.generics.clone();
    for param in generics.type_params_mut() {
        param.bounds.push(syn::parse_quote!(::penny::Pod));
    }
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    let field_checks = data.fields.iter().map(|field| {
        let ty = &field.ty;
        quote_spanned!(ty.span()=> #ty: ::penny::Pod,)
    });
    let zero = match &data.fields {
        Fields::Named(fields) => {
            let inits = fields.named.iter().map(|f| {
                let (name, ty) = (&f.ident, &f.ty);
                quote!(#name: <#ty as ::penny::Pod>::ZERO)
            });
            quote!(#name { #(#inits,)* })
        }
        Fields::Unnamed(fields) => {
            let inits = fields.unnamed.iter().map(|f| {
                let ty = &f.ty;
                quote!(<#ty as ::penny::Pod>::ZERO)
            });
            quote!(#name(#(#inits,)*))
        }
        Fields::Unit => quote!(#name),
    };
    // Each predicate with its own comma, whether or not the user's list ended with one.
    let predicates = where_clause.into_iter().flat_map(|w| w.predicates.iter());
    Ok(quote! {
        impl #impl_generics ::penny::Pod for #name #ty_generics
        where
            #(#predicates,)*
            #(#field_checks)*
        {
            const ZERO: Self = #zero;
        }
    })
}
