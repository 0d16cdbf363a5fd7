//! The kernel as a tree of resumable loops, built from the user's `syn::ItemFn`.
//!
//! A body is a [`Seq`]: statements and resumable loops in order, plus the tail expression.
//! Resumable loops are the loop statements of the function body (phases), and, inside a
//! resumable loop's body, the loop statements whose own body ends with `yield_now!()`.
//! Every other loop is plain code that runs within one iteration. A resumable loop whose
//! body holds no resumable loop is a *leaf*: it runs as a strip-mined chunk.

use syn::{Block, Expr, ExprMacro, Ident, Label, Pat, Stmt, StmtMacro};

use crate::ctxt::Errors;

/// Statements and resumable loops, in program order.
pub struct Seq {
    /// The parts, in order.
    pub parts: Vec<Part>,
    /// The value of the function body (only at the function level).
    pub tail: Option<Expr>,
}

/// One element of a [`Seq`].
#[allow(clippy::large_enum_variant)] // built once per kernel; boxing adds noise, not speed
pub enum Part {
    /// A statement that runs as plain code.
    Stmt(Stmt),
    /// A loop with yield points at its iteration boundaries.
    Loop(Box<Loop>),
}

/// A resumable loop.
pub struct Loop {
    /// Index in program order, unique in the kernel.
    pub id: usize,
    /// 0 for the loops of the function body.
    pub depth: usize,
    /// The user's label.
    pub label: Option<Label>,
    /// What drives the loop.
    pub head: Head,
    /// The loop body, without a trailing `yield_now!()`.
    pub body: Seq,
}

/// What drives a resumable loop.
#[allow(clippy::large_enum_variant)] // built once per loop
pub enum Head {
    /// `for pat in range`.
    For {
        /// An identifier or `_`.
        pat: Pat,
        /// The range.
        range: RangeHead,
    },
    /// `while cond`.
    While {
        /// The condition.
        cond: Expr,
    },
    /// `loop`.
    Loop,
}

/// `start..end` or `start..=end`, followed by `.rev()` / `.step_by(k)` calls.
pub struct RangeHead {
    /// Start of the range.
    pub start: Expr,
    /// End of the range.
    pub end: Expr,
    /// `..=`.
    pub inclusive: bool,
    /// `.rev()` and `.step_by(k)`, innermost first.
    pub adapters: Vec<(Ident, Vec<Expr>)>,
    /// The whole range expression, for errors.
    pub expr: Expr,
}

impl Loop {
    /// Whether no resumable loop is nested in this one.
    pub fn is_leaf(&self) -> bool {
        !self
            .body
            .parts
            .iter()
            .any(|part| matches!(part, Part::Loop(_)))
    }
}

/// Whether `stmt` is a `yield_now!()` invocation (by the macro's last path segment).
pub fn is_yield_stmt(stmt: &Stmt) -> bool {
    match stmt {
        Stmt::Macro(StmtMacro { mac, .. }) => is_yield_macro(mac),
        Stmt::Expr(Expr::Macro(ExprMacro { mac, .. }), _) => is_yield_macro(mac),
        _ => false,
    }
}

/// Whether `mac` is `yield_now!` (written with any path).
pub fn is_yield_macro(mac: &syn::Macro) -> bool {
    mac.path
        .segments
        .last()
        .is_some_and(|seg| seg.ident == "yield_now")
}

/// Whether a loop's body ends with `yield_now!()`.
pub fn ends_with_yield(block: &Block) -> bool {
    block.stmts.last().is_some_and(is_yield_stmt)
}

/// A loop expression's label and body, when `expr` is a loop.
pub fn loop_parts(expr: &Expr) -> Option<(&Option<Label>, &Block)> {
    match expr {
        Expr::ForLoop(e) => Some((&e.label, &e.body)),
        Expr::While(e) => Some((&e.label, &e.body)),
        Expr::Loop(e) => Some((&e.label, &e.body)),
        _ => None,
    }
}

/// Builds the tree of the function body.
pub struct Builder<'e> {
    errors: &'e mut Errors,
    next_id: usize,
}

impl<'e> Builder<'e> {
    /// A builder reporting into `errors`.
    pub fn new(errors: &'e mut Errors) -> Self {
        Builder { errors, next_id: 0 }
    }

