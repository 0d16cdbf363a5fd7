//! The state machine inside `step`: one dispatcher arm per resume point (the start of the
//! function, each resumable loop's head, the code after each loop), numbered in program
//! order, plus `progress()`, which reads the same cursors.
//!
//! A leaf loop's arm runs a chunk as a plain loop; a loop holding resumable loops splits its
//! iteration into arms at each nested loop, re-deriving its loop variable from its cursor at
//! the start of every arm.

use std::collections::HashSet;

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::visit_mut::VisitMut;
use syn::{Expr, Ident, Pat, Stmt};

use crate::ast::{Head, Loop, Part, RangeHead, Seq};
use crate::ctxt::Errors;
use crate::expand::Kernel;
use crate::rewrite::{label_name, Rewriter, Target};
use crate::vars::{bound_names, used_names_expr};

/// What the emitter knows about one resumable loop.
#[derive(Clone)]
pub(crate) struct LoopInfo {
    pub(crate) head: u32,
    pub(crate) exit: u32,
    /// Field counting finished iterations (`for` loops, and `while`/`loop` phases).
    pub(crate) done: Option<Ident>,
    /// Field holding the range length (phases that are `for` loops).
    pub(crate) len: Option<Ident>,
    /// Tokens that build the range helper from the range expression (`for` loops); only
    /// re-evaluated on resume when the expression is pure (see [`crate::pure`]).
    pub(crate) range: Option<TokenStream>,
    /// Field keeping an impure range, evaluated once when the loop started.
    pub(crate) saved: Option<Ident>,
    /// Tokens that give the typed range on resume: `range` itself when it is pure, else the
    /// saved range typed by a never-called closure over the range expression.
    pub(crate) access: Option<TokenStream>,
    /// How the docs name the loop: `for i`, `while`, `'rows`.
    pub(crate) name: String,
}

/// Builds the dispatcher arms and `progress()` of one kernel.
pub(crate) struct Emitter<'k> {
    pub(crate) kernel: &'k Kernel<'k>,
    pub(crate) infos: Vec<LoopInfo>,
    pub(crate) arms: Vec<TokenStream>,
    pub(crate) hoisted: Vec<Stmt>,
    pub(crate) phase_field: Ident,
    pub(crate) output_field: Ident,
    pub(crate) errors: Errors,
}

/// One arm of the dispatcher, being filled.
struct Arm {
    pc: u32,
    code: Vec<TokenStream>,
}

impl<'k> Emitter<'k> {
    pub(crate) fn new(kernel: &'k Kernel<'k>) -> Self {
        let mut taken: HashSet<String> = kernel.args.iter().map(|a| a.name.to_string()).collect();
        taken.extend(kernel.vars.carried.iter().map(|c| c.name.to_string()));
        let phase_field = fresh("phase", &mut taken);
        let output_field = fresh("output", &mut taken);
        let mut emitter = Emitter {
            kernel,
            infos: Vec::new(),
            arms: Vec::new(),
            hoisted: Vec::new(),
            phase_field,
            output_field,
            errors: Errors::default(),
        };
        emitter.collect_infos(&kernel.body, &mut taken);
        emitter
    }

