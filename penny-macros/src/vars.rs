//! Which bindings live across an iteration boundary, and what their types are.
//!
//! Every binding of the kernel (argument, `let`, loop pattern, `match`/`if let` arm
//! pattern, `let x = loop {..}`) has a [`BindingId`]. A binding is *carried* when a use of its
//! name resolves to it across a suspension point: a resumable loop started (or a branch with
//! resumable loops ran) between its declaration and the use, so `step` may have returned in
//! between and the value must be in the state struct. Carried bindings become fields named
//! after them (`acc`, or `acc_2` for a second carried `acc`).
//!
//! Names are resolved by scope, in program order, so shadowing (`let total = total as u64;`)
//! makes a second binding with its own type and field. Uses are found by name, so a use
//! inside a nested block that shadows the name counts too: that can only carry more, never
//! less. Two kinds of binding are never fields:
//! - the loop variables of loops holding resumable loops, re-derived from the loop cursor;
//! - a closure bound by a `let` and used after a boundary: it is created again on resume,
//!   which needs the variables it mentions to never change.

use std::collections::{HashMap, HashSet};

use crate::names::{used_names_expr, used_names_stmt};
use syn::{Expr, Ident, Pat, Type};

use crate::ast::{BindingId, BranchKind, Head, Name, Part, Seq, Source};
use crate::ctxt::Errors;
use crate::types::{is_known_pod, not_pod_reason, read_type, Env, Unreadable};

/// What the kernel's code does with one binding.
pub struct Binding {
    /// The user's name.
    pub ident: Ident,
    /// Bound `mut`, or assigned after a `let` without a value.
    pub mutable: bool,
    /// A kernel argument (always a field).
    pub is_arg: bool,
    /// Lives across a boundary: a field of the state.
    pub carried: bool,
    /// The loop variable of a loop holding resumable loops: re-derived, never a field.
    pub loop_var: bool,
    /// The closure a `let` binds it to.
    pub closure: Option<Expr>,
    /// A closure used after a boundary: created again on resume instead of stored.
    pub recreate: bool,
    /// Its type, when known.
    pub ty: Option<Type>,
    /// Why its type is unknown, for the error if it turns out to be carried.
    unknown: Option<Unreadable>,
    /// The state field holding it.
    pub field: Option<Ident>,
}

impl Binding {
    /// Whether Penny can't see the type is plain data with a `ZERO` (a user or generic type):
    /// such a carried field is an `Option` until its `let` runs.
    pub fn opaque(&self) -> bool {
        !self.is_arg && self.ty.as_ref().is_some_and(|ty| !is_known_pod(ty))
    }
}

/// Everything [`analyze`] learned, indexed by [`BindingId`].
pub struct Vars {
    /// One entry per binding, arguments first.
    pub bindings: Vec<Binding>,
}

impl Vars {
    /// The binding `id`.
    pub fn get(&self, id: BindingId) -> &Binding {
        &self.bindings[id]
    }

    /// Carried bindings that are not arguments, in program order.
    pub fn carried(&self) -> impl Iterator<Item = &Binding> {
        self.bindings.iter().filter(|b| b.carried && !b.is_arg)
    }
}

/// An argument of the kernel.
pub struct ArgInfo {
    /// Its name.
    pub name: Ident,
    /// Its type.
    pub ty: Type,
    /// Whether it was declared `mut`.
    pub mutable: bool,
}

