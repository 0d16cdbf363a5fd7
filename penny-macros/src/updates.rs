//! How the body of a `#[penny::split]` loop uses one variable declared before the loop:
//! updates in the form of a built-in reduction, other writes, and reads (see
//! `split::check_body`).
//!
//! Each part of a split loop starts its copy of a reduction at the operator's identity, so
//! inside the loop the variable holds only the running value of that part: a read sees
//! something the plain loop never had, and a write must be one that the operator combines.
//!
//! The forms of an update of `x` (or of an element `x[k]`, `x[i][j]`: arrays reduce
//! elementwise), with `e` any expression:
//!
//! - `+`: `x += e`, `x -= e`, `x = x + e` (a sum or difference of terms with `x` as a positive
//!   one: `e + x`, `x - a + b`), `x = x.wrapping_add(e)`, `x = x.wrapping_sub(e)`;
//! - `*`: `x *= e`, `x = x * e` (a product with `x` a factor), `x = x.wrapping_mul(e)`;
//! - `& | ^`: `x op= e`, `x = x op e` (a chain of `op` with `x` one operand); `x = true` is
//!   an `|` update, `x = false` an `&` one;
//! - `min` / `max`: `x = x.min(e)`, `x = e.min(x)`, `x = min(x, e)` (any path ending in
//!   `min`: `core::cmp::min`, `f32::min`), and the guarded overwrite `if e < x { x = e }`
//!   (`<=`, `x > e`; the mirrored comparisons for `max`), where the guard compares `x` with
//!   exactly the expression assigned (other conditions may be joined with `&&`) and guards
//!   nothing else (no `else`, the block just the assignment: other code under it would run
//!   where a part's running value passes the test, a [`Use::Read`] with `guard`);
//! - chains of one operator's method bottoming at `x`: `x = x.max(a).max(b)`,
//!   `x = x.wrapping_add(a).wrapping_sub(b)`.
//!
//! [`wrap`] rewrites the `+` and `*` updates in the lowered task so they wrap like the
//! reduction's combine.
//!
//! Names are resolved by scope: a `let`, closure parameter, `for` or `match` pattern that binds
//! the same name hides the variable inside its scope.

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::spanned::Spanned;
use syn::visit::Visit;
use syn::visit_mut::VisitMut;
use syn::{BinOp, Expr, Ident, Pat};

use crate::ast::{Part, Seq};

/// A built-in reduction's operator.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Op {
    Sum,
    Product,
    And,
    Or,
    Xor,
    Min,
    Max,
}

impl Op {
    /// The operator of the marker type `split::parse_op` names (`Sum`, `Max`, ...).
    pub fn from_marker(marker: &str) -> Option<Op> {
        Some(match marker {
            "Sum" => Op::Sum,
            "Product" => Op::Product,
            "BitAnd" => Op::And,
            "BitOr" => Op::Or,
            "BitXor" => Op::Xor,
            "Min" => Op::Min,
            "Max" => Op::Max,
            _ => return None,
        })
    }

    /// As written in `reduce(x = ...)`.
    pub fn symbol(self) -> &'static str {
        match self {
            Op::Sum => "+",
            Op::Product => "*",
            Op::And => "&",
            Op::Or => "|",
            Op::Xor => "^",
            Op::Min => "min",
            Op::Max => "max",
        }
    }

    /// The update forms of `x` (a variable, or an element `v[k]`) this operator combines, for
    /// messages.
    pub fn forms(self, x: &str) -> String {
        match self {
            Op::Sum => {
                format!("`{x} += e`, `{x} -= e`, `{x} = {x} + e`, `{x} = {x}.wrapping_add(e)`")
            }
            Op::Product => format!("`{x} *= e`, `{x} = {x} * e`, `{x} = {x}.wrapping_mul(e)`"),
            Op::And => format!("`{x} &= e`, `{x} = {x} & e`, `{x} = false`"),
            Op::Or => format!("`{x} |= e`, `{x} = {x} | e`, `{x} = true`"),
            Op::Xor => format!("`{x} ^= e`, `{x} = {x} ^ e`"),
            Op::Min => {
                format!("`{x} = {x}.min(e)`, `{x} = min({x}, e)`, `if e < {x} {{ {x} = e }}`")
            }
            Op::Max => {
                format!("`{x} = {x}.max(e)`, `{x} = max({x}, e)`, `if e > {x} {{ {x} = e }}`")
            }
        }
    }

    fn of_compound(op: &BinOp) -> Option<Op> {
        Some(match op {
            BinOp::AddAssign(_) | BinOp::SubAssign(_) => Op::Sum,
            BinOp::MulAssign(_) => Op::Product,
            BinOp::BitAndAssign(_) => Op::And,
            BinOp::BitOrAssign(_) => Op::Or,
            BinOp::BitXorAssign(_) => Op::Xor,
            _ => return None,
        })
    }

    /// The operator a method or function of this name updates with, and whether its operands
    /// may come in either order.
    fn of_method(name: &str) -> Option<(Op, bool)> {
        Some(match name {
            "min" => (Op::Min, true),
            "max" => (Op::Max, true),
            "wrapping_add" => (Op::Sum, true),
            "wrapping_sub" => (Op::Sum, false),
            "wrapping_mul" => (Op::Product, true),
            _ => return None,
        })
    }
}

