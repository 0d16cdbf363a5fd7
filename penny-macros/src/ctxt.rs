//! Error accumulation: every check reports into one [`Errors`], so the user sees all the
//! problems in a kernel at once, each at its own span (serde_derive's `Ctxt` idea).

use std::fmt::Display;

use proc_macro2::TokenStream;
use quote::ToTokens;

/// The errors found so far in one macro invocation.
#[derive(Default)]
pub struct Errors {
    errors: Vec<syn::Error>,
}

impl Errors {
    /// Records an error spanning the tokens of `node`.
    pub fn at<T: ToTokens, M: Display>(&mut self, node: T, message: M) {
        self.errors
            .push(syn::Error::new_spanned(node.into_token_stream(), message));
    }

    /// Records an error at `span`.
    pub fn at_span<M: Display>(&mut self, span: proc_macro2::Span, message: M) {
        self.errors.push(syn::Error::new(span, message));
    }

    /// Records an error that syn already built.
    pub fn push(&mut self, error: syn::Error) {
        self.errors.push(error);
    }

    /// How many errors were recorded.
    pub fn len(&self) -> usize {
        self.errors.len()
    }

    /// Whether nothing went wrong.
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// All errors as `compile_error!` invocations.
    pub fn into_compile_errors(self) -> TokenStream {
        self.errors
            .iter()
            .map(syn::Error::to_compile_error)
            .collect()
    }
}
