//! What a loop body writes: the variables it assigns (or borrows `mut`) and the ways it
//! leaves an iteration. A `#[penny::split]` loop may write only its reductions (`split`).

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::visit::Visit;
use syn::{Expr, Ident};

/// What a loop body writes and how it leaves.
#[derive(Default)]
pub struct Writes {
    /// Root names assigned (`x = `, `x += `, `x[i] = `, `x.f = `, `&mut x`), with a span.
    pub assigned: Vec<(String, Span)>,
    /// `break` / `return` / `?` (and `continue` to an enclosing loop) that leave the
    /// iteration.
    pub exits: Vec<Span>,
    /// Loops and closures entered (a `break` inside those stays inside).
    loops: usize,
    closures: usize,
    /// The labels of the loops and blocks entered, innermost last: a `break` or `continue`
    /// naming one stays inside the body.
    labels: Vec<String>,
    /// The label of the loop whose body this is: `continue` to it stays in the loop.
    own_label: Option<String>,
}

impl Writes {
    /// For the body of a loop labelled `label`.
    pub fn in_loop(label: Option<&syn::Label>) -> Writes {
        Writes {
            own_label: label.map(|l| l.name.ident.to_string()),
            ..Writes::default()
        }
    }

    fn inside(&self, label: &syn::Lifetime) -> bool {
        self.labels.iter().any(|l| label.ident == l)
    }

    fn is_own(&self, label: &syn::Lifetime) -> bool {
        self.own_label
            .as_ref()
            .is_some_and(|own| label.ident == own)
    }

    /// Visits `e`, a loop or a block, with its `label` in scope.
    fn labelled(&mut self, label: Option<&syn::Label>, e: &Expr) {
        if let Some(label) = label {
            self.labels.push(label.name.ident.to_string());
        }
        syn::visit::visit_expr(self, e);
        if label.is_some() {
            self.labels.pop();
        }
    }
}

fn root_name(e: &Expr) -> Option<&Ident> {
    match e {
        Expr::Path(p) => p.path.get_ident(),
        Expr::Index(i) => root_name(&i.expr),
        Expr::Field(f) => root_name(&f.base),
        Expr::Paren(p) => root_name(&p.expr),
        Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => root_name(&u.expr),
        _ => None,
    }
}

impl<'ast> Visit<'ast> for Writes {
    fn visit_expr(&mut self, e: &'ast Expr) {
        match e {
            Expr::Assign(a) => {
                if let Some(name) = root_name(&a.left) {
                    self.assigned.push((name.to_string(), a.left.span()));
                }
            }
            Expr::Binary(b) if crate::pure::is_assignment(&b.op) => {
                if let Some(name) = root_name(&b.left) {
                    self.assigned.push((name.to_string(), b.left.span()));
                }
            }
            Expr::Reference(r) if r.mutability.is_some() => {
                if let Some(name) = root_name(&r.expr) {
                    self.assigned.push((name.to_string(), r.expr.span()));
                }
            }
            // A `break` leaves the iteration unless it names a loop or block inside the body
            // (`'search: for ..`, `'body: { .. }`), or has no label inside a loop there.
            Expr::Break(b)
                if self.closures == 0
                    && match &b.label {
                        Some(label) => !self.inside(label),
                        None => self.loops == 0,
                    } =>
            {
                self.exits.push(b.span());
            }
            // `continue 'outer` leaves it too (not to the loop itself or one inside the body).
            Expr::Continue(c)
                if self.closures == 0
                    && c.label
                        .as_ref()
                        .is_some_and(|label| !self.inside(label) && !self.is_own(label)) =>
            {
                self.exits.push(c.span());
            }
            Expr::Return(r) if self.closures == 0 => self.exits.push(r.span()),
            Expr::Try(t) if self.closures == 0 => self.exits.push(t.question_token.span),
            Expr::ForLoop(_) | Expr::While(_) | Expr::Loop(_) => {
                let label = match e {
                    Expr::ForLoop(l) => l.label.as_ref(),
                    Expr::While(l) => l.label.as_ref(),
                    Expr::Loop(l) => l.label.as_ref(),
                    _ => None,
                };
                self.loops += 1;
                self.labelled(label, e);
                self.loops -= 1;
                return;
            }
            Expr::Block(b) if b.label.is_some() => {
                self.labelled(b.label.as_ref(), e);
                return;
            }
            Expr::Closure(_) | Expr::Async(_) => {
                self.closures += 1;
                syn::visit::visit_expr(self, e);
                self.closures -= 1;
                return;
            }
            _ => {}
        }
        syn::visit::visit_expr(self, e);
    }

    fn visit_item(&mut self, _: &'ast syn::Item) {}
}