/// One use of the variable.
pub enum Use {
    /// A write in the form of the reduction `op` (`at`: the write's tokens), to an element
    /// (`x[k]`) or not; `node`: the address of the write's expression in the visited tree
    /// (see [`wrap`]).
    /// `place`: where the written place starts.
    Update {
        op: Op,
        at: TokenStream,
        element: bool,
        node: usize,
        place: Span,
    },
    /// A write in no reduction's form.
    Write {
        kind: WriteKind,
        at: TokenStream,
        element: bool,
        place: Span,
    },
    /// Any other use: a read. `guard`: the read is the condition of an `if` that updates the
    /// variable (`if e > x { x = e; .. }`) but also runs other code (more statements, an
    /// `else`), which would run on a part's running value.
    Read { at: Span, guard: bool },
}

impl Use {
    /// Whether this writes an element of the variable (`x[k] += e`): it is an array.
    pub fn element(&self) -> bool {
        match self {
            Use::Update { element, .. } | Use::Write { element, .. } => *element,
            Use::Read { .. } => false,
        }
    }

    /// Where a write's place starts (`None` for a read).
    pub fn written_at(&self) -> Option<Span> {
        match self {
            Use::Update { place, .. } | Use::Write { place, .. } => Some(*place),
            Use::Read { .. } => None,
        }
    }
}

/// What a write in no reduction's form is, for messages.
pub enum WriteKind {
    /// `x = e` (or `x[k] = e`) with `e` not using `x`: the place and the value as a message
    /// shows them (a name or literal as written, anything else as `k` / `v`).
    Overwrite { place: String, value: String },
    /// `x = e` with `e` using `x` in no reduction's form.
    FromItself,
    /// A compound assignment no reduction makes (`/=`, `%=`, `<<=`, `>>=`): its operator.
    Compound(String),
    /// `&mut x`.
    Borrow,
    /// A write to part of `x` that isn't an element (`x.0 = e`, `*x = e`).
    Part,
    /// `x` assigned in a destructuring assignment (`(x, y) = (x + a, y ^ b)`).
    Destructure,
    /// A method called on `x` that may write it through `&mut self` (`x.add_assign(e)`, or
    /// any method called for its effect, `x.push(e);`): its name.
    Method(String),
}

/// The uses of `name` (a variable declared before the split loop) in the loop's body.
/// `custom`: the variable is a custom `(combine, identity)` reduction, whose writes aren't
/// classified (only reads outside its own updates are reported: an assignment to it, its
/// `&mut`, a method call on it as a statement, and the condition of an `if` whose block
/// assigns it).
pub fn uses(body: &Seq, name: &str, custom: bool) -> Vec<Use> {
    let mut finder = Finder {
        name,
        custom,
        scopes: crate::names::Scopes::new(),
        allow_reads: 0,
        guard_reads: 0,
        uses: Vec::new(),
    };
    for part in &body.parts {
        match part {
            Part::Stmt(stmt) => finder.visit_stmt(stmt),
            Part::Let(l) => finder.visit_local(&l.local),
            // A split loop can't hold resumable loops (reported elsewhere).
            _ => {}
        }
    }
    finder.uses
}

struct Finder<'a> {
    name: &'a str,
    custom: bool,
    /// Where a binding of `name` hides the variable.
    scopes: crate::names::Scopes,
    /// Inside a custom reduction's own update: its reads are the update's.
    allow_reads: usize,
    /// Inside the condition of an `if` that assigns the variable and runs other code too:
    /// its reads are [`Use::Read`]'s `guard` ones.
    guard_reads: usize,
    uses: Vec<Use>,
}

fn strip(mut e: &Expr) -> &Expr {
    loop {
        match e {
            Expr::Paren(p) => e = &p.expr,
            Expr::Group(g) => e = &g.expr,
            _ => return e,
        }
    }
}

fn text(e: &Expr) -> String {
    strip(e).to_token_stream().to_string()
}

/// `e` as a message shows it: a name or a literal as written, anything else as `stand_in`.
fn shown(e: &Expr, stand_in: &str) -> String {
    match strip(e) {
        Expr::Path(p) if p.path.get_ident().is_some() => text(e),
        Expr::Lit(_) => text(e),
        _ => stand_in.to_string(),
    }
}

