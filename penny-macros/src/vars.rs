//! Which variables live across an iteration boundary, and what their types are.
//!
//! A variable bound by a `let` at the level of a function body or of a non-leaf resumable
//! loop's body is *carried* when it is used after the next resumable loop starts: `step`
//! may return in between, so the value must be in the state struct. Variables bound inside
//! an iteration of a leaf loop (or used only before the next loop) stay locals.

use std::collections::HashSet;

use proc_macro2::{TokenStream, TokenTree};
use syn::visit::Visit;
use syn::{Expr, Ident, Local, Pat, Stmt, Type};

use crate::ast::{Head, Part, Seq};
use crate::ctxt::Errors;
use crate::types::{not_pod_reason, read_type, Env, Unreadable};

/// A variable that becomes a field of the state struct.
pub struct Carried {
    /// The user's name for it.
    pub name: Ident,
    /// Its type, as read by [`crate::types`].
    pub ty: Type,
}

/// Variables found by [`analyze`].
#[derive(Default)]
pub struct Vars {
    /// Carried variables, in declaration order.
    pub carried: Vec<Carried>,
    /// Arguments that a function-level `let` shadows with a value of the same type: the
    /// `let` becomes an assignment to the argument's field.
    pub shadowed_args: HashSet<String>,
    /// Every name a carried `let` assigns (carried variables and shadowed arguments).
    assigned: HashSet<String>,
}

impl Vars {
    /// Whether a `let` binding `name` assigns a field of the state.
    pub fn is_carried(&self, name: &Ident) -> bool {
        self.assigned.contains(&name.to_string())
    }
}

/// Finds the carried variables of `body`, reading their types with `env` (the arguments).
pub fn analyze(body: &Seq, mut env: Env, errors: &mut Errors) -> Vars {
    let mut analyzer = Analyzer {
        seen: env.keys().cloned().collect(),
        args: env.clone(),
        vars: Vars::default(),
        errors,
    };
    analyzer.seq(body, &mut env, true);
    analyzer.vars
}

/// The walk's state: what it found so far, and the names already taken by fields.
struct Analyzer<'e> {
    /// The kernel's arguments and their types.
    args: Env,
    /// Names of arguments and carried variables seen so far.
    seen: HashSet<String>,
    vars: Vars,
    errors: &'e mut Errors,
}

