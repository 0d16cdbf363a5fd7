//! Whether a loop body may change a variable declared outside it: the check behind `for x in
//! arr` over an array by value, where Rust iterates over a copy of `arr` taken when the loop
//! starts but the lowered loop reads `arr` itself, chunk after chunk (so a change to `arr` in
//! the body would reach the later iterations).
//!
//! The answer must never be "no" for a body that does change it: a change it misses is a
//! silent wrong result. So it is conservative where the syntax can't tell:
//!
//! - a write is `x = e`, `x op= e`, `&mut x`, `&raw mut x`, on `x` or on any part of it
//!   (`x[i]`, `x.f`, `*x`);
//! - a method called on `x` or on part of it counts as a write unless it is one of the
//!   methods listed here as reading only (`x.len()`, `x[i].count_ones()`,
//!   `x[i].wrapping_add(1)`): any other may take `&mut self` (`x.reverse()`, `x.sort()`,
//!   `x[i].add_assign(1)`, a user type's `x[i].advance()`).
//!
//! Names are resolved by scope, as rustc does: a `let`, closure parameter, loop or `match`
//! pattern, or `if let` / `while let` of the same name hides the variable inside its scope
//! (and only there).

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::visit::Visit;
use syn::{Expr, Pat};

use crate::ast::{strip_parens, BranchKind, Head, Part, Seq, Source};

/// A place where a loop body may change the variable.
pub struct Change {
    /// The write, or the method call.
    pub at: Span,
    /// The method, when it is a call of a method not known to only read.
    pub method: Option<String>,
}

/// Where `body` (a loop body, with its nested resumable loops and branches) may change the
/// variable `name` declared outside it; `None` when it can't.
pub fn change_in(body: &Seq, name: &str) -> Option<Change> {
    let mut finder = Finder::new(name);
    finder.seq(body);
    finder.found
}

/// Where evaluating `expr` may change the variable `name`; `None` when it can't.
pub fn change_in_expr(expr: &Expr, name: &str) -> Option<Change> {
    let mut finder = Finder::new(name);
    finder.visit_expr(expr);
    finder.found
}

/// Whether evaluating `expr` may write any variable: it assigns, borrows `mut`, or calls
/// something (a function given `&mut`, a method, a closure that captured by `&mut`, a macro).
pub fn may_write(expr: &Expr) -> bool {
    struct Writes(bool);
    impl<'ast> Visit<'ast> for Writes {
        fn visit_expr(&mut self, e: &'ast Expr) {
            match e {
                Expr::Assign(_)
                | Expr::Call(_)
                | Expr::MethodCall(_)
                | Expr::Macro(_)
                | Expr::RawAddr(_) => self.0 = true,
                Expr::Binary(b) if crate::pure::is_assignment(&b.op) => self.0 = true,
                Expr::Reference(r) if r.mutability.is_some() => self.0 = true,
                _ => syn::visit::visit_expr(self, e),
            }
        }
        fn visit_macro(&mut self, _: &'ast syn::Macro) {
            self.0 = true;
        }
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut writes = Writes(false);
    writes.visit_expr(expr);
    writes.0
}

/// Methods of arrays and slices that only read the receiver.
const SLICE_READS: &[&str] = &[
    "len",
    "is_empty",
    "iter",
    "first",
    "last",
    "get",
    "contains",
    "starts_with",
    "ends_with",
    "binary_search",
    "binary_search_by",
    "binary_search_by_key",
    "partition_point",
    "windows",
    "chunks",
    "chunks_exact",
    "rchunks",
    "rchunks_exact",
    "split_first",
    "split_last",
    "split_at",
    "to_vec",
    "as_slice",
    "map",
    "clone",
    "into_iter",
    "eq",
    "ne",
    "cmp",
    "partial_cmp",
    "lt",
    "le",
    "gt",
    "ge",
    "concat",
    "join",
    "each_ref",
    "is_sorted",
    "repeat",
    "as_ptr",
    "hash",
];

/// Methods of the values an array holds (`bool`, `Option`, tuples, and numbers beyond
/// [`crate::types::SAME_TYPE_METHODS`]) that only read the receiver; with
/// [`ELEMENT_READ_PREFIXES`].
const ELEMENT_READS: &[&str] = &[
    "abs_diff",
    "ilog",
    "ilog2",
    "ilog10",
    "total_cmp",
    "unwrap",
    "unwrap_or",
    "unwrap_or_default",
    "unwrap_or_else",
    "expect",
    "map",
    "map_or",
    "map_or_else",
    "and_then",
    "or",
    "or_else",
    "and",
    "xor",
    "filter",
    "ok_or",
    "zip",
    "copied",
    "cloned",
    "clone",
    "eq",
    "ne",
    "cmp",
    "partial_cmp",
    "lt",
    "le",
    "gt",
    "ge",
    "len",
    "iter",
    "get",
    "contains",
    "first",
    "last",
    "hash",
    "not",
    "neg",
    "add",
    "sub",
    "mul",
    "div",
    "rem",
    "shl",
    "shr",
    "bitand",
    "bitor",
    "bitxor",
    "min_by",
    "max_by",
];

/// Prefixes of read-only methods of numbers and `Option`s (`wrapping_add`, `to_bits`,
/// `is_some`, `count_ones`, `checked_mul`).
const ELEMENT_READ_PREFIXES: &[&str] = &[
    "wrapping_",
    "checked_",
    "saturating_",
    "overflowing_",
    "unchecked_",
    "to_",
    "is_",
    "as_",
    "count_",
    "leading_",
    "trailing_",
    "from_",
    "into_",
];

/// Whether `method`, called on the variable itself (`whole`) or on a part of it, only reads
/// it. The variable itself may be an array or a number (`n.checked_sub(1)`): the methods of
/// values count for it too, but for those of the same name that change a slice in place.
fn reads_only(method: &str, whole: bool) -> bool {
    if method.contains("_mut") || method.ends_with("_assign") {
        return false;
    }
    if whole && SLICE_READS.contains(&method) {
        return true;
    }
    if whole && matches!(method, "rotate_left" | "rotate_right" | "reverse" | "swap") {
        return false;
    }
    crate::types::SAME_TYPE_METHODS.contains(&method)
        || ELEMENT_READS.contains(&method)
        || ELEMENT_READ_PREFIXES
            .iter()
            .any(|prefix| method.starts_with(prefix))
}

struct Finder<'a> {
    name: &'a str,
    /// Where a binding of `name` hides the variable.
    scopes: crate::names::Scopes,
    found: Option<Change>,
}