impl Finder<'_> {
    fn hidden(&self) -> bool {
        self.scopes.hidden()
    }

    fn binds(&self, pat: &Pat) -> bool {
        crate::names::binds(pat, self.name)
    }

    fn is_name(&self, e: &Expr) -> bool {
        matches!(strip(e), Expr::Path(p) if p.qself.is_none() && p.path.is_ident(self.name))
    }

    /// When `e` is `x` or an element of it (`x[k]`, `x[i][j]`): the index expressions.
    fn place<'e>(&self, e: &'e Expr) -> Option<Vec<&'e Expr>> {
        match strip(e) {
            Expr::Index(i) => self.place(&i.expr).map(|mut indices| {
                indices.push(&i.index);
                indices
            }),
            e if self.is_name(e) => Some(Vec::new()),
            _ => None,
        }
    }

    /// Whether a write to `e` writes `x` (or part of it).
    fn writes_name(&self, e: &Expr) -> bool {
        match strip(e) {
            Expr::Index(i) => self.writes_name(&i.expr),
            Expr::Field(f) => self.writes_name(&f.base),
            Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => self.writes_name(&u.expr),
            e => self.is_name(e),
        }
    }

    fn mentions(&self, e: &Expr) -> bool {
        crate::names::used_names_expr(e).contains(self.name)
    }

    fn read(&mut self, at: Span) {
        if self.allow_reads == 0 {
            let guard = self.guard_reads != 0;
            self.uses.push(Use::Read { at, guard });
        }
    }

    fn scoped(&mut self, binds: bool, f: impl FnOnce(&mut Self)) {
        self.scopes.push(binds);
        f(self);
        self.scopes.pop();
    }

    /// `place = rhs` as an update: its operator, the operands other than the place, and the
    /// place's operand when `rhs` is a chain of operators (`x - a + b`: the `x`).
    #[allow(clippy::type_complexity)]
    fn assigned_update<'e>(
        &self,
        place: &str,
        rhs: &'e Expr,
    ) -> Option<(Op, Vec<&'e Expr>, Option<&'e Expr>)> {
        let is_place = |e: &Expr| self.place(e).is_some() && text(e) == place;
        let rhs = strip(rhs);
        match rhs {
            Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Bool(b),
                ..
            }) => Some((if b.value { Op::Or } else { Op::And }, Vec::new(), None)),
            Expr::Binary(b) => {
                let (op, signed) = match b.op {
                    BinOp::Add(_) | BinOp::Sub(_) => (Op::Sum, true),
                    BinOp::Mul(_) => (Op::Product, false),
                    BinOp::BitAnd(_) => (Op::And, false),
                    BinOp::BitOr(_) => (Op::Or, false),
                    BinOp::BitXor(_) => (Op::Xor, false),
                    _ => return None,
                };
                let mut terms = Vec::new();
                flatten(rhs, &b.op, signed, true, &mut terms);
                let at = terms
                    .iter()
                    .position(|(e, positive)| *positive && is_place(e))?;
                let rest = (0..terms.len()).filter(|&k| k != at).map(|k| terms[k].0);
                Some((op, rest.collect(), Some(terms[at].0)))
            }
            Expr::MethodCall(m) if m.args.len() == 1 => {
                let (op, either) = Op::of_method(&m.method.to_string())?;
                if is_place(&m.receiver) {
                    Some((op, vec![&m.args[0]], None))
                } else if either && is_place(&m.args[0]) {
                    Some((op, vec![&*m.receiver], None))
                } else if let Expr::MethodCall(_) | Expr::Call(_) = strip(&m.receiver) {
                    // A chain `x.max(a).max(b)`, `x.wrapping_add(a).wrapping_sub(b)`: the
                    // receiver an update of the same operator (`min`, `max`, `wrapping_*`:
                    // nothing in it for `wrap` to rewrite).
                    let (inner, mut operands, _) = self.assigned_update(place, &m.receiver)?;
                    (inner == op).then(|| {
                        operands.push(&m.args[0]);
                        (op, operands, None)
                    })
                } else {
                    None
                }
            }
            Expr::Call(c) if c.args.len() == 2 => {
                let Expr::Path(f) = strip(&c.func) else {
                    return None;
                };
                let last = f.path.segments.last()?;
                let (op, either) = Op::of_method(&last.ident.to_string())?;
                if is_place(&c.args[0]) {
                    Some((op, vec![&c.args[1]], None))
                } else if either && is_place(&c.args[1]) {
                    Some((op, vec![&c.args[0]], None))
                } else {
                    None
                }
            }
            _ => None,
        }
    }

    /// `if .. e < x .. { .. x = e; .. }`: the operator (`min` here), the comparison's
    /// place and value, and the assignment's index in the block.
    fn guarded_update<'e>(&self, i: &'e syn::ExprIf) -> Option<Guarded<'e>> {
        let mut conds = Vec::new();
        conjuncts(&i.cond, &mut conds);
        if conds.iter().any(|c| matches!(strip(c), Expr::Let(_))) {
            return None;
        }
        for (k, cond) in conds.iter().enumerate() {
            let Expr::Binary(b) = strip(cond) else {
                continue;
            };
            let lesser = match b.op {
                BinOp::Lt(_) | BinOp::Le(_) => true,
                BinOp::Gt(_) | BinOp::Ge(_) => false,
                _ => continue,
            };
            // `value < place` assigns a smaller value: `min`; `place < value`: `max`.
            let (place, value, op) = if self.place(&b.right).is_some() && !self.mentions(&b.left) {
                (&*b.right, &*b.left, if lesser { Op::Min } else { Op::Max })
            } else if self.place(&b.left).is_some() && !self.mentions(&b.right) {
                (&*b.left, &*b.right, if lesser { Op::Max } else { Op::Min })
            } else {
                continue;
            };
            let assignment = i.then_branch.stmts.iter().position(|s| match s {
                syn::Stmt::Expr(Expr::Assign(a), _) => {
                    text(&a.left) == text(place) && text(&a.right) == text(value)
                }
                _ => false,
            });
            if let Some(assignment) = assignment {
                return Some(Guarded {
                    op,
                    place,
                    value,
                    others: (0..conds.len())
                        .filter(|&j| j != k)
                        .map(|j| conds[j])
                        .collect(),
                    assignment,
                });
            }
        }
        None
    }

    /// A condition of `if` / `while`: its `let`s' expressions visited, whether they bind the
    /// name (for the block).
    fn visit_cond(&mut self, cond: &Expr) -> bool {
        let mut conds = Vec::new();
        conjuncts(cond, &mut conds);
        let mut binds = false;
        for c in conds {
            if let Expr::Let(l) = strip(c) {
                self.visit_expr(&l.expr);
                binds |= self.binds(&l.pat);
            } else {
                self.visit_expr(c);
            }
        }
        binds
    }

    /// The place among the targets of a destructuring assignment's left side (`(x, y)`,
    /// `[x, y]`, `S { a: x, .. }`, `S(x, y)`) that writes the variable.
    fn destructured<'e>(&self, left: &'e Expr) -> Option<&'e Expr> {
        let leaves: Vec<&Expr> = match strip(left) {
            Expr::Tuple(t) => t.elems.iter().collect(),
            Expr::Array(a) => a.elems.iter().collect(),
            Expr::Call(c) => c.args.iter().collect(),
            Expr::Struct(s) => s.fields.iter().map(|f| &f.expr).collect(),
            _ => return None,
        };
        leaves.into_iter().find_map(|leaf| {
            if self.writes_name(leaf) {
                Some(leaf)
            } else {
                self.destructured(leaf)
            }
        })
    }

    /// Visits `e` except the place `skip` (the variable's own target in it).
    fn visit_expr_except(&mut self, e: &Expr, skip: &Expr) {
        if std::ptr::eq(e, skip) {
            return;
        }
        match strip(e) {
            Expr::Tuple(t) => t.elems.iter().for_each(|x| self.visit_expr_except(x, skip)),
            Expr::Array(a) => a.elems.iter().for_each(|x| self.visit_expr_except(x, skip)),
            Expr::Call(c) => c.args.iter().for_each(|x| self.visit_expr_except(x, skip)),
            Expr::Struct(s) => s
                .fields
                .iter()
                .for_each(|f| self.visit_expr_except(&f.expr, skip)),
            inner if std::ptr::eq(inner, skip) => {}
            other => self.visit_expr(other),
        }
    }

    /// `x.method(args)` on a built-in reduction: a write of unknown form (its arguments are
    /// visited).
    fn method_write(&mut self, m: &syn::ExprMethodCall) {
        let element = self.place(&m.receiver).is_some_and(|i| !i.is_empty());
        let kind = WriteKind::Method(m.method.to_string());
        self.push_write(kind, m.to_token_stream(), element, m.receiver.span());
        if let Some(indices) = self.place(&m.receiver) {
            indices.into_iter().for_each(|i| self.visit_expr(i));
        }
        m.args.iter().for_each(|a| self.visit_expr(a));
    }

    /// Whether a block assigns the name at its top level (a custom reduction's `if` whose
    /// condition is part of the update).
    fn block_assigns(&self, block: &syn::Block) -> bool {
        block.stmts.iter().any(|s| match s {
            syn::Stmt::Expr(Expr::Assign(a), _) => self.writes_name(&a.left),
            syn::Stmt::Expr(Expr::Binary(b), _) if crate::pure::is_assignment(&b.op) => {
                self.writes_name(&b.left)
            }
            _ => false,
        })
    }
}

