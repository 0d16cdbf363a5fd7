//! The state machine inside `step`: one arm of code per resume point (the start of the
//! function, each resumable loop's head, the code after each loop and after each branch),
//! numbered in program order and laid out in that order (`expand::resume_chain`).
//!
//! Each arm is a scope of its own. It starts by loading what is in scope there — the
//! arguments, the carried variables (fields), the loop variables of enclosing loops
//! (re-derived from their cursors) and closures (created again) — into locals named like the
//! user's variables, then runs the user's code as written, `let`s included. Wherever the arm
//! leaves (into another arm, or out of `step` at a yield), it first stores the variables that
//! may have changed and that the code it enters can still name. A leaf loop's arm runs a chunk
//! of iterations as a plain `for` over `cursor..min(cursor + budget, len)`.
//!
//! Jumps between arms ([`link_arms`]): a nested loop's head or exit, jumped to from one place,
//! gets its arm's code copied there; a jump back to the start of code that encloses it (an
//! outer loop's head, from the end of its body) restarts a `'penny_at_N: loop` around that
//! code; a jump to a later arm is a `break 'penny_to_N` to that arm's start; only the rest
//! (a jump back to an earlier arm's own code) is `continue 'penny_resume`, back through the
//! dispatching `match`.

use std::collections::HashMap;

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::visit_mut::VisitMut;
use syn::{Expr, Ident, Pat, Stmt};

use crate::ast::{Access, BindingId, Branch, BranchKind, Head, ItemsHead, Loop, Part, Seq, Source};
use crate::ctxt::Errors;
use crate::kernel::Kernel;
use crate::rewrite::{label_name, Jump, Rewriter, Target};

/// What the emitter knows about one resumable loop.
pub(crate) struct LoopInfo {
    pub(crate) head: u32,
    pub(crate) exit: u32,
    /// Field counting finished iterations (`for` loops, and `while`/`loop` phases).
    pub(crate) done: Option<Ident>,
    /// Field holding the range length (phases over a pure range).
    pub(crate) len: Option<Ident>,
    /// Field keeping an impure range, evaluated once when the loop started.
    pub(crate) saved: Option<Ident>,
    /// Tokens that evaluate the range (`for` loops).
    pub(crate) range: Option<TokenStream>,
    /// Tokens that give the typed range on resume: `range` itself when it is pure, else the
    /// saved range typed by a never-called closure over the range expression.
    pub(crate) access: Option<TokenStream>,
    /// Names the range expression reads (for `progress` before the loop starts).
    pub(crate) reads: Vec<String>,
    /// How the docs name the loop: `for i`, `while`, `'rows`.
    pub(crate) name: String,
    /// `#[penny::split]`: the loop's split fields.
    pub(crate) split: Option<crate::split::SplitFields>,
    /// Fields holding chunk sizes that may change in the body (`data.chunks(k)` with a
    /// `mut k`), each with the size expression: evaluated once when the loop starts, as Rust
    /// evaluates the iterator once.
    pub(crate) chunk_sizes: Vec<(Ident, Expr)>,
    /// An items loop's head as the lowering reads it: with those sizes read from their fields.
    pub(crate) items: Option<ItemsHead>,
}

/// The finished lowering of a kernel's body.
pub(crate) struct Lowered {
    /// The code of each resume point of `step`, in program order: (resume point, code).
    pub(crate) arms: Vec<(u32, TokenStream)>,
    /// Items declared in the body, hoisted to the top of `step`.
    pub(crate) hoisted: Vec<Stmt>,
    /// One entry per resumable loop.
    pub(crate) infos: Vec<LoopInfo>,
    /// The field holding the resume point.
    pub(crate) phase_field: Ident,
    /// The field holding the output.
    pub(crate) output_field: Ident,
    /// The field telling a half from the task it was split from (kernels with split loops).
    pub(crate) half_field: Option<Ident>,
    /// The split loops, for `Task::split` / `split_state` / `join`.
    pub(crate) splits: Vec<crate::split::SplitLoop>,
}

/// Lowers the kernel's body into dispatcher arms and `progress()`.
pub(crate) fn lower(kernel: &Kernel, errors: &mut Errors) -> Lowered {
    let mut taken: std::collections::HashSet<String> = kernel
        .vars
        .bindings
        .iter()
        .filter_map(|b| b.field.as_ref().map(|f| f.to_string()))
        .collect();
    let phase_field = fresh("phase", &mut taken);
    let output_field = fresh("output", &mut taken);
    let mut emitter = Emitter {
        kernel,
        infos: Vec::new(),
        joins: HashMap::new(),
        arms: Vec::new(),
        hoisted: Vec::new(),
        phase_field,
        output_field,
        scopes: vec![kernel
            .args
            .iter()
            .enumerate()
            .map(|(id, a)| Entry {
                name: a.name.to_string(),
                id,
                kind: EntryKind::Field,
            })
            .collect()],
        loop_scopes: HashMap::new(),
        splices: Vec::new(),
        half_field: None,
        splits: Vec::new(),
        errors,
    };
    emitter.collect_infos(kernel.body, 0, &mut taken);
    if emitter.infos.iter().any(|i| i.split.is_some()) {
        emitter.half_field = Some(fresh("half", &mut taken));
    }
    emitter.assign_pcs(kernel.body, &mut 1);
    let first = emitter.entry(0);
    let arm = emitter.seq(kernel.body, first, true);
    emitter.close(arm);
    // Resume points inside a phase's body: copying them to their one jump site keeps an
    // outer iteration out of the dispatcher (the phases' own chain stays one arm each, as
    // it reads in `cargo expand`).
    let nested: std::collections::HashSet<u32> = kernel
        .loops
        .iter()
        .filter(|l| l.depth > 0)
        .flat_map(|l| [emitter.infos[l.id].head, emitter.infos[l.id].exit])
        .collect();
    Lowered {
        arms: link_arms(emitter.arms, &nested),
        hoisted: emitter.hoisted,
        infos: emitter.infos,
        phase_field: emitter.phase_field,
        output_field: emitter.output_field,
        half_field: emitter.half_field,
        splits: emitter.splits,
    }
}

/// A name in scope where code is being emitted.
struct Entry {
    name: String,
    id: BindingId,
    kind: EntryKind,
}

#[derive(Clone, Copy, PartialEq)]
enum EntryKind {
    /// An argument or a carried variable: loaded from and stored to its field.
    Field,
    /// The pattern of a loop holding resumable loops: re-derived from its cursor.
    LoopVar(usize),
    /// A closure created again on resume.
    Closure,
    /// Lives within one arm.
    Local,
}

/// Builds the dispatcher arms of one kernel.
struct Emitter<'k, 'e> {
    kernel: &'k Kernel<'k>,
    infos: Vec<LoopInfo>,
    /// Resume point after each branch, by address.
    joins: HashMap<*const Branch, u32>,
    /// Closed arms: resume point and code (its jumps still as `__penny_goto_N` marks).
    arms: Vec<(u32, TokenStream)>,
    hoisted: Vec<Stmt>,
    phase_field: Ident,
    output_field: Ident,
    /// Names in scope, outermost first; scope 0 holds the arguments.
    scopes: Vec<Vec<Entry>>,
    /// Index in `scopes` of each enclosing loop's body scope.
    loop_scopes: HashMap<usize, usize>,
    /// Code of arms that open inline inside a branch, collected for the branch.
    splices: Vec<Option<Vec<TokenStream>>>,
    /// See [`Lowered::half_field`].
    half_field: Option<Ident>,
    /// See [`Lowered::splits`].
    splits: Vec<crate::split::SplitLoop>,
    errors: &'e mut Errors,
}

/// One arm of the dispatcher, being filled.
struct Arm {
    pc: u32,
    code: Vec<TokenStream>,
    /// The code goes inline into the enclosing branch instead of an arm of its own.
    splice: bool,
    /// User code ran since the arm loaded its variables (mutable ones may differ).
    ran: bool,
    /// Bindings whose `let` ran in this arm.
    declared: Vec<BindingId>,
    /// Unreachable: after a branch that ends the function in every arm.
    dead: bool,
    /// Bindings of scopes that closed while this arm's code goes on in the same block (a
    /// loop body's or a branch arm's, before the jump that ends it): out of scope for the
    /// user's code, but their names still shadow outer ones in the generated code.
    lexical: Vec<Entry>,
    /// The closures `entry` created again: their line in `code`, and their name.
    closures: Vec<(usize, Ident)>,
}

