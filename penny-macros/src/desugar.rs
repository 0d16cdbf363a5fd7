//! Rewrites of the kernel's body into equivalent Rust the lowering handles, applied before
//! anything else reads it (the plain function keeps the user's text).

use syn::visit_mut::VisitMut;
use syn::{Expr, Ident};

/// Rewrites every labelled block holding a loop, `'a: { stmts; tail }`, as the loop
/// `'a: loop { stmts; break 'a tail; }`, the same thing in Rust: an unlabelled `break` or
/// `continue` can't stand directly in a labelled block (E0695), so none of the block's own
/// binds to the new loop, and a labelled block can't be `continue`d. A loop the lowering
/// makes resumable can then end the block with `break 'a value`, as out of `let r = loop`.
/// A tail `for`/`while` (of type `()`) becomes a statement before the `break`, and a tail
/// `loop` the value of a `let` (`penny_block_value`) the `break` gives, so each stays a loop
/// of the block.
///
/// A block of the function body runs once, as the function does, so the loops that are its
/// statements are phases as the body's own are: they get the `yield_now!()` a loop nested
/// in another needs (without it they would run without yield points inside the block's one
/// iteration). Deeper, the user writes it, as for any nested loop.
pub fn loop_labelled_blocks(block: &mut syn::Block) {
    /// `top`: the expression visited is at function level (in no loop).
    struct Rewrite {
        top: bool,
    }
    impl VisitMut for Rewrite {
        fn visit_expr_mut(&mut self, expr: &mut Expr) {
            if matches!(expr, Expr::ForLoop(_) | Expr::While(_) | Expr::Loop(_)) {
                let top = std::mem::replace(&mut self.top, false);
                syn::visit_mut::visit_expr_mut(self, expr);
                self.top = top;
                return;
            }
            syn::visit_mut::visit_expr_mut(self, expr);
            let Expr::Block(b) = expr else { return };
            let Some(label) = b.label.clone() else { return };
            if !holds_loop(&b.block) {
                return;
            }
            let lifetime = &label.name;
            let mut stmts = b.block.stmts.clone();
            let tail = match stmts.last() {
                Some(syn::Stmt::Expr(_, None)) => match stmts.pop() {
                    Some(syn::Stmt::Expr(e @ (Expr::ForLoop(_) | Expr::While(_)), None)) => {
                        stmts.push(syn::Stmt::Expr(e, Some(Default::default())));
                        None
                    }
                    // A tail `loop` with a value: a `let` of its own, so it stays a loop
                    // of the block (not one inside a `break` expression).
                    Some(syn::Stmt::Expr(e @ Expr::Loop(_), None)) => {
                        stmts.push(syn::parse_quote!(let penny_block_value = #e;));
                        Some(syn::parse_quote!(penny_block_value))
                    }
                    Some(syn::Stmt::Expr(e, None)) => Some(e),
                    _ => unreachable!("the last statement was just matched"),
                },
                _ => None,
            };
            let span = b.block.brace_token.span.close();
            let exit: Option<syn::Stmt> = match tail {
                Some(tail) => Some(syn::parse_quote_spanned!(span=> break #lifetime #tail;)),
                // A block whose last statement leaves it has the type of its `break`s: a
                // `break 'a;` after it would be a `()` among them (and unreachable).
                None if stmts.last().is_some_and(leaves) => None,
                None => Some(syn::parse_quote_spanned!(span=> break #lifetime;)),
            };
            if self.top {
                yield_in_loops(&mut stmts);
            }
            stmts.extend(exit);
            let attrs = &b.attrs;
            *expr = syn::parse_quote_spanned!(label.name.span()=>
                #(#attrs)* #label loop { #(#stmts)* }
            );
        }
        fn visit_block_mut(&mut self, block: &mut syn::Block) {
            syn::visit_mut::visit_block_mut(self, block);
            assign_through_let(&mut block.stmts);
        }
        fn visit_expr_closure_mut(&mut self, _: &mut syn::ExprClosure) {}
        fn visit_item_mut(&mut self, _: &mut syn::Item) {}
    }
    Rewrite { top: true }.visit_block_mut(block);
}

/// `x = 'a: { .. };` (or `x += ..`) with a labelled block rewritten as a loop: the loop
/// becomes the value of a `let` of its own (`penny_block_value`), assigned after it, so it
/// stays a loop of the sequence rather than one inside an expression. Rust evaluates the
/// value before the place, and the place here is a variable or a field of one: nothing in
/// it runs.
fn assign_through_let(stmts: &mut Vec<syn::Stmt>) {
    let is_place = |e: &Expr| {
        let mut e = e;
        while let Expr::Field(f) = e {
            e = &f.base;
        }
        matches!(e, Expr::Path(p) if p.path.get_ident().is_some())
    };
    let is_block_loop = |e: &Expr| matches!(e, Expr::Loop(l) if crate::ast::runs_once(l));
    let mut out = Vec::with_capacity(stmts.len());
    for stmt in stmts.drain(..) {
        let syn::Stmt::Expr(expr, semi) = &stmt else {
            out.push(stmt);
            continue;
        };
        let (place, op, value) = match expr {
            Expr::Assign(a) => (&*a.left, quote::quote!(=), &*a.right),
            Expr::Binary(b) if crate::pure::is_assignment(&b.op) => {
                let op = &b.op;
                (&*b.left, quote::quote!(#op), &*b.right)
            }
            _ => {
                out.push(stmt);
                continue;
            }
        };
        if !(is_place(place) && is_block_loop(value)) {
            out.push(stmt);
            continue;
        }
        out.push(syn::parse_quote!(let penny_block_value = #value;));
        out.push(syn::Stmt::Expr(
            syn::parse_quote!(#place #op penny_block_value),
            *semi,
        ));
    }
    *stmts = out;
}

/// Gives each loop among `stmts` (a statement, a `let`'s value, or in the arms of an
/// `if`/`match` statement, as the lowering finds phases) a `yield_now!()` as its last
/// statement, unless it has one.
fn yield_in_loops(stmts: &mut [syn::Stmt]) {
    for stmt in stmts {
        let expr = match stmt {
            syn::Stmt::Expr(e, _) => e,
            syn::Stmt::Local(l) => match l.init.as_mut() {
                Some(init) => &mut init.expr,
                None => continue,
            },
            _ => continue,
        };
        match expr {
            Expr::If(e) => {
                let mut cursor = e;
                loop {
                    yield_in_loops(&mut cursor.then_branch.stmts);
                    match cursor.else_branch.as_mut().map(|(_, other)| &mut **other) {
                        Some(Expr::If(next)) => cursor = next,
                        Some(Expr::Block(b)) => {
                            yield_in_loops(&mut b.block.stmts);
                            break;
                        }
                        _ => break,
                    }
                }
            }
            Expr::Match(m) => {
                for arm in &mut m.arms {
                    if let Expr::Block(b) = &mut *arm.body {
                        yield_in_loops(&mut b.block.stmts);
                    }
                }
            }
            _ => {
                let Some(body) = loop_body(expr) else {
                    continue;
                };
                if crate::ast::ends_with_yield(body) {
                    continue;
                }
                // A last expression without `;` (of type `()` in a loop body) gets one, so
                // the yield point is a statement of its own after it.
                if let Some(syn::Stmt::Expr(_, semi @ None)) = body.stmts.last_mut() {
                    *semi = Some(Default::default());
                }
                let span = body.brace_token.span.close();
                body.stmts
                    .push(syn::parse_quote_spanned!(span=> ::penny::yield_now!();));
            }
        }
    }
}

/// The body of `expr` when it is a loop.
fn loop_body(expr: &mut Expr) -> Option<&mut syn::Block> {
    match expr {
        Expr::ForLoop(e) => Some(&mut e.body),
        Expr::While(e) => Some(&mut e.body),
        Expr::Loop(e) => Some(&mut e.body),
        _ => None,
    }
}

/// Whether `stmt` ends the code after it: a `return`, `break` or `continue`, or a call of
/// `panic!`, `unreachable!`, `todo!` or `unimplemented!`.
fn leaves(stmt: &syn::Stmt) -> bool {
    let diverges = |mac: &syn::Macro| {
        mac.path.segments.last().is_some_and(|s| {
            ["panic", "unreachable", "todo", "unimplemented"]
                .contains(&s.ident.to_string().as_str())
        })
    };
    match stmt {
        syn::Stmt::Expr(Expr::Return(_) | Expr::Break(_) | Expr::Continue(_), _) => true,
        syn::Stmt::Expr(Expr::Macro(m), _) => diverges(&m.mac),
        syn::Stmt::Macro(m) => diverges(&m.mac),
        _ => false,
    }
}

/// Whether `block` holds a loop outside closures and items.
pub fn holds_loop(block: &syn::Block) -> bool {
    struct Find(bool);
    impl<'ast> syn::visit::Visit<'ast> for Find {
        fn visit_expr(&mut self, e: &'ast Expr) {
            self.0 |= matches!(e, Expr::ForLoop(_) | Expr::While(_) | Expr::Loop(_));
            syn::visit::visit_expr(self, e);
        }
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut find = Find(false);
    syn::visit::Visit::visit_block(&mut find, block);
    find.0
}

/// Rewrites every `for mut x in ..` (a `mut` binding anywhere in a `for` pattern) of `block`
/// as `for x in .. { let mut x = x; .. }`, the same thing in Rust. The lowering binds a loop's
/// pattern again from its cursor wherever the body resumes, so a change to a `mut` pattern
/// binding made before a resumable loop in the body would be lost; a `let` at the top of the
/// body is a variable like any other, carried across the body's yield points with its changes.
pub fn let_for_mut(block: &mut syn::Block) {
    struct Rewrite;
    impl VisitMut for Rewrite {
        fn visit_expr_for_loop_mut(&mut self, l: &mut syn::ExprForLoop) {
            let mut strip = StripMut(Vec::new());
            VisitMut::visit_pat_mut(&mut strip, &mut l.pat);
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
    impl VisitMut for StripMut {
        fn visit_pat_ident_mut(&mut self, p: &mut syn::PatIdent) {
            if p.by_ref.is_none() && p.mutability.take().is_some() {
                self.0.push(p.ident.clone());
            }
            syn::visit_mut::visit_pat_ident_mut(self, p);
        }
        fn visit_expr_mut(&mut self, _: &mut Expr) {}
    }
    Rewrite.visit_block_mut(block);
}
