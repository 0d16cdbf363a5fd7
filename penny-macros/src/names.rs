//! Names in syntax: the identifiers a pattern binds and the ones an expression reads. The
//! macro resolves uses by name (it has no name resolution of its own), so a read inside a
//! macro call or a format string counts too.

use std::collections::HashSet;

use proc_macro2::{TokenStream, TokenTree};
use syn::visit::Visit;
use syn::{Expr, Ident, Pat};

/// Names bound by a pattern, with whether each is bound `mut`.
pub fn bound_idents(pat: &Pat) -> Vec<(Ident, bool)> {
    pattern_idents(pat)
        .into_iter()
        .map(|p| (p.ident.clone(), p.mutability.is_some()))
        .collect()
}

/// Names a pattern binds by value (not `ref`), with whether each is bound `mut`.
pub fn bound_by_value(pat: &Pat) -> Vec<(Ident, bool)> {
    pattern_idents(pat)
        .into_iter()
        .filter(|p| p.by_ref.is_none())
        .map(|p| (p.ident.clone(), p.mutability.is_some()))
        .collect()
}

/// The names `pat` binds with `ref` or `ref mut` (a borrow of what it matches).
pub fn bound_by_ref(pat: &Pat) -> Vec<Ident> {
    pattern_idents(pat)
        .into_iter()
        .filter(|p| p.by_ref.is_some())
        .map(|p| p.ident.clone())
        .collect()
}

/// The identifier patterns in `pat`, in order.
fn pattern_idents(pat: &Pat) -> Vec<&syn::PatIdent> {
    struct Names<'a>(Vec<&'a syn::PatIdent>);
    impl<'ast> Visit<'ast> for Names<'ast> {
        fn visit_pat_ident(&mut self, p: &'ast syn::PatIdent) {
            self.0.push(p);
            syn::visit::visit_pat_ident(self, p);
        }
        // `Some(x)` in a pattern is a path, `NONE` a constant: only identifiers bind.
        fn visit_expr(&mut self, _: &'ast Expr) {}
    }
    let mut names = Names(Vec::new());
    names.visit_pat(pat);
    names.0
}

/// Whether `pat` has a `ref mut` binding (a mutable borrow of what it matches).
pub fn bound_refs_mut(pat: &Pat) -> bool {
    pattern_idents(pat)
        .iter()
        .any(|p| p.by_ref.is_some() && p.mutability.is_some())
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

/// The names `expr` reads from outside itself: single-identifier paths (and names in macro
/// calls) not bound inside `expr` by a closure parameter, `let`, loop or `match` pattern or
/// `if let` / `while let` in scope at the use. What a closure captures.
pub fn free_names_expr(expr: &Expr) -> HashSet<String> {
    let mut free = Free {
        bound: vec![Vec::new()],
        free: HashSet::new(),
    };
    free.visit_expr(expr);
    free.free
}

/// Free names, resolved by scope: `bound` holds, per scope entered (innermost last), the names
/// bound there so far.
struct Free {
    bound: Vec<Vec<String>>,
    free: HashSet<String>,
}

impl Free {
    fn read(&mut self, name: String) {
        if !self.bound.iter().any(|scope| scope.contains(&name)) {
            self.free.insert(name);
        }
    }

    fn bind(&mut self, pat: &Pat) {
        let names = bound_names(pat)
            .iter()
            .map(|n| n.to_string())
            .collect::<Vec<_>>();
        if let Some(top) = self.bound.last_mut() {
            top.extend(names);
        }
    }

    /// Visits the expressions inside `pat` (a constant or range bound in a pattern reads it).
    fn pattern(&mut self, pat: &Pat) {
        let mut reads = HashSet::new();
        Uses(&mut reads).visit_pat(pat);
        for name in reads {
            self.read(name);
        }
    }

    fn scoped(&mut self, f: impl FnOnce(&mut Free)) {
        self.bound.push(Vec::new());
        f(self);
        self.bound.pop();
    }
}

impl<'ast> Visit<'ast> for Free {
    fn visit_expr_path(&mut self, e: &'ast syn::ExprPath) {
        if let Some(ident) = e.path.get_ident() {
            self.read(ident.to_string());
        }
        syn::visit::visit_expr_path(self, e);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        each_name_in_tokens(mac.tokens.clone(), &mut |name, _| self.read(name));
    }

    fn visit_expr_closure(&mut self, c: &'ast syn::ExprClosure) {
        self.scoped(|f| {
            for input in &c.inputs {
                f.bind(input);
            }
            f.visit_expr(&c.body);
        });
    }

    fn visit_block(&mut self, b: &'ast syn::Block) {
        self.scoped(|f| {
            for stmt in &b.stmts {
                match stmt {
                    syn::Stmt::Local(local) => {
                        if let Some(init) = &local.init {
                            f.visit_expr(&init.expr);
                            if let Some((_, diverge)) = &init.diverge {
                                f.visit_expr(diverge);
                            }
                        }
                        f.pattern(&local.pat);
                        f.bind(&local.pat);
                    }
                    // An item's body can't read the block's locals.
                    syn::Stmt::Item(_) => {}
                    _ => f.visit_stmt(stmt),
                }
            }
        });
    }

    fn visit_arm(&mut self, arm: &'ast syn::Arm) {
        self.scoped(|f| {
            f.pattern(&arm.pat);
            f.bind(&arm.pat);
            if let Some((_, guard)) = &arm.guard {
                f.visit_expr(guard);
            }
            f.visit_expr(&arm.body);
        });
    }

    fn visit_expr_for_loop(&mut self, l: &'ast syn::ExprForLoop) {
        self.visit_expr(&l.expr);
        self.scoped(|f| {
            f.bind(&l.pat);
            f.visit_block(&l.body);
        });
    }

    // `if let` and `while let` bind in their condition for the block after it.
    fn visit_expr_if(&mut self, e: &'ast syn::ExprIf) {
        self.scoped(|f| {
            f.visit_expr(&e.cond);
            f.visit_block(&e.then_branch);
        });
        if let Some((_, other)) = &e.else_branch {
            self.visit_expr(other);
        }
    }

    fn visit_expr_while(&mut self, e: &'ast syn::ExprWhile) {
        self.scoped(|f| {
            f.visit_expr(&e.cond);
            f.visit_block(&e.body);
        });
    }

    fn visit_expr_let(&mut self, e: &'ast syn::ExprLet) {
        self.visit_expr(&e.expr);
        self.pattern(&e.pat);
        self.bind(&e.pat);
    }

    fn visit_item(&mut self, _: &'ast syn::Item) {}
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
    fn free_names_leave_out_what_the_expression_binds() {
        let free = |src: &str| {
            let expr: syn::Expr = syn::parse_str(src).unwrap();
            let mut names: Vec<String> = super::free_names_expr(&expr).into_iter().collect();
            names.sort();
            names
        };
        assert_eq!(free("|x| { let t = x * k; t + 1 }"), ["k"]);
        assert_eq!(free("|x| { let t = t + x; t }"), ["t"]);
        assert_eq!(free("|x| (0..x).map(|y| y * m).sum::<u32>()"), ["m"]);
        assert_eq!(free("|x| match x { Some(v) => v, None => d }"), ["d"]);
        assert_eq!(free("|x| if let Some(v) = x { v } else { v }"), ["v"]);
        assert_eq!(free("|x| { for i in 0..x { s(i); } i }"), ["i", "s"]);
        assert_eq!(free("|x| { let y = 1; format!(\"{x}{y}{z}\") }"), ["z"]);
        assert_eq!(free("|x| { { let w = 1; } w }"), ["w"]);
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
