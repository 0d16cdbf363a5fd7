//! Checks that run before anything is emitted. Each `check_*` states its rule; every
//! violation is reported (not just the first) at the user's span, saying what to write.

use std::collections::HashSet;

use proc_macro2::{TokenStream, TokenTree};
use syn::visit::Visit;
use syn::{Expr, FnArg, ItemFn, Pat, ReturnType};

use crate::ast::{self, Part, Seq};
use crate::ctxt::Errors;
use crate::types::not_pod_reason;

/// Rule: a kernel is a plain, synchronous, non-generic free function whose arguments are
/// bound by name to plain-data types, and whose return type is plain data.
pub fn check_signature(func: &ItemFn, errors: &mut Errors) {
    let sig = &func.sig;
    if let Some(asyncness) = &sig.asyncness {
        errors.at(
            asyncness,
            "`#[penny::task]` can't lower an `async fn`: a task suspends only at loop iteration \
             boundaries, never at `.await`. Remove `async` and compute synchronously",
        );
    }
    for lifetime in sig.generics.lifetimes() {
        errors.at(
            lifetime,
            "`#[penny::task]` kernels can't take lifetimes: a task's state outlives any borrow. \
             Pass owned plain data or `penny::In<T>` buffers",
        );
    }
    if let Some(variadic) = &sig.variadic {
        errors.at(variadic, "`#[penny::task]` kernels can't be variadic");
    }
    if sig.receiver().is_none() && is_method(func) {
        errors.at(
            &sig.ident,
            "`#[penny::task]` kernels are free functions: the attribute puts a state struct next \
             to the function, which Rust allows only outside `impl` blocks, and `Self` means \
             nothing there. Move the kernel out of the `impl` and name the type",
        );
    }
    for input in &sig.inputs {
        match input {
            FnArg::Receiver(receiver) => errors.at(
                receiver,
                "`#[penny::task]` kernels are free functions: the attribute puts a state struct \
                 next to the function, which Rust allows only outside `impl` blocks. Move the \
                 kernel out of the `impl` into a free `fn` that takes the value (`fn step(world: \
                 World) -> World`) and call it from the method",
            ),
            FnArg::Typed(arg) => {
                if !matches!(&*arg.pat, Pat::Ident(p) if p.by_ref.is_none() && p.subpat.is_none()) {
                    errors.at(
                        &arg.pat,
                        "bind each kernel argument to a plain name (it becomes a field of the \
                         task's state); destructure it in the body",
                    );
                }
                if let Some((tokens, reason)) = not_pod_reason(&arg.ty) {
                    errors.at(tokens, reason);
                }
            }
        }
    }
    if let ReturnType::Type(_, ty) = &sig.output {
        if let Some((tokens, reason)) = not_pod_reason(ty) {
            errors.at(
                tokens,
                format!("the return value is a task's output: {reason}"),
            );
        }
    }
}

/// Whether `func` is written inside an `impl` (it takes `self` or names `Self`), where the
/// state struct can't go.
pub fn is_method(func: &ItemFn) -> bool {
    struct NamesSelf(bool);
    impl<'ast> Visit<'ast> for NamesSelf {
        fn visit_ident(&mut self, ident: &'ast proc_macro2::Ident) {
            self.0 |= ident == "Self";
        }
    }
    let mut finder = NamesSelf(false);
    finder.visit_signature(&func.sig);
    finder.0 || func.sig.receiver().is_some()
}

/// Rule: `yield_now!()` is only valid as the last statement of a resumable loop's body (the
/// builder in `ast` decides which loops are resumable and hands over the yields it consumed).
/// Anywhere else it would split an iteration (or sit outside any loop), so it is reported
/// with an explanation of where yield points may go.
pub fn check_yield_points(func: &ItemFn, consumed: &HashSet<ast::YieldKey>, errors: &mut Errors) {
    let mut trailing = HashSet::new();
    TrailingYields(&mut trailing).visit_block(&func.block);
    let mut finder = YieldFinder {
        valid: consumed,
        trailing: &trailing,
        closures: 0,
        loops: 0,
        branches: 0,
        errors,
    };
    finder.visit_block(&func.block);
}

fn macro_key(mac: &syn::Macro) -> *const syn::Macro {
    mac as *const syn::Macro
}