    /// The function body: every loop statement is a phase.
    pub fn function_body(&mut self, block: &Block) -> Seq {
        let mut stmts = block.stmts.clone();
        let mut tail = None;
        if let Some(Stmt::Expr(expr, None)) = stmts.last() {
            if loop_parts(expr).is_none() {
                tail = Some(expr.clone());
                stmts.pop();
            }
        }
        let mut parts = Vec::new();
        for stmt in stmts {
            match stmt {
                Stmt::Expr(expr, _) if loop_parts(&expr).is_some() => {
                    parts.push(Part::Loop(Box::new(self.resumable_loop(&expr, 0))));
                }
                other => parts.push(Part::Stmt(other)),
            }
        }
        Seq { parts, tail }
    }

    /// The body of a resumable loop: nested loops that end with `yield_now!()` are resumable.
    fn loop_body(&mut self, block: &Block, depth: usize) -> Seq {
        let mut stmts = block.stmts.clone();
        if stmts.last().is_some_and(is_yield_stmt) {
            stmts.pop();
        }
        let mut parts = Vec::new();
        for stmt in stmts {
            match stmt {
                Stmt::Expr(expr, semi)
                    if loop_parts(&expr).is_some_and(|(_, body)| ends_with_yield(body)) =>
                {
                    let _ = semi;
                    parts.push(Part::Loop(Box::new(self.resumable_loop(&expr, depth))));
                }
                other => parts.push(Part::Stmt(other)),
            }
        }
        Seq { parts, tail: None }
    }

    fn resumable_loop(&mut self, expr: &Expr, depth: usize) -> Loop {
        let id = self.next_id;
        self.next_id += 1;
        let (label, head, body) = match expr {
            Expr::ForLoop(e) => {
                if !matches!(&*e.pat, Pat::Ident(p) if p.subpat.is_none() && p.by_ref.is_none())
                    && !matches!(&*e.pat, Pat::Wild(_))
                {
                    self.errors.at(
                        &e.pat,
                        "a resumable `for` loop binds one integer: write `for i in 0..n` and \
                         destructure inside the body",
                    );
                }
                let range = self.range_head(&e.expr);
                (
                    &e.label,
                    range.map(|range| Head::For {
                        pat: (*e.pat).clone(),
                        range,
                    }),
                    &e.body,
                )
            }
            Expr::While(e) => {
                if let Expr::Let(let_expr) = &*e.cond {
                    self.errors.at(
                        let_expr,
                        "`while let` can't be resumed: write `loop { let PATTERN = EXPR else { \
                         break }; ... }`",
                    );
                }
                (
                    &e.label,
                    Some(Head::While {
                        cond: (*e.cond).clone(),
                    }),
                    &e.body,
                )
            }
            Expr::Loop(e) => (&e.label, Some(Head::Loop), &e.body),
            _ => unreachable!("resumable_loop is called on loops only"),
        };
        let body = self.loop_body(body, depth + 1);
        Loop {
            id,
            depth,
            label: label.clone(),
            // A bad head was reported; keep building so later errors surface too.
            head: head.unwrap_or(Head::Loop),
            body,
        }
    }

    fn range_head(&mut self, expr: &Expr) -> Option<RangeHead> {
        let mut adapters = Vec::new();
        let mut cursor = strip_parens(expr);
        loop {
            match cursor {
                Expr::MethodCall(call) if call.method == "rev" && call.args.is_empty() => {
                    adapters.push((call.method.clone(), Vec::new()));
                    cursor = strip_parens(&call.receiver);
                }
                Expr::MethodCall(call) if call.method == "step_by" && call.args.len() == 1 => {
                    adapters.push((call.method.clone(), call.args.iter().cloned().collect()));
                    cursor = strip_parens(&call.receiver);
                }
                _ => break,
            }
        }
        adapters.reverse();
        match cursor {
            Expr::Range(range) => match (&range.start, &range.end) {
                (Some(start), Some(end)) => Some(RangeHead {
                    start: (**start).clone(),
                    end: (**end).clone(),
                    inclusive: matches!(range.limits, syn::RangeLimits::Closed(_)),
                    adapters,
                    expr: expr.clone(),
                }),
                _ => {
                    self.errors.at(
                        range,
                        "a resumable `for` loop needs a bounded range `start..end` or \
                         `start..=end`; for an endless loop write `loop { ... }`",
                    );
                    None
                }
            },
            _ => {
                self.errors.at(
                    expr,
                    "a resumable `for` loop must iterate over an integer range, optionally \
                     with `.rev()` / `.step_by(k)`: Penny resumes it by counting iterations. \
                     Write an index loop instead, e.g. `for i in 0..items.len() { let item = \
                     items[i]; ... }`",
                );
                None
            }
        }
    }
}

fn strip_parens(expr: &Expr) -> &Expr {
    match expr {
        Expr::Paren(paren) => strip_parens(&paren.expr),
        Expr::Group(group) => strip_parens(&group.expr),
        other => other,
    }
}
