//! Rewrites the `break`, `continue` and `return` of user code pasted into the dispatcher.
//!
//! - `return v` becomes `break 'penny_resume PennyStep::Done(v)`: nothing needs saving once
//!   the task is done.
//! - A `break`/`continue` aimed at a resumable loop leaves the user's code through an
//!   *escape* (a `break` to a label Penny put around the statement or the chunk loop) after
//!   recording which jump it was in `penny_jump`; the code after the escape saves the
//!   variables and enters the target arm. Saving after the escape, at the level of the
//!   kernel's own statements, means every name there means what it means in the kernel,
//!   whatever the user's code shadowed where it jumped.
//! - `break value` out of a `let x = loop {..}` stores the value in `x`'s field first.
//!
//! Closures, async blocks, nested items and macros are left alone (they were checked before),
//! and so are jumps aimed at plain loops inside the user code.

use proc_macro2::TokenStream;
use quote::quote;
use syn::visit_mut::VisitMut;
use syn::{Expr, Label, Stmt};

/// A resumable loop a `break`/`continue` may aim at.
pub(crate) struct Target {
    /// Its label, without the quote.
    pub(crate) label: Option<String>,
    /// Index of the loop in the kernel.
    pub(crate) loop_id: usize,
    /// The loop is the chunk loop the code runs in: `continue` needs no rewrite.
    pub(crate) native_continue: bool,
    /// `let PAT = loop {..}`: the statement that takes a `break` value into the fields.
    pub(crate) take_value: Option<TokenStream>,
}

/// A jump out of user code, numbered from 1 in `penny_jump`.
pub(crate) struct Jump {
    /// Index into the targets the rewriter was given.
    pub(crate) target: usize,
    /// `break` (leave the loop) or `continue` (next iteration).
    pub(crate) is_break: bool,
}

/// Rewrites the control flow of one piece of user code.
pub(crate) struct Rewriter<'a> {
    /// Enclosing resumable loops, innermost last.
    pub(crate) targets: &'a [Target],
    /// How to leave the user's code: `break 'penny_stmt`, `break 'rows`, ...
    pub(crate) escape: TokenStream,
    /// The jumps found, in `penny_jump` order.
    pub(crate) jumps: Vec<Jump>,
    /// Labels of the plain loops entered inside the user code (`None` when unlabeled).
    plain_labels: Vec<Option<String>>,
}

impl<'a> Rewriter<'a> {
    /// A rewriter whose jumps leave through `escape`.
    pub(crate) fn new(targets: &'a [Target], escape: TokenStream) -> Self {
        Rewriter {
            targets,
            escape,
            jumps: Vec::new(),
            plain_labels: Vec::new(),
        }
    }

    /// The resumable target of a `break`/`continue` with this label, if any.
    fn target(&self, label: Option<&syn::Lifetime>) -> Option<usize> {
        match label {
            Some(lifetime) => {
                let name = lifetime.ident.to_string();
                if self
                    .plain_labels
                    .iter()
                    .any(|l| l.as_deref() == Some(name.as_str()))
                {
                    return None;
                }
                self.targets
                    .iter()
                    .rposition(|t| t.label.as_deref() == Some(name.as_str()))
            }
            None => {
                if !self.plain_labels.is_empty() {
                    return None;
                }
                self.targets.len().checked_sub(1)
            }
        }
    }

    fn plain_loop(&mut self, label: &Option<Label>, f: impl FnOnce(&mut Self)) {
        self.plain_labels.push(label_name(label));
        f(self);
        self.plain_labels.pop();
    }

    /// The number `penny_jump` gets for this jump.
    fn code(&mut self, target: usize, is_break: bool) -> u32 {
        let index = match self
            .jumps
            .iter()
            .position(|j| j.target == target && j.is_break == is_break)
        {
            Some(index) => index,
            None => {
                self.jumps.push(Jump { target, is_break });
                self.jumps.len() - 1
            }
        };
        index as u32 + 1
    }
}

impl VisitMut for Rewriter<'_> {
    fn visit_expr_mut(&mut self, expr: &mut Expr) {
        match expr {
            Expr::Closure(_) | Expr::Async(_) | Expr::Macro(_) => {}
            Expr::ForLoop(e) => {
                let label = e.label.clone();
                self.visit_expr_mut(&mut e.expr);
                self.plain_loop(&label, |this| this.visit_block_mut(&mut e.body));
            }
            Expr::While(e) => {
                let label = e.label.clone();
                self.plain_loop(&label, |this| {
                    this.visit_expr_mut(&mut e.cond);
                    this.visit_block_mut(&mut e.body);
                });
            }
            Expr::Loop(e) => {
                let label = e.label.clone();
                self.plain_loop(&label, |this| this.visit_block_mut(&mut e.body));
            }
            Expr::Break(b) => {
                if let Some(inner) = &mut b.expr {
                    self.visit_expr_mut(inner);
                }
                if let Some(index) = self.target(b.label.as_ref()) {
                    let take = match (&b.expr, &self.targets[index].take_value) {
                        (Some(value), Some(take)) => quote!(let penny_value = #value; #take),
                        (Some(value), None) => quote!(let _ = #value;),
                        (None, _) => quote!(),
                    };
                    let code = proc_macro2::Literal::u32_unsuffixed(self.code(index, true));
                    let escape = &self.escape;
                    *expr = syn::parse_quote!({ #take penny_jump = #code; #escape; });
                }
            }
            Expr::Continue(c) => {
                if let Some(index) = self.target(c.label.as_ref()) {
                    if !self.targets[index].native_continue {
                        let code = proc_macro2::Literal::u32_unsuffixed(self.code(index, false));
                        let escape = &self.escape;
                        *expr = syn::parse_quote!({ penny_jump = #code; #escape; });
                    }
                }
            }
            Expr::Return(r) => {
                if let Some(inner) = &mut r.expr {
                    self.visit_expr_mut(inner);
                }
                let value = match &r.expr {
                    Some(value) => quote!(#value),
                    None => quote!(()),
                };
                *expr = syn::parse_quote!(break 'penny_resume PennyStep::Done(#value));
            }
            _ => syn::visit_mut::visit_expr_mut(self, expr),
        }
    }

    fn visit_item_mut(&mut self, _item: &mut syn::Item) {}

    fn visit_stmt_mut(&mut self, stmt: &mut Stmt) {
        if let Stmt::Macro(_) = stmt {
            return;
        }
        syn::visit_mut::visit_stmt_mut(self, stmt);
        // `break;` rewritten to `{ ...; break 'x; }` needs no `;` after the block.
        if let Stmt::Expr(Expr::Block(block), semi @ Some(_)) = stmt {
            let diverges = matches!(
                block.block.stmts.last(),
                Some(Stmt::Expr(Expr::Break(_) | Expr::Continue(_), _))
            );
            if diverges {
                *semi = None;
            }
        }
    }
}

/// The name of a loop label, without the quote.
pub(crate) fn label_name(label: &Option<Label>) -> Option<String> {
    label.as_ref().map(|l| l.name.ident.to_string())
}