struct Guarded<'e> {
    op: Op,
    place: &'e Expr,
    value: &'e Expr,
    others: Vec<&'e Expr>,
    assignment: usize,
}

/// The operands of a chain of `op` (through parentheses); with `signed` (`+` / `-`), each
/// with whether it is added.
fn flatten<'e>(
    e: &'e Expr,
    op: &BinOp,
    signed: bool,
    positive: bool,
    out: &mut Vec<(&'e Expr, bool)>,
) {
    let e = strip(e);
    if let Expr::Binary(b) = e {
        let same = if signed {
            matches!(b.op, BinOp::Add(_) | BinOp::Sub(_))
        } else {
            std::mem::discriminant(&b.op) == std::mem::discriminant(op)
        };
        if same {
            flatten(&b.left, op, signed, positive, out);
            let negated = matches!(b.op, BinOp::Sub(_));
            flatten(&b.right, op, signed, positive != negated, out);
            return;
        }
    }
    out.push((e, positive));
}

/// The conditions of an `&&` chain.
fn conjuncts<'e>(e: &'e Expr, out: &mut Vec<&'e Expr>) {
    match strip(e) {
        Expr::Binary(b) if matches!(b.op, BinOp::And(_)) => {
            conjuncts(&b.left, out);
            conjuncts(&b.right, out);
        }
        _ => out.push(e),
    }
}