fn stmt_macro(stmt: &syn::Stmt) -> Option<&syn::Macro> {
    match stmt {
        syn::Stmt::Macro(m) => Some(&m.mac),
        syn::Stmt::Expr(Expr::Macro(m), _) => Some(&m.mac),
        _ => None,
    }
}

struct TrailingYields<'a>(&'a mut HashSet<*const syn::Macro>);

impl<'ast> Visit<'ast> for TrailingYields<'_> {
    fn visit_expr(&mut self, expr: &'ast Expr) {
        if let Some((_, body)) = ast::loop_parts(expr) {
            if let Some(last) = body.stmts.last().filter(|s| ast::is_yield_stmt(s)) {
                self.0.insert(macro_key(
                    stmt_macro(last).expect("a yield statement is a macro"),
                ));
            }
        }
        syn::visit::visit_expr(self, expr);
    }
}

struct YieldFinder<'a> {
    valid: &'a HashSet<*const syn::Macro>,
    trailing: &'a HashSet<*const syn::Macro>,
    closures: usize,
    loops: usize,
    branches: usize,
    errors: &'a mut Errors,
}

impl YieldFinder<'_> {
    /// Visits a loop: inside it, a branch of the enclosing iteration no longer counts.
    fn in_loop(&mut self, visit: impl FnOnce(&mut Self)) {
        self.loops += 1;
        let saved = std::mem::replace(&mut self.branches, 0);
        visit(self);
        self.branches = saved;
        self.loops -= 1;
    }
}

impl<'ast> Visit<'ast> for YieldFinder<'_> {
    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        if !ast::is_yield_macro(mac) || self.valid.contains(&macro_key(mac)) {
            return;
        }
        let message = if self.closures > 0 {
            "`yield_now!()` can't be used inside a closure or nested function: it runs to the \
             end once called, with no iteration boundary Penny can resume at. Put the yield \
             point as the last statement of a loop in the kernel itself"
        } else if self.trailing.contains(&macro_key(mac)) {
            "this loop can't get yield points: Penny resumes a nested loop only when it is a \
             statement in the body of a resumable loop (a loop of the function body, or one \
             ending with `yield_now!()`), directly or in the arms of an `if`/`match` \
             statement there, not inside an expression, a closure or a plain loop. Move the \
             loop there, or end the enclosing loops with `penny::yield_now!()` too"
        } else if self.loops > 0 && self.branches > 0 {
            "`yield_now!()` can't sit in a branch: a task suspends only at an iteration \
             boundary, where no iteration is half done, and a yield inside `if`/`match` would \
             split one. Make it the last statement of the loop body, outside the branch"
        } else if self.loops > 0 {
            "`yield_now!()` must be the last statement of a loop body: a task suspends only at \
             an iteration boundary, where no iteration is half done. Move it to the end of the \
             loop body"
        } else {
            "`yield_now!()` is not at the end of a loop body: a task suspends only at an \
             iteration boundary, so a yield point before, after or outside a loop means \
             nothing. Put it as the last statement of the loop body that should yield"
        };
        self.errors.at(mac, message);
    }

    fn visit_expr_closure(&mut self, e: &'ast syn::ExprClosure) {
        self.closures += 1;
        syn::visit::visit_expr_closure(self, e);
        self.closures -= 1;
    }

    fn visit_item(&mut self, item: &'ast syn::Item) {
        self.closures += 1;
        syn::visit::visit_item(self, item);
        self.closures -= 1;
    }

    fn visit_expr_for_loop(&mut self, e: &'ast syn::ExprForLoop) {
        self.in_loop(|this| syn::visit::visit_expr_for_loop(this, e));
    }

    fn visit_expr_while(&mut self, e: &'ast syn::ExprWhile) {
        self.in_loop(|this| syn::visit::visit_expr_while(this, e));
    }

    fn visit_expr_loop(&mut self, e: &'ast syn::ExprLoop) {
        self.in_loop(|this| syn::visit::visit_expr_loop(this, e));
    }

    fn visit_expr_if(&mut self, e: &'ast syn::ExprIf) {
        self.branches += 1;
        syn::visit::visit_expr_if(self, e);
        self.branches -= 1;
    }

    fn visit_expr_match(&mut self, e: &'ast syn::ExprMatch) {
        self.branches += 1;
        syn::visit::visit_expr_match(self, e);
        self.branches -= 1;
    }
}