impl Analyzer<'_> {
    fn seq(&mut self, seq: &Seq, env: &mut Env, fn_level: bool) {
        for (index, part) in seq.parts.iter().enumerate() {
            match part {
                Part::Stmt(Stmt::Local(local)) => {
                    let later = used_after_next_loop(seq, index);
                    self.local(local, &later, env, fn_level);
                }
                Part::Stmt(_) => {}
                Part::Loop(l) => {
                    if !l.is_leaf() {
                        if let Head::For {
                            pat: Pat::Ident(p), ..
                        } = &l.head
                        {
                            if p.mutability.is_some() {
                                self.errors.at(
                                    p,
                                    "the variable of a loop that holds a resumable loop is \
                                 re-derived from the loop cursor after every resume, so it \
                                 can't be `mut`: copy it into a local (`let mut x = i;`)",
                                );
                            }
                        }
                        let mut inner_env = env.clone();
                        self.seq(&l.body, &mut inner_env, false);
                    }
                }
            }
        }
    }

    fn local(&mut self, local: &Local, later: &HashSet<String>, env: &mut Env, fn_level: bool) {
        let Analyzer {
            args,
            seen,
            vars,
            errors,
        } = self;
        let (pat, annotated) = match &local.pat {
            Pat::Type(pt) => (&*pt.pat, Some((*pt.ty).clone())),
            other => (other, None),
        };
        let init = local.init.as_ref().map(|init| &*init.expr);
        let whole_type = match (&annotated, init) {
            (Some(ty), _) => Ok(ty.clone()),
            (None, Some(init)) => read_type(init, env),
            (None, None) => Err(Unreadable::Unknown("it is declared without a value".into())),
        };
        let names = bound_names(pat);
        let is_carried = names.iter().any(|n| later.contains(&n.to_string()));
        // Record what is known, carried or not, so later initializers can use it.
        if let (Ok(ty), Pat::Ident(id)) = (&whole_type, pat) {
            env.insert(id.ident.to_string(), ty.clone());
        }
        if !is_carried {
            return;
        }
        if let Some(diverge) = local.init.as_ref().and_then(|init| init.diverge.as_ref()) {
            errors.at(
                &diverge.1,
                "a `let ... else` whose variables live across an iteration boundary can't be \
             lowered: declare the variable first, then assign it in a `match`",
            );
            return;
        }
        let element_types: Vec<Result<Type, Unreadable>> = match pat {
            Pat::Ident(_) => vec![whole_type],
            Pat::Tuple(tuple) => match whole_type {
                Ok(Type::Tuple(ty)) if ty.elems.len() == tuple.elems.len() => {
                    ty.elems.into_iter().map(Ok).collect()
                }
                Ok(_) => {
                    errors.at(pat, "the tuple pattern and its type have different lengths");
                    return;
                }
                Err(why) => tuple.elems.iter().map(|_| Err(clone_why(&why))).collect(),
            },
            other => {
                errors.at(
                    other,
                    "a variable that lives across an iteration boundary must be bound by a plain \
                 name or a tuple of names",
                );
                return;
            }
        };
        let element_pats: Vec<&Pat> = match pat {
            Pat::Tuple(tuple) => tuple.elems.iter().collect(),
            other => vec![other],
        };
        for (elem, ty) in element_pats.into_iter().zip(element_types) {
            let Pat::Ident(id) = elem else {
                errors.at(elem, "bind each element of a carried tuple to a plain name");
                continue;
            };
            if id.by_ref.is_some() || id.subpat.is_some() {
                errors.at(
                    id,
                    "a carried variable must be bound by value, without `ref` or `@`",
                );
                continue;
            }
            let name = &id.ident;
            // Shadowing at the function level with the same type: the old value is unreachable
            // from here on, so the `let` can assign the existing field. (Inside a loop body the
            // old value is needed again by the next iteration, so that case stays an error.)
            if fn_level && seen.contains(&name.to_string()) {
                let known = args
                    .get(&name.to_string())
                    .or_else(|| vars.carried.iter().find(|c| c.name == *name).map(|c| &c.ty))
                    .map(|t| quote::quote!(#t).to_string());
                let new = ty.as_ref().ok().map(|t| quote::quote!(#t).to_string());
                if known.is_some() && known == new {
                    if args.contains_key(&name.to_string()) {
                        vars.shadowed_args.insert(name.to_string());
                    }
                    vars.assigned.insert(name.to_string());
                    continue;
                }
            }
            if !seen.insert(name.to_string()) {
                errors.at(
                    name,
                    format!(
                    "`{name}` lives across an iteration boundary, so it becomes a field of the \
                     task's state, but another argument or variable named `{name}` does too \
                     (Penny reuses the field only for a same-type shadowing at the function \
                     level); rename one of them"
                ),
                );
                continue;
            }
            match ty {
                Ok(ty) => {
                    if let Some((tokens, reason)) = not_pod_reason(&ty) {
                        errors.at(tokens, reason);
                        continue;
                    }
                    env.insert(name.to_string(), ty.clone());
                    vars.assigned.insert(name.to_string());
                    vars.carried.push(Carried {
                        name: name.clone(),
                        ty,
                    });
                }
                Err(Unreadable::NotPod(span, reason)) => errors.at_span(span, reason),
                Err(Unreadable::Unknown(hint)) => errors.at(
                    name,
                    format!(
                    "`{name}` lives across an iteration boundary, so it becomes a field of the \
                     task's state, and Penny needs its type: {hint}. Annotate it: \
                     `let {name}: T = ...;`"
                ),
                ),
            }
        }
    }
}

fn clone_why(why: &Unreadable) -> Unreadable {
    match why {
        Unreadable::NotPod(span, msg) => Unreadable::NotPod(*span, msg.clone()),
        Unreadable::Unknown(msg) => Unreadable::Unknown(msg.clone()),
    }
}

/// Names bound by a pattern.
pub fn bound_names(pat: &Pat) -> Vec<Ident> {
    struct Names(Vec<Ident>);
    impl<'ast> Visit<'ast> for Names {
        fn visit_pat_ident(&mut self, p: &'ast syn::PatIdent) {
            self.0.push(p.ident.clone());
            syn::visit::visit_pat_ident(self, p);
        }
    }
    let mut names = Names(Vec::new());
    names.visit_pat(pat);
    names.0
}

/// Names used in `seq` from the first resumable loop after `index` on.
fn used_after_next_loop(seq: &Seq, index: usize) -> HashSet<String> {
    let mut used = HashSet::new();
    let Some(first_loop) = seq.parts[index..]
        .iter()
        .position(|p| matches!(p, Part::Loop(_)))
        .map(|p| p + index)
    else {
        return used;
    };
    for part in &seq.parts[first_loop..] {
        collect_part(part, &mut used);
    }
    if let Some(tail) = &seq.tail {
        used.extend(used_names_expr(tail));
    }
    used
}

fn collect_part(part: &Part, used: &mut HashSet<String>) {
    match part {
        Part::Stmt(stmt) => {
            let mut v = Uses(used);
            v.visit_stmt(stmt);
        }
        Part::Loop(l) => {
            match &l.head {
                Head::For { range, .. } => used.extend(used_names_expr(&range.expr)),
                Head::While { cond } => used.extend(used_names_expr(cond)),
                Head::Loop => {}
            }
            for p in &l.body.parts {
                collect_part(p, used);
            }
        }
    }
}

/// Single-identifier paths used in `expr` (and identifiers inside macro invocations).
pub fn used_names_expr(expr: &Expr) -> HashSet<String> {
    let mut used = HashSet::new();
    Uses(&mut used).visit_expr(expr);
    used
}

struct Uses<'a>(&'a mut HashSet<String>);

impl<'ast> Visit<'ast> for Uses<'_> {
    fn visit_expr_path(&mut self, e: &'ast syn::ExprPath) {
        if let Some(ident) = e.path.get_ident() {
            self.0.insert(ident.to_string());
        }
        syn::visit::visit_expr_path(self, e);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        idents_in_tokens(mac.tokens.clone(), self.0);
    }
}

fn idents_in_tokens(tokens: TokenStream, out: &mut HashSet<String>) {
    for tree in tokens {
        match tree {
            TokenTree::Ident(ident) => {
                out.insert(ident.to_string());
            }
            TokenTree::Group(group) => idents_in_tokens(group.stream(), out),
            _ => {}
        }
    }
}