impl<'ast> Visit<'ast> for Finder<'_> {
    fn visit_expr(&mut self, e: &'ast Expr) {
        if self.hidden() {
            return;
        }
        match e {
            Expr::Path(p) if p.qself.is_none() && p.path.is_ident(self.name) => {
                self.read(e.span());
            }
            Expr::Assign(a) if self.writes_name(&a.left) => {
                if self.custom {
                    return;
                }
                let at = a.to_token_stream();
                let written = a.left.span();
                let Some(indices) = self.place(&a.left) else {
                    self.push_write(WriteKind::Part, at, false, written);
                    return;
                };
                let element = !indices.is_empty();
                match self.assigned_update(&text(&a.left), &a.right) {
                    Some((op, operands, _)) => {
                        let node = address(e);
                        self.uses.push(Use::Update {
                            op,
                            at,
                            element,
                            node,
                            place: written,
                        });
                        indices.into_iter().for_each(|i| self.visit_expr(i));
                        operands.into_iter().for_each(|o| self.visit_expr(o));
                    }
                    None if self.mentions(&a.right) => {
                        self.push_write(WriteKind::FromItself, at, element, written)
                    }
                    None => {
                        let place = indices.iter().fold(self.name.to_string(), |place, i| {
                            format!("{place}[{}]", shown(i, "k"))
                        });
                        let value = shown(&a.right, "v");
                        let kind = WriteKind::Overwrite { place, value };
                        self.push_write(kind, at, element, written);
                        indices.into_iter().for_each(|i| self.visit_expr(i));
                        self.visit_expr(&a.right);
                    }
                }
            }
            Expr::Binary(b) if crate::pure::is_assignment(&b.op) && self.writes_name(&b.left) => {
                if self.custom {
                    return;
                }
                let at = b.to_token_stream();
                let written = b.left.span();
                let Some(indices) = self.place(&b.left) else {
                    self.push_write(WriteKind::Part, at, false, written);
                    return;
                };
                let element = !indices.is_empty();
                match Op::of_compound(&b.op) {
                    Some(op) => self.uses.push(Use::Update {
                        op,
                        at,
                        element,
                        node: address(e),
                        place: written,
                    }),
                    None => {
                        let op = b.op.to_token_stream().to_string();
                        self.push_write(WriteKind::Compound(op), at, element, written);
                    }
                }
                indices.into_iter().for_each(|i| self.visit_expr(i));
                self.visit_expr(&b.right);
            }
            Expr::Reference(r) if r.mutability.is_some() && self.writes_name(&r.expr) => {
                if !self.custom {
                    let element = self.place(&r.expr).is_some_and(|i| !i.is_empty());
                    let at = r.to_token_stream();
                    self.push_write(WriteKind::Borrow, at, element, r.expr.span());
                }
            }
            // `(x, y) = (x + a, y ^ b)`: a write no operator combines as a whole (each
            // variable's update written on its own is one).
            Expr::Assign(a) if self.destructured(&a.left).is_some() => {
                let Some(leaf) = self.destructured(&a.left) else {
                    return;
                };
                if !self.custom {
                    let element = self.place(leaf).is_some_and(|i| !i.is_empty());
                    let at = leaf.to_token_stream();
                    self.push_write(WriteKind::Destructure, at, element, leaf.span());
                }
                // The other places' indices may read the variable; the value is the write's.
                self.visit_expr_except(&a.left, leaf);
            }
            // `x.add_assign(e)`: a write through `&mut self` no check can see into.
            Expr::MethodCall(m)
                if !self.custom
                    && m.method.to_string().ends_with("_assign")
                    && self.writes_name(&m.receiver) =>
            {
                self.method_write(m);
            }
            Expr::If(i) => {
                // A guard reading the variable is its update's only when it guards nothing
                // else: the block is just the assignment, and there is no `else`. Other code
                // under it would run where a part's running value passes the test, not where
                // the plain loop's does.
                let sole = i.else_branch.is_none() && i.then_branch.stmts.len() == 1;
                if !self.custom {
                    if let Some(g) = self.guarded_update(i) {
                        let syn::Stmt::Expr(assignment, _) = &i.then_branch.stmts[g.assignment]
                        else {
                            unreachable!("guarded_update found an assignment there")
                        };
                        let Expr::Assign(assigned) = assignment else {
                            unreachable!("guarded_update found an assignment there")
                        };
                        let indices = self.place(g.place).unwrap_or_default();
                        self.uses.push(Use::Update {
                            op: g.op,
                            at: assignment.to_token_stream(),
                            element: !indices.is_empty(),
                            node: address(assignment),
                            place: assigned.left.span(),
                        });
                        if !sole && self.allow_reads == 0 {
                            self.uses.push(Use::Read {
                                at: g.place.span(),
                                guard: true,
                            });
                        }
                        for index in indices {
                            self.visit_expr(index);
                        }
                        self.visit_expr(g.value);
                        g.others.into_iter().for_each(|c| self.visit_expr(c));
                        self.scoped(false, |f| {
                            for (k, stmt) in i.then_branch.stmts.iter().enumerate() {
                                if k != g.assignment {
                                    f.visit_stmt(stmt);
                                }
                            }
                        });
                        if let Some((_, otherwise)) = &i.else_branch {
                            self.visit_expr(otherwise);
                        }
                        return;
                    }
                }
                let assigns = self.custom && self.block_assigns(&i.then_branch);
                let (own, guard) = (assigns && sole, assigns && !sole);
                self.allow_reads += usize::from(own);
                self.guard_reads += usize::from(guard);
                let binds = self.visit_cond(&i.cond);
                self.allow_reads -= usize::from(own);
                self.guard_reads -= usize::from(guard);
                self.scoped(binds, |f| f.visit_block(&i.then_branch));
                if let Some((_, otherwise)) = &i.else_branch {
                    self.visit_expr(otherwise);
                }
            }
            Expr::While(w) => {
                let binds = self.visit_cond(&w.cond);
                self.scoped(binds, |f| f.visit_block(&w.body));
            }
            Expr::ForLoop(l) => {
                self.visit_expr(&l.expr);
                let binds = self.binds(&l.pat);
                self.scoped(binds, |f| f.visit_block(&l.body));
            }
            Expr::Closure(c) => {
                let binds = c.inputs.iter().any(|p| self.binds(p));
                self.scoped(binds, |f| f.visit_expr(&c.body));
            }
            Expr::Match(m) => {
                self.visit_expr(&m.expr);
                for arm in &m.arms {
                    let binds = self.binds(&arm.pat);
                    self.scoped(binds, |f| {
                        if let Some((_, guard)) = &arm.guard {
                            f.visit_expr(guard);
                        }
                        f.visit_expr(&arm.body);
                    });
                }
            }
            _ => syn::visit::visit_expr(self, e),
        }
    }

    fn visit_block(&mut self, block: &'ast syn::Block) {
        self.scoped(false, |f| syn::visit::visit_block(f, block));
    }

    fn visit_stmt(&mut self, stmt: &'ast syn::Stmt) {
        // A custom reduction's method called for its effect (`h.add(v);`): an update through
        // `&mut self`.
        if let syn::Stmt::Expr(Expr::MethodCall(m), _) = stmt {
            if !self.hidden() && self.writes_name(&m.receiver) {
                // A built-in reduction's: a write no check can see into.
                if !self.custom {
                    self.method_write(m);
                }
                return;
            }
        }
        syn::visit::visit_stmt(self, stmt);
    }

    fn visit_local(&mut self, local: &'ast syn::Local) {
        if let Some(init) = &local.init {
            self.visit_expr(&init.expr);
            if let Some((_, otherwise)) = &init.diverge {
                self.visit_expr(otherwise);
            }
        }
        if self.binds(&local.pat) {
            self.scopes.hide();
        }
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        if self.hidden() {
            return;
        }
        if let Some(at) = crate::names::name_in_tokens(mac.tokens.clone(), self.name) {
            self.read(at);
        }
    }

    fn visit_pat(&mut self, _: &'ast Pat) {}

    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

impl Finder<'_> {
    fn push_write(&mut self, kind: WriteKind, at: TokenStream, element: bool, place: Span) {
        self.uses.push(Use::Write {
            kind,
            at,
            element,
            place,
        });
    }
}

