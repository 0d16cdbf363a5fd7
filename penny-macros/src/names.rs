//! Names in syntax: the identifiers a pattern binds and the ones an expression reads. The
//! macro resolves uses by name (it has no name resolution of its own), so a read inside a
//! macro call or a format string counts too.

use std::collections::HashSet;

use proc_macro2::{TokenStream, TokenTree};
use syn::visit::Visit;
use syn::{Expr, Ident, Pat};

/// Names bound by a pattern, with whether each is bound `mut`.
pub fn bound_idents(pat: &Pat) -> Vec<(Ident, bool)> {
    struct Names(Vec<(Ident, bool)>);
    impl<'ast> Visit<'ast> for Names {
        fn visit_pat_ident(&mut self, p: &'ast syn::PatIdent) {
            self.0.push((p.ident.clone(), p.mutability.is_some()));
            syn::visit::visit_pat_ident(self, p);
        }
        // `Some(x)` in a pattern is a path, `NONE` a constant: only identifiers bind.
        fn visit_expr(&mut self, _: &'ast Expr) {}
    }
    let mut names = Names(Vec::new());
    names.visit_pat(pat);
    names.0
}

/// Names bound by a pattern.
pub fn bound_names(pat: &Pat) -> Vec<Ident> {
    bound_idents(pat)
        .into_iter()
        .map(|(ident, _)| ident)
        .collect()
}

/// Single-identifier paths used in `expr` (and identifiers inside macro invocations).
pub fn used_names_expr(expr: &Expr) -> HashSet<String> {
    let mut used = HashSet::new();
    Uses(&mut used).visit_expr(expr);
    used
}

/// Single-identifier paths used in `stmt` (and identifiers inside macro invocations).
pub fn used_names_stmt(stmt: &syn::Stmt) -> HashSet<String> {
    let mut used = HashSet::new();
    Uses(&mut used).visit_stmt(stmt);
    used
}

struct Uses<'a>(&'a mut HashSet<String>);

impl<'ast> Visit<'ast> for Uses<'_> {
    fn visit_expr_path(&mut self, e: &'ast syn::ExprPath) {
        if let Some(ident) = e.path.get_ident() {
            self.0.insert(ident.to_string());
        }
        syn::visit::visit_expr_path(self, e);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        idents_in_tokens(mac.tokens.clone(), self.0);
    }
}

fn idents_in_tokens(tokens: TokenStream, out: &mut HashSet<String>) {
    each_name_in_tokens(tokens, &mut |name, _| {
        out.insert(name);
    });
}

/// Where a macro's `tokens` name `name` first: an identifier, or `{name}` in a format string
/// (the string's span).
pub fn name_in_tokens(tokens: TokenStream, name: &str) -> Option<proc_macro2::Span> {
    let mut found = None;
    each_name_in_tokens(tokens, &mut |seen, span| {
        if found.is_none() && seen == name {
            found = Some(span);
        }
    });
    found
}

/// Calls `f` with every identifier in `tokens` and every name a format string in them
/// captures (`{name}`), with its span.
fn each_name_in_tokens(tokens: TokenStream, f: &mut dyn FnMut(String, proc_macro2::Span)) {
    for tree in tokens {
        match tree {
            TokenTree::Ident(ident) => f(ident.to_string(), ident.span()),
            TokenTree::Group(group) => each_name_in_tokens(group.stream(), f),
            // `{name}` inside a format string names a variable too.
            TokenTree::Literal(lit) => {
                let text = lit.to_string();
                if text.starts_with('"') {
                    for piece in text.split('{').skip(1) {
                        let name: String = piece
                            .chars()
                            .take_while(|c| c.is_alphanumeric() || *c == '_')
                            .collect();
                        if !name.is_empty() && !name.starts_with(|c: char| c.is_ascii_digit()) {
                            f(name, lit.span());
                        }
                    }
                }
            }
            _ => {}
        }
    }
}