/// Rule: the code Penny lowers has no `.await`, no `?` (it would return from `step`, not
/// from the kernel), and no macro whose tokens hide `return`/`break`/`continue`/`?`, which
/// Penny must rewrite to suspend and resume loops. Closures and nested items are exempt:
/// they run to completion when called.
pub fn check_hidden_control_flow(func: &ItemFn, errors: &mut Errors) {
    ControlFlow {
        closures: 0,
        errors,
    }
    .visit_block(&func.block);
}

struct ControlFlow<'a> {
    closures: usize,
    errors: &'a mut Errors,
}

impl<'ast> Visit<'ast> for ControlFlow<'_> {
    fn visit_expr_await(&mut self, e: &'ast syn::ExprAwait) {
        self.errors.at(
            e.await_token,
            "`.await` can't appear in a `#[penny::task]` kernel: a task suspends only at loop \
             iteration boundaries. Compute the value synchronously",
        );
        syn::visit::visit_expr_await(self, e);
    }

    fn visit_expr_try(&mut self, e: &'ast syn::ExprTry) {
        if self.closures == 0 {
            self.errors.at(
                e.question_token,
                "`?` can't be lowered: it would return from the task's `step`, not from the \
                 kernel. Write a `match` (or `let ... else`) that `return`s explicitly",
            );
        }
        syn::visit::visit_expr_try(self, e);
    }

    fn visit_expr_closure(&mut self, e: &'ast syn::ExprClosure) {
        self.closures += 1;
        syn::visit::visit_expr_closure(self, e);
        self.closures -= 1;
    }

    fn visit_expr_async(&mut self, e: &'ast syn::ExprAsync) {
        self.errors.at(
            e.async_token,
            "`async` blocks can't appear in a `#[penny::task]` kernel: a task suspends only at \
             loop iteration boundaries",
        );
    }

    fn visit_item(&mut self, _item: &'ast syn::Item) {}

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        if self.closures > 0 || ast::is_yield_macro(mac) {
            return;
        }
        let name = mac
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default();
        if !TRANSPARENT_MACROS.contains(&name.as_str()) {
            self.errors.at(
                &mac.path,
                format!(
                    "Penny can't see what `{name}!` expands to: it could hide a `break`, \
                     `continue` or `return`, which Penny must rewrite to suspend and resume \
                     loops. Call a function instead, or write the code out in the kernel"
                ),
            );
            return;
        }
        if let Some(keyword) = hidden_control_flow(mac.tokens.clone()) {
            let name = mac
                .path
                .segments
                .last()
                .map(|s| s.ident.to_string())
                .unwrap_or_default();
            self.errors.at(
                mac,
                format!(
                    "`{name}!` hides `{keyword}` from Penny, which must see every exit from a \
                     loop to suspend and resume it; write the control flow out in the kernel \
                     instead of inside a macro"
                ),
            );
        }
    }
}

/// Standard macros whose expansion has no control flow of its own; Penny only has to check
/// the tokens passed to them.
const TRANSPARENT_MACROS: &[&str] = &[
    "assert",
    "assert_eq",
    "assert_ne",
    "debug_assert",
    "debug_assert_eq",
    "debug_assert_ne",
    "print",
    "println",
    "eprint",
    "eprintln",
    "format",
    "format_args",
    "write",
    "writeln",
    "panic",
    "unreachable",
    "todo",
    "unimplemented",
    "matches",
    "dbg",
    "concat",
    "stringify",
    "line",
    "column",
    "file",
    "module_path",
    "cfg",
    "env",
    "option_env",
    "vec",
];

fn hidden_control_flow(tokens: TokenStream) -> Option<String> {
    let mut previous_was_pipe = false;
    for tree in tokens {
        match &tree {
            TokenTree::Ident(ident)
                if ["return", "break", "continue", "await", "yield"]
                    .contains(&ident.to_string().as_str()) =>
            {
                return Some(ident.to_string());
            }
            TokenTree::Punct(p) if p.as_char() == '?' => return Some("?".into()),
            TokenTree::Punct(p) if p.as_char() == '|' => {
                // A closure inside the macro: its body may use control flow freely. Stop
                // scanning this group conservatively at the closure.
                if previous_was_pipe {
                    return None;
                }
                previous_was_pipe = true;
                continue;
            }
            TokenTree::Group(group) => {
                if let Some(found) = hidden_control_flow(group.stream()) {
                    return Some(found);
                }
            }
            _ => {}
        }
        previous_was_pipe = false;
    }
    None
}