impl<'k> Emitter<'k, '_> {
    /// `level`: the loops around `seq`, not counting labelled blocks (loops run once), whose
    /// loops `progress` reads as the enclosing loop's own.
    fn collect_infos(
        &mut self,
        seq: &Seq,
        level: usize,
        taken: &mut std::collections::HashSet<String>,
    ) {
        for part in &seq.parts {
            match part {
                Part::Loop(l) => {
                    self.loop_info(l, level, taken);
                    let inner = if l.runs_once { level } else { level + 1 };
                    self.collect_infos(&l.body, inner, taken);
                }
                Part::Branch(b) => {
                    for arm in &b.arms {
                        self.collect_infos(arm, level, taken);
                    }
                }
                _ => {}
            }
        }
    }

    fn loop_info(&mut self, l: &Loop, level: usize, taken: &mut std::collections::HashSet<String>) {
        let phase = l.depth == 0;
        let base = match (&l.label, &l.head) {
            (Some(label), _) => label.name.ident.to_string(),
            (
                None,
                Head::For {
                    pat: Pat::Ident(p), ..
                },
            ) => p.ident.to_string(),
            (None, Head::For { names, .. }) if names.len() == 1 => names[0].ident.to_string(),
            _ => format!("loop{}", l.id),
        };
        // A second loop over `i` gets `i2_done`, a third `i3_done`, ...
        let mut stem = base.clone();
        let mut n = 2;
        while ["done", "len", "range"]
            .iter()
            .any(|s| taken.contains(&format!("{stem}_{s}")))
        {
            stem = format!("{base}{n}");
            n += 1;
        }
        let name = match (&l.label, &l.head) {
            (Some(label), _) => format!("'{}", label.name.ident),
            (None, Head::For { pat, .. }) => format!("for {}", quote!(#pat)),
            (None, Head::While { .. }) => "while".to_string(),
            (None, Head::Loop) => "loop".to_string(),
        };
        let mut info = LoopInfo {
            head: 0,
            exit: 0,
            done: None,
            len: None,
            saved: None,
            range: None,
            access: None,
            reads: Vec::new(),
            name,
            split: None,
            chunk_sizes: Vec::new(),
            items: None,
        };
        match &l.head {
            Head::For { source, .. } => {
                info.done = Some(fresh(&format!("{stem}_done"), taken));
                let (tokens, pure, reads) = match source {
                    Source::Range(range) => {
                        let pure = crate::pure::is_pure(&range.expr, &self.kernel.immutables);
                        (
                            range_tokens(range),
                            pure,
                            crate::names::used_names_expr(&range.expr),
                        )
                    }
                    // The count of an items loop depends on lengths that can't change while
                    // the loop borrows its sources.
                    Source::Items(items) => {
                        let mut items = items.clone();
                        for source in &mut items.sources {
                            if let Access::Chunks { size, .. } = &mut source.access {
                                if !crate::pure::is_pure(size, &self.kernel.immutables) {
                                    let field = fresh(&format!("{stem}_chunk"), taken);
                                    let read = syn::parse_quote!(self.#field);
                                    info.chunk_sizes
                                        .push((field, std::mem::replace(size, read)));
                                }
                            }
                        }
                        let count = items_count(&items);
                        info.items = Some(items);
                        let reads = crate::names::used_names_expr(&syn::parse_quote!(#count));
                        (
                            quote!(::penny::__private::range(0usize, #count)),
                            true,
                            reads,
                        )
                    }
                };
                let mut reads: Vec<String> = reads.into_iter().collect();
                reads.sort();
                info.reads = reads;
                if pure {
                    // Phases and the loops right inside them keep their length for progress.
                    info.len = (level <= 1).then(|| fresh(&format!("{stem}_len"), taken));
                    info.access = Some(tokens.clone());
                } else if let Source::Range(range) = source {
                    let saved = fresh(&format!("{stem}_range"), taken);
                    let expr = &range.expr;
                    let typed = if range.inclusive || !range.adapters.is_empty() {
                        quote!(progression)
                    } else {
                        quote!(forward)
                    };
                    info.access =
                        Some(quote!(self.#saved.#typed(::penny::__private::item_of(|| (#expr)))));
                    info.saved = Some(saved);
                }
                info.range = Some(tokens);
                if let Some(spec) = &l.split {
                    info.split = Some(crate::split::SplitFields {
                        stop: fresh(&format!("{stem}_stop"), taken),
                        halves: fresh(&format!("{stem}_halves"), taken),
                        leaf: fresh(&format!("{stem}_leaf"), taken),
                        partials: spec
                            .reductions
                            .iter()
                            .map(|r| {
                                matches!(r.op, crate::split::ReduceOp::Builtin(_))
                                    .then(|| fresh(&format!("{}_partials", r.name), taken))
                            })
                            .collect(),
                    });
                }
            }
            _ => {
                if phase {
                    info.done = Some(fresh(&format!("{stem}_done"), taken));
                }
            }
        }
        debug_assert_eq!(self.infos.len(), l.id);
        self.infos.push(info);
    }

    /// Numbers the resume points in program order (`progress` compares them).
    fn assign_pcs(&mut self, seq: &Seq, next: &mut u32) {
        for part in &seq.parts {
            match part {
                Part::Loop(l) => {
                    self.infos[l.id].head = *next;
                    *next += 1;
                    if !l.is_leaf() {
                        self.assign_pcs(&l.body, next);
                    }
                    self.infos[l.id].exit = *next;
                    *next += 1;
                }
                Part::Branch(b) => {
                    for arm in &b.arms {
                        self.assign_pcs(arm, next);
                    }
                    self.joins.insert(&**b as *const Branch, *next);
                    *next += 1;
                }
                _ => {}
            }
        }
    }

    // ---- arms ----------------------------------------------------------------------------

    /// A new arm at `pc` that starts by loading everything in scope.
    fn entry(&self, pc: u32) -> Arm {
        let mut code = Vec::new();
        let mut closures = Vec::new();
        for entry in self.scopes.iter().flatten() {
            let binding = self.kernel.vars.get(entry.id);
            match entry.kind {
                EntryKind::Field => {
                    let name = &binding.ident;
                    let field = binding.field.as_ref().expect("fields are named");
                    let mutability = binding.mutable.then(|| quote!(mut));
                    let view = binding.is_arg
                        && crate::views::kind(&self.kernel.args[entry.id].ty).is_some();
                    if view {
                        // A buffer view: open for as long as the arm runs.
                        code.push(crate::views::open(name, quote!(self.#field)));
                    } else if binding.opaque() {
                        code.push(quote!(let #mutability #name = ::penny::__private::carried(self.#field);));
                    } else {
                        code.push(quote!(let #mutability #name = self.#field;));
                    }
                }
                EntryKind::LoopVar(id) => {
                    // One entry per name; the pattern is bound at its first name.
                    let first = self
                        .scopes
                        .iter()
                        .flatten()
                        .find(|e| e.kind == EntryKind::LoopVar(id))
                        .map(|e| e.id);
                    if first == Some(entry.id) {
                        code.push(self.rebind(id));
                    }
                }
                EntryKind::Closure => {
                    let name = &binding.ident;
                    let closure = binding.closure.as_ref().expect("a closure binding");
                    closures.push((code.len(), name.clone()));
                    code.push(quote!(let #name = #closure;));
                }
                EntryKind::Local => {}
            }
        }
        Arm {
            pc,
            code,
            splice: false,
            ran: false,
            declared: Vec::new(),
            dead: false,
            lexical: Vec::new(),
            closures,
        }
    }

    fn close(&mut self, mut arm: Arm) {
        if arm.dead {
            return;
        }
        // A closure the arm creates again but doesn't use goes: its parameters may have no
        // type but the one a use gives (`|i| i % 17` passed to a helper), and rustc asks for
        // one (E0284). Last first, so a closure only another unused one reads goes too.
        for (line, name) in arm.closures.iter().rev() {
            let name = name.to_string();
            let used = arm.code[line + 1..]
                .iter()
                .any(|code| crate::names::name_in_tokens(code.clone(), &name).is_some());
            if !used {
                arm.code[*line] = TokenStream::new();
            }
        }
        if arm.splice {
            *self.splices.last_mut().expect("a branch is open") = Some(arm.code);
            return;
        }
        let code = arm.code;
        self.arms.push((arm.pc, quote!(#(#code)*)));
    }

    /// Stores what may have changed into the fields, for the scopes `..keep` (the ones the
    /// jump doesn't leave), skipping names the current scopes shadow.
    fn stores(&self, arm: &Arm, keep: usize) -> TokenStream {
        let mut code = Vec::new();
        // Innermost last: a binding whose name a later one takes can't be named to be stored
        // (nor can it have changed since: the user's code can't name it either).
        let visible: Vec<&Entry> = self.scopes.iter().flatten().chain(&arm.lexical).collect();
        for scope in self.scopes.iter().take(keep) {
            for entry in scope {
                if entry.kind != EntryKind::Field {
                    continue;
                }
                let shadowed = visible
                    .iter()
                    .rev()
                    .find(|e| e.name == entry.name)
                    .is_some_and(|e| e.id != entry.id);
                let binding = self.kernel.vars.get(entry.id);
                let dirty = arm.declared.contains(&entry.id) || (binding.mutable && arm.ran);
                if shadowed || !dirty {
                    continue;
                }
                let (name, field) = (&binding.ident, binding.field.as_ref().expect("named"));
                if binding.opaque() {
                    code.push(quote!(self.#field = ::core::option::Option::Some(#name);));
                } else {
                    code.push(quote!(self.#field = #name;));
                }
            }
        }
        quote!(#(#code)*)
    }

    /// Stores everything that may have changed, and marks the arm clean: done before a name
    /// gets shadowed, after which its value can't be named to be stored.
    fn flush(&self, arm: &mut Arm) {
        let stores = self.stores(arm, self.scopes.len());
        arm.code.push(stores);
        arm.ran = false;
        arm.declared.clear();
    }

    /// Leaves the arm for `pc`, keeping the scopes `..keep`.
    fn goto(&self, arm: &Arm, keep: usize, pc: u32) -> TokenStream {
        let stores = self.stores(arm, keep);
        let mark = goto_mark(pc);
        let pc = pc_literal(pc);
        quote!({ #stores penny_phase = #pc; #mark })
    }

    /// Returns `Yielded` from `step`, to resume at this arm.
    fn yield_here(&self, arm: &Arm) -> TokenStream {
        let stores = self.stores(arm, self.scopes.len());
        quote!({ #stores break 'penny_resume PennyStep::Yielded; })
    }

    // ---- sequences -----------------------------------------------------------------------

    /// Emits `seq` starting in `arm`; returns the arm still open at its end. `top` is the
    /// function body or a tail branch's arm, whose tail is the task's output.
    fn seq(&mut self, seq: &'k Seq, mut arm: Arm, top: bool) -> Arm {
        self.scopes.push(Vec::new());
        for part in &seq.parts {
            match part {
                Part::Stmt(Stmt::Item(item)) => self.hoisted.push(Stmt::Item(item.clone())),
                Part::Stmt(stmt) => self.user_stmt(stmt, &mut arm),
                Part::Let(l) => self.user_let(l, &mut arm),
                Part::Loop(l) => {
                    self.enter_loop(l, &mut arm);
                    self.close(arm);
                    self.loop_arms(l);
                    if let Some(result) = &l.result {
                        for name in &result.names {
                            self.push(name.ident.to_string(), name.id, EntryKind::Field);
                        }
                    }
                    arm = self.entry(self.infos[l.id].exit);
                }
                Part::Branch(b) => arm = self.branch(b, arm),
            }
        }
        if top && !arm.dead {
            let value = match &seq.tail {
                Some(tail) => {
                    let mut tail = tail.clone();
                    let mut rewriter = Rewriter::new(&[], quote!());
                    rewriter.visit_expr_mut(&mut tail);
                    quote!(#tail)
                }
                None => quote!(()),
            };
            arm.code
                .push(quote!(break 'penny_resume PennyStep::Done(#value);));
        }
        let closed = self.scopes.pop().expect("the scope this pushed");
        arm.lexical.extend(closed);
        arm
    }

    fn push(&mut self, name: String, id: BindingId, kind: EntryKind) {
        self.scopes
            .last_mut()
            .expect("a scope is open")
            .push(Entry { name, id, kind });
    }

    /// The enclosing resumable loops as jump targets, innermost last; `native` is the chunk
    /// loop the code runs in, whose `continue` needs no rewrite.
    fn targets(&self, native: Option<usize>) -> Vec<Target> {
        let mut loops: Vec<(usize, usize)> = self
            .loop_scopes
            .iter()
            .map(|(id, depth)| (*id, *depth))
            .collect();
        loops.sort_by_key(|(id, depth)| (*depth, *id));
        loops
            .into_iter()
            .map(|(id, _)| self.target(id, native == Some(id)))
            .collect()
    }

    fn target(&self, loop_id: usize, native_continue: bool) -> Target {
        let l = self.kernel.loops[loop_id];
        let take_value = l.result.as_ref().map(|result| {
            let pat = &result.local.pat;
            let stores = result.names.iter().map(|name| {
                let binding = self.kernel.vars.get(name.id);
                let (ident, field) = (&binding.ident, binding.field.as_ref().expect("named"));
                if binding.opaque() {
                    quote!(self.#field = ::core::option::Option::Some(#ident);)
                } else {
                    quote!(self.#field = #ident;)
                }
            });
            quote!({ let #pat = penny_value; #(#stores)* })
        });
        Target {
            label: label_name(&l.label),
            loop_id,
            native_continue,
            take_value,
        }
    }

    /// The code that enters the target of each jump, after the user's code escaped.
    fn dispatch(&self, arm: &Arm, jumps: &[Jump], targets: &[Target]) -> TokenStream {
        self.dispatch_except(arm, jumps, targets, None)
    }

    /// [`Self::dispatch`], where the `break`s of loop `own` (a leaf loop whose arm this is) do
    /// nothing: they go on to that arm's own exit, which the arm's code reaches next (it must
    /// skip the yield when `penny_jump != 0`). The code after the loop then has one jump site
    /// instead of two, and [`link_arms`] can copy it there.
    fn dispatch_except(
        &self,
        arm: &Arm,
        jumps: &[Jump],
        targets: &[Target],
        own: Option<usize>,
    ) -> TokenStream {
        if jumps.is_empty() {
            return quote!();
        }
        let code = |index: usize| proc_macro2::Literal::u32_unsuffixed(index as u32 + 1);
        let is_own = |jump: &Jump| own.is_some_and(|own| breaks_out_of(jump, targets, own));
        if jumps.iter().all(is_own) {
            return quote!();
        }
        let own_codes = jumps
            .iter()
            .enumerate()
            .filter(|(_, jump)| is_own(jump))
            .map(|(index, _)| code(index));
        let cases = jumps
            .iter()
            .enumerate()
            .filter(|(_, jump)| !is_own(jump))
            .map(|(index, jump)| {
                let code = code(index);
                let loop_id = targets[jump.target].loop_id;
                let info = &self.infos[loop_id];
                let keep = self.loop_scopes[&loop_id];
                let stores = self.stores(arm, keep);
                let (pc, advance) = if jump.is_break {
                    (info.exit, quote!())
                } else {
                    let advance = match (&self.kernel.loops[loop_id].head, &info.done) {
                        (Head::For { .. }, Some(done)) => quote!(self.#done += 1;),
                        _ => quote!(),
                    };
                    (info.head, advance)
                };
                let mark = goto_mark(pc);
                let pc = pc_literal(pc);
                quote!(#code => { #stores #advance penny_phase = #pc; #mark })
            });
        quote! {
            match penny_jump {
                0 #(| #own_codes)* => {}
                #(#cases)*
                _ => unreachable!("no such jump"),
            }
        }
    }

    /// The dispatch after leaf loop `own`'s chunk ([`Self::dispatch_except`]: its own `break`s
    /// go on to its exit), and the condition its yield must add when one of them can have
    /// been taken (`penny_jump == 0 &&`: a loop left by `break` is done, whatever is left of
    /// its budget or range).
    fn leaf_dispatch(
        &self,
        arm: &Arm,
        jumps: &[Jump],
        targets: &[Target],
        own: usize,
    ) -> (TokenStream, Option<TokenStream>) {
        let dispatch = self.dispatch_except(arm, jumps, targets, Some(own));
        let unbroken = jumps
            .iter()
            .any(|jump| breaks_out_of(jump, targets, own))
            .then(|| quote!(penny_jump == 0 &&));
        (dispatch, unbroken)
    }

    /// A statement of the kernel's own code, run as written.
    fn user_stmt(&mut self, stmt: &Stmt, arm: &mut Arm) {
        let mut stmt = normalize(stmt.clone());
        let targets = self.targets(None);
        let mut rewriter = Rewriter::new(&targets, quote!(break 'penny_stmt));
        rewriter.visit_stmt_mut(&mut stmt);
        let jumps = std::mem::take(&mut rewriter.jumps);
        arm.ran = true;
        if jumps.is_empty() {
            arm.code.push(quote!(#stmt));
            return;
        }
        let dispatch = self.dispatch(arm, &jumps, &targets);
        arm.code.push(quote! {
            let mut penny_jump = 0u32;
            'penny_stmt: { #stmt }
            #dispatch
        });
    }

    /// A `let` of the kernel: a real `let`, so its names mean what they mean in the kernel.
    fn user_let(&mut self, l: &'k crate::ast::Let, arm: &mut Arm) {
        let shadows = l.names.iter().any(|name| {
            self.scopes
                .iter()
                .flatten()
                .any(|e| name.ident == e.name && e.kind == EntryKind::Field)
        });
        if shadows {
            self.flush(arm);
        }
        let mut local = l.local.clone();
        let targets = self.targets(None);
        let flow = quote!(::core::ops::ControlFlow);
        let mut rewriter = Rewriter::new(&targets, quote!(break 'penny_stmt #flow::Break(())));
        if let Some(init) = &mut local.init {
            rewriter.visit_expr_mut(&mut init.expr);
        }
        let init_jumps = std::mem::take(&mut rewriter.jumps);
        let mut else_rewriter = Rewriter::new(&targets, quote!(break 'penny_stmt));
        if let Some(init) = &mut local.init {
            if let Some((_, diverge)) = &mut init.diverge {
                else_rewriter.visit_expr_mut(diverge);
            }
        }
        let else_jumps = std::mem::take(&mut else_rewriter.jumps);
        arm.ran = true;
        // A carried `let x: T;` of plain data starts at `ZERO`, so it can be stored before
        // the kernel assigns it.
        if local.init.is_none() {
            let carried: Vec<_> = l
                .names
                .iter()
                .filter(|n| self.kernel.vars.get(n.id).carried)
                .collect();
            if let (Pat::Type(pt), [name]) = (&local.pat, carried.as_slice()) {
                let binding = self.kernel.vars.get(name.id);
                if binding.opaque() {
                    self.errors.at(
                        &name.ident,
                        format!(
                            "`{0}` lives across an iteration boundary and has a type Penny can't \
                             give a starting value; give it its value where it is declared \
                             (`let {0} = ...;`)",
                            name.ident
                        ),
                    );
                } else {
                    let ty = &pt.ty;
                    let ident = &name.ident;
                    let stmt: Stmt =
                        syn::parse_quote!(let mut #ident: #ty = <#ty as ::penny::Pod>::ZERO;);
                    if let Stmt::Local(zeroed) = stmt {
                        local = zeroed;
                    }
                }
            }
        }
        if let Some(init) = &mut local.init {
            if !init_jumps.is_empty() {
                let dispatch = self.dispatch(arm, &init_jumps, &targets);
                let value = &init.expr;
                *init.expr = syn::parse_quote! {
                    match 'penny_stmt: { #flow::Continue(#value) } {
                        #flow::Continue(penny_value) => penny_value,
                        #flow::Break(()) => { #dispatch unreachable!() }
                    }
                };
            }
            if !else_jumps.is_empty() {
                let dispatch = self.dispatch(arm, &else_jumps, &targets);
                if let Some((_, diverge)) = &mut init.diverge {
                    let block = &diverge;
                    **diverge = syn::parse_quote!({
                        let mut penny_jump = 0u32;
                        'penny_stmt: { #block }
                        #dispatch
                        unreachable!()
                    });
                }
            }
        }
        let needs_jump = !init_jumps.is_empty();
        if needs_jump {
            arm.code.push(quote!(let mut penny_jump = 0u32;));
        }
        // The user's `let f = |..| ..;` of a closure created again on resume: creating one
        // does nothing, so where this arm doesn't use it, `close` drops it as it drops the
        // arm's re-created ones.
        if let [name] = l.names.as_slice() {
            if self.kernel.vars.get(name.id).recreate && !needs_jump {
                arm.closures.push((arm.code.len(), name.ident.clone()));
            }
        }
        arm.code.push(quote!(#local));
        for name in &l.names {
            let binding = self.kernel.vars.get(name.id);
            let kind = if binding.carried {
                arm.declared.push(name.id);
                EntryKind::Field
            } else if binding.recreate {
                EntryKind::Closure
            } else {
                EntryKind::Local
            };
            self.push(name.ident.to_string(), name.id, kind);
        }
    }

    /// Loop entry, in the arm before the loop: evaluate what must be evaluated once.
    fn enter_loop(&mut self, l: &'k Loop, arm: &mut Arm) {
        // Evaluating the range runs user code, which may change mutable variables.
        arm.ran = true;
        // A split loop runs to `stop`: the whole range until it splits.
        let split_entry = match (&self.infos[l.id].split, self.infos[l.id].access.clone()) {
            (Some(_), Some(access)) => self
                .split_loop(l)
                .map(|split| crate::split::entry(split, &access)),
            _ => None,
        };
        let info = &self.infos[l.id];
        let mut code = Vec::new();
        if let Some(done) = &info.done {
            code.push(quote!(self.#done = 0;));
        }
        if let Head::For {
            source: Source::Items(items),
            ..
        } = &l.head
        {
            for source in &items.sources {
                // `for x in arr` iterates a copy of `arr` taken when the loop starts; the
                // lowered loop reads `arr` itself, chunk after chunk.
                let name = source.data.to_string();
                if let (Access::Value, Some(change)) =
                    (&source.access, crate::changes::change_in(&l.body, &name))
                {
                    let what = match &change.method {
                        None => format!("`{name}` is changed"),
                        Some(method) => format!(
                            "`{name}` may be changed (`.{method}()` is not known to only read)"
                        ),
                    };
                    self.errors.at_span(
                        change.at,
                        format!(
                            "{what} in the body of the loop that iterates over it: Rust \
                             iterates over a copy taken when the loop starts, which a resumable \
                             loop doesn't keep. Iterate over a copy: `let items = {name}; for .. \
                             in items`"
                        ),
                    );
                }
            }
            // The sizes as the lowering reads them: a field set here for one that may change.
            for (field, size) in &self.infos[l.id].chunk_sizes {
                code.push(quote!(self.#field = #size;));
            }
            let items = self.infos[l.id]
                .items
                .as_ref()
                .expect("an items loop's head");
            for source in &items.sources {
                if let Access::Chunks { size, .. } = &source.access {
                    code.push(quote!(assert!(#size != 0, "chunk size must be non-zero");));
                }
            }
        }
        if let (Some(len), Some(range)) = (&info.len, &info.range) {
            code.push(quote!(self.#len = #range.len();));
        }
        if let (Some(saved), Some(range)) = (&info.saved, &info.range) {
            // The only evaluation of this range, as Rust evaluates it once.
            code.push(quote!(self.#saved = #range.save();));
        }
        code.extend(split_entry);
        arm.code.extend(code);
        let goto = self.goto(arm, self.scopes.len(), info.head);
        arm.code.push(goto);
    }

    /// The arms of one resumable loop.
    fn loop_arms(&mut self, l: &'k Loop) {
        if let (Some(spec), false) = (&l.split, l.is_leaf()) {
            self.errors.at_span(
                spec.span,
                "a `#[penny::split]` loop can't hold resumable loops (loops whose body ends \
                 with `penny::yield_now!()`): split the innermost one",
            );
        }
        if l.is_leaf() {
            self.leaf_arm(l);
            return;
        }
        let outer = self.scopes.len();
        let mut arm = self.entry(self.infos[l.id].head);
        let info = &self.infos[l.id];
        let exit = self.goto(&arm, outer, info.exit);
        let yielded = self.yield_here(&arm);
        match &l.head {
            Head::For { .. } => {
                let range = info.access.clone().expect("for loops have a range");
                let done = info.done.clone().expect("for loops have a cursor");
                arm.code.push(quote! {
                    if self.#done == #range.len() #exit
                    if penny_budget == 0 #yielded
                    penny_budget -= 1;
                });
            }
            Head::While { cond } => {
                let mut cond = cond.clone();
                let targets = self.targets(None);
                let mut rewriter = Rewriter::new(&targets, quote!());
                rewriter.visit_expr_mut(&mut cond);
                if !rewriter.jumps.is_empty() {
                    self.errors.at(
                        &cond,
                        "a `while` condition that jumps out of a resumable loop can't be \
                         lowered: compute it in a variable inside the loop body",
                    );
                }
                // The condition is user code: what it changes is stored on the way out.
                arm.ran = true;
                let exit = self.goto(&arm, outer, info.exit);
                arm.code.push(quote! {
                    if penny_budget == 0 #yielded
                    if !(#cond) #exit
                    penny_budget -= 1;
                });
                if let Some(done) = &info.done {
                    arm.code.push(quote!(self.#done += 1;));
                }
            }
            Head::Loop => {
                // A labelled block (a loop run once) takes no budget: its loops do.
                if !l.runs_once {
                    arm.code.push(quote! {
                        if penny_budget == 0 #yielded
                        penny_budget -= 1;
                    });
                }
                if let Some(done) = &info.done {
                    arm.code.push(quote!(self.#done += 1;));
                }
            }
        }
        // The body's scope: the loop variable first, re-derived at every arm of the body.
        self.loop_scopes.insert(l.id, outer);
        self.scopes.push(Vec::new());
        if let Head::For { names, .. } = &l.head {
            for name in names {
                self.push(name.ident.to_string(), name.id, EntryKind::LoopVar(l.id));
            }
            arm.code.push(self.rebind(l.id));
        }
        let mut arm = self.seq(&l.body, arm, false);
        let info = &self.infos[l.id];
        let advance = match (&l.head, &info.done) {
            (Head::For { .. }, Some(done)) => quote!(self.#done += 1;),
            _ => quote!(),
        };
        let again = self.goto(&arm, outer, info.head);
        arm.code.push(quote!(#advance #again));
        self.scopes.pop();
        self.loop_scopes.remove(&l.id);
        self.close(arm);
    }

    /// `let PAT = <element of iteration self.done>` for a loop holding resumable loops.
    fn rebind(&self, loop_id: usize) -> TokenStream {
        let l = self.kernel.loops[loop_id];
        let info = &self.infos[loop_id];
        let Head::For { pat, source, .. } = &l.head else {
            return quote!();
        };
        let range = info.access.as_ref().expect("for loops have a range");
        let done = info.done.as_ref().expect("for loops have a cursor");
        match source {
            Source::Range(_) => {
                if matches!(pat, Pat::Wild(_)) {
                    quote!()
                } else {
                    quote!(let #pat = #range.nth(self.#done);)
                }
            }
            Source::Items(_) => {
                let items = info.items.as_ref().expect("an items loop's head");
                let elem = items_element(items);
                quote! {
                    let penny_index = #range.nth(self.#done);
                    let #pat = #elem;
                }
            }
        }
    }

    /// Resolves a split loop's reductions to the variables in scope at the loop and records
    /// what `Task::split` and `join` need (its body was checked by `split::check_loops`).
    fn split_loop(&mut self, l: &'k Loop) -> Option<&crate::split::SplitLoop> {
        let spec = l.split.as_ref()?;
        let info = &self.infos[l.id];
        let fields = info.split.clone()?;
        let done = info.done.clone()?;
        let head = info.head;
        let mut reductions = Vec::new();
        for (r, partials) in spec.reductions.iter().zip(&fields.partials) {
            let name = r.name.to_string();
            let found = self
                .visible(&name)
                .filter(|e| e.kind == EntryKind::Field)
                .map(|e| e.id);
            let Some(id) = found else {
                self.errors.at(&r.name, crate::split::not_carried(&name));
                continue;
            };
            let binding = self.kernel.vars.get(id);
            if let (crate::split::ReduceOp::Builtin(_), Some(ty)) = (&r.op, &binding.ty) {
                let generics = &self.kernel.func.sig.generics;
                if let Some(kind) = crate::split::never_builtin(ty, generics) {
                    // Said here once, instead of by rustc at every use of the reduction
                    // (`split::check_loops` says it first where it can tell the binding).
                    self.errors.at(&r.name, crate::split::refused(&name, &kind));
                    continue;
                }
            }
            let op = crate::split::ReduceOpTokens::from(&r.op);
            let partials = match (partials, &binding.ty) {
                (Some(p), Some(ty)) if !binding.opaque() => Some((p.clone(), ty.clone())),
                _ => None,
            };
            let unseen = match (&op, &binding.ty) {
                (crate::split::ReduceOpTokens::Builtin(_), Some(ty)) if partials.is_none() => {
                    Some(ty.clone())
                }
                _ => None,
            };
            reductions.push(crate::split::Reduced {
                name: binding.ident.clone(),
                field: binding.field.clone().expect("fields are named"),
                opaque: binding.opaque(),
                op,
                partials,
                unseen,
            });
        }
        self.splits.push(crate::split::SplitLoop {
            head,
            done,
            fields,
            reductions,
        });
        self.splits.last()
    }

    /// The binding the user's code means by `name` here: the innermost in scope.
    fn visible(&self, name: &str) -> Option<&Entry> {
        self.scopes.iter().flatten().rev().find(|e| e.name == name)
    }

    /// A leaf loop: one arm that runs a chunk of iterations as a plain loop.
    fn leaf_arm(&mut self, l: &'k Loop) {
        let outer = self.scopes.len();
        let mut arm = self.entry(self.infos[l.id].head);
        self.loop_scopes.insert(l.id, outer);
        let info = &self.infos[l.id];
        let (done, exit_pc) = (info.done.clone(), info.exit);
        let chunk_label = match &l.label {
            Some(label) => label.name.clone(),
            None => syn::Lifetime::new("'penny_chunk", Span::call_site()),
        };
        let targets = self.targets(Some(l.id));
        let mut rewriter = Rewriter::new(&targets, quote!(break #chunk_label));
        let mut body: syn::Block = {
            let stmts: Vec<Stmt> = l
                .body
                .parts
                .iter()
                .map(|part| match part {
                    Part::Stmt(stmt) => stmt.clone(),
                    Part::Let(l) => Stmt::Local(l.local.clone()),
                    _ => unreachable!("a leaf holds no resumable loop"),
                })
                .collect();
            syn::parse_quote!({ #(#stmts)* })
        };
        if let Some(spec) = &l.split {
            // A part's running value of a `+`/`*` reduction wraps, as its combine does.
            for r in &spec.reductions {
                if let crate::split::ReduceOp::Builtin(marker) = &r.op {
                    if let Some(op) = crate::updates::Op::from_marker(&marker.to_string()) {
                        crate::updates::wrap(&mut body, &r.name.to_string(), op);
                    }
                }
            }
        }
        rewriter.visit_block_mut(&mut body);
        let jumps = std::mem::take(&mut rewriter.jumps);
        // The chunk loop needs a label only for the jumps that leave it (or the user's own).
        let needs_label = l.label.is_some() || !jumps.is_empty();
        let label = needs_label.then(|| quote!(#chunk_label:));
        let declare_jump = (!jumps.is_empty()).then(|| quote!(let mut penny_jump = 0u32;));
        arm.ran = true;
        match &l.head {
            Head::For { pat, source, .. } => {
                let range = info.access.clone().expect("for loops have a range");
                let done = done.expect("for loops have a cursor");
                // An items loop's chunk iterates its sources' sub-slices for the chunk's
                // indices: the items the indices would give, with one bounds check per chunk.
                let chunk_iter = match source {
                    Source::Range(_) => quote!(penny_range.chunk(self.#done, penny_end)),
                    Source::Items(_) => {
                        items_chunk(info.items.as_ref().expect("an items loop's head"), &done)
                    }
                };
                let written = match source {
                    Source::Range(range) => &range.expr,
                    Source::Items(items) => &items.expr,
                };
                // The chunk ends at `min(done + budget, len)`, written so LLVM sees that every
                // index is below the range's end (and drops bounds checks). When the whole
                // loop fits the budget and its range may be evaluated again, it runs exactly
                // as the user wrote it.
                let split = info.split.is_some();
                // A jump out of the chunk (a `break`, a `return`, a jump to an outer loop)
                // ends it early: the budget is charged the iterations that started, counted
                // in `penny_ran` (LLVM derives it from the loop's own counter), not the whole
                // chunk, or an outer loop would yield after each inner loop that breaks.
                let counted = !jumps.is_empty() && !split;
                let mut chunk_body = body.clone();
                if counted {
                    chunk_body
                        .stmts
                        .insert(0, syn::parse_quote!(penny_ran += 1;));
                }
                // A body that reads the loop variable's low bits runs its chunk in three
                // parts, the middle one counted from a multiple of 64, so LLVM can fold the
                // parity tests it folds from a literal 0 (`__private::peel`). Only where the
                // body can't leave the loop (three loops would need three exits).
                let peel = matches!(source, Source::Range(r) if !r.inclusive && r.adapters.is_empty())
                    && jumps.is_empty()
                    && l.label.is_none()
                    && !split
                    && reads_low_bits(&body, pat);
                let chunk = if peel {
                    quote! {
                        let penny_peeled = penny_range.chunk_peeled(self.#done, penny_end);
                        for #pat in penny_peeled.head() #chunk_body
                        for penny_k in 0..penny_peeled.mid_len() {
                            let #pat = penny_peeled.at(penny_k);
                            #chunk_body
                        }
                        for #pat in penny_peeled.tail() #chunk_body
                    }
                } else {
                    quote!(#label for #pat in #chunk_iter #chunk_body)
                };
                let split_chunk = split.then(|| chunk.clone());
                let run = if info.saved.is_none() && !split {
                    quote! {
                        if penny_take == penny_len {
                            #label for #pat in #written #chunk_body
                        } else {
                            #chunk
                        }
                    }
                } else {
                    chunk
                };
                let exit = self.goto(&arm, outer, exit_pc);
                let yielded = self.yield_here(&arm);
                if split {
                    let head = self.infos[l.id].head;
                    // Writable views narrowed to the chunk's stripes (args not shadowed).
                    let restrict: Vec<TokenStream> = self
                        .kernel
                        .args
                        .iter()
                        .enumerate()
                        .filter(|(_, a)| crate::views::kind(&a.ty) == Some(crate::views::ViewKind::Write))
                        .filter(|(id, a)| {
                            self.visible(&a.name.to_string()).map(|e| e.id) == Some(*id)
                        })
                        .map(|(_, a)| {
                            let name = &a.name;
                            quote! {
                                #[allow(unused_mut)]
                                let mut #name = ::penny::__private::restrict(&mut #name, self.#done, penny_end);
                            }
                        })
                        .collect();
                    // The outer variables the body uses, but doesn't reduce, bound again
                    // without `mut` for the chunk: each part has its own copy, so a write the
                    // checks in `split` can't see (a `&mut self` method, a destructuring
                    // assignment, `&raw mut`) would be lost; rustc now refuses it at the
                    // user's write instead.
                    let reduced: std::collections::HashSet<String> = l
                        .split
                        .iter()
                        .flat_map(|spec| spec.reductions.iter().map(|r| r.name.to_string()))
                        .collect();
                    let used: std::collections::HashSet<String> = body
                        .stmts
                        .iter()
                        .flat_map(crate::names::used_names_stmt)
                        .collect();
                    let mut frozen: Vec<&Ident> = Vec::new();
                    let mut seen = std::collections::HashSet::new();
                    for e in self.scopes.iter().flatten().rev() {
                        if !seen.insert(e.name.clone())
                            || e.kind != EntryKind::Field
                            || !used.contains(&e.name)
                            || reduced.contains(&e.name)
                        {
                            continue;
                        }
                        let binding = &self.kernel.vars.bindings[e.id];
                        if binding.is_arg
                            && crate::views::kind(&self.kernel.args[e.id].ty).is_some()
                        {
                            continue;
                        }
                        frozen.push(&binding.ident);
                    }
                    // Spanned at the `#[penny::split]` attribute: rustc names the variable and
                    // points there ("first assignment") as the reason it can't be written.
                    let at = l
                        .split
                        .as_ref()
                        .map_or_else(Span::call_site, |spec| spec.span);
                    let frozen = frozen.into_iter().map(|name| {
                        let name = Ident::new(&name.to_string(), at);
                        quote! {
                            #[allow(unused_variables, clippy::redundant_locals)]
                            let #name = #name;
                        }
                    });
                    let restrict: Vec<TokenStream> = restrict.into_iter().chain(frozen).collect();
                    if let Some(sl) = self.splits.iter().find(|s| s.head == head) {
                        let half = self
                            .half_field
                            .clone()
                            .expect("kernels with split loops have it");
                        arm.code.push(crate::split::leaf_arm(
                            sl,
                            crate::split::Chunk {
                                range,
                                restrict: quote!(#(#restrict)*),
                                chunk: split_chunk.expect("built for split loops"),
                                yielded,
                                exit,
                                half,
                            },
                        ));
                    }
                } else {
                    let (dispatch, unbroken) = self.leaf_dispatch(&arm, &jumps, &targets, l.id);
                    let (count_ran, charge) = if counted {
                        (
                            quote!(let mut penny_ran = 0u64;),
                            quote!(if penny_jump != 0 {
                                penny_ran
                            } else {
                                penny_take
                            }),
                        )
                    } else {
                        (quote!(), quote!(penny_take))
                    };
                    arm.code.push(quote! {
                        let penny_range = #range;
                        let penny_len = penny_range.len();
                        let penny_end = ::core::cmp::min(self.#done.saturating_add(penny_budget), penny_len);
                        let penny_take = penny_end - self.#done;
                        #declare_jump
                        #count_ran
                        #run
                        penny_budget -= #charge;
                        self.#done = penny_end;
                        #dispatch
                        if #unbroken penny_end < penny_len #yielded
                        #exit
                    });
                }
            }
            Head::While { .. } | Head::Loop => {
                // The budget is part of the loop's condition (`left != 0 && cond`), so the
                // loop keeps one exit test; when the budget ran out the condition wasn't
                // evaluated, and it is evaluated on resume.
                let condition = match &l.head {
                    Head::While { cond } => {
                        let mut cond = cond.clone();
                        let mut cond_rewriter = Rewriter::new(&targets, quote!(break #chunk_label));
                        cond_rewriter.visit_expr_mut(&mut cond);
                        if !cond_rewriter.jumps.is_empty() {
                            self.errors.at(
                                &cond,
                                "a `while` condition that jumps out of a resumable loop can't be \
                                 lowered: compute it in a variable inside the loop body",
                            );
                        }
                        quote!(&& (#cond))
                    }
                    _ => quote!(),
                };
                let body_stmts = &body.stmts;
                let count = info
                    .done
                    .as_ref()
                    .map(|done| quote!(self.#done += penny_budget - penny_left;));
                let (dispatch, unbroken) = self.leaf_dispatch(&arm, &jumps, &targets, l.id);
                let yielded = self.yield_here(&arm);
                let exit = self.goto(&arm, outer, exit_pc);
                arm.code.push(quote! {
                    let mut penny_left = penny_budget;
                    #declare_jump
                    #label while penny_left != 0 #condition {
                        penny_left -= 1;
                        #(#body_stmts)*
                    }
                    #count
                    penny_budget = penny_left;
                    #dispatch
                    if #unbroken penny_left == 0 #yielded
                    #exit
                });
            }
        }
        self.loop_scopes.remove(&l.id);
        self.close(arm);
    }

    /// A condition or scrutinee that writes a carried variable which the pattern of the arm
    /// it leads to binds again (`if let Some(c) = next(&mut c) { for .. }`): the arm can't
    /// name the variable to store it, so the write would be lost; refused.
    fn check_shadowed_writes(&mut self, b: &Branch) {
        let heads: Vec<Vec<&Expr>> = match &b.kind {
            BranchKind::If { conds } => (0..b.arms.len())
                .map(|k| conds.iter().take(k + 1).collect())
                .collect(),
            BranchKind::Match { scrutinee, .. } => vec![vec![scrutinee]; b.arms.len()],
        };
        for (names, heads) in b.arm_names.iter().zip(heads) {
            for name in names {
                let name = name.ident.to_string();
                if self
                    .visible(&name)
                    .is_none_or(|e| e.kind != EntryKind::Field)
                {
                    continue;
                }
                if let Some(change) = heads
                    .iter()
                    .find_map(|head| crate::changes::change_in_expr(head, &name))
                {
                    self.errors.at_span(
                        change.at,
                        format!(
                            "`{name}` is changed here and bound again by the pattern of the arm \
                             this leads to, which holds a resumable loop: the change can't be \
                             kept across the loop's yield points. Give the pattern's binding \
                             another name"
                        ),
                    );
                }
            }
        }
    }

    /// An `if`/`match` whose arms hold resumable loops: the choice runs in the current arm,
    /// each arm's code up to its first loop runs inline, and every arm ends at the join.
    fn branch(&mut self, b: &'k Branch, mut arm: Arm) -> Arm {
        // Names the branch's patterns shadow can't be stored from inside it.
        self.flush(&mut arm);
        self.check_shadowed_writes(b);
        let heads_may_write = match &b.kind {
            BranchKind::If { conds } => conds.iter().any(crate::changes::may_write),
            BranchKind::Match { scrutinee, arms } => {
                crate::changes::may_write(scrutinee)
                    || arms
                        .iter()
                        .flat_map(|(_, g)| g)
                        .any(crate::changes::may_write)
            }
        };
        let join = self.joins[&(b as *const Branch)];
        let outer = self.scopes.len();
        let mut codes = Vec::new();
        for (seq, names) in b.arms.iter().zip(&b.arm_names) {
            self.scopes.push(Vec::new());
            let mut sub = Arm {
                pc: arm.pc,
                code: Vec::new(),
                splice: true,
                // The conditions, scrutinee and guards run after the flush above, and may
                // write variables (`if bump(&mut c) > 1`): an arm that then runs no code of
                // its own must still store them.
                ran: heads_may_write,
                declared: Vec::new(),
                dead: false,
                lexical: Vec::new(),
                closures: Vec::new(),
            };
            for name in names {
                let binding = self.kernel.vars.get(name.id);
                let kind = if binding.carried {
                    sub.declared.push(name.id);
                    EntryKind::Field
                } else {
                    EntryKind::Local
                };
                self.push(name.ident.to_string(), name.id, kind);
            }
            self.splices.push(None);
            let mut end = self.seq(seq, sub, b.is_tail);
            if !b.is_tail {
                let goto = self.goto(&end, outer, join);
                end.code.push(goto);
            }
            self.close(end);
            let code = self.splices.pop().flatten().expect("the inline arm closed");
            codes.push(code);
            self.scopes.pop();
        }
        let choice = match &b.kind {
            BranchKind::If { conds } => {
                let mut tokens = quote!();
                for (index, code) in codes.iter().enumerate() {
                    match conds.get(index) {
                        Some(cond) if index == 0 => tokens.extend(quote!(if #cond { #(#code)* })),
                        Some(cond) => tokens.extend(quote!(else if #cond { #(#code)* })),
                        None => tokens.extend(quote!(else { #(#code)* })),
                    }
                }
                tokens
            }
            BranchKind::Match { scrutinee, arms } => {
                let cases = arms.iter().zip(&codes).map(|((pat, guard), code)| {
                    let guard = guard.as_ref().map(|g| quote!(if #g));
                    quote!(#pat #guard => { #(#code)* })
                });
                quote!(match #scrutinee { #(#cases)* })
            }
        };
        arm.ran = true;
        arm.code.push(choice);
        self.close(arm);
        let mut next = self.entry(join);
        // Every arm of a tail branch returned the output: nothing follows.
        next.dead = b.is_tail;
        next
    }
}

/// Is `jump` a `break` out of loop `own`?
fn breaks_out_of(jump: &Jump, targets: &[Target], own: usize) -> bool {
    jump.is_break && targets[jump.target].loop_id == own
}

/// The placeholder a jump to `pc` leaves in an arm's code until [`link_arms`] replaces it.
fn goto_mark(pc: u32) -> Ident {
    format_ident!("__penny_goto_{}", pc)
}

/// Turns the arms' jumps into code. A resume point in `inlinable` that only one place jumps to
/// gets its arm's code copied there (it stays an arm of its own for resuming after a yield),
/// so a loop nest runs from one arm into the next without going back through the
/// dispatcher's `match` (an indirect jump LLVM can't thread). A jump back to an arm whose code
/// encloses the jump (an outer loop's head, reached from the end of its body) is a
/// `continue` of a loop labelled `'penny_at_N` around that code: the outer loop is then a loop
/// LLVM sees, with no dispatch per iteration. Every other jump is `continue 'penny_resume`.
fn link_arms(
    mut arms: Vec<(u32, TokenStream)>,
    inlinable: &std::collections::HashSet<u32>,
) -> Vec<(u32, TokenStream)> {
    arms.sort_by_key(|(pc, _)| *pc);
    let mut sites: HashMap<u32, usize> = HashMap::new();
    for (_, code) in &arms {
        count_marks(code.clone(), &mut sites);
    }
    let bodies: HashMap<u32, TokenStream> = arms.iter().cloned().collect();
    let links = Links {
        bodies: &bodies,
        sites: &sites,
        inlinable,
    };
    arms.iter()
        .map(|(pc, code)| {
            let mut back = std::collections::HashSet::new();
            let code = links.link(code.clone(), &mut vec![*pc], &mut back);
            (*pc, enclose(*pc, code, &mut back))
        })
        .collect()
}

/// The label of the block whose end is where arm `pc`'s code starts (see `expand`): a jump
/// forward to `pc` from an arm before it is `break` of this block.
pub(crate) fn entry_label(pc: u32) -> syn::Lifetime {
    syn::Lifetime::new(&format!("'penny_to_{pc}"), Span::call_site())
}

/// What [`link_arms`] knows while it replaces marks.
struct Links<'a> {
    bodies: &'a HashMap<u32, TokenStream>,
    sites: &'a HashMap<u32, usize>,
    inlinable: &'a std::collections::HashSet<u32>,
}

fn mark_pc(ident: &Ident) -> Option<u32> {
    ident
        .to_string()
        .strip_prefix("__penny_goto_")?
        .parse()
        .ok()
}

fn count_marks(tokens: TokenStream, sites: &mut HashMap<u32, usize>) {
    for tree in tokens {
        match tree {
            proc_macro2::TokenTree::Ident(ident) => {
                if let Some(pc) = mark_pc(&ident) {
                    *sites.entry(pc).or_default() += 1;
                }
            }
            proc_macro2::TokenTree::Group(group) => count_marks(group.stream(), sites),
            _ => {}
        }
    }
}

/// The label of the loop around the code of arm `pc` that jumps back to its start.
fn enclosing_label(pc: u32) -> syn::Lifetime {
    syn::Lifetime::new(&format!("'penny_at_{pc}"), Span::call_site())
}

/// `code`, the code of arm `pc`, in a loop that `continue 'penny_at_pc` restarts, if some jump
/// in it went back to its start (`back`). Arm code never runs to its end (it ends in a jump,
/// a yield or the result, as `expand::resume_chain` relies on too), so the loop repeats only
/// through that `continue`.
fn enclose(pc: u32, code: TokenStream, back: &mut std::collections::HashSet<u32>) -> TokenStream {
    if back.remove(&pc) {
        let label = enclosing_label(pc);
        quote!(#label: loop { #code })
    } else {
        code
    }
}

impl Links<'_> {
    /// Replaces the marks in `tokens`. `path` holds the arm whose code this is (first) and the
    /// arms being copied into it: a jump to one of them is a back edge, `continue` of the loop
    /// around its code (recorded in `back`); a jump to an arm after the first is `break` to
    /// that arm's start; any other jump goes through the dispatcher.
    fn link(
        &self,
        tokens: TokenStream,
        path: &mut Vec<u32>,
        back: &mut std::collections::HashSet<u32>,
    ) -> TokenStream {
        let mut out = TokenStream::new();
        for tree in tokens {
            match tree {
                proc_macro2::TokenTree::Ident(ident) => match mark_pc(&ident) {
                    Some(pc) => {
                        let inline = self.inlinable.contains(&pc)
                            && self.sites.get(&pc) == Some(&1)
                            && !path.contains(&pc)
                            && path.len() < 3;
                        if inline {
                            path.push(pc);
                            let body = self.link(self.bodies[&pc].clone(), path, back);
                            path.pop();
                            let body = enclose(pc, body, back);
                            out.extend(quote!({ #body }));
                        } else if path.contains(&pc) {
                            back.insert(pc);
                            let label = enclosing_label(pc);
                            out.extend(quote!(continue #label));
                        } else if pc > path[0] && self.bodies.contains_key(&pc) {
                            let label = entry_label(pc);
                            out.extend(quote!(break #label));
                        } else {
                            out.extend(quote!(continue 'penny_resume));
                        }
                    }
                    None => out.extend(std::iter::once(proc_macro2::TokenTree::Ident(ident))),
                },
                proc_macro2::TokenTree::Group(group) => {
                    let inner = self.link(group.stream(), path, back);
                    let mut new = proc_macro2::Group::new(group.delimiter(), inner);
                    new.set_span(group.span());
                    out.extend(std::iter::once(proc_macro2::TokenTree::Group(new)));
                }
                other => out.extend(std::iter::once(other)),
            }
        }
        out
    }
}

/// A statement ending in an expression without `;` gets one, so more code can follow it.
fn normalize(stmt: Stmt) -> Stmt {
    match stmt {
        Stmt::Expr(expr, None) => Stmt::Expr(expr, Some(Default::default())),
        other => other,
    }
}

/// How many items an items loop visits.
fn items_count(items: &ItemsHead) -> TokenStream {
    let counts: Vec<TokenStream> = items
        .sources
        .iter()
        .map(|source| {
            let data = &source.data;
            match &source.access {
                Access::Chunks { size, exact: false } => quote!(#data.len().div_ceil(#size)),
                Access::Chunks { size, exact: true } => quote!(#data.len() / (#size)),
                // Spanned at the name: what it holds may be no sequence Penny resumes
                // (`for x in opt`), and `Items` says so there.
                Access::Value => {
                    quote_spanned!(data.span()=> ::penny::__private::Items::item_count(&#data))
                }
                Access::Ref | Access::Copied => quote!(#data.len()),
            }
        })
        .collect();
    match counts.as_slice() {
        [one] => one.clone(),
        [a, b] => quote!(::core::cmp::min(#a, #b)),
        _ => unreachable!("one or two sources"),
    }
}

/// An iterator over the items an items loop binds at indices `self.done..penny_end`: the
/// sources' sub-slices for those indices, iterated (zipped for two sources, numbered for
/// `enumerate`), as [`items_element`] would give them one index at a time.
fn items_chunk(items: &ItemsHead, done: &Ident) -> TokenStream {
    // `as` binds tighter than `..` and `*`: no parentheses needed where these go.
    let from = quote!(self.#done as usize);
    let to = quote!(penny_end as usize);
    let iters: Vec<TokenStream> = items
        .sources
        .iter()
        .map(|source| {
            let data = &source.data;
            match &source.access {
                Access::Ref => quote!(#data[#from..#to].iter()),
                Access::Copied => quote!(#data[#from..#to].iter().copied()),
                // `T` for an array, `&T` for a reference, as the plain loop binds.
                // Spanned at the name, as `item_count` is (one error there, not two).
                Access::Value => quote_spanned! {data.span()=>
                    ::penny::__private::Items::item_chunk(&#data, #from, #to)
                },
                // `(size)`: an operand of `*` (no lint for these parentheses).
                // Both ends clamped: the last chunk may be short, and an empty chunk may start
                // at the count itself, past the data's end (a split loop's part after a join).
                Access::Chunks { size, exact: false } => quote! {
                    #data[::core::cmp::min(#from * (#size), #data.len())..::core::cmp::min(#to * (#size), #data.len())].chunks(#size)
                },
                Access::Chunks { size, exact: true } => {
                    quote!(#data[#from * (#size)..#to * (#size)].chunks_exact(#size))
                }
            }
        })
        .collect();
    let item = match iters.as_slice() {
        [one] => one.clone(),
        [a, b] => quote!(#a.zip(#b)),
        _ => unreachable!("one or two sources"),
    };
    if items.enumerate {
        quote!((#from..#to).zip(#item))
    } else {
        item
    }
}

/// The item an items loop binds at index `penny_index`.
fn items_element(items: &ItemsHead) -> TokenStream {
    let elems: Vec<TokenStream> = items
        .sources
        .iter()
        .map(|source| {
            let data = &source.data;
            match &source.access {
                Access::Ref => quote!(&#data[penny_index]),
                Access::Copied => quote!(#data[penny_index]),
                Access::Value => quote_spanned! {data.span()=>
                    ::penny::__private::Items::item_at(&#data, penny_index)
                },
                Access::Chunks { size, exact: false } => quote! {
                    &#data[penny_index * (#size)..::core::cmp::min((penny_index + 1) * (#size), #data.len())]
                },
                Access::Chunks { size, exact: true } => {
                    quote!(&#data[penny_index * (#size)..(penny_index + 1) * (#size)])
                }
            }
        })
        .collect();
    let item = match elems.as_slice() {
        [one] => one.clone(),
        [a, b] => quote!((#a, #b)),
        _ => unreachable!("one or two sources"),
    };
    if items.enumerate {
        quote!((penny_index, #item))
    } else {
        item
    }
}

/// Phase numbers print without a suffix.
pub(crate) fn pc_literal(pc: u32) -> proc_macro2::Literal {
    proc_macro2::Literal::u32_unsuffixed(pc)
}

/// `base`, or `penny_base`, `penny_base2`, ... when taken.
pub(crate) fn fresh(base: &str, taken: &mut std::collections::HashSet<String>) -> Ident {
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

fn range_tokens(range: &crate::ast::RangeHead) -> TokenStream {
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

/// Whether `body` branches on the low bits of a name `pat` binds: compares `i % 2`,
/// `i / 4 % 4`, `i & 7` or `i >> 1` (a literal on the right, a power of two for `%` and `/`)
/// with `==` or `!=`. Those are the tests LLVM folds when it unrolls from a known start; where
/// the bits only feed arithmetic (`count += i % 2`), the loop vectorizes from any start and
/// the split measured slower (`phases::maybe_empty` 0.95 → 1.05 chunked).
fn reads_low_bits(body: &syn::Block, pat: &syn::Pat) -> bool {
    struct Finder<'a> {
        names: &'a [String],
        found: bool,
    }
    impl Finder<'_> {
        /// Whether `e` is the low bits of a loop variable.
        fn low_bits(&self, e: &syn::Expr) -> bool {
            let syn::Expr::Binary(b) = crate::ast::strip_parens(e) else {
                return false;
            };
            let literal = match crate::ast::strip_parens(&b.right) {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Int(int),
                    ..
                }) => int.base10_parse::<u128>().ok(),
                _ => None,
            };
            // `% 3` gains nothing from a start that is a multiple of 64.
            let op = match b.op {
                syn::BinOp::Rem(_) | syn::BinOp::Div(_) => {
                    literal.is_some_and(|k| k.is_power_of_two())
                }
                syn::BinOp::BitAnd(_) | syn::BinOp::Shr(_) => literal.is_some(),
                _ => false,
            };
            op && {
                let used = crate::names::used_names_expr(&b.left);
                self.names.iter().any(|n| used.contains(n))
            }
        }
    }
    impl<'ast> syn::visit::Visit<'ast> for Finder<'_> {
        fn visit_expr_binary(&mut self, e: &'ast syn::ExprBinary) {
            if matches!(e.op, syn::BinOp::Eq(_) | syn::BinOp::Ne(_))
                && (self.low_bits(&e.left) || self.low_bits(&e.right))
            {
                self.found = true;
            }
            syn::visit::visit_expr_binary(self, e);
        }
    }
    let names: Vec<String> = crate::names::bound_names(pat)
        .iter()
        .map(ToString::to_string)
        .collect();
    let mut finder = Finder {
        names: &names,
        found: false,
    };
    syn::visit::Visit::visit_block(&mut finder, body);
    finder.found
}
