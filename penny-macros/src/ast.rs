//! The kernel as a tree of resumable loops, built from the user's `syn::ItemFn`.
//!
//! A body is a [`Seq`]: statements, `let`s, resumable loops and branches in order, plus the
//! tail expression. Which loops are resumable is decided here and only here:
//! - at the function level, every loop statement (a *phase*), including `let x = loop {..};`
//!   and loops inside the arms of an `if`/`match` statement at that level;
//! - inside a resumable loop's body, every loop statement whose own body ends with
//!   `yield_now!()`, and every `#[penny::split]` `for` loop (also inside `if`/`match` arms at
//!   that level).
//!
//! Every other loop is plain code that runs within one iteration. An `if` or `match` whose
//! arms hold resumable loops is a [`Branch`]. A resumable loop with no resumable loop in it is
//! a *leaf*: it runs as a strip-mined chunk. The builder records the `yield_now!()` calls it
//! consumed, so the yield-point check reads the same rule instead of restating it.
//!
//! Every variable a pattern binds gets a [`BindingId`], in program order; later phases keep
//! what they learn about a binding (carried or not, its type, its field) in tables indexed by
//! it.

use std::collections::HashSet;

use quote::ToTokens;
use syn::{Block, Expr, ExprMacro, Ident, Label, Local, Pat, Stmt, StmtMacro};

use crate::ctxt::Errors;

/// Index of a variable binding in the kernel, in program order.
pub type BindingId = usize;

/// A name a pattern binds.
#[derive(Clone)]
pub struct Name {
    /// The user's identifier.
    pub ident: Ident,
    /// Its binding.
    pub id: BindingId,
    /// Whether it was bound `mut` (or is assigned after a `let` without a value).
    pub mutable: bool,
}

/// Statements, `let`s, resumable loops and branches, in program order.
pub struct Seq {
    /// The parts, in order.
    pub parts: Vec<Part>,
    /// The value of the sequence, when it has one.
    pub tail: Option<Expr>,
}

/// One element of a [`Seq`].
#[allow(clippy::large_enum_variant)] // built once per kernel; boxing adds noise, not speed
pub enum Part {
    /// A statement that runs as plain code.
    Stmt(Stmt),
    /// A `let` at the level of the sequence: its bindings may live across boundaries.
    Let(Let),
    /// A loop with yield points at its iteration boundaries.
    Loop(Box<Loop>),
    /// An `if` or `match` with resumable loops in its arms.
    Branch(Box<Branch>),
}

/// A `let` statement of a [`Seq`].
pub struct Let {
    /// The statement as written.
    pub local: Local,
    /// The names it binds.
    pub names: Vec<Name>,
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
    /// `let PAT = loop { .. };`: the names bound to the value of `break`.
    pub result: Option<LoopResult>,
    /// `#[penny::split]` on this `for` loop.
    pub split: Option<crate::split::SplitSpec>,
    /// A labelled `loop` whose body ends by leaving it: a block run once (see
    /// [`runs_once`]). Its head takes no budget: the user wrote no loop.
    pub runs_once: bool,
}

/// The `let` that takes a resumable `loop`'s `break` value.
pub struct LoopResult {
    /// The `let` statement (its pattern and annotation).
    pub local: Local,
    /// The names it binds.
    pub names: Vec<Name>,
}

/// What drives a resumable loop.
#[allow(clippy::large_enum_variant)] // built once per loop
pub enum Head {
    /// `for pat in source`.
    For {
        /// The loop pattern.
        pat: Pat,
        /// The names the pattern binds.
        names: Vec<Name>,
        /// What the loop iterates over.
        source: Source,
    },
    /// `while cond`.
    While {
        /// The condition.
        cond: Expr,
    },
    /// `loop`.
    Loop,
}