/// Resolves every use in `body`, marks carried bindings, reads their types, names fields.
/// `count` is the number of bindings (arguments first); `output` types the tail `loop`.
pub fn analyze(
    args: &[ArgInfo],
    body: &Seq,
    count: usize,
    output: &Type,
    errors: &mut Errors,
) -> Vars {
    let mut bindings: Vec<Binding> = (0..count)
        .map(|_| Binding {
            ident: Ident::new("_", proc_macro2::Span::call_site()),
            mutable: false,
            is_arg: false,
            carried: false,
            loop_var: false,
            closure: None,
            recreate: false,
            ty: None,
            unknown: None,
            field: None,
        })
        .collect();
    let mut scope = Vec::new();
    for (id, arg) in args.iter().enumerate() {
        let binding = &mut bindings[id];
        binding.ident = arg.name.clone();
        binding.mutable = arg.mutable;
        binding.is_arg = true;
        binding.carried = true;
        binding.ty = Some(arg.ty.clone());
        scope.push(Visible {
            name: arg.name.to_string(),
            id,
            epoch: 0,
        });
    }
    let mut walk = Walk {
        bindings,
        scopes: vec![scope],
        epoch: 0,
        captures: HashMap::new(),
        errors,
    };
    walk.seq(body, output);
    let mut bindings = walk.bindings;
    name_fields(&mut bindings);
    Vars { bindings }
}

/// Fields are named after the bindings: arguments keep their names, a carried binding takes
/// its name or, when that is taken, `name_2`, `name_3`, ...
fn name_fields(bindings: &mut [Binding]) {
    let mut taken: HashSet<String> = HashSet::new();
    for b in bindings.iter_mut().filter(|b| b.is_arg) {
        taken.insert(b.ident.to_string());
        b.field = Some(b.ident.clone());
    }
    for b in bindings.iter_mut().filter(|b| b.carried && !b.is_arg) {
        let base = b.ident.to_string();
        let base = base.strip_prefix("r#").unwrap_or(&base).to_string();
        let mut name = base.clone();
        let mut n = 2;
        while taken.contains(&name) {
            name = format!("{base}_{n}");
            n += 1;
        }
        taken.insert(name.clone());
        b.field = Some(Ident::new(&name, b.ident.span()));
    }
}

/// A binding in scope, and the suspension epoch it was declared in.
struct Visible {
    name: String,
    id: BindingId,
    epoch: u32,
}

struct Walk<'e> {
    bindings: Vec<Binding>,
    scopes: Vec<Vec<Visible>>,
    /// Incremented at every suspension point passed in program order.
    epoch: u32,
    /// Bindings a closure binding mentions, resolved where the closure is declared.
    captures: HashMap<BindingId, Vec<BindingId>>,
    errors: &'e mut Errors,
}