/// The address of an expression node, naming a write found by [`uses`] in the tree it
/// visited.
fn address(e: &Expr) -> usize {
    e as *const Expr as usize
}

fn strip_mut(mut e: &mut Expr) -> &mut Expr {
    loop {
        match e {
            Expr::Paren(p) => e = &mut p.expr,
            Expr::Group(g) => e = &mut g.expr,
            _ => return e,
        }
    }
}

/// Makes the updates of the built-in `+` or `*` reduction `name` in the lowered task's copy of
/// a split loop's body (`body`) wrap, like the reduction's combine, where the plain function
/// would overflow (a part's running value starts at the identity, not where the plain loop
/// was: see `penny::__private::reduce::WrapOps`, which keeps floats' `+ - *` as they are):
///
/// - `x += e` becomes `penny_reduce::add_to(e, &mut x)` (`sub_from` for `-=`, `mul_into` for
///   `*=`; the value first, as a primitive `+=` evaluates it first), also on `x[k]`;
/// - in `x = x - a + b` the operations between the root and the operand `x` call
///   `penny_reduce::add` / `sub` / `mul`: `x = penny_reduce::add(penny_reduce::sub(x, a), b)`.
///
/// `wrapping_*` calls, other operators' updates and everything else stay as written.
pub fn wrap(body: &mut syn::Block, name: &str, op: Op) {
    if !matches!(op, Op::Sum | Op::Product) {
        return;
    }
    let mut finder = Finder {
        name,
        custom: false,
        scopes: crate::names::Scopes::new(),
        allow_reads: 0,
        guard_reads: 0,
        uses: Vec::new(),
    };
    for stmt in &body.stmts {
        finder.visit_stmt(stmt);
    }
    let nodes: std::collections::HashSet<usize> = std::mem::take(&mut finder.uses)
        .into_iter()
        .filter_map(|u| match u {
            Use::Update {
                op: found, node, ..
            } if found == op => Some(node),
            _ => None,
        })
        .collect();
    if !nodes.is_empty() {
        Wrap { finder, nodes }.visit_block_mut(body);
    }
}

/// [`wrap`]'s rewriter: the writes [`uses`] found, by address.
struct Wrap<'a> {
    finder: Finder<'a>,
    nodes: std::collections::HashSet<usize>,
}

impl VisitMut for Wrap<'_> {
    fn visit_expr_mut(&mut self, e: &mut Expr) {
        // Operands first (an update inside another's value): rewriting a node then moves
        // nothing still to be found.
        syn::visit_mut::visit_expr_mut(self, e);
        if !self.nodes.remove(&address(e)) {
            return;
        }
        match e {
            Expr::Binary(b) => {
                let f = match b.op {
                    BinOp::AddAssign(_) => "add_to",
                    BinOp::SubAssign(_) => "sub_from",
                    BinOp::MulAssign(_) => "mul_into",
                    _ => return,
                };
                let span = Span::call_site().located_at(b.op.span());
                let f = Ident::new(f, span);
                let (place, value, attrs) = (strip(&b.left), strip(&b.right), &b.attrs);
                *e = syn::parse_quote_spanned!(span=> #(#attrs)* penny_reduce::#f(#value, &mut #place));
            }
            Expr::Assign(a) => {
                let place = text(&a.left);
                let Some((_, _, Some(term))) = self.finder.assigned_update(&place, &a.right) else {
                    return;
                };
                let term = address(term);
                wrap_chain(&mut a.right, term);
            }
            _ => {}
        }
    }
}

