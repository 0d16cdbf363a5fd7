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

/// Rewrites every `for mut x in ..` (a `mut` binding anywhere in a `for` pattern) of `block`
/// as `for x in .. { let mut x = x; .. }`, the same thing in Rust. The lowering binds a loop's
/// pattern again from its cursor wherever the body resumes, so a change to a `mut` pattern
/// binding made before a resumable loop in the body would be lost; a `let` at the top of the
/// body is a variable like any other, carried across the body's yield points with its changes.
pub fn let_for_mut(block: &mut syn::Block) {
    struct Rewrite;
    impl syn::visit_mut::VisitMut for Rewrite {
        fn visit_expr_for_loop_mut(&mut self, l: &mut syn::ExprForLoop) {
            let mut strip = StripMut(Vec::new());
            syn::visit_mut::VisitMut::visit_pat_mut(&mut strip, &mut l.pat);
            if strip.0.is_empty() {
                return syn::visit_mut::visit_expr_for_loop_mut(self, l);
            }
            // A binding the body never changes (`for mut row in grid.iter()` with `mut`
            // unused) needs no `let`: one would carry a reference as a variable.
            let body = Expr::Block(syn::ExprBlock {
                attrs: Vec::new(),
                label: None,
                block: l.body.clone(),
            });
            let changed: Vec<Ident> = strip
                .0
                .into_iter()
                .filter(|ident| crate::changes::change_in_expr(&body, &ident.to_string()).is_some())
                .collect();
            for ident in changed.into_iter().rev() {
                let stmt: syn::Stmt =
                    syn::parse_quote_spanned!(ident.span()=> let mut #ident = #ident;);
                l.body.stmts.insert(0, stmt);
            }
            syn::visit_mut::visit_expr_for_loop_mut(self, l);
        }
        fn visit_item_mut(&mut self, _: &mut syn::Item) {}
    }
    /// Takes `mut` off by-value bindings, keeping their names.
    struct StripMut(Vec<Ident>);
    impl syn::visit_mut::VisitMut for StripMut {
        fn visit_pat_ident_mut(&mut self, p: &mut syn::PatIdent) {
            if p.by_ref.is_none() && p.mutability.take().is_some() {
                self.0.push(p.ident.clone());
            }
            syn::visit_mut::visit_pat_ident_mut(self, p);
        }
        fn visit_expr_mut(&mut self, _: &mut Expr) {}
    }
    syn::visit_mut::VisitMut::visit_block_mut(&mut Rewrite, block);
}

/// Whether `pat` has a `ref mut` binding (a mutable borrow of what it matches).
pub fn bound_refs_mut(pat: &Pat) -> bool {
    struct RefMut(bool);
    impl<'ast> Visit<'ast> for RefMut {
        fn visit_pat_ident(&mut self, p: &'ast syn::PatIdent) {
            self.0 |= p.by_ref.is_some() && p.mutability.is_some();
            syn::visit::visit_pat_ident(self, p);
        }
        fn visit_expr(&mut self, _: &'ast Expr) {}
    }
    let mut found = RefMut(false);
    found.visit_pat(pat);
    found.0
}

/// Whether `pat` binds `name`.
pub fn binds(pat: &Pat, name: &str) -> bool {
    bound_names(pat).iter().any(|n| n == name)
}

/// For a visitor that resolves one variable's name by scope, as rustc does: per scope
/// entered, innermost last, whether a binding of the name (a `let`, closure parameter, loop or
/// `match` pattern, `if let`) hides the variable there.
pub struct Scopes(Vec<bool>);

impl Scopes {
    /// The variable's own scope, where nothing hides it yet.
    pub fn new() -> Scopes {
        Scopes(vec![false])
    }

    /// Whether a binding hides the variable here.
    pub fn hidden(&self) -> bool {
        self.0.iter().any(|b| *b)
    }

    /// Enters a scope whose own pattern binds the name (`binds`) or not.
    pub fn push(&mut self, binds: bool) {
        self.0.push(binds);
    }

    /// Leaves the innermost scope.
    pub fn pop(&mut self) {
        self.0.pop();
    }

    /// A binding of the name from here to the end of the current scope (a `let`).
    pub fn hide(&mut self) {
        if let Some(top) = self.0.last_mut() {
            *top = true;
        }
    }
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

/// Calls `f` with every identifier in `tokens` (not a field or method name after a `.`) and
/// every name a format string in them captures (`{name}`, `{:name$}`), with its span.
pub fn each_name_in_tokens(tokens: TokenStream, f: &mut dyn FnMut(String, proc_macro2::Span)) {
    // The `.` puncts just before the current token: one makes an identifier a field or
    // method (`p.count`); two are a range (`0..count`).
    let mut dots = 0;
    for tree in tokens {
        let after_dot = dots == 1;
        dots = 0;
        match tree {
            TokenTree::Ident(ident) if !after_dot => f(ident.to_string(), ident.span()),
            TokenTree::Group(group) => each_name_in_tokens(group.stream(), f),
            TokenTree::Punct(p) if p.as_char() == '.' => dots = if after_dot { 2 } else { 1 },
            TokenTree::Literal(lit) => {
                if let Some(text) = string_contents(&lit.to_string()) {
                    for name in captures(text) {
                        f(name, lit.span());
                    }
                }
            }
            _ => {}
        }
    }
}

/// The text of a string literal as written (`"..."`, `r"..."`, `r#"..."#`): what a format
/// string's captures are read from. `None` for other literals (format macros take no byte or
/// C strings).
fn string_contents(literal: &str) -> Option<&str> {
    if let Some(rest) = literal.strip_prefix('"') {
        return rest.strip_suffix('"');
    }
    let rest = literal.strip_prefix('r')?;
    let hashes = rest.len() - rest.trim_start_matches('#').len();
    let rest = rest[hashes..].strip_prefix('"')?;
    rest.strip_suffix(&"#".repeat(hashes))?.strip_suffix('"')
}

/// The names a format string captures: `{name}` (with any spec after it), and a width or
/// precision `name$` in a spec; `{{` is an escaped brace.
fn captures(text: &str) -> Vec<String> {
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let named = |name: &str| !name.is_empty() && !name.starts_with(|c: char| c.is_ascii_digit());
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        rest = &rest[open + 1..];
        if let Some(escaped) = rest.strip_prefix('{') {
            rest = escaped;
            continue;
        }
        let end = rest.find('}').unwrap_or(rest.len());
        let field = &rest[..end];
        let (argument, spec) = field.split_once(':').unwrap_or((field, ""));
        let name = ident(argument.trim());
        if named(&name) {
            names.push(name);
        }
        // `{:width$}`, `{:.prec$}`, `{x:>w$.p$}`.
        for (k, _) in spec.match_indices('$') {
            let before = &spec[..k];
            let start = before
                .rfind(|c: char| !(c.is_alphanumeric() || c == '_'))
                .map_or(0, |i| i + 1);
            let name = &before[start..];
            if named(name) {
                names.push(name.to_string());
            }
        }
        rest = &rest[end..];
    }
    names
}

#[cfg(test)]
mod tests {
    use super::{captures, string_contents};

    #[test]
    fn format_strings_capture_names() {
        assert_eq!(string_contents(r#""{a}""#), Some("{a}"));
        assert_eq!(string_contents(r##"r"{a}""##), Some("{a}"));
        assert_eq!(string_contents(r###"r#"{a}"#"###), Some("{a}"));
        assert_eq!(string_contents(r#"b"{a}""#), None);
        assert_eq!(string_contents("3u8"), None);
        assert_eq!(
            captures("{a} {b:?} {{c}} {0} {} {d:>w$.p$}"),
            ["a", "b", "d", "w", "p"]
        );
        assert_eq!(captures("{{{e}}}"), ["e"]);
    }

    #[test]
    fn fields_are_not_names() {
        let mut seen = Vec::new();
        let tokens: proc_macro2::TokenStream = "p.count < 5, 0..n, x..=m, q.f(), \"{{z}} {y}\""
            .parse()
            .unwrap();
        super::each_name_in_tokens(tokens, &mut |name, _| seen.push(name));
        assert_eq!(seen, ["p", "n", "x", "m", "q", "y"]);
    }
}