/// What a resumable `for` loop iterates over.
#[allow(clippy::large_enum_variant)] // one per loop
pub enum Source {
    /// An integer (or `char`) range with `.rev()` / `.step_by(k)`.
    Range(RangeHead),
    /// Items of an array or `In` buffer, visited by index.
    Items(ItemsHead),
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
    /// The whole range expression, as written.
    pub expr: Expr,
}

/// `for x in data.iter()` and its relatives: a loop over the items of arrays or `In`
/// buffers, visited through an index so it resumes in O(1).
#[derive(Clone)]
pub struct ItemsHead {
    /// The sequences the items come from (two for `zip`).
    pub sources: Vec<ItemSource>,
    /// `.enumerate()` at the end of the chain.
    pub enumerate: bool,
    /// The iterator expression, as written.
    pub expr: Expr,
}

/// One sequence an [`ItemsHead`] reads.
#[derive(Clone)]
pub struct ItemSource {
    /// The variable holding the array or buffer.
    pub data: Ident,
    /// How an item is taken from it.
    pub access: Access,
}

/// How an [`ItemSource`] yields its items.
#[derive(Clone)]
pub enum Access {
    /// `data.iter()`, `&data`: `&data[k]`.
    Ref,
    /// `data`, `data.into_iter()`: what `IntoIterator` gives, `data[k]` for an array and
    /// `&data[k]` for a reference (`penny::__private::Items`).
    Value,
    /// `data.iter().copied()`, `.cloned()`: `data[k]`.
    Copied,
    /// `data.chunks(size)` / `data.chunks_exact(size)`: sub-slices.
    Chunks {
        /// The chunk size expression.
        size: Expr,
        /// `chunks_exact`: the remainder is skipped.
        exact: bool,
    },
}

/// An `if` / `else if` / `else` or a `match` whose arms hold resumable loops.
pub struct Branch {
    /// How the arm is chosen.
    pub kind: BranchKind,
    /// One sequence per arm, in order (an `if` without `else` has an empty last arm).
    pub arms: Vec<Seq>,
    /// Names bound by each arm's pattern (`if let`, `match`).
    pub arm_names: Vec<Vec<Name>>,
    /// Whether the branch is the tail of the function (its arms' tails are the output).
    pub is_tail: bool,
}

/// How a [`Branch`] picks its arm.
pub enum BranchKind {
    /// `if c0 {..} else if c1 {..} else {..}`: one condition per arm but the last `else`.
    If {
        /// The conditions, each possibly `let PAT = EXPR`.
        conds: Vec<Expr>,
    },
    /// `match scrutinee { pat if guard => .. }`.
    Match {
        /// The matched expression.
        scrutinee: Expr,
        /// Each arm's pattern and guard.
        arms: Vec<(Pat, Option<Expr>)>,
    },
}

impl Loop {
    /// Whether no resumable loop is nested in this one.
    pub fn is_leaf(&self) -> bool {
        !self.body.has_resumable()
    }
}

impl Seq {
    /// Whether a resumable loop is somewhere in this sequence.
    pub fn has_resumable(&self) -> bool {
        self.parts
            .iter()
            .any(|part| matches!(part, Part::Loop(_) | Part::Branch(_)))
    }
}

/// Whether `stmt` is a `yield_now!()` invocation (by the macro's last path segment).
pub fn is_yield_stmt(stmt: &Stmt) -> bool {
    yield_macro(stmt).is_some()
}