/// Rewrites the `+ - *` operations of the chain `e` (as [`flatten`] reads it) that lie
/// between its root and the operand at `term` as calls of `penny_reduce::add` / `sub` /
/// `mul`, left operand first; returns whether `e` holds `term`.
fn wrap_chain(e: &mut Expr, term: usize) -> bool {
    let inner = strip_mut(e);
    if address(inner) == term {
        return true;
    }
    let Expr::Binary(b) = inner else {
        return false;
    };
    let f = match b.op {
        BinOp::Add(_) => "add",
        BinOp::Sub(_) => "sub",
        BinOp::Mul(_) => "mul",
        _ => return false,
    };
    if !wrap_chain(&mut b.left, term) && !wrap_chain(&mut b.right, term) {
        return false;
    }
    let span = Span::call_site().located_at(b.op.span());
    let f = Ident::new(f, span);
    let (left, right, attrs) = (strip(&b.left), strip(&b.right), &b.attrs);
    // Parentheses around the operation or its operands go: a call needs none.
    *e = syn::parse_quote_spanned!(span=> #(#attrs)* penny_reduce::#f(#left, #right));
    true
}

#[cfg(test)]
mod tests {
    /// The errors `#[penny::task]` reports for a kernel whose split loop runs `body` with
    /// the reductions `reduce` over the carried `u64`s `a`, `b` and the array `h`.
    fn errors(reduce: &str, body: &str) -> Vec<String> {
        let source = format!(
            "fn k(n: u64) -> (u64, u64, [u64; 4]) {{
                let mut a = 0u64;
                let mut b = 0u64;
                let mut h = [0u64; 4];
                #[penny::split(reduce({reduce}))]
                for i in 0..n {{ {body} }}
                (a, b, h)
            }}"
        );
        let item: proc_macro2::TokenStream = source.parse().unwrap();
        let out = crate::task_impl(proc_macro2::TokenStream::new(), item).to_string();
        out.split("compile_error")
            .skip(1)
            .map(|e| e.split('"').nth(1).unwrap_or_default().to_string())
            .collect()
    }

    #[track_caller]
    fn accepted(reduce: &str, body: &str) {
        assert_eq!(errors(reduce, body), Vec::<String>::new(), "{body}");
    }

    /// One error, saying `expected`.
    #[track_caller]
    fn refused(reduce: &str, body: &str, expected: &str) {
        let errors = errors(reduce, body);
        assert!(
            errors.len() == 1 && errors[0].contains(expected),
            "{body}: {errors:?}"
        );
    }

    #[test]
    fn the_forms_of_each_operator_are_accepted() {
        let sum = "a = +, b = +, h = +";
        accepted(sum, "a += i; b -= i; h[0] += 1;");
        accepted(
            sum,
            "a = a + i; b = i * 2 + b; h[(i % 4) as usize] = h[(i % 4) as usize] + 1;",
        );
        accepted(
            sum,
            "a = (a - i) + 3; b = b.wrapping_add(i); h[1] = h[1].wrapping_sub(i);",
        );
        accepted("a = *, b = *", "a *= i; b = 2 * b; a = a.wrapping_mul(i);");
        accepted(
            "a = &, b = |, h = ^",
            "a &= i; b = b | i; h[0] = i ^ h[0]; h[1] ^= i;",
        );
        accepted(
            "a = min, b = max",
            "a = a.min(i); b = i.max(b); a = core::cmp::min(a, i); b = u64::max(i, b);",
        );
        accepted(
            "a = min, b = max, h = max",
            "if i < a { a = i; } if b <= i * 2 && i > 3 { b = i * 2; } \
             if i > h[0] { h[0] = i } if i % 2 == 0 { if i > h[1] { h[1] = i } }",
        );
        // Chains of one operator's method, bottoming at the variable.
        accepted(
            "a = max, b = +",
            "a = a.max(i).max(i * 2); b = b.wrapping_add(i).wrapping_sub(3).wrapping_add(1);",
        );
        // Shadowed: a local `a` is the iteration's own.
        accepted("a = +", "let a = i * 2; if a > 3 { let _ = a; }");
        accepted("a = +", "a += i; let f = |a: u64| a + 1; let _ = f(i);");
    }

    #[test]
    fn reads_and_foreign_forms_are_refused() {
        refused(
            "a = +, b = +",
            "a += i; if a > 10 { b += 1; }",
            "`a` is a reduction",
        );
        refused("a = +", "a += a;", "not read");
        refused("a = max", "a = a.max(i); println!(\"{a}\");", "not read");
        refused("a = max", "a = i;", "A plain assignment keeps");
        refused("a = +", "a = a * 2;", "updates it as `*` would");
        refused("a = +", "a = 2 * a + 1;", "computes `a` from itself");
        refused("a = *", "a /= 2;", "`a /= ..` isn't one of them");
        refused(
            "a = min",
            "if i > a { a = i; }",
            "updates it as `max` would",
        );
        // The guard compares with another value: a read, and a plain assignment.
        let both = errors("a = min", "if i + 1 < a { a = i; }");
        assert!(both.len() == 2 && both[0].contains("not read"), "{both:?}");
        assert!(both[1].contains("A plain assignment keeps"), "{both:?}");
        refused("h = +", "h[0] = 1;", "`h[k] += e`");
        refused(
            "a = max",
            "a = a.max(i).min(3);",
            "computes `a` from itself",
        );
        refused(
            "a = +",
            "a = (a + i).wrapping_add(1);",
            "computes `a` from itself",
        );
    }

    #[test]
    fn a_guard_controls_only_its_assignment() {
        let guard = "also controls other code";
        refused("a = max, b = +", "if i > a { a = i; b += 1; }", guard);
        refused(
            "a = max, b = max",
            "if i > a { a = i; if i > b { b = i } }",
            guard,
        );
        refused(
            "a = min, b = +",
            "if i < a { a = i } else { b += 1 }",
            guard,
        );
        refused(
            "a = min, b = +",
            "if i < a { a = i; continue; } b += 1;",
            guard,
        );
        refused(
            "a = min, b = max",
            "if i < a { a = i } else if i > b { b = i }",
            guard,
        );
        refused(
            "a = min",
            "if i < a { a = i } else if i * 2 < a { a = i * 2 }",
            guard,
        );
        refused(
            "h = max",
            "if i > h[0] { h[0] = i } else { let _ = 1; }",
            "`if e > h[k]",
        );
        refused(
            "a = (merge, 0), b = +",
            "if i < a { a = i; b += 1; }",
            guard,
        );
        refused("a = (merge, 0)", "if i < a { a = i } else { a = 0 }", guard);
    }

    #[test]
    fn destructuring_and_method_writes_say_so() {
        let errors = errors("a = +, b = ^", "(a, b) = (a + i, b ^ i);");
        assert!(
            errors.len() == 2
                && errors
                    .iter()
                    .all(|e| e.contains("destructuring assignment")),
            "{errors:?}"
        );
        refused("a = +", "a.add_assign(i);", "`a += e`");
        refused("a = +", "(a).add_assign(i);", "`a += e`");
        refused("h = +", "h[0].add_assign(i);", "`h[k] += e`");
        refused(
            "a = max",
            "a.clone_from(&i);",
            "A method call (`a.clone_from(..)`)",
        );
        // A custom reduction may be written any way.
        accepted(
            "a = (merge, 0), b = (merge, 0)",
            "(a, b) = (merge(a, i), b);",
        );
    }

    /// `body` with the updates of the reduction `name` (operator `op`) made to wrap.
    fn wrapped(name: &str, op: super::Op, body: &str) -> String {
        let mut block: syn::Block = syn::parse_str(&format!("{{ {body} }}")).unwrap();
        super::wrap(&mut block, name, op);
        let stmts = &block.stmts;
        quote::quote!(#(#stmts)*).to_string()
    }

    #[test]
    fn sum_and_product_updates_wrap() {
        use super::Op::{Max, Product, Sum};
        let same = |name: &str, op, body: &str| {
            let want: proc_macro2::TokenStream = body.parse().unwrap();
            assert_eq!(wrapped(name, op, body), want.to_string(), "{body}");
        };
        let wraps = |name: &str, op, body: &str, want: &str| {
            let want: proc_macro2::TokenStream = want.parse().unwrap();
            assert_eq!(wrapped(name, op, body), want.to_string(), "{body}");
        };
        wraps(
            "a",
            Sum,
            "a += i; a -= f(i); h[0] += 1;",
            "penny_reduce::add_to(i, &mut a); penny_reduce::sub_from(f(i), &mut a); h[0] += 1;",
        );
        wraps(
            "h",
            Sum,
            "h[(i % 4) as usize] -= 1; h[1] = h[1] + (i + 1);",
            "penny_reduce::sub_from(1, &mut h[(i % 4) as usize]); \
             h[1] = penny_reduce::add(h[1], i + 1);",
        );
        // Only the operations between the root and `a`: `i * 2` and `(b - 1)` stay checked.
        wraps(
            "a",
            Sum,
            "a = (a - i) + 3; a = i * 2 + a; a = (b - 1) + a - c;",
            "a = penny_reduce::add(penny_reduce::sub(a, i), 3); \
             a = penny_reduce::add(i * 2, a); \
             a = penny_reduce::sub(penny_reduce::add(b - 1, a), c);",
        );
        wraps(
            "p",
            Product,
            "p *= x; p = 2 * p * (x + 1);",
            "penny_reduce::mul_into(x, &mut p); \
             p = penny_reduce::mul(penny_reduce::mul(2, p), x + 1);",
        );
        // Already wrapping, another operator, another variable, or a local hiding it.
        same(
            "a",
            Sum,
            "a = a.wrapping_add(i); b += 1; let a = 2; a += 1;",
        );
        same("a", Max, "a = a.max(i); if i > a { a = i; }");
        // Chains of `wrapping_*` wrap already.
        same("a", Sum, "a = a.wrapping_add(i).wrapping_sub(3);");
        // An update in another's value: both, the inner first.
        wraps(
            "a",
            Sum,
            "a += { a += 1; 2 };",
            "penny_reduce::add_to({ penny_reduce::add_to(1, &mut a); 2 }, &mut a);",
        );
    }

    #[test]
    fn a_custom_reduction_reads_itself_only_in_its_update() {
        let custom = "a = (merge, 0)";
        accepted(custom, "a = merge(a, i); if i < a { a = i; }");
        accepted("h = (merge, [0; 4])", "h[0] += 1; h[1] = h[1].max(i);");
        refused(
            "a = (merge, 0), b = +",
            "a = merge(a, i); if a > 3 { b += 1; }",
            "only in its own update",
        );
    }

    #[test]
    fn the_hint_for_an_undeclared_write_names_its_operator() {
        refused("", "b += i;", "reduce(b = +)");
        refused("", "b = b.max(i);", "reduce(b = max)");
        refused("", "if i == 3 { b = 1; }", "A plain assignment (`b = 1`)");
        refused("", "b = i;", "write `if i > b { b = i }`");
        refused(
            "",
            "b += i; b *= 2;",
            "No built-in reduction combines these writes",
        );
        refused("", "b += 1; let _ = b * 2;", "It is also read in the loop");
        // A binding of the same name elsewhere doesn't hide this write.
        refused(
            "",
            "if i % 2 == 0 { b += 1 } else { let b = 5; let _ = b; }",
            "reduce(b = +)",
        );
        refused("", "let f = |b: u64| b * 2; b += f(i);", "reduce(b = +)");
        accepted("", "let mut b = 2; b += i; let _ = b;");
        accepted("", "if i > 2 { let mut b = 1; b += i; let _ = b; }");
    }

    #[test]
    fn breaks_inside_the_iteration_stay() {
        let leaves = "can't leave the loop";
        accepted("a = +", "'body: { if i % 3 == 0 { break 'body; } a += i; }");
        accepted(
            "a = +",
            "'search: for k in 2..i { if i % k == 0 { a += k; break 'search; } }",
        );
        accepted(
            "a = +",
            "'inner: for k in 0..i { if k == 3 { continue 'inner; } a += k; }",
        );
        refused("a = +", "'body: { if i == 3 { break; } a += i; }", leaves);
        refused(
            "a = +",
            "for k in 0..i { if k == 3 { continue 'outer; } a += k; }",
            leaves,
        );
    }

    #[test]
    fn names_in_macros() {
        accepted("a = +", "debug_assert!(p.a < 5, \"{}\", p.a); a += 1;");
        accepted("a = +", "println!(\"{{a}}\"); a += 1;");
        refused("a = +", "a += 1; println!(r\"{a}\");", "not read");
        refused("a = +", "a += 1; println!(r#\"{a}\"#);", "not read");
        refused("a = +", "a += 1; println!(\"{:>a$}\", 1);", "not read");
    }
}