impl<'a> Finder<'a> {
    fn new(name: &'a str) -> Self {
        Finder {
            name,
            scopes: crate::names::Scopes::new(),
            found: None,
        }
    }

    fn hidden(&self) -> bool {
        self.scopes.hidden()
    }

    fn binds(&self, pat: &Pat) -> bool {
        crate::names::binds(pat, self.name)
    }

    /// Runs `f` in a scope whose own pattern binds the name (`binds`) or not.
    fn scoped<T>(&mut self, binds: bool, f: impl FnOnce(&mut Self) -> T) -> T {
        self.scopes.push(binds);
        let value = f(self);
        self.scopes.pop();
        value
    }

    /// Whether `e` is the variable itself (`Some(true)`) or a part of it (`Some(false)`).
    fn place(&self, e: &Expr) -> Option<bool> {
        match strip_parens(e) {
            Expr::Path(p) if p.qself.is_none() && p.path.is_ident(self.name) => Some(true),
            Expr::Index(i) => self.place(&i.expr).map(|_| false),
            Expr::Field(f) => self.place(&f.base).map(|_| false),
            Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => {
                self.place(&u.expr).map(|_| false)
            }
            _ => None,
        }
    }

    /// The left side of an assignment: a place, or a destructuring of several
    /// (`(b[2], s) = ..`, `[x, b[0]] = ..`, `S { f: b.0, .. } = ..`).
    fn written(&mut self, place: &Expr) {
        match strip_parens(place) {
            Expr::Tuple(t) => t.elems.iter().for_each(|e| self.written(e)),
            Expr::Array(a) => a.elems.iter().for_each(|e| self.written(e)),
            Expr::Struct(s) => s.fields.iter().for_each(|f| self.written(&f.expr)),
            Expr::Call(c) => c.args.iter().for_each(|e| self.written(e)),
            _ => {
                if self.found.is_none() && !self.hidden() && self.place(place).is_some() {
                    self.found = Some(Change {
                        at: place.span(),
                        method: None,
                    });
                }
            }
        }
    }

    /// `scrutinee` matched against `pat`: a `ref mut` binding borrows (part of) the
    /// scrutinee mutably (`let [.., ref mut q] = b;`, `match b { [ref mut q, ..] => .. }`).
    fn matched(&mut self, pat: &Pat, scrutinee: &Expr) {
        if crate::names::bound_refs_mut(pat) {
            self.written(scrutinee);
        }
    }