    fn collect_infos(&mut self, seq: &Seq, taken: &mut HashSet<String>) {
        for part in &seq.parts {
            let Part::Loop(l) = part else { continue };
            let phase = l.depth == 0;
            let base = match (&l.label, &l.head) {
                (Some(label), _) => label.name.ident.to_string(),
                (
                    None,
                    Head::For {
                        pat: Pat::Ident(p), ..
                    },
                ) => p.ident.to_string(),
                _ => format!("loop{}", l.id),
            };
            // A second loop over `i` gets `i2_done`, a third `i3_done`, ...
            let mut base = base;
            let stem = base.clone();
            let mut n = 2;
            while taken.contains(&format!("{base}_done")) || taken.contains(&format!("{base}_len"))
            {
                base = format!("{stem}{n}");
                n += 1;
            }
            let (done, len, range, saved, access) = match &l.head {
                Head::For { range, .. } => {
                    let done = Some(fresh(&format!("{base}_done"), taken));
                    let tokens = range_tokens(range);
                    if crate::pure::is_pure(&range.expr, &self.kernel.immutables) {
                        let len = phase.then(|| fresh(&format!("{base}_len"), taken));
                        (done, len, Some(tokens.clone()), None, Some(tokens))
                    } else {
                        let saved = fresh(&format!("{base}_range"), taken);
                        let expr = &range.expr;
                        let typed = if range.inclusive || !range.adapters.is_empty() {
                            quote!(progression)
                        } else {
                            quote!(forward)
                        };
                        let access =
                            quote!(self.#saved.#typed(::penny::__private::item_of(|| (#expr))));
                        (done, None, Some(tokens), Some(saved), Some(access))
                    }
                }
                _ => (
                    phase.then(|| fresh(&format!("{base}_done"), taken)),
                    None,
                    None,
                    None,
                    None,
                ),
            };
            let name = match (&l.label, &l.head) {
                (Some(label), _) => format!("'{}", label.name.ident),
                (None, Head::For { pat, .. }) => format!("for {}", quote!(#pat)),
                (None, Head::While { .. }) => "while".to_string(),
                (None, Head::Loop) => "loop".to_string(),
            };
            debug_assert_eq!(self.infos.len(), l.id);
            self.infos.push(LoopInfo {
                head: 0,
                exit: 0,
                done,
                len,
                range,
                saved,
                access,
                name,
            });
            self.collect_infos(&l.body, taken);
        }
    }

    /// Numbers the arms in the order `function_arms` creates them.
    pub(crate) fn assign_pcs(&mut self, seq: &Seq, next: &mut u32) {
        for part in &seq.parts {
            let Part::Loop(l) = part else { continue };
            self.infos[l.id].head = *next;
            *next += 1;
            if !l.is_leaf() {
                self.assign_pcs(&l.body, next);
            }
            self.infos[l.id].exit = *next;
            *next += 1;
        }
    }

    pub(crate) fn function_arms(&mut self) -> Vec<TokenStream> {
        let kernel: &'k Kernel<'k> = self.kernel;
        let arm = Arm {
            pc: 0,
            code: Vec::new(),
        };
        let arm = self.seq(&kernel.body, &mut Vec::new(), arm);
        self.close(arm);
        std::mem::take(&mut self.arms)
    }

    /// The epilogue: the statements after the last phase and the tail, in one block so
    /// the tail sees the epilogue's `let`s; its value is the task's output.
    fn epilogue(&mut self, segment: &mut Vec<Stmt>, arm: &mut Arm) {
        let mut stmts = Vec::new();
        for stmt in segment.drain(..) {
            if let Some(stmt) = self.carried_let(stmt) {
                stmts.push(stmt);
            }
        }
        let mut value: Expr = match (&self.kernel.body.tail, stmts.is_empty()) {
            (Some(tail), true) => tail.clone(),
            (Some(tail), false) => syn::parse_quote!({ #(#stmts)* #tail }),
            (None, true) => syn::parse_quote!(()),
            (None, false) => syn::parse_quote!({ #(#stmts)* }),
        };
        self.rewrite(&mut value, &mut Vec::new());
        arm.code
            .push(quote!(break 'penny_resume PennyStep::Done(#value);));
    }

    fn close(&mut self, arm: Arm) {
        let pc = pc_literal(arm.pc);
        let code = arm.code;
        self.arms.push(quote!(#pc => { #(#code)* }));
    }

    /// Emits `seq` starting in `arm`; returns the arm still open at its end.
    fn seq(&mut self, seq: &'k Seq, stack: &mut Vec<&'k Loop>, mut arm: Arm) -> Arm {
        let mut segment: Vec<Stmt> = Vec::new();
        for part in &seq.parts {
            match part {
                Part::Stmt(Stmt::Item(item)) => self.hoisted.push(Stmt::Item(item.clone())),
                Part::Stmt(stmt) => segment.push(stmt.clone()),
                Part::Loop(l) => {
                    self.flush(&mut segment, stack, &mut arm);
                    let info = &self.infos[l.id];
                    let phase = &self.phase_field;
                    let head = pc_literal(info.head);
                    if let Some(done) = &info.done {
                        arm.code.push(quote!(self.#done = 0;));
                    }
                    if let (Some(len), Some(range)) = (&info.len, &info.range) {
                        arm.code.push(quote!(self.#len = #range.len();));
                    }
                    if let (Some(saved), Some(range)) = (&info.saved, &info.range) {
                        // The only evaluation of this range (Rust evaluates it once too).
                        arm.code.push(quote!(self.#saved = #range.save();));
                    }
                    arm.code.push(quote!(self.#phase = #head;));
                    self.close(arm);
                    self.loop_arms(l, stack);
                    arm = Arm {
                        pc: self.infos[l.id].exit,
                        code: self.rebind(stack),
                    };
                }
            }
        }
        if stack.is_empty() {
            self.epilogue(&mut segment, &mut arm);
        } else {
            self.flush(&mut segment, stack, &mut arm);
        }
        arm
    }

    /// Emits the statements of a segment as one block, so its locals stay inside it.
    fn flush(&mut self, segment: &mut Vec<Stmt>, stack: &mut Vec<&'k Loop>, arm: &mut Arm) {
        if segment.is_empty() {
            return;
        }
        let mut stmts = Vec::new();
        for stmt in segment.drain(..) {
            if let Some(stmt) = self.carried_let(stmt) {
                stmts.push(stmt);
            }
        }
        let mut targets = self.segment_targets(stack);
        let mut block: syn::Block = syn::parse_quote!({ #(#stmts)* });
        self.rewrite_block(&mut block, &mut targets);
        arm.code.push(quote!(#block));
    }

    /// A `let` of carried variables becomes an assignment to the locals `step` loaded.
    fn carried_let(&mut self, stmt: Stmt) -> Option<Stmt> {
        let Stmt::Local(local) = &stmt else {
            return Some(stmt);
        };
        let pat = match &local.pat {
            Pat::Type(pt) => &*pt.pat,
            other => other,
        };
        let names = bound_names(pat);
        let carried: Vec<bool> = names
            .iter()
            .map(|n| self.kernel.vars.is_carried(n))
            .collect();
        if !carried.iter().any(|c| *c) {
            return Some(stmt);
        }
        if !carried.iter().all(|c| *c) {
            self.errors.at(
                pat,
                "some of these variables live across an iteration boundary and some don't; \
                 bind them in separate `let` statements",
            );
            return None;
        }
        let init = local.init.as_ref()?;
        let target = assignee(pat);
        let value = &init.expr;
        Some(syn::parse_quote!(#target = #value;))
    }

    /// The arms of one resumable loop.
    fn loop_arms(&mut self, l: &'k Loop, stack: &mut Vec<&'k Loop>) {
        if l.is_leaf() {
            self.leaf_arm(l, stack);
            return;
        }
        let info = self.infos[l.id].clone();
        let (head, exit) = (pc_literal(info.head), pc_literal(info.exit));
        let phase = self.phase_field.clone();
        let mut code = self.rebind(stack);
        match &l.head {
            Head::For { pat, .. } => {
                let range = info.access.clone().expect("for loops have a range");
                let done = info.done.clone().expect("for loops have a cursor");
                code.push(quote! {
                    let penny_range = #range;
                    if self.#done == penny_range.len() {
                        self.#phase = #exit;
                        continue 'penny_resume;
                    }
                    if penny_budget == 0 {
                        break 'penny_resume PennyStep::Yielded;
                    }
                    penny_budget -= 1;
                });
                if !matches!(pat, Pat::Wild(_)) {
                    code.push(quote!(let #pat = penny_range.nth(self.#done);));
                }
            }
            Head::While { .. } | Head::Loop => {
                code.push(quote! {
                    if penny_budget == 0 {
                        break 'penny_resume PennyStep::Yielded;
                    }
                });
                if let Head::While { cond } = &l.head {
                    let mut cond = cond.clone();
                    let mut targets = self.segment_targets(stack);
                    self.rewrite(&mut cond, &mut targets);
                    code.push(quote! {
                        if !(#cond) {
                            self.#phase = #exit;
                            continue 'penny_resume;
                        }
                    });
                }
                code.push(quote!(penny_budget -= 1;));
                if let Some(done) = &info.done {
                    code.push(quote!(self.#done += 1;));
                }
            }
        }
        stack.push(l);
        let arm = Arm {
            pc: info.head,
            code,
        };
        let mut arm = self.seq(&l.body, stack, arm);
        stack.pop();
        if let (Head::For { .. }, Some(done)) = (&l.head, &self.infos[l.id].done) {
            arm.code.push(quote!(self.#done += 1;));
        }
        arm.code.push(quote!(self.#phase = #head;));
        self.close(arm);
    }

    /// A leaf loop: one arm that runs a chunk of iterations as a plain loop.
    fn leaf_arm(&mut self, l: &'k Loop, stack: &mut Vec<&'k Loop>) {
        let info = self.infos[l.id].clone();
        let (head, exit) = (pc_literal(info.head), pc_literal(info.exit));
        let phase = self.phase_field.clone();
        let mut code = self.rebind(stack);
        let label = &l.label;
        let consumed = match l.head {
            Head::For { .. } => quote!(penny_take),
            _ => quote!(penny_ran),
        };
        let mut targets = self.enclosing_targets(stack, Some(&consumed));
        let exit_break = match l.label.as_ref() {
            Some(label) => {
                let name = &label.name;
                quote!(break #name)
            }
            None => quote!(break),
        };
        match &l.head {
            Head::For { pat, .. } => {
                let range = info.access.clone().expect("for loops have a range");
                let done = info.done.clone().expect("for loops have a cursor");
                targets.push(Target {
                    label: label_name(label),
                    on_break: quote!({ penny_exit = true; #exit_break; }),
                    on_continue: None,
                    used_break: false,
                });
                let mut body = self.leaf_body(l);
                self.rewrite_block(&mut body, &mut targets);
                let exits = targets.pop().expect("pushed above").used_break;
                let written = match &l.head {
                    Head::For { range, .. } => &range.expr,
                    _ => unreachable!("matched a for loop above"),
                };
                // The chunk ends at `min(done + budget, len)`, written so LLVM sees that every
                // index is below the range's end (and drops bounds checks). When the whole
                // loop fits the budget, it runs exactly as the user wrote it, so a task run
                // with a large budget compiles to the plain function's loop.
                code.push(quote! {
                    let penny_range = #range;
                    let penny_len = penny_range.len();
                    let penny_end = ::core::cmp::min(self.#done.saturating_add(penny_budget), penny_len);
                    let penny_take = penny_end - self.#done;
                });
                if exits {
                    code.push(quote!(let mut penny_exit = false;));
                }
                if info.saved.is_none() {
                    code.push(quote! {
                        if penny_take == penny_len {
                            #label for #pat in #written #body
                        } else {
                            #label for #pat in penny_range.chunk(self.#done, penny_end) #body
                        }
                    });
                } else {
                    // The range was evaluated when the loop started: never run it again.
                    code.push(quote! {
                        #label for #pat in penny_range.chunk(self.#done, penny_end) #body
                    });
                }
                code.push(quote!(penny_budget -= penny_take;));
                if exits {
                    code.push(quote! {
                        if penny_exit {
                            self.#phase = #exit;
                            continue 'penny_resume;
                        }
                    });
                }
                code.push(quote! {
                    self.#done = penny_end;
                    if penny_end < penny_len {
                        break 'penny_resume PennyStep::Yielded;
                    }
                    self.#phase = #exit;
                });
            }
            Head::While { .. } | Head::Loop => {
                targets.push(Target {
                    label: label_name(label),
                    on_break: match l.label.as_ref() {
                        Some(label) => {
                            let name = &label.name;
                            quote!(break #name true)
                        }
                        None => quote!(break true),
                    },
                    on_continue: None,
                    used_break: false,
                });
                let condition = if let Head::While { cond } = &l.head {
                    let mut cond = cond.clone();
                    let mut cond_targets = self.enclosing_targets(stack, Some(&consumed));
                    self.rewrite(&mut cond, &mut cond_targets);
                    quote! {
                        if !(#cond) {
                            break true;
                        }
                    }
                } else {
                    quote!()
                };
                let mut body = self.leaf_body(l);
                self.rewrite_block(&mut body, &mut targets);
                let body_stmts = &body.stmts;
                code.push(quote! {
                    let mut penny_ran = 0u64;
                    let penny_finished = #label loop {
                        if penny_ran == penny_budget {
                            break false;
                        }
                        #condition
                        penny_ran += 1;
                        #(#body_stmts)*
                    };
                    penny_budget -= penny_ran;
                });
                if let Some(done) = &info.done {
                    code.push(quote!(self.#done += penny_ran;));
                }
                code.push(quote! {
                    if !penny_finished {
                        break 'penny_resume PennyStep::Yielded;
                    }
                    self.#phase = #exit;
                });
            }
        }
        let pc = head;
        self.arms.push(quote!(#pc => { #(#code)* }));
    }

    fn leaf_body(&mut self, l: &Loop) -> syn::Block {
        let mut stmts = Vec::new();
        for part in &l.body.parts {
            if let Part::Stmt(stmt) = part {
                stmts.push(stmt.clone());
            }
        }
        syn::parse_quote!({ #(#stmts)* })
    }

    /// Re-binds the variables of the enclosing `for` loops from their cursors.
    fn rebind(&self, stack: &[&'k Loop]) -> Vec<TokenStream> {
        let mut code = Vec::new();
        for l in stack {
            if let Head::For { pat, .. } = &l.head {
                if matches!(pat, Pat::Wild(_)) {
                    continue;
                }
                let info = &self.infos[l.id];
                let range = info.access.as_ref().expect("for loops have a range");
                let done = info.done.as_ref().expect("for loops have a cursor");
                code.push(quote!(let #pat = #range.nth(self.#done);));
            }
        }
        code
    }

    /// Targets for code that runs in an arm of its own (a segment of a loop body).
    fn segment_targets(&self, stack: &[&'k Loop]) -> Vec<Target> {
        self.enclosing_targets(stack, None)
    }

    /// Jumps out of the current code to the enclosing resumable loops, innermost last.
    fn enclosing_targets(&self, stack: &[&'k Loop], consumed: Option<&TokenStream>) -> Vec<Target> {
        let phase = &self.phase_field;
        let charge = consumed.map(|c| quote!(penny_budget -= #c;));
        stack
            .iter()
            .map(|l| {
                let info = &self.infos[l.id];
                let (head, exit) = (pc_literal(info.head), pc_literal(info.exit));
                let advance = match (&l.head, &info.done) {
                    (Head::For { .. }, Some(done)) => quote!(self.#done += 1;),
                    _ => quote!(),
                };
                Target {
                    label: label_name(&l.label),
                    on_break: quote!({ #charge self.#phase = #exit; continue 'penny_resume; }),
                    on_continue: Some(
                        quote!({ #charge #advance self.#phase = #head; continue 'penny_resume; }),
                    ),
                    used_break: false,
                }
            })
            .collect()
    }

    fn rewrite_block(&mut self, block: &mut syn::Block, targets: &mut Vec<Target>) {
        let mut rewriter = Rewriter {
            targets,
            plain_labels: Vec::new(),
            errors: &mut self.errors,
        };
        rewriter.visit_block_mut(block);
    }

    fn rewrite(&mut self, expr: &mut Expr, targets: &mut Vec<Target>) {
        let mut rewriter = Rewriter {
            targets,
            plain_labels: Vec::new(),
            errors: &mut self.errors,
        };
        rewriter.visit_expr_mut(expr);
    }

    /// `progress()`: finished phases count in full, the running one by its cursor.
    ///
    /// `total` is the sum of the phases' lengths: known once a `for` phase started (or
    /// before, when its range reads only immutable arguments), and for a `while`/`loop`
    /// phase only once it ended. A phase skipped by an early `return` counts as done, so
    /// `done == total` at the end and `total` never changes once known.
    pub(crate) fn progress_body(&self) -> TokenStream {
        let phase = &self.phase_field;
        let output = &self.output_field;
        let immutable_args: HashSet<String> = self
            .kernel
            .args
            .iter()
            .filter(|a| !a.mutable)
            .map(|a| a.name.to_string())
            .filter(|name| !self.kernel.vars.shadowed_args.contains(name))
            .collect();
        let mut phases = Vec::new();
        for part in &self.kernel.body.parts {
            let Part::Loop(l) = part else { continue };
            let info = &self.infos[l.id];
            let (head, exit) = (pc_literal(info.head), pc_literal(info.exit));
            let done = info.done.as_ref().expect("phases have a cursor");
            let len = match (&info.len, &info.saved) {
                (Some(len), _) => Some(quote!(self.#len)),
                (None, Some(saved)) => Some(quote!(self.#saved.len())),
                (None, None) => None,
            };
            match (&l.head, len) {
                (Head::For { range, .. }, Some(len)) => {
                    // Sorted, so the expansion is the same on every run.
                    let mut reads: Vec<String> = used_names_expr(&range.expr).into_iter().collect();
                    reads.sort();
                    let before_start = if info.saved.is_none()
                        && reads.iter().all(|name| immutable_args.contains(name))
                    {
                        let loads = reads.iter().map(|name| {
                            let name = Ident::new(name, Span::call_site());
                            quote!(let #name = self.#name;)
                        });
                        let range = info.range.as_ref().expect("for loops have a range");
                        quote!({ #(#loads)* Some(#range.len()) })
                    } else {
                        quote!({ None })
                    };
                    phases.push(quote! {
                        let len = if self.#phase >= #head { Some(#len) } else #before_start;
                        if finished || self.#phase >= #exit {
                            done += len.unwrap_or(0);
                        } else if self.#phase >= #head {
                            done += self.#done;
                        }
                        total = total.zip(len).map(|(t, l)| t + l);
                    });
                }
                _ => phases.push(quote! {
                    if self.#phase >= #head {
                        done += self.#done;
                    }
                    total = if finished || self.#phase >= #exit {
                        total.map(|t| t + self.#done)
                    } else {
                        None
                    };
                }),
            }
        }
        quote! {
            let finished = self.#output.is_some();
            let mut done = 0u64;
            let mut total = Some(0u64);
            #(#phases)*
            if finished {
                total = Some(done);
            }
            ::penny::Progress { done, total }
        }
    }
}

/// Phase numbers print without a suffix.
fn pc_literal(pc: u32) -> proc_macro2::Literal {
    proc_macro2::Literal::u32_unsuffixed(pc)
}

fn fresh(base: &str, taken: &mut HashSet<String>) -> Ident {
    let mut name = base.to_string();
    if taken.contains(&name) {
        name = format!("penny_{base}");
    }
    let mut n = 2;
    while taken.contains(&name) {
        name = format!("penny_{base}{n}");
        n += 1;
    }
    taken.insert(name.clone());
    format_ident!("{}", name)
}

/// The place expression a carried `let` pattern assigns to.
fn assignee(pat: &Pat) -> TokenStream {
    match pat {
        Pat::Ident(p) => {
            let name = &p.ident;
            quote!(#name)
        }
        Pat::Tuple(t) => {
            let elems = t.elems.iter().map(assignee);
            quote!((#(#elems,)*))
        }
        Pat::Type(t) => assignee(&t.pat),
        Pat::Paren(p) => assignee(&p.pat),
        other => quote!(#other),
    }
}

fn range_tokens(range: &RangeHead) -> TokenStream {
    let (start, end) = (&range.start, &range.end);
    let constructor = if range.inclusive {
        quote!(::penny::__private::range_inclusive)
    } else {
        quote!(::penny::__private::range)
    };
    let adapters = range
        .adapters
        .iter()
        .map(|(method, args)| quote!(.#method(#(#args),*)));
    quote!(#constructor(#start, #end)#(#adapters)*)
}