/// Rule: at the level of the function body, a loop must be a statement of its own. A loop
/// nested in an `if`, a `match`, a block or a `let` would run with no yield points and hold
/// its worker until it ends.
pub fn check_hidden_loops(body: &Seq, errors: &mut Errors) {
    let mut finder = HiddenLoops {
        closures: 0,
        let_else: None,
        errors,
    };
    finder.seq(body);
}

struct HiddenLoops<'a> {
    closures: usize,
    /// Inside the `else` block of a `let ... else`: its pattern and value, as written, and
    /// the pattern with `_` for its bindings.
    let_else: Option<(String, String, String)>,
    errors: &'a mut Errors,
}

impl HiddenLoops<'_> {
    /// A sequence at the level of the function body: its own statements, `let`s and tail,
    /// and the arms of its `if`/`match` statements with phases (the same level).
    fn seq(&mut self, seq: &Seq) {
        for part in &seq.parts {
            match part {
                Part::Stmt(stmt) => self.visit_stmt(stmt),
                Part::Let(l) => self.visit_local(&l.local),
                Part::Branch(b) => b.arms.iter().for_each(|arm| self.seq(arm)),
                Part::Loop(_) => {}
            }
        }
        if let Some(tail) = &seq.tail {
            self.visit_expr(tail);
        }
    }

    fn report(&mut self, keyword: proc_macro2::Span) {
        if let (0, Some((pat, value, test))) = (self.closures, &self.let_else) {
            let message = format!(
                "this loop is in the `else` block of a `let ... else`, where Penny can't give \
                 it yield points: it would hold its worker until it ends. Test the pattern in \
                 an `if` statement first, whose arms may hold loops: `if !matches!({value}, \
                 {test}) {{ for .. {{ .. }} return ..; }}`, then `let {pat} = {value} else {{ \
                 unreachable!() }};` (with the value in a variable first if computing it has \
                 effects)"
            );
            self.errors.at_span(keyword, message);
        } else if self.closures == 0 {
            self.errors.at_span(
                keyword,
                "this loop is inside an expression, where Penny can't give it yield points: it \
                 would hold its worker until it ends. Make it a statement of the function body \
                 (a phase of the task): hoist a condition into the range (`for i in 0..if cond \
                 { n } else { 0 } { ... }`), or give a variable its value before or after the \
                 loop instead of from a block around it",
            );
        }
    }
}