    /// Visits a condition (`if` / `while`, maybe `let PAT = e` chains); whether it binds the
    /// name for its block.
    fn cond(&mut self, cond: &Expr) -> bool {
        match strip_parens(cond) {
            Expr::Let(l) => {
                self.visit_expr(&l.expr);
                self.matched(&l.pat, &l.expr);
                self.binds(&l.pat)
            }
            Expr::Binary(b) if matches!(b.op, syn::BinOp::And(_)) => {
                let left = self.cond(&b.left);
                // A binding on the left is in scope on the right.
                let right = self.scoped(left, |f| f.cond(&b.right));
                left || right
            }
            e => {
                self.visit_expr(e);
                false
            }
        }
    }

    fn seq(&mut self, seq: &Seq) {
        self.scoped(false, |f| {
            for part in &seq.parts {
                match part {
                    Part::Stmt(stmt) => f.visit_stmt(stmt),
                    Part::Let(l) => f.visit_local(&l.local),
                    Part::Loop(l) => {
                        match &l.head {
                            Head::For { pat, source, .. } => {
                                match source {
                                    Source::Range(range) => f.visit_expr(&range.expr),
                                    Source::Items(items) => f.visit_expr(&items.expr),
                                }
                                let binds = f.binds(pat);
                                f.scoped(binds, |f| f.seq(&l.body));
                            }
                            Head::While { cond } => {
                                let binds = f.cond(cond);
                                f.scoped(binds, |f| f.seq(&l.body));
                            }
                            Head::Loop => f.seq(&l.body),
                        }
                        // `let r = loop { .. }` binds after the loop.
                        if let Some(result) = &l.result {
                            if f.binds(&result.local.pat) {
                                f.hide();
                            }
                        }
                    }
                    Part::Branch(b) => match &b.kind {
                        BranchKind::If { conds } => {
                            for (k, arm) in b.arms.iter().enumerate() {
                                let binds = conds.get(k).is_some_and(|c| f.cond(c));
                                f.scoped(binds, |f| f.seq(arm));
                            }
                        }
                        BranchKind::Match { scrutinee, arms } => {
                            f.visit_expr(scrutinee);
                            for ((pat, guard), arm) in arms.iter().zip(&b.arms) {
                                f.matched(pat, scrutinee);
                                let binds = f.binds(pat);
                                f.scoped(binds, |f| {
                                    if let Some(guard) = guard {
                                        f.visit_expr(guard);
                                    }
                                    f.seq(arm);
                                });
                            }
                        }
                    },
                }
            }
            if let Some(tail) = &seq.tail {
                f.visit_expr(tail);
            }
        });
    }

    /// A binding of the name from here to the end of the current scope.
    fn hide(&mut self) {
        self.scopes.hide();
    }
}

