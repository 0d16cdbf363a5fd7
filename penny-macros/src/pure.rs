//! Which range expressions may be evaluated again on resume.
//!
//! Rust evaluates a `for` loop's iterator expression once. Re-evaluating it when a task
//! resumes is only the same thing when the expression can't observe anything that changed
//! and has no effects: literals, constants, variables bound once and never `mut`, and
//! arithmetic, casts, field reads and indexing over those, plus a few std methods of
//! integers. Such a range is re-created from its expression (so LLVM sees the constants the
//! user wrote); any other range is evaluated once, when the loop starts, and kept in the
//! state (`penny::__private::SavedRange`).

use std::collections::{HashMap, HashSet};

use syn::visit::Visit;
use syn::{Expr, FnArg, ItemFn};

/// Integer methods with no effects, whose result depends only on the receiver and arguments.
const PURE_METHODS: &[&str] = &[
    "len",
    "min",
    "max",
    "abs",
    "pow",
    "saturating_add",
    "saturating_sub",
    "saturating_mul",
    "wrapping_add",
    "wrapping_sub",
    "wrapping_mul",
    "count_ones",
    "leading_zeros",
    "trailing_zeros",
    "isqrt",
    "div_ceil",
];

/// The names whose every use reads the same value.
pub struct Immutables {
    /// Bound exactly once in the function and not `mut`.
    once: HashSet<String>,
    /// Every name the function binds.
    bound: HashSet<String>,
}

impl Immutables {
    /// Whether every use of `name` reads the same value: it is bound once and not `mut`, or
    /// it is a constant by Rust's naming convention (`N`, `MAX_LEN`) that the function doesn't
    /// bind (`let mut LIMIT = n;` is a variable, whatever its name).
    pub fn contains(&self, name: &str) -> bool {
        self.once.contains(name) || (is_constant_name(name) && !self.bound.contains(name))
    }
}

/// The immutable names of `func`: see [`Immutables`] (arguments and every pattern of the
/// body, closures and nested items included).
pub fn immutable_names(func: &ItemFn) -> Immutables {
    #[derive(Default)]
    struct Bindings(HashMap<String, (usize, bool)>);
    impl<'ast> Visit<'ast> for Bindings {
        fn visit_pat_ident(&mut self, p: &'ast syn::PatIdent) {
            let entry = self.0.entry(p.ident.to_string()).or_default();
            entry.0 += 1;
            entry.1 |= p.mutability.is_some() || p.by_ref.is_some();
            syn::visit::visit_pat_ident(self, p);
        }
        fn visit_local(&mut self, local: &'ast syn::Local) {
            // `let x;` is assigned later: treat it as mutable.
            if local.init.is_none() {
                for name in crate::names::bound_names(&local.pat) {
                    self.0.entry(name.to_string()).or_default().1 = true;
                }
            }
            syn::visit::visit_local(self, local);
        }
    }
    let mut bindings = Bindings::default();
    for input in &func.sig.inputs {
        if let FnArg::Typed(arg) = input {
            bindings.visit_pat(&arg.pat);
        }
    }
    bindings.visit_block(&func.block);
    Immutables {
        once: bindings
            .0
            .iter()
            .filter(|(_, (count, mutable))| *count == 1 && !mutable)
            .map(|(name, _)| name.clone())
            .collect(),
        bound: bindings.0.into_keys().collect(),
    }
}

/// Whether evaluating `expr` again gives the same value and does nothing else.
pub fn is_pure(expr: &Expr, immutables: &Immutables) -> bool {
    let pure = |e: &Expr| is_pure(e, immutables);
    match expr {
        Expr::Lit(_) => true,
        Expr::Path(path) if path.qself.is_none() => match path.path.get_ident() {
            Some(ident) => immutables.contains(&ident.to_string()),
            // `u32::MAX`, `Self::N`, `consts::LIMIT`: associated or module constants.
            None => path
                .path
                .segments
                .last()
                .is_some_and(|s| is_constant_name(&s.ident.to_string())),
        },
        Expr::Paren(e) => pure(&e.expr),
        Expr::Group(e) => pure(&e.expr),
        Expr::Cast(e) => pure(&e.expr),
        Expr::Unary(e) => matches!(e.op, syn::UnOp::Neg(_) | syn::UnOp::Not(_)) && pure(&e.expr),
        Expr::Binary(e) => !is_assignment(&e.op) && pure(&e.left) && pure(&e.right),
        Expr::Field(e) => pure(&e.base),
        Expr::Index(e) => pure(&e.expr) && pure(&e.index),
        Expr::Range(e) => e.start.as_deref().is_none_or(pure) && e.end.as_deref().is_none_or(pure),
        Expr::MethodCall(call) => {
            let method = call.method.to_string();
            let known =
                PURE_METHODS.contains(&method.as_str()) || method == "rev" || method == "step_by";
            known && call.turbofish.is_none() && pure(&call.receiver) && call.args.iter().all(pure)
        }
        _ => false,
    }
}

/// `N`, `MAX_LEN`: a constant by Rust's naming convention.
fn is_constant_name(name: &str) -> bool {
    name.chars().any(|c| c.is_ascii_uppercase())
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// Whether `op` is a compound assignment (`+=`, `<<=`, ...).
pub fn is_assignment(op: &syn::BinOp) -> bool {
    use syn::BinOp::*;
    matches!(
        op,
        AddAssign(_)
            | SubAssign(_)
            | MulAssign(_)
            | DivAssign(_)
            | RemAssign(_)
            | BitXorAssign(_)
            | BitAndAssign(_)
            | BitOrAssign(_)
            | ShlAssign(_)
            | ShrAssign(_)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pure(expr: &str, func: &str) -> bool {
        let func: ItemFn = syn::parse_str(func).expect("fn");
        let expr: Expr = syn::parse_str(expr).expect("expr");
        is_pure(&expr, &immutable_names(&func))
    }

    #[test]
    fn ranges_over_immutable_values_are_pure() {
        let f = "fn k(n: u32, a: [u32; 4]) { let m = n / 2; }";
        assert!(pure("0..n", f));
        assert!(pure("(0..m * 2).rev().step_by(3)", f));
        assert!(pure("0..a.len()", f));
        assert!(pure("a[0]..u32::MAX", f));
        assert!(pure("0..N", f));
    }

    #[test]
    fn ranges_that_could_change_or_act_are_not() {
        let f = "fn k(n: u32, mut a: [u32; 4]) { let mut s = 0; let t; t = 1; let n2 = 3; let n2 = 4; }";
        assert!(!pure("0..bump(&mut s)", f));
        assert!(!pure("0..s", f));
        assert!(!pure("0..a[0]", f), "a is mut");
        assert!(!pure("0..t", f), "assigned after its let");
        assert!(!pure("0..n2", f), "bound twice");
        assert!(!pure("0..rng.next_u64() % 50", f));
        assert!(!pure("0..n.custom()", f));
    }
}
