//! Rewrites the `break`, `continue` and `return` of user code pasted into the dispatcher:
//! a jump that leaves the code of one arm becomes an assignment to the phase plus
//! `continue 'penny_resume`, and `return v` becomes `break 'penny_resume Done(v)`.
//! Closures, async blocks, nested items and macros are left alone (they were checked
//! before), and so are jumps aimed at plain loops inside the user code.

use proc_macro2::TokenStream;
use quote::quote;
use syn::visit_mut::VisitMut;
use syn::{Expr, Label, Stmt};

use crate::ctxt::Errors;

/// How a `break`/`continue` aimed at one resumable loop is rewritten.
pub(crate) struct Target {
    pub(crate) label: Option<String>,
    pub(crate) on_break: TokenStream,
    /// `None`: the loop is the chunk loop itself, so a plain `continue` already works.
    pub(crate) on_continue: Option<TokenStream>,
    pub(crate) used_break: bool,
}

/// Rewrites the control flow of user code that runs inside the dispatcher.
pub(crate) struct Rewriter<'a> {
    pub(crate) targets: &'a mut Vec<Target>,
    /// Labels of the plain loops entered inside the user code (`None` when unlabeled).
    pub(crate) plain_labels: Vec<Option<String>>,
    pub(crate) errors: &'a mut Errors,
}

impl Rewriter<'_> {
    /// The resumable target of a `break`/`continue` with this label, if any.
    fn target(&mut self, label: Option<&syn::Lifetime>) -> Option<usize> {
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
                    if let Some(value) = &b.expr {
                        self.errors.at(
                            value,
                            "`break` with a value can't leave a resumable loop; assign the \
                             value to a variable declared before the loop, then `break`",
                        );
                    }
                    let target = &mut self.targets[index];
                    target.used_break = true;
                    let tokens = target.on_break.clone();
                    *expr = syn::parse_quote!(#tokens);
                }
            }
            Expr::Continue(c) => {
                if let Some(index) = self.target(c.label.as_ref()) {
                    if let Some(tokens) = self.targets[index].on_continue.clone() {
                        *expr = syn::parse_quote!(#tokens);
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
        // `break;` rewritten to `{ ...; break; }` needs no `;` after the block (it diverges).
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