impl<'ast> Visit<'ast> for HiddenLoops<'_> {
    fn visit_expr_for_loop(&mut self, e: &'ast syn::ExprForLoop) {
        self.report(e.for_token.span);
    }
    fn visit_expr_while(&mut self, e: &'ast syn::ExprWhile) {
        self.report(e.while_token.span);
    }
    fn visit_expr_loop(&mut self, e: &'ast syn::ExprLoop) {
        self.report(e.loop_token.span);
    }
    fn visit_expr_closure(&mut self, e: &'ast syn::ExprClosure) {
        self.closures += 1;
        syn::visit::visit_expr_closure(self, e);
        self.closures -= 1;
    }
    fn visit_local(&mut self, local: &'ast syn::Local) {
        let Some(init) = &local.init else { return };
        self.visit_expr(&init.expr);
        if let Some((_, diverge)) = &init.diverge {
            let show = |tokens: proc_macro2::TokenStream| tokens.to_string().replace(" (", "(");
            // The pattern without the type the annotation pass may have added.
            let pat = match &local.pat {
                syn::Pat::Type(t) => &*t.pat,
                other => other,
            };
            let value = &init.expr;
            let test = wild_bindings(pat);
            let outer = self.let_else.replace((
                show(quote::quote!(#pat)),
                show(quote::quote!(#value)),
                show(quote::quote!(#test)),
            ));
            self.visit_expr(diverge);
            self.let_else = outer;
        }
    }
    fn visit_item(&mut self, _item: &'ast syn::Item) {}
}

/// `pat` with `_` for each binding without a sub-pattern: what `matches!` tests.
fn wild_bindings(pat: &syn::Pat) -> syn::Pat {
    struct Wild;
    impl syn::visit_mut::VisitMut for Wild {
        fn visit_pat_mut(&mut self, pat: &mut syn::Pat) {
            if let syn::Pat::Ident(p) = pat {
                if p.subpat.is_none() {
                    *pat = syn::parse_quote!(_);
                    return;
                }
            }
            syn::visit_mut::visit_pat_mut(self, pat);
        }
    }
    let mut pat = pat.clone();
    syn::visit_mut::VisitMut::visit_pat_mut(&mut Wild, &mut pat);
    pat
}

/// Rule: names starting with `penny_` are reserved for the locals of the generated `step`.
pub fn check_reserved_names(func: &ItemFn, errors: &mut Errors) {
    struct Reserved<'a>(&'a mut Errors);
    impl<'ast> Visit<'ast> for Reserved<'_> {
        fn visit_pat_ident(&mut self, p: &'ast syn::PatIdent) {
            if p.ident.to_string().starts_with("penny_") {
                self.0.at(
                    &p.ident,
                    "names starting with `penny_` are reserved for the code \
                    `#[penny::task]` generates; rename this variable",
                );
            }
            syn::visit::visit_pat_ident(self, p);
        }
    }
    let mut reserved = Reserved(errors);
    for input in &func.sig.inputs {
        reserved.visit_fn_arg(input);
    }
    reserved.visit_block(&func.block);
}

/// Rule: the type of a variable kept in the state names nothing declared inside the kernel
/// (a `const` in an array length, a local `struct`, `enum`, `type` or `use`): the state
/// struct sits outside the function, where those names mean nothing.
pub fn check_local_item_types(func: &ItemFn, vars: &crate::vars::Vars, errors: &mut Errors) {
    /// The names items inside the body declare, and those its `use`s import.
    #[derive(Default)]
    struct LocalItems(HashSet<String>, HashSet<String>);
    impl<'ast> Visit<'ast> for LocalItems {
        fn visit_item(&mut self, item: &'ast syn::Item) {
            let ident = match item {
                syn::Item::Const(i) => Some(&i.ident),
                syn::Item::Static(i) => Some(&i.ident),
                syn::Item::Struct(i) => Some(&i.ident),
                syn::Item::Enum(i) => Some(&i.ident),
                syn::Item::Union(i) => Some(&i.ident),
                syn::Item::Type(i) => Some(&i.ident),
                syn::Item::Trait(i) => Some(&i.ident),
                syn::Item::Fn(i) => Some(&i.sig.ident),
                syn::Item::Use(u) => {
                    self.visit_use_tree(&u.tree);
                    None
                }
                _ => None,
            };
            if let Some(ident) = ident {
                self.0.insert(ident.to_string());
            }
            // Items nested in these items are not the body's.
        }
        fn visit_use_name(&mut self, n: &'ast syn::UseName) {
            self.1.insert(n.ident.to_string());
        }
        fn visit_use_rename(&mut self, r: &'ast syn::UseRename) {
            self.1.insert(r.rename.to_string());
        }
    }
    /// Every identifier a type mentions (paths, and expressions such as array lengths).
    #[derive(Default)]
    struct Idents(Vec<syn::Ident>);
    impl<'ast> Visit<'ast> for Idents {
        fn visit_ident(&mut self, i: &'ast syn::Ident) {
            self.0.push(i.clone());
        }
    }
    let mut items = LocalItems::default();
    items.visit_block(&func.block);
    if items.0.is_empty() && items.1.is_empty() {
        return;
    }
    for binding in vars.bindings.iter().filter(|b| b.carried && !b.is_arg) {
        let Some(ty) = &binding.ty else { continue };
        let mut idents = Idents::default();
        idents.visit_type(ty);
        let local = |i: &&syn::Ident| {
            let name = i.to_string();
            items.0.contains(&name) || items.1.contains(&name)
        };
        if let Some(item) = idents.0.iter().find(local) {
            let ty = quote::quote!(#ty).to_string();
            let (how, fix) = if items.0.contains(&item.to_string()) {
                (
                    "is declared",
                    format!("Declare `{item}` outside the function"),
                )
            } else {
                (
                    "is imported",
                    "Move the `use` outside the function".to_owned(),
                )
            };
            errors.at(
                &binding.ident,
                format!(
                    "`{}` is kept in the task's state, and its type `{ty}` names `{item}`, which \
                     {how} inside the kernel: the state struct Penny generates sits outside \
                     the function and can't see it. {fix}",
                    binding.ident
                ),
            );
        }
    }
}