impl Walk<'_> {
    fn seq(&mut self, seq: &Seq, output: &Type) {
        self.scopes.push(Vec::new());
        for part in &seq.parts {
            match part {
                Part::Stmt(stmt) => {
                    self.use_names(used_names_stmt(stmt));
                }
                Part::Let(l) => {
                    if let Some(init) = &l.local.init {
                        self.uses_expr(&init.expr);
                        if let Some((_, diverge)) = &init.diverge {
                            self.uses_expr(diverge);
                        }
                    }
                    self.declare_let(&l.local, &l.names);
                }
                Part::Loop(l) => {
                    // The head runs again on resume (a pure range is re-created, an impure
                    // one is typed by a closure over it), so its reads count as carried.
                    self.suspend();
                    self.scopes.push(Vec::new());
                    match &l.head {
                        Head::For { source, names, .. } => {
                            match source {
                                Source::Range(r) => self.uses_expr(&r.expr),
                                Source::Items(items) => self.uses_expr(&items.expr),
                            }
                            for name in names {
                                self.declare(name);
                                self.bindings[name.id].loop_var = !l.is_leaf();
                            }
                        }
                        Head::While { cond } => self.uses_expr(cond),
                        Head::Loop => {}
                    }
                    self.seq(&l.body, output);
                    self.scopes.pop();
                    self.suspend();
                    if let Some(result) = &l.result {
                        self.declare_let(&result.local, &result.names);
                        for name in &result.names {
                            if self.bindings[name.id].ty.is_none() && name.ident == "penny_output" {
                                self.bindings[name.id].ty = Some(output.clone());
                            }
                            // Written by `break value` in another arm: always a field.
                            self.carry(name.id);
                        }
                    }
                }
                Part::Branch(b) => {
                    match &b.kind {
                        BranchKind::If { conds } => {
                            for cond in conds {
                                self.uses_expr(cond);
                            }
                        }
                        BranchKind::Match { scrutinee, arms } => {
                            self.uses_expr(scrutinee);
                            for guard in arms.iter().filter_map(|(_, guard)| guard.as_ref()) {
                                self.uses_expr(guard);
                            }
                        }
                    }
                    for (i, (arm, names)) in b.arms.iter().zip(&b.arm_names).enumerate() {
                        self.scopes.push(Vec::new());
                        let (by_ref, matches_ref) = arm_borrows(&b.kind, i);
                        for name in names {
                            self.declare(name);
                            let why = if by_ref.contains(&name.ident) || matches_ref {
                                // A reference into the matched value can't be a field (the
                                // state would point into itself); a copy can.
                                format!(
                                    "it is a reference into the matched value ({}), which \
                                     can't be part of the state. Bind it by value ({}), or \
                                     copy it at the start of the arm: `let {2}: T = *{2};`",
                                    if matches_ref {
                                        "the pattern is matched against a reference"
                                    } else {
                                        "a `ref` binding"
                                    },
                                    if matches_ref {
                                        "match the value itself, not a reference to it"
                                    } else {
                                        "without `ref`"
                                    },
                                    name.ident
                                )
                            } else {
                                format!(
                                    "it is bound by a pattern. Bind it again with its type at \
                                     the start of the arm: `let {0}: T = {0};`",
                                    name.ident
                                )
                            };
                            self.bindings[name.id].unknown = Some(Unreadable::Unknown(why));
                        }
                        self.seq(arm, output);
                        self.scopes.pop();
                    }
                    self.suspend();
                }
            }
        }
        if let Some(tail) = &seq.tail {
            self.uses_expr(tail);
        }
        self.scopes.pop();
    }

    fn suspend(&mut self) {
        self.epoch += 1;
    }

    /// Types of the visible bindings, where known (a shadowing binding of unknown type hides
    /// the outer one's).
    fn env(&self) -> Env {
        let mut env = Env::new();
        for visible in self.scopes.iter().flatten() {
            match &self.bindings[visible.id].ty {
                Some(ty) => env.insert(visible.name.clone(), ty.clone()),
                None => env.remove(&visible.name),
            };
        }
        env
    }

    fn declare(&mut self, name: &Name) {
        let binding = &mut self.bindings[name.id];
        binding.ident = name.ident.clone();
        binding.mutable = name.mutable;
        let epoch = self.epoch;
        self.scopes
            .last_mut()
            .expect("a scope is open")
            .push(Visible {
                name: name.ident.to_string(),
                id: name.id,
                epoch,
            });
    }

    /// Declares the names of a `let`, reading their types where the code says them.
    fn declare_let(&mut self, local: &syn::Local, names: &[Name]) {
        let env = self.env();
        let (pat, annotated) = match &local.pat {
            Pat::Type(pt) => (&*pt.pat, Some((*pt.ty).clone())),
            other => (other, None),
        };
        let init = local.init.as_ref().map(|init| &*init.expr);
        let whole = match (&annotated, init) {
            (Some(ty), _) => Ok(ty.clone()),
            (None, Some(init)) => read_type(init, &env),
            (None, None) => Err(Unreadable::Unknown("it is declared without a value".into())),
        };
        let types: Vec<Result<Type, Unreadable>> = match whole {
            Ok(ty) => {
                let mut found = Vec::new();
                destructure(pat, &ty, &mut found);
                names
                    .iter()
                    .map(|name| {
                        found
                            .iter()
                            .find(|(ident, _)| *ident == name.ident)
                            .map(|(_, ty)| ty.clone())
                            .ok_or_else(|| {
                                Unreadable::Unknown(format!(
                                    "it is bound inside a pattern whose type Penny can't take \
                                     apart. Bind it again with its type: `let {0}: T = {0};`",
                                    name.ident
                                ))
                            })
                    })
                    .collect()
            }
            Err(why) => names.iter().map(|_| Err(why.clone())).collect(),
        };
        for (name, ty) in names.iter().zip(types) {
            self.declare(name);
            match ty {
                Ok(ty) => self.bindings[name.id].ty = Some(ty),
                Err(why) => self.bindings[name.id].unknown = Some(why),
            }
        }
        if let (Pat::Ident(_), Some(init), [name]) = (pat, init, names) {
            let closure = crate::ast::strip_parens(init);
            if let Expr::Closure(_) = closure {
                self.bindings[name.id].closure = Some(init.clone());
                // What the closure reads from outside: its parameters and its own locals
                // (`|x| { let t = x * 2; t }`) hide variables of their names.
                let mut mentioned: Vec<String> =
                    crate::names::free_names_expr(closure).into_iter().collect();
                mentioned.sort();
                let captured = mentioned
                    .iter()
                    .filter(|m| name.ident != m.as_str())
                    .filter_map(|m| self.resolve(m))
                    .collect();
                self.captures.insert(name.id, captured);
            }
        }
    }

    fn resolve(&self, name: &str) -> Option<BindingId> {
        self.scopes
            .iter()
            .rev()
            .find_map(|scope| scope.iter().rev().find(|v| v.name == name))
            .map(|v| v.id)
    }

    fn uses_expr(&mut self, expr: &Expr) {
        self.use_names(used_names_expr(expr));
    }

    fn use_names(&mut self, names: HashSet<String>) {
        let mut names: Vec<String> = names.into_iter().collect();
        names.sort();
        for name in names {
            let found = self
                .scopes
                .iter()
                .rev()
                .find_map(|scope| scope.iter().rev().find(|v| v.name == name))
                .map(|v| (v.id, v.epoch));
            if let Some((id, epoch)) = found {
                if epoch < self.epoch {
                    self.carry(id);
                }
            }
        }
    }

    /// Marks `id` as needed after a boundary.
    fn carry(&mut self, id: BindingId) {
        let binding = &self.bindings[id];
        if binding.is_arg || binding.loop_var || binding.carried || binding.recreate {
            return;
        }
        if binding.closure.is_some() {
            self.bindings[id].recreate = true;
            let name = self.bindings[id].ident.clone();
            // A closure without `move` borrows what it reads, and rustc allows no change to a
            // variable while a closure borrowing it is still used: each closure Penny creates
            // again sees the values the first one saw. A `move` closure copies them when it
            // is created, and the variable may change after.
            let closure = match self.bindings[id]
                .closure
                .as_ref()
                .map(crate::ast::strip_parens)
            {
                Some(Expr::Closure(c)) => Some(c.clone()),
                _ => None,
            };
            let copies = closure.as_ref().is_some_and(|c| c.capture.is_some());
            for c in self.captures.get(&id).cloned().unwrap_or_default() {
                let captured = &self.bindings[c];
                let captured_name = captured.ident.to_string();
                // A closure that changes what it captures holds it by `&mut`: one created
                // again would start from the state's copy, not share the variable.
                let writes = closure.as_ref().is_some_and(|c| {
                    crate::changes::change_in_expr(&c.body, &captured_name).is_some()
                });
                if captured.mutable && (copies || writes) {
                    let captured = captured.ident.clone();
                    let what = if writes {
                        format!(
                            "the closure `{name}` changes `{captured}`, which it captures, and \
                             is used after an iteration boundary, so Penny would create it \
                             again when the task resumes, with no way to share `{captured}` \
                             with the new closure. Make the change outside it: pass \
                             `{captured}` in and return the new value (`{captured} = \
                             {name}({captured}, ..)`)"
                        )
                    } else {
                        format!(
                            "the `move` closure `{name}` is used after an iteration boundary, \
                             so Penny creates it again when the task resumes; it copies the \
                             `mut` variable `{captured}` when it is created, so a new closure \
                             could see another value. Pass `{captured}` to the closure as an \
                             argument instead, or copy it into a variable that isn't `mut` \
                             first"
                        )
                    };
                    self.errors.at(&name, what);
                    continue;
                }
                self.carry(c);
            }
            return;
        }
        let binding = &mut self.bindings[id];
        binding.carried = true;
        if binding.ty.is_none() {
            let name = binding.ident.clone();
            match binding.unknown.take() {
                Some(Unreadable::NotPod(span, reason)) => self.errors.at_span(span, reason),
                why => {
                    let hint = match why {
                        Some(Unreadable::Unknown(hint)) => hint,
                        _ => "Penny can't read it".into(),
                    };
                    // Hints for patterns say what to write themselves.
                    let advice = if hint.contains("`let ") {
                        String::new()
                    } else {
                        format!(". Annotate it: `let {name}: T = ...;`")
                    };
                    self.errors.at(
                        &name,
                        format!(
                            "`{name}` lives across an iteration boundary, so it becomes a field \
                             of the task's state, and Penny needs its type: {hint}{advice}"
                        ),
                    );
                }
            }
        } else if let Some((tokens, reason)) = binding.ty.as_ref().and_then(not_pod_reason) {
            self.errors.at(tokens, reason);
        }
    }
}