impl<'ast> Visit<'ast> for Finder<'_> {
    fn visit_expr(&mut self, e: &'ast Expr) {
        match e {
            Expr::Assign(a) => self.written(&a.left),
            Expr::Binary(b) if crate::pure::is_assignment(&b.op) => self.written(&b.left),
            Expr::Reference(r) if r.mutability.is_some() => self.written(&r.expr),
            Expr::RawAddr(r) if matches!(r.mutability, syn::PointerMutability::Mut(_)) => {
                self.written(&r.expr)
            }
            Expr::MethodCall(m) => {
                if let Some(whole) = self.place(&m.receiver) {
                    if !self.hidden()
                        && self.found.is_none()
                        && !reads_only(&m.method.to_string(), whole)
                    {
                        self.found = Some(Change {
                            at: m.span(),
                            method: Some(m.method.to_string()),
                        });
                    }
                }
            }
            Expr::If(i) => {
                let binds = self.cond(&i.cond);
                self.scoped(binds, |f| f.visit_block(&i.then_branch));
                if let Some((_, otherwise)) = &i.else_branch {
                    self.visit_expr(otherwise);
                }
                return;
            }
            Expr::While(w) => {
                let binds = self.cond(&w.cond);
                self.scoped(binds, |f| f.visit_block(&w.body));
                return;
            }
            Expr::ForLoop(l) => {
                self.visit_expr(&l.expr);
                let binds = self.binds(&l.pat);
                self.scoped(binds, |f| f.visit_block(&l.body));
                return;
            }
            Expr::Closure(c) => {
                let binds = c.inputs.iter().any(|p| self.binds(p));
                self.scoped(binds, |f| f.visit_expr(&c.body));
                return;
            }
            Expr::Match(m) => {
                self.visit_expr(&m.expr);
                for arm in &m.arms {
                    self.matched(&arm.pat, &m.expr);
                    let binds = self.binds(&arm.pat);
                    self.scoped(binds, |f| {
                        if let Some((_, guard)) = &arm.guard {
                            f.visit_expr(guard);
                        }
                        f.visit_expr(&arm.body);
                    });
                }
                return;
            }
            _ => {}
        }
        syn::visit::visit_expr(self, e);
    }

    fn visit_block(&mut self, block: &'ast syn::Block) {
        self.scoped(false, |f| syn::visit::visit_block(f, block));
    }

    fn visit_local(&mut self, local: &'ast syn::Local) {
        if let Some(init) = &local.init {
            self.visit_expr(&init.expr);
            self.matched(&local.pat, &init.expr);
            if let Some((_, otherwise)) = &init.diverge {
                self.visit_expr(otherwise);
            }
        }
        if self.binds(&local.pat) {
            self.hide();
        }
    }

    fn visit_pat(&mut self, _: &'ast Pat) {}

    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The change `change_in` finds in the body of `for x in arr { <body> }`, as text.
    fn change(body: &str) -> Option<String> {
        let func: syn::ItemFn = syn::parse_str(&format!(
            "fn k(mut arr: [u32; 4]) {{ for x in arr {{ {body} }} }}"
        ))
        .expect("parses");
        let syn::Stmt::Expr(Expr::ForLoop(l), _) = &func.block.stmts[0] else {
            panic!("a for loop")
        };
        let seq = Seq {
            parts: l.body.stmts.iter().cloned().map(Part::Stmt).collect(),
            tail: None,
        };
        change_in(&seq, "arr").map(|c| c.method.unwrap_or_default())
    }

    #[test]
    fn writes_and_mutating_methods_are_changes() {
        assert!(change("arr[0] = x;").is_some());
        assert!(change("arr[1] += x;").is_some());
        assert!(change("arr.reverse();").is_some());
        assert!(change("arr.sort_unstable();").is_some());
        assert!(change("arr.rotate_left(1);").is_some());
        assert!(change("arr.iter_mut().for_each(|v| *v += 1);").is_some());
        assert!(change("arr[0].add_assign(1);").is_some());
        assert!(change("let r = &mut arr; r[0] = 1;").is_some());
        assert!(change("std::mem::swap(&mut arr[0], &mut 3);").is_some());
        assert!(change("let mut f = || arr[2] = 9; f();").is_some());
        // Destructuring assignments and `ref mut` bindings of the array or part of it.
        assert!(change("let mut s = 0; (arr[2], s) = (9, s);").is_some());
        assert!(change("[_, arr[1]] = [1, 2];").is_some());
        assert!(change("let mut b = [0u32; 4]; (arr, b) = (b, arr);").is_some());
        assert!(change("let [_, _, ref mut q, _] = arr; *q = 9;").is_some());
        assert!(change("match arr { [ref mut q, ..] => *q = 7 }").is_some());
        assert!(change("if let [.., ref mut q] = arr { *q = 5; }").is_some());
    }

    #[test]
    fn reads_are_not_changes() {
        assert!(change("let n = arr.len() + arr.iter().count();").is_none());
        assert!(change("let y = arr[0].wrapping_add(x).count_ones().max(3);").is_none());
        assert!(change("if arr.contains(&x) { let z = arr[1]; }").is_none());
        assert!(change("let [a, ref b, ..] = arr; let (c, d) = (a, *b);").is_none());
        assert!(change("let mut c = 0; (c, _) = (arr[0], 1);").is_none());
        // Methods of values, on the variable itself (which may hold a number).
        assert!(change("let m = arr.min(arr); let k = arr.checked_sub(1);").is_none());
    }

    #[test]
    fn a_binding_of_the_name_hides_it_in_its_scope_only() {
        assert!(change("let mut arr = [0u8; 2]; arr[0] = 1;").is_none());
        assert!(change("{ let mut arr = 1; arr += 1; }").is_none());
        assert!(change("let f = |mut arr: u32| arr += 1;").is_none());
        // The binding comes after the write, or in another scope: the write is to the variable.
        assert!(change("arr[0] += 5; let arr = 1;").is_some());
        assert!(change("if x > 1 { let arr = 1u64; } arr.reverse();").is_some());
        assert!(change("if let Some(arr) = Some(1) { } else { arr[0] = 1; }").is_some());
        assert!(change("match x { arr => {} } arr[3] = 0;").is_some());
    }
}