fn yield_macro(stmt: &Stmt) -> Option<&syn::Macro> {
    match stmt {
        Stmt::Macro(StmtMacro { mac, .. }) if is_yield_macro(mac) => Some(mac),
        Stmt::Expr(Expr::Macro(ExprMacro { mac, .. }), _) if is_yield_macro(mac) => Some(mac),
        _ => None,
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

/// Whether `l` is labelled and its body's last statement (before a `yield_now!()`) leaves it:
/// a labelled `break` or `continue` (an unlabelled one can't stand in a labelled block, so
/// whatever its label it leaves the loop), or a `return`. Such a loop runs its body once.
pub fn runs_once(l: &syn::ExprLoop) -> bool {
    let last = l.body.stmts.iter().rev().find(|s| !is_yield_stmt(s));
    l.label.is_some()
        && match last {
            Some(Stmt::Expr(Expr::Break(b), _)) => b.label.is_some(),
            Some(Stmt::Expr(Expr::Continue(c), _)) => c.label.is_some(),
            Some(Stmt::Expr(Expr::Return(_), _)) => true,
            _ => false,
        }
}

/// A loop expression's label and body, when `expr` is a loop.
pub fn loop_parts(expr: &Expr) -> Option<(&Option<Label>, &Block)> {
    match strip_parens(expr) {
        Expr::ForLoop(e) => Some((&e.label, &e.body)),
        Expr::While(e) => Some((&e.label, &e.body)),
        Expr::Loop(e) => Some((&e.label, &e.body)),
        _ => None,
    }
}

/// Identity of a `yield_now!()` call in the user's function, for the yield-point check.
pub type YieldKey = *const syn::Macro;

/// Builds the tree of the function body.
pub struct Builder<'e> {
    errors: &'e mut Errors,
    next_loop: usize,
    next_binding: BindingId,
    /// The `yield_now!()` calls that end a resumable loop's body.
    pub consumed_yields: HashSet<YieldKey>,
    /// The `for` loops (by address) whose `#[penny::split]` the tree took.
    pub consumed_splits: HashSet<usize>,
    /// The function's output type, for a `loop` whose value is the output.
    output: Option<syn::Type>,
    /// How often each identifier occurs in the function body (see [`Self::check_nested_items`]).
    idents: std::collections::HashMap<String, usize>,
    /// Whether the next [`Self::seq`] is the function body's own.
    body_next: bool,
}

impl<'e> Builder<'e> {
    /// A builder reporting into `errors`; binding ids start after the arguments'.
    pub fn new(errors: &'e mut Errors, first_binding: BindingId) -> Self {
        Builder {
            errors,
            next_loop: 0,
            next_binding: first_binding,
            consumed_yields: HashSet::new(),
            consumed_splits: HashSet::new(),
            output: None,
            idents: std::collections::HashMap::new(),
            body_next: false,
        }
    }

    /// The number of bindings numbered so far (arguments included).
    pub fn bindings(&self) -> usize {
        self.next_binding
    }

    /// The function body: every loop statement is a phase.
    pub fn function_body(&mut self, block: &Block, output: &syn::Type) -> Seq {
        self.output = Some(output.clone());
        count_idents(block.to_token_stream(), &mut self.idents);
        self.body_next = true;
        self.seq(&block.stmts, 0, true)
    }

    /// Items (`const`, `fn`, `struct`, `use`, ..) of a branch arm or a resumable loop's body.
    /// The lowering declares every item of the kernel once, at the top of `step`, where it is
    /// in scope for the whole function instead of its own block: that is the same program
    /// only when nothing outside the block names it (no item of the module, nor of another
    /// arm, that it would hide there). An item whose name occurs outside its block is refused.
    fn check_nested_items(&mut self, stmts: &[Stmt]) {
        if !stmts.iter().any(|s| matches!(s, Stmt::Item(_))) {
            return;
        }
        let mut inside = std::collections::HashMap::new();
        for stmt in stmts {
            count_idents(stmt.to_token_stream(), &mut inside);
        }
        for stmt in stmts {
            let Stmt::Item(item) = stmt else { continue };
            for ident in item_names(item) {
                let name = ident.to_string();
                let everywhere = self.idents.get(&name).copied().unwrap_or(0);
                if everywhere > inside.get(&name).copied().unwrap_or(0) {
                    self.errors.at(
                        &ident,
                        format!(
                            "`{name}` is declared inside a branch arm or a resumable loop's body \
                             and also named outside it: Penny declares a kernel's items once, \
                             for all of its `step`, where this `{name}` would hide the other \
                             one. Rename it, or declare it at the top of the function"
                        ),
                    );
                }
            }
        }
    }

    /// A resumable `loop` whose value is the function's output (the tail of the body, or of
    /// an arm of a tail `if`/`match`): `let penny_output: OUTPUT = loop {..}; penny_output`.
    fn output_loop(&mut self, expr: &Expr, depth: usize) -> (Part, Expr) {
        let output = self
            .output
            .clone()
            .expect("function_body sets the output type");
        let stmt: Stmt = syn::parse_quote!(let penny_output: #output = #expr;);
        let Stmt::Local(local) = stmt else {
            unreachable!("a `let` statement")
        };
        let names = self.names(&local.pat, false);
        let result = LoopResult { local, names };
        let part = Part::Loop(Box::new(self.resumable_loop(expr, depth, Some(result))));
        (part, syn::parse_quote!(penny_output))
    }

    /// A sequence of statements at a level where loops can be resumable: every loop at
    /// `depth` 0, and loops ending with `yield_now!()` deeper.
    fn seq(&mut self, stmts: &[Stmt], depth: usize, with_tail: bool) -> Seq {
        if !std::mem::take(&mut self.body_next) {
            self.check_nested_items(stmts);
        }
        let mut stmts: Vec<&Stmt> = stmts.iter().collect();
        if depth > 0 {
            if let Some(last) = stmts.last().and_then(|s| yield_macro(s)) {
                self.consumed_yields.insert(last as YieldKey);
                stmts.pop();
            }
        }
        if with_tail {
            // The user's own statement (not a copy): the yield points the tree consumes are
            // known by address, and checked against the function as written. `return v;` as
            // the last statement is `v` as the tail: the output either way.
            let tail = match stmts.last().copied() {
                Some(Stmt::Expr(expr, None)) => Some(expr),
                Some(Stmt::Expr(Expr::Return(ret), Some(_))) => ret.expr.as_deref(),
                _ => None,
            };
            if let Some(expr) = tail {
                stmts.pop();
                let mut parts: Vec<Part> = stmts.iter().map(|s| self.part(s, depth)).collect();
                let (part, tail) = self.output_expr(expr, depth);
                parts.extend(part);
                return Seq { parts, tail };
            }
        }
        let parts = stmts.into_iter().map(|s| self.part(s, depth)).collect();
        Seq { parts, tail: None }
    }

    /// The last expression of a sequence whose value is the function's output (the body, or
    /// an arm of a tail `if`/`match`): the part it runs as, if any, and the output.
    fn output_expr(&mut self, expr: &Expr, depth: usize) -> (Option<Part>, Option<Expr>) {
        if matches!(strip_parens(expr), Expr::Loop(_)) && self.is_resumable_loop(expr, depth) {
            let (part, tail) = self.output_loop(expr, depth);
            return (Some(part), Some(tail));
        }
        match self.loop_part(expr, depth, true) {
            Some(part) => (Some(part), None),
            None => (None, Some(expr.clone())),
        }
    }

    /// `expr` as a resumable loop, or as an `if`/`match` with resumable loops in its arms.
    fn loop_part(&mut self, expr: &Expr, depth: usize, is_tail: bool) -> Option<Part> {
        if self.is_resumable_loop(expr, depth) {
            Some(Part::Loop(Box::new(self.resumable_loop(expr, depth, None))))
        } else if self.holds_resumable(expr, depth) {
            Some(self.branch(expr, depth, is_tail))
        } else {
            None
        }
    }

    fn part(&mut self, stmt: &Stmt, depth: usize) -> Part {
        if let Stmt::Expr(expr, _) = stmt {
            if let Some(part) = self.loop_part(expr, depth, false) {
                return part;
            }
        }
        match stmt {
            Stmt::Local(local) => match local.init.as_ref() {
                Some(init) if init.diverge.is_none() && self.is_let_loop(&init.expr, depth) => {
                    let names = self.names(&local.pat, false);
                    let result = LoopResult {
                        local: local.clone(),
                        names,
                    };
                    Part::Loop(Box::new(self.resumable_loop(
                        &init.expr,
                        depth,
                        Some(result),
                    )))
                }
                _ => {
                    let names = self.names(&local.pat, local.init.is_none());
                    Part::Let(Let {
                        local: local.clone(),
                        names,
                    })
                }
            },
            other => Part::Stmt(other.clone()),
        }
    }

    /// `let x = loop { .. };` at a level where the loop is resumable.
    fn is_let_loop(&self, expr: &Expr, depth: usize) -> bool {
        matches!(strip_parens(expr), Expr::Loop(_)) && self.is_resumable_loop(expr, depth)
    }

    fn is_resumable_loop(&self, expr: &Expr, depth: usize) -> bool {
        let split = matches!(strip_parens(expr), Expr::ForLoop(e) if e.attrs.iter().any(crate::split::is_split));
        loop_parts(expr).is_some_and(|(_, body)| {
            depth == 0 || split || ends_with_yield(body) || self.is_block_loop(expr, depth)
        })
    }

    /// A labelled `loop` whose body ends by leaving it (a `break` out of it, or a `return`)
    /// runs its body once: a labelled block, as `desugar` writes one. It holds yield points
    /// when its body holds a resumable loop, with no `yield_now!()` of its own.
    fn is_block_loop(&self, expr: &Expr, depth: usize) -> bool {
        let Expr::Loop(l) = strip_parens(expr) else {
            return false;
        };
        runs_once(l) && self.stmts_hold_resumable(&l.body.stmts, depth + 1)
    }

    /// Whether `stmts` hold a loop resumable at `depth`, as a statement, a `let .. = loop`,
    /// or in the arms of an `if`/`match`.
    fn stmts_hold_resumable(&self, stmts: &[Stmt], depth: usize) -> bool {
        stmts.iter().any(|s| match s {
            Stmt::Expr(e, _) => self.is_resumable_loop(e, depth) || self.holds_resumable(e, depth),
            Stmt::Local(l) => l
                .init
                .as_ref()
                .is_some_and(|i| i.diverge.is_none() && self.is_let_loop(&i.expr, depth)),
            _ => false,
        })
    }

    /// Whether `expr` is an `if`/`match` with a resumable loop somewhere in its arms.
    fn holds_resumable(&self, expr: &Expr, depth: usize) -> bool {
        let arm_holds = |stmts: &[Stmt]| self.stmts_hold_resumable(stmts, depth);
        match expr {
            Expr::If(e) => {
                arm_holds(&e.then_branch.stmts)
                    || e.else_branch
                        .as_ref()
                        .is_some_and(|(_, other)| match &**other {
                            Expr::Block(b) => arm_holds(&b.block.stmts),
                            nested => self.holds_resumable(nested, depth),
                        })
            }
            Expr::Match(m) => m.arms.iter().any(|arm| match &*arm.body {
                Expr::Block(b) if b.label.is_none() => arm_holds(&b.block.stmts),
                body => self.is_resumable_loop(body, depth) || self.holds_resumable(body, depth),
            }),
            _ => false,
        }
    }

    fn branch(&mut self, expr: &Expr, depth: usize, is_tail: bool) -> Part {
        let mut arms = Vec::new();
        let mut arm_names = Vec::new();
        let kind = match expr {
            Expr::If(_) => {
                let mut conds = Vec::new();
                let mut cursor = expr;
                loop {
                    match cursor {
                        Expr::If(e) => {
                            let names = match &*e.cond {
                                Expr::Let(l) => self.names(&l.pat, false),
                                _ => Vec::new(),
                            };
                            conds.push((*e.cond).clone());
                            arm_names.push(names);
                            arms.push(self.seq(&e.then_branch.stmts, depth, is_tail));
                            match &e.else_branch {
                                Some((_, other)) => cursor = other,
                                None => {
                                    arm_names.push(Vec::new());
                                    arms.push(Seq {
                                        parts: Vec::new(),
                                        tail: None,
                                    });
                                    break;
                                }
                            }
                        }
                        Expr::Block(b) => {
                            arm_names.push(Vec::new());
                            arms.push(self.seq(&b.block.stmts, depth, is_tail));
                            break;
                        }
                        other => {
                            // `else <expr>` can't be anything but a block or an `if`.
                            arm_names.push(Vec::new());
                            arms.push(self.expr_seq(other, depth, is_tail));
                            break;
                        }
                    }
                }
                BranchKind::If { conds }
            }
            Expr::Match(m) => {
                let mut patterns = Vec::new();
                for arm in &m.arms {
                    arm_names.push(self.names(&arm.pat, false));
                    patterns.push((
                        arm.pat.clone(),
                        arm.guard.as_ref().map(|(_, g)| (**g).clone()),
                    ));
                    let seq = match &*arm.body {
                        Expr::Block(b) if b.label.is_none() => {
                            self.seq(&b.block.stmts, depth, is_tail)
                        }
                        body => self.expr_seq(body, depth, is_tail),
                    };
                    arms.push(seq);
                }
                BranchKind::Match {
                    scrutinee: (*m.expr).clone(),
                    arms: patterns,
                }
            }
            _ => unreachable!("branch is called on `if` and `match` only"),
        };
        Part::Branch(Box::new(Branch {
            kind,
            arms,
            arm_names,
            is_tail,
        }))
    }

    /// An arm written as one expression (`pat => expr`), as [`Self::seq`] builds a block
    /// holding just that expression, but from the user's expression itself: the yield points
    /// the tree consumes are known by address.
    fn expr_seq(&mut self, expr: &Expr, depth: usize, is_tail: bool) -> Seq {
        let (part, tail) = if is_tail {
            self.output_expr(expr, depth)
        } else {
            let part = self
                .loop_part(expr, depth, false)
                .unwrap_or_else(|| Part::Stmt(Stmt::Expr(expr.clone(), None)));
            (Some(part), None)
        };
        Seq {
            parts: part.into_iter().collect(),
            tail,
        }
    }

    /// Numbers the names `pat` binds.
    fn names(&mut self, pat: &Pat, deferred: bool) -> Vec<Name> {
        crate::names::bound_idents(pat)
            .into_iter()
            .map(|(ident, mutable)| {
                let id = self.next_binding;
                self.next_binding += 1;
                Name {
                    ident,
                    id,
                    mutable: mutable || deferred,
                }
            })
            .collect()
    }

    fn resumable_loop(&mut self, expr: &Expr, depth: usize, result: Option<LoopResult>) -> Loop {
        let id = self.next_loop;
        self.next_loop += 1;
        let mut split = None;
        let (label, head, body) = match strip_parens(expr) {
            Expr::ForLoop(e) => {
                split = crate::split::parse(&e.attrs, self.errors);
                if split.is_some() {
                    self.consumed_splits
                        .insert(e as *const syn::ExprForLoop as usize);
                }
                let source = self.source(&e.expr);
                let names = self.names(&e.pat, false);
                (
                    &e.label,
                    source.map(|source| Head::For {
                        pat: (*e.pat).clone(),
                        names,
                        source,
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
        if depth > 0 {
            if let Some(last) = body.stmts.last().and_then(yield_macro) {
                self.consumed_yields.insert(last as YieldKey);
            }
        }
        let runs_once = matches!(strip_parens(expr), Expr::Loop(l) if runs_once(l));
        let body = self.seq(&body.stmts, depth + 1, false);
        Loop {
            id,
            depth,
            runs_once,
            label: label.clone(),
            // A bad head was reported; keep building so later errors surface too.
            head: head.unwrap_or(Head::Loop),
            body,
            result,
            split,
        }
    }

    fn source(&mut self, expr: &Expr) -> Option<Source> {
        if let Some(range) = range_head(expr) {
            return range
                .map(Source::Range)
                .map_err(|e| self.errors.push(e))
                .ok();
        }
        if let Some(items) = items_head(expr) {
            return Some(Source::Items(items));
        }
        if let Some(place) = unnamed_place(expr) {
            let place = quote::ToTokens::to_token_stream(place)
                .to_string()
                .replace(" [", "[");
            self.errors.at(
                expr,
                format!(
                    "a resumable `for` loop iterates over a variable (an array or `penny::In` \
                     buffer), which it indexes again when it resumes, not over `{place}`. Copy \
                     it into one before the loop: `let items = {place};`, then loop over \
                     `items` the same way"
                ),
            );
            return None;
        }
        self.errors.at(
            expr,
            "a resumable `for` loop must iterate over an integer or `char` range (optionally \
             with `.rev()` / `.step_by(k)`), or over an array or `penny::In` buffer named by \
             a variable: `data`, `&data`, `data.iter()`, `.iter().copied()`, \
             `.chunks(k)`, `.chunks_exact(k)`, two of these zipped (`.zip(..)`), with an \
             `.enumerate()` last: Penny resumes it by counting iterations. For other \
             iterators write an index loop, e.g. `for i in 0..items.len() { let item = \
             items[i]; ... }`",
        );
        None
    }
}

/// `a..b` / `a..=b` with adapters: `None` when `expr` isn't a range at all, an error when it
/// is an unbounded one.
fn range_head(expr: &Expr) -> Option<Result<RangeHead, syn::Error>> {
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
    let Expr::Range(range) = cursor else {
        return None;
    };
    Some(match (&range.start, &range.end) {
        (Some(start), Some(end)) => Ok(RangeHead {
            start: strip_parens(start).clone(),
            end: strip_parens(end).clone(),
            inclusive: matches!(range.limits, syn::RangeLimits::Closed(_)),
            adapters,
            expr: expr.clone(),
        }),
        _ => Err(syn::Error::new_spanned(
            range,
            "a resumable `for` loop needs a bounded range `start..end` or `start..=end`; for \
             an endless loop write `loop { ... }`",
        )),
    })
}

/// `data.iter()`, `&data`, `data`, `.iter().copied()`, `.chunks(k)`, with `.zip(..)` and a
/// final `.enumerate()`.
fn items_head(expr: &Expr) -> Option<ItemsHead> {
    let (parts, enumerate) = items_chain(expr);
    let sources = parts
        .into_iter()
        .map(|part| {
            let (place, access) = source_access(part)?;
            let data = match place {
                Expr::Path(p) if p.qself.is_none() => p.path.get_ident().cloned(),
                _ => None,
            }?;
            Some(ItemSource { data, access })
        })
        .collect::<Option<Vec<_>>>()?;
    Some(ItemsHead {
        sources,
        enumerate,
        expr: expr.clone(),
    })
}

/// In an items loop's head of a shape [`items_head`] takes (`p.0.iter()`, `s.rows[2]
/// .chunks(4)`), the first sequence that is a field or an element rather than a variable.
fn unnamed_place(expr: &Expr) -> Option<&Expr> {
    items_chain(expr)
        .0
        .into_iter()
        .filter_map(source_access)
        .map(|(place, _)| place)
        .find(|place| matches!(place, Expr::Field(_) | Expr::Index(_)))
}

/// The sequences an items loop's head reads (one, or the two sides of a `.zip(..)`), and
/// whether it ends with `.enumerate()`.
fn items_chain(expr: &Expr) -> (Vec<&Expr>, bool) {
    let mut cursor = strip_parens(expr);
    let mut enumerate = false;
    if let Expr::MethodCall(call) = cursor {
        if call.method == "enumerate" && call.args.is_empty() {
            enumerate = true;
            cursor = strip_parens(&call.receiver);
        }
    }
    if let Expr::MethodCall(call) = cursor {
        if call.method == "zip" && call.args.len() == 1 {
            return (vec![&*call.receiver, &call.args[0]], enumerate);
        }
    }
    (vec![cursor], enumerate)
}

/// What one sequence of an items loop reads (the place under `&`, `.iter()`, `.chunks(k)`
/// and the like, without parentheses) and how it takes items from it.
fn source_access(expr: &Expr) -> Option<(&Expr, Access)> {
    let expr = strip_parens(expr);
    match expr {
        Expr::Reference(r) if r.mutability.is_none() => Some((strip_parens(&r.expr), Access::Ref)),
        Expr::Reference(_) => None,
        Expr::MethodCall(call) => {
            let method = call.method.to_string();
            let receiver = strip_parens(&call.receiver);
            match (method.as_str(), call.args.len()) {
                ("iter", 0) => Some((receiver, Access::Ref)),
                ("into_iter", 0) => Some((receiver, Access::Value)),
                ("copied" | "cloned", 0) => {
                    let (place, inner) = source_access(receiver)?;
                    matches!(inner, Access::Ref).then_some((place, Access::Copied))
                }
                ("chunks" | "chunks_exact", 1) => Some((
                    receiver,
                    Access::Chunks {
                        size: call.args[0].clone(),
                        exact: method == "chunks_exact",
                    },
                )),
                _ => None,
            }
        }
        // `data` itself (by value), or a field or element of one.
        place => Some((place, Access::Value)),
    }
}

/// `expr` without the parentheses and invisible groups around it.
pub fn strip_parens(expr: &Expr) -> &Expr {
    match expr {
        Expr::Paren(paren) => strip_parens(&paren.expr),
        Expr::Group(group) => strip_parens(&group.expr),
        other => other,
    }
}

/// Counts each name `tokens` may use: identifiers, but not a field or method after a `.`,
/// and the names a format string captures (`{N}`), as [`crate::names`] reads them.
fn count_idents(
    tokens: proc_macro2::TokenStream,
    counts: &mut std::collections::HashMap<String, usize>,
) {
    crate::names::each_name_in_tokens(tokens, &mut |name, _| {
        *counts.entry(name).or_default() += 1;
    });
}

/// The names an item declares in its block.
fn item_names(item: &syn::Item) -> Vec<Ident> {
    fn use_names(tree: &syn::UseTree, out: &mut Vec<Ident>) {
        match tree {
            syn::UseTree::Path(p) => use_names(&p.tree, out),
            syn::UseTree::Name(n) if n.ident != "self" => out.push(n.ident.clone()),
            syn::UseTree::Rename(r) => out.push(r.rename.clone()),
            syn::UseTree::Group(g) => g.items.iter().for_each(|t| use_names(t, out)),
            _ => {}
        }
    }
    match item {
        syn::Item::Const(i) => vec![i.ident.clone()],
        syn::Item::Static(i) => vec![i.ident.clone()],
        syn::Item::Fn(i) => vec![i.sig.ident.clone()],
        syn::Item::Struct(i) => vec![i.ident.clone()],
        syn::Item::Enum(i) => vec![i.ident.clone()],
        syn::Item::Union(i) => vec![i.ident.clone()],
        syn::Item::Type(i) => vec![i.ident.clone()],
        syn::Item::Trait(i) => vec![i.ident.clone()],
        syn::Item::Mod(i) => vec![i.ident.clone()],
        syn::Item::Macro(i) => i.ident.iter().cloned().collect(),
        syn::Item::Use(i) => {
            let mut out = Vec::new();
            use_names(&i.tree, &mut out);
            out
        }
        _ => Vec::new(),
    }
}