/// The types of the names `pat` binds when it matches a value of type `ty`: through tuples,
/// arrays, `Some(..)`, references and parentheses.
fn destructure(pat: &Pat, ty: &Type, out: &mut Vec<(Ident, Type)>) {
    let ty = match ty {
        Type::Paren(p) => &*p.elem,
        Type::Group(g) => &*g.elem,
        other => other,
    };
    match (pat, ty) {
        (Pat::Ident(p), _) if p.by_ref.is_none() && p.subpat.is_none() => {
            out.push((p.ident.clone(), ty.clone()));
        }
        (Pat::Paren(p), _) => destructure(&p.pat, ty, out),
        (Pat::Type(p), _) => destructure(&p.pat, &p.ty, out),
        (Pat::Tuple(p), Type::Tuple(t)) if p.elems.len() == t.elems.len() => {
            for (pat, ty) in p.elems.iter().zip(&t.elems) {
                destructure(pat, ty, out);
            }
        }
        (Pat::Slice(p), Type::Array(a)) if !p.elems.iter().any(|e| matches!(e, Pat::Rest(_))) => {
            for pat in &p.elems {
                destructure(pat, &a.elem, out);
            }
        }
        (Pat::Reference(p), Type::Reference(r)) => destructure(&p.pat, &r.elem, out),
        (Pat::TupleStruct(p), Type::Path(t)) if p.path.is_ident("Some") && p.elems.len() == 1 => {
            let inner = t
                .path
                .segments
                .last()
                .and_then(|last| match &last.arguments {
                    syn::PathArguments::AngleBracketed(args) if last.ident == "Option" => {
                        match args.args.first() {
                            Some(syn::GenericArgument::Type(inner)) => Some(inner),
                            _ => None,
                        }
                    }
                    _ => None,
                });
            if let Some(inner) = inner {
                destructure(&p.elems[0], inner, out);
            }
        }
        _ => {}
    }
}

/// For arm `i` of a branch: the names its pattern binds with `ref`, and whether the pattern
/// is matched against a reference (`match &x`, `if let Some(k) = &x`), which makes every
/// name it binds a reference.
fn arm_borrows(kind: &BranchKind, i: usize) -> (Vec<syn::Ident>, bool) {
    let (pat, scrutinee) = match kind {
        BranchKind::If { conds } => match conds.get(i) {
            Some(Expr::Let(l)) => (&*l.pat, &*l.expr),
            _ => return (Vec::new(), false),
        },
        BranchKind::Match { scrutinee, arms } => match arms.get(i) {
            Some((pat, _)) => (pat, scrutinee),
            None => return (Vec::new(), false),
        },
    };
    // `&x` matched by `&Some(k)` binds `k` by value again.
    let matches_ref = matches!(crate::ast::strip_parens(scrutinee), Expr::Reference(_))
        && !matches!(pat, Pat::Reference(_));
    (crate::names::bound_by_ref(pat), matches_ref)
}
