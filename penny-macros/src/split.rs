//! `#[penny::split]` on a `for` loop of a kernel: its iterations are independent, so a
//! running task may hand the upper part of the loop's remaining range to an idle worker.
//!
//! - [`parse`] reads the attribute: `#[penny::split]`, or with reductions
//!   `#[penny::split(reduce(sum = +, best = max, h = (merge, [0u32; 16])))]`;
//! - [`check_loops`] rejects what would make halves disagree with the plain loop: assigning a
//!   variable declared before the loop that is not a reduction, reading a reduction or
//!   writing a built-in one in a form its operator doesn't combine (`updates`), and
//!   `break` / `return` / `?` out of an iteration;
//! - [`methods`] emits `Task::split`, `split_state` and `join` from what `machine` recorded.
//!
//! The plain function ignores the attribute ([`strip`] removes it).

use std::collections::HashSet;

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::visit::Visit;
use syn::visit_mut::VisitMut;
use syn::{Attribute, Expr, Ident, Token};

use crate::ctxt::Errors;

/// A parsed `#[penny::split(...)]`.
pub struct SplitSpec {
    /// The attribute, for errors about the loop as a whole.
    pub span: Span,
    /// The declared reductions, in the order written.
    pub reductions: Vec<Reduction>,
    /// The attribute didn't parse (reported): which variables it reduces is unknown, so the
    /// body's writes aren't checked against it.
    pub malformed: bool,
}

/// `name = op` in `reduce(...)`.
pub struct Reduction {
    /// The variable reduced.
    pub name: Ident,
    /// How two halves' values combine.
    pub op: ReduceOp,
}

/// A reduction's operator.
pub enum ReduceOp {
    /// `+ * min max & | ^`: the marker type in `penny::__private::reduce`.
    Builtin(Ident),
    /// `(combine, identity)`: a function of two values and the value halves start from.
    Custom {
        /// The combine function (`fn(T, T) -> T`).
        combine: Box<Expr>,
        /// The identity.
        identity: Box<Expr>,
    },
}

/// Whether `attr` is `#[penny::split]` / `#[penny::split(...)]`, or `#[split(...)]` after
/// `use penny::split;` (as `#[task]` works after `use penny::task;`).
pub fn is_split(attr: &Attribute) -> bool {
    let segments: Vec<String> = attr
        .path()
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect();
    segments == ["penny", "split"] || segments == ["split"]
}

/// Whether a loop in `block` is marked `#[split]` (the imported name) rather than
/// `#[penny::split]`.
pub fn uses_imported_name(block: &syn::Block) -> bool {
    struct Find(bool);
    impl<'ast> syn::visit::Visit<'ast> for Find {
        fn visit_attribute(&mut self, attr: &'ast Attribute) {
            self.0 |= attr.path().is_ident("split");
        }
    }
    let mut find = Find(false);
    syn::visit::Visit::visit_block(&mut find, block);
    find.0
}

/// The `#[penny::split]` among a loop's attributes, if any (reporting a second one or a
/// malformed one).
pub fn parse(attrs: &[Attribute], errors: &mut Errors) -> Option<SplitSpec> {
    let mut found = None;
    for attr in attrs.iter().filter(|a| is_split(a)) {
        if found.is_some() {
            errors.at(
                attr,
                "a loop takes one `#[penny::split]`: list every reduction in it",
            );
            continue;
        }
        let (reductions, malformed) = match &attr.meta {
            syn::Meta::Path(_) => (Vec::new(), false),
            syn::Meta::List(list) => match syn::parse2::<Options>(list.tokens.clone()) {
                Ok(options) => (options.0, false),
                Err(error) => {
                    errors.push(error);
                    (Vec::new(), true)
                }
            },
            syn::Meta::NameValue(nv) => {
                errors.at(
                    nv,
                    "write `#[penny::split]` or `#[penny::split(reduce(sum = +))]`",
                );
                (Vec::new(), true)
            }
        };
        let mut seen = HashSet::new();
        for r in &reductions {
            if !seen.insert(r.name.to_string()) {
                errors.at(&r.name, format!("`{}` is reduced twice", r.name));
            }
        }
        found = Some(SplitSpec {
            span: attr.span(),
            reductions,
            malformed,
        });
    }
    found
}

/// `reduce(a = op, ...)`.
struct Options(Vec<Reduction>);

impl Parse for Options {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut reductions = Vec::new();
        while !input.is_empty() {
            let key: Ident = input.parse()?;
            if key != "reduce" {
                return Err(syn::Error::new(
                    key.span(),
                    format!(
                        "unknown option `{key}`: `#[penny::split]` takes \
                         `reduce(name = op, ...)` with op one of `+ * min max & | ^` or \
                         `(combine_fn, identity)`"
                    ),
                ));
            }
            let content;
            syn::parenthesized!(content in input);
            while !content.is_empty() {
                let name: Ident = content.parse()?;
                content.parse::<Token![=]>()?;
                let op = parse_op(&content)?;
                reductions.push(Reduction { name, op });
                if !content.is_empty() {
                    content.parse::<Token![,]>()?;
                }
            }
            if !input.is_empty() {
                input.parse::<Token![,]>()?;
            }
        }
        Ok(Options(reductions))
    }
}

/// What `ty` is, when it is a type no built-in reduction takes whatever the names in it
/// stand for: one of the kernel's type parameters (`generics`), an `Option`, a tuple, a
/// reference or a slice. (A plain name may be an alias of an integer, so only these are
/// refused before rustc sees them.)
pub fn never_builtin(ty: &syn::Type, generics: &syn::Generics) -> Option<String> {
    match ty {
        syn::Type::Path(p) if p.qself.is_none() => {
            if let Some(param) = generics.type_params().find(|t| p.path.is_ident(&t.ident)) {
                return Some(format!("of the generic type `{}`", param.ident));
            }
            let last = p.path.segments.last()?;
            (last.ident == "Option" && !last.arguments.is_empty()).then(|| "an `Option`".into())
        }
        syn::Type::Tuple(t) if !t.elems.is_empty() => Some("a tuple".into()),
        syn::Type::Reference(_) => Some("a reference".into()),
        syn::Type::Slice(_) => Some("a slice".into()),
        syn::Type::Paren(p) => never_builtin(&p.elem, generics),
        _ => None,
    }
}

fn parse_op(input: ParseStream) -> syn::Result<ReduceOp> {
    let builtin = |name: &str, span: Span| Ok(ReduceOp::Builtin(Ident::new(name, span)));
    let look = input.lookahead1();
    if look.peek(Token![+]) {
        let t: Token![+] = input.parse()?;
        builtin("Sum", t.span)
    } else if look.peek(Token![*]) {
        let t: Token![*] = input.parse()?;
        builtin("Product", t.span)
    } else if look.peek(Token![&]) {
        let t: Token![&] = input.parse()?;
        builtin("BitAnd", t.span)
    } else if look.peek(Token![|]) {
        let t: Token![|] = input.parse()?;
        builtin("BitOr", t.span)
    } else if look.peek(Token![^]) {
        let t: Token![^] = input.parse()?;
        builtin("BitXor", t.span)
    } else if input.peek(Token![-]) {
        let t: Token![-] = input.parse()?;
        Err(syn::Error::new(
            t.span,
            "there is no `-` reduction: a loop that subtracts (`acc -= x`) reduces with `+`, \
             since what each half subtracts adds up",
        ))
    } else if look.peek(Ident) {
        let name: Ident = input.parse()?;
        match name.to_string().as_str() {
            "min" => builtin("Min", name.span()),
            "max" => builtin("Max", name.span()),
            other => Err(syn::Error::new(
                name.span(),
                format!(
                    "unknown reduction `{other}`: use one of `+ * min max & | ^`, or \
                     `(combine_fn, identity)` for your own"
                ),
            )),
        }
    } else if look.peek(syn::token::Paren) {
        let content;
        let parens = syn::parenthesized!(content in input);
        let combine: Expr = content.parse()?;
        if content.is_empty() {
            return Err(syn::Error::new(
                parens.span.join(),
                "a custom reduction is `(combine_fn, identity)`: the function that combines \
                 two values and the value a half starts from",
            ));
        }
        content.parse::<Token![,]>()?;
        let identity: Expr = content.parse()?;
        let _ = content.parse::<Option<Token![,]>>()?;
        Ok(ReduceOp::Custom {
            combine: Box::new(combine),
            identity: Box::new(identity),
        })
    } else {
        Err(look.error())
    }
}

/// The plain function: `#[penny::split]` removed (it ignores the attribute).
pub fn strip(block: &mut syn::Block) {
    struct Strip;
    impl VisitMut for Strip {
        fn visit_expr_mut(&mut self, e: &mut Expr) {
            match e {
                Expr::ForLoop(l) => l.attrs.retain(|a| !is_split(a)),
                Expr::While(l) => l.attrs.retain(|a| !is_split(a)),
                Expr::Loop(l) => l.attrs.retain(|a| !is_split(a)),
                _ => {}
            }
            syn::visit_mut::visit_expr_mut(self, e);
        }
    }
    Strip.visit_block_mut(block);
}

/// Every `#[penny::split]` in `block` whose loop is not in `consumed` (the loops the tree
/// builder lowered as resumable `for` loops): an error each.
pub fn check_unconsumed(block: &syn::Block, consumed: &HashSet<usize>, errors: &mut Errors) {
    struct Find<'a> {
        consumed: &'a HashSet<usize>,
        errors: &'a mut Errors,
    }
    impl<'ast> Visit<'ast> for Find<'_> {
        fn visit_expr(&mut self, e: &'ast Expr) {
            let (attrs, key): (&[Attribute], usize) = match e {
                Expr::ForLoop(l) => (&l.attrs, l as *const _ as usize),
                Expr::While(l) => (&l.attrs, l as *const _ as usize),
                Expr::Loop(l) => (&l.attrs, l as *const _ as usize),
                _ => (&[], 0),
            };
            if let Some(attr) = attrs.iter().find(|a| is_split(a)) {
                if !self.consumed.contains(&key) {
                    let message = if matches!(e, Expr::ForLoop(_)) {
                        "`#[penny::split]` goes on a resumable `for` loop: a loop of the \
                         function body, or one inside such a loop whose body ends with \
                         `penny::yield_now!()`"
                    } else {
                        "only `for` loops can be split: a `while` or `loop` doesn't know its \
                         iterations in advance. Write it as `for i in 0..n` to split it"
                    };
                    self.errors.at(attr, message);
                }
            }
            syn::visit::visit_expr(self, e);
        }
    }
    Find { consumed, errors }.visit_block(block);
}

/// What the checks of split loops know about the kernel's variables.
pub struct Outer<'a> {
    /// Whether a name is an argument or a carried variable (a name the loop body binds
    /// itself is its own).
    pub carried: &'a dyn Fn(&str) -> bool,
    /// Why no built-in reduction takes a carried variable of this name, when its type says
    /// so (see [`never_builtin`]).
    pub refused: &'a dyn Fn(&str) -> Option<String>,
}

/// Checks every split loop in `seq`: its reductions name carried variables of types the
/// operators take; the body updates each built-in reduction in its operator's form and reads
/// no reduction (see `updates`); every other variable it assigns that lives outside the loop
/// is a reduction; and no iteration leaves the loop early.
pub fn check_loops(seq: &crate::ast::Seq, outer: &Outer, errors: &mut Errors) {
    use crate::ast::Part;
    for part in &seq.parts {
        match part {
            Part::Loop(l) => {
                if let (Some(spec), crate::ast::Head::For { names, .. }) = (&l.split, &l.head) {
                    let own: Vec<String> = names.iter().map(|n| n.ident.to_string()).collect();
                    let carried =
                        |name: &str| !own.iter().any(|n| n == name) && (outer.carried)(name);
                    let label = l.label.as_ref();
                    check_body(spec, label, &l.body, &carried, outer.refused, errors);
                }
                check_loops(&l.body, outer, errors);
            }
            Part::Branch(b) => {
                for arm in &b.arms {
                    check_loops(arm, outer, errors);
                }
            }
            _ => {}
        }
    }
}

/// The error for a reduction naming no variable the loop carries.
pub fn not_carried(name: &str) -> String {
    format!(
        "`{name}` is not a variable the loop carries: a reduction names a variable declared \
         before the `#[penny::split]` loop and updated in it, e.g. `let mut {name} = 0; \
         #[penny::split(reduce({name} = +))] for i in 0..n {{ {name} += i; }}`"
    )
}

/// The error for a built-in reduction of a variable of a type no built-in operator takes
/// (`kind` from [`never_builtin`]).
pub fn refused(name: &str, kind: &str) -> String {
    format!(
        "a split loop can't reduce `{name}`, {kind}, with a built-in operator: those take \
         integers, floats, `bool` and arrays of them. Name a combine function and the value a \
         half starts from: `reduce({name} = (merge, IDENTITY))`"
    )
}

/// The split loop's own statements (its resumable loops, which it may not hold, are
/// reported elsewhere); `label`: the loop's.
fn check_body(
    spec: &SplitSpec,
    label: Option<&syn::Label>,
    body: &crate::ast::Seq,
    outer: &dyn Fn(&str) -> bool,
    refused_type: &dyn Fn(&str) -> Option<String>,
    errors: &mut Errors,
) {
    use crate::updates::{Op, Use};
    if !spec.malformed {
        for r in &spec.reductions {
            let name = r.name.to_string();
            if !outer(&name) {
                errors.at(&r.name, not_carried(&name));
                continue;
            }
            let op = match &r.op {
                ReduceOp::Builtin(marker) => {
                    if let Some(kind) = refused_type(&name) {
                        // Said here once, instead of by rustc at every use of the reduction.
                        errors.at(&r.name, refused(&name, &kind));
                        continue;
                    }
                    Op::from_marker(&marker.to_string())
                }
                ReduceOp::Custom { .. } => None,
            };
            let uses = crate::updates::uses(body, &name, op.is_none());
            // The forms are shown on an element when the loop writes elements: an array.
            let place = if uses.iter().any(Use::element) {
                format!("{name}[k]")
            } else {
                name.clone()
            };
            let (mut read, mut written) = (false, false);
            for u in uses {
                match (u, op) {
                    (Use::Read { at, guard }, _) if !read => {
                        read = true;
                        let message = if guard {
                            guard_message(&name, &place, op)
                        } else {
                            read_message(&name, &place, op)
                        };
                        errors.at_span(at, message);
                    }
                    (Use::Update { op: found, .. }, Some(op)) if found == op => {}
                    (Use::Update { op: found, at, .. }, Some(op)) if !written => {
                        written = true;
                        let why = format!(
                            "This one updates it as `{}` would: if that is what the loop \
                             computes, declare `reduce({name} = {})`",
                            found.symbol(),
                            found.symbol()
                        );
                        errors.at(at, form_message(&name, &place, op, &why));
                    }
                    (Use::Write { kind, at, .. }, Some(op)) if !written => {
                        written = true;
                        let why = write_why(&name, &place, op, &kind);
                        errors.at(at, form_message(&name, &place, op, &why));
                    }
                    _ => {}
                }
            }
        }
    }
    let reduced: HashSet<String> = spec.reductions.iter().map(|r| r.name.to_string()).collect();
    let mut finder = crate::writes::Writes::in_loop(label);
    for part in &body.parts {
        match part {
            crate::ast::Part::Stmt(stmt) => finder.visit_stmt(stmt),
            crate::ast::Part::Let(l) => finder.visit_local(&l.local),
            _ => {}
        }
    }
    let mut seen = HashSet::new();
    for (name, _) in &finder.assigned {
        if spec.malformed || reduced.contains(name) || !outer(name) || !seen.insert(name) {
            continue;
        }
        // Only writes the body's own bindings of the name don't hide, by scope (`updates`):
        // a `let` or closure parameter of the same name elsewhere leaves this one the outer
        // variable's.
        let uses = crate::updates::uses(body, name, false);
        if let Some(at) = uses.iter().find_map(Use::written_at) {
            errors.at_span(at, not_reduction(name, &uses));
        }
    }
    for at in finder.exits {
        errors.at_span(
            at,
            "an iteration of a `#[penny::split]` loop can't leave the loop (`break`, \
             `return`, `?`): halves run their iterations independently. Remove the split, \
             or compute a flag and test it after the loop",
        );
    }
}

/// A read of the reduction `name` (`op`: its built-in operator, `None` for a custom one;
/// `place`: `name`, or `name[k]` for an array).
fn read_message(name: &str, place: &str, op: Option<crate::updates::Op>) -> String {
    let only = match op {
        Some(op) => format!("only be updated here ({}), not read", op.forms(place)),
        None => format!(
            "be read here only in its own update (`{name} = merge({name}, v)`, \
             `{name}[k] += v`, or the condition of an `if` whose block assigns it)"
        ),
    };
    format!(
        "`{name}` is a reduction of this `#[penny::split]` loop: inside the loop it holds only \
         the running value of the part a worker runs (each part starts at the reduction's \
         identity), so it can {only}. Compute what you need from the iteration's own values, \
         or drop the split"
    )
}

/// A write to the built-in reduction `name` in a form its operator doesn't combine: `why`.
fn form_message(name: &str, place: &str, op: crate::updates::Op, why: &str) -> String {
    format!(
        "`{name}` is reduced with `{}` in this `#[penny::split]` loop, so every write to it \
         must be an update `{}` combines: {}. {why}",
        op.symbol(),
        op.symbol(),
        op.forms(place)
    )
}

/// A reduction `name` (`op`: its built-in operator, `None` for a custom one) read in the
/// condition of an `if` that updates it and also runs other code.
fn guard_message(name: &str, place: &str, op: Option<crate::updates::Op>) -> String {
    use crate::updates::Op;
    let extreme = match op {
        Some(Op::Min) => Some(("<", "smallest", "arg-min")),
        Some(Op::Max) => Some((">", "greatest", "arg-max")),
        _ => None,
    };
    let (guard, keep) = match extreme {
        Some((cmp, most, arg)) => (
            format!("`if e {cmp} {place} {{ {place} = e }}`"),
            format!(
                "To keep something with the {most} value (its index: an {arg}), reduce a \
                 tuple with your own combine, `reduce({name} = (combine, IDENTITY))` over e.g. \
                 `({name}, idx)`"
            ),
        ),
        None => (
            format!("`if .. {name} .. {{ {name} = v }}`"),
            format!(
                "To keep more with it (an index), make it part of the reduced value, a tuple or \
                 struct that `reduce({name} = (combine, IDENTITY))` combines"
            ),
        ),
    };
    format!(
        "`{name}` is a reduction of this `#[penny::split]` loop: inside the loop it holds only \
         the running value of the part a worker runs (each part starts at the reduction's \
         identity), so a condition may read it only as the guard of its own update, an `if` \
         with no `else` whose block is just that assignment ({guard}). This `if` also controls \
         other code (more statements, an `else`, a `continue`), which would run on a part's \
         running value, so on other iterations than in the plain loop (a count of the times it \
         improved differs too). {keep}; or compute the other code from the iteration's own \
         values, or drop the split"
    )
}

/// What is wrong with a write in no reduction's form (`place`: `name` or `name[k]`).
fn write_why(
    name: &str,
    place: &str,
    op: crate::updates::Op,
    kind: &crate::updates::WriteKind,
) -> String {
    use crate::updates::{Op, WriteKind};
    let first = match op {
        Op::Sum => format!("{place} += e"),
        Op::Product => format!("{place} *= e"),
        Op::And => format!("{place} &= e"),
        Op::Or => format!("{place} |= e"),
        Op::Xor => format!("{place} ^= e"),
        Op::Min => format!("{place} = {place}.min(e)"),
        Op::Max => format!("{place} = {place}.max(e)"),
    };
    match kind {
        WriteKind::Destructure => format!(
            "A destructuring assignment isn't one of them: write each update on its own \
             statement (`{first};`, then the next variable's, e.g. `s += i; x ^= i;`)"
        ),
        WriteKind::Method(method) => {
            let operator = match method.as_str() {
                "add_assign" => Some("+="),
                "sub_assign" => Some("-="),
                "mul_assign" => Some("*="),
                "bitand_assign" => Some("&="),
                "bitor_assign" => Some("|="),
                "bitxor_assign" => Some("^="),
                _ => None,
            };
            match operator {
                Some(operator) => format!(
                    "A method call (`{name}.{method}(..)`) may write `{name}` through \
                     `&mut self` in any way, which the split can't check: write the update \
                     with its operator, `{place} {operator} e`"
                ),
                None => format!(
                    "A method call (`{name}.{method}(..)`) may write `{name}` through \
                     `&mut self` in any way, which the split can't check: write the update in \
                     one of these forms"
                ),
            }
        }
        WriteKind::Overwrite { .. } => format!(
            "A plain assignment keeps the value of whichever iteration ran last, which the \
             parts of a split loop don't have; for another way to combine the parts' values, \
             name your own: `reduce({name} = (combine, IDENTITY))`"
        ),
        WriteKind::FromItself => format!(
            "This assignment computes `{name}` from itself in a way the operator doesn't \
             combine; for another way to combine the parts' values, name your own: \
             `reduce({name} = (combine, IDENTITY))`"
        ),
        WriteKind::Compound(op) => format!("`{name} {op} ..` isn't one of them"),
        WriteKind::Borrow => format!(
            "Passing `&mut {name}` lets the callee write anything: update `{name}` here instead"
        ),
        WriteKind::Part => format!("A write to a part of `{name}` isn't one of them"),
    }
}

/// The error for `name`, assigned in a split loop (`body`) and not one of its reductions:
/// the reduction its writes call for, if one does.
fn not_reduction(name: &str, uses: &[crate::updates::Use]) -> String {
    use crate::updates::{Use, WriteKind};
    let mut ops = Vec::new();
    let mut overwrite = None;
    let mut other = false;
    for u in uses {
        match u {
            Use::Update { op, .. } if !ops.contains(op) => ops.push(*op),
            Use::Write {
                kind: WriteKind::Overwrite { place, value },
                ..
            } => {
                overwrite.get_or_insert((place, value));
            }
            Use::Write { .. } => other = true,
            _ => {}
        }
    }
    let start = format!(
        "`{name}` is assigned in a `#[penny::split]` loop but is not a reduction: halves of \
         the loop run in parallel, each with its own copy."
    );
    let custom = format!("`reduce({name} = (combine, IDENTITY))`");
    let outside = format!("or assign `{name}` only outside the loop");
    if uses.iter().any(|u| matches!(u, Use::Read { .. })) {
        return format!(
            "{start} It is also read in the loop, so no reduction makes the parts agree: what \
             an iteration reads depends on iterations another part runs (a running counter or \
             position). Compute it from the iteration's own values (the loop index), {outside}, \
             or drop the split"
        );
    }
    if let Some((x, v)) = overwrite {
        return format!(
            "{start} A plain assignment (`{x} = {v}`) keeps the value of whichever iteration \
             ran last, which the parts of a split loop don't have, so no built-in reduction \
             combines it. If the greatest value is what you want (the latest, when it counts \
             up like a loop index), write `if {v} > {x} {{ {x} = {v} }}` and \
             declare `#[penny::split(reduce({name} = max))]`; otherwise name a function that \
             combines two parts' values and the value a part starts from, {custom}; {outside}"
        );
    }
    match ops.as_slice() {
        [op] if !other => format!(
            "{start} Declare how the copies combine: `#[penny::split(reduce({name} = {}))]` \
             for this update, {outside}",
            op.symbol()
        ),
        _ => format!(
            "{start} No built-in reduction combines these writes: name a function that \
             combines two parts' values and the value a part starts from, {custom}, {outside}"
        ),
    }
}

/// The fields `machine` gives a split loop.
#[derive(Clone)]
pub struct SplitFields {
    /// Where this part of the loop stops.
    pub stop: Ident,
    /// Halves split off and not joined.
    pub halves: Ident,
    /// Iterations per leaf of the reductions' tree (0: no float reduction, no leaves).
    pub leaf: Ident,
    /// Per reduction in the attribute's order: the field keeping its partial results
    /// (built-in operators only).
    pub partials: Vec<Option<Ident>>,
}

/// What `machine` records for one split loop.
pub struct SplitLoop {
    /// The loop's head resume point.
    pub head: u32,
    /// Iterations-finished cursor.
    pub done: Ident,
    /// The loop's fields.
    pub fields: SplitFields,
    /// The reductions, resolved to the variables they name.
    pub reductions: Vec<Reduced>,
}

/// One reduction, resolved.
pub struct Reduced {
    /// The user's variable.
    pub name: Ident,
    /// Its field.
    pub field: Ident,
    /// Whether the field is an `Option` (a type Penny can't see is plain data).
    pub opaque: bool,
    /// The operator.
    pub op: ReduceOpTokens,
    /// The partial-results field and the variable's type (built-in operators on a type
    /// Penny can see).
    pub partials: Option<(Ident, syn::Type)>,
    /// A built-in reduction's type that Penny can't see is plain data (a `type` alias, say):
    /// it keeps no partial results, so the expansion checks it needs none (a float would).
    pub unseen: Option<syn::Type>,
}

/// A reduction's operator as the emitter needs it.
#[derive(Clone)]
pub enum ReduceOpTokens {
    /// A marker type in `penny::__private::reduce`.
    Builtin(Ident),
    /// `(combine, identity)`.
    Custom(TokenStream, TokenStream),
}

impl From<&ReduceOp> for ReduceOpTokens {
    fn from(op: &ReduceOp) -> Self {
        match op {
            ReduceOp::Builtin(ident) => ReduceOpTokens::Builtin(ident.clone()),
            ReduceOp::Custom { combine, identity } => {
                ReduceOpTokens::Custom(quote!(#combine), quote!(#identity))
            }
        }
    }
}

/// The alias the generated code gives `penny::__private::reduce` (see [`use_reduce`]).
fn r() -> TokenStream {
    quote!(penny_reduce)
}

/// `use ::penny::__private::reduce as penny_reduce;`, for the functions that reduce.
pub fn use_reduce() -> TokenStream {
    quote!(
        use ::penny::__private::reduce as penny_reduce;
    )
}

/// The type of a partial-results field.
pub fn partials_type(op: &ReduceOpTokens, ty: &syn::Type) -> TokenStream {
    match op {
        ReduceOpTokens::Builtin(op) => {
            quote!(::penny::__private::reduce::PartialsOf<#ty, ::penny::__private::reduce::#op>)
        }
        ReduceOpTokens::Custom(..) => quote!(::penny::__private::reduce::Linear),
    }
}

/// Loop entry: the part is the whole range; a float reduction moves the variable's value
/// aside (the tree's base) and starts from the identity.
pub fn entry(l: &SplitLoop, access: &TokenStream) -> TokenStream {
    let r = r();
    let SplitFields {
        stop, halves, leaf, ..
    } = &l.fields;
    let mut trees = Vec::new();
    let mut starts = Vec::new();
    for red in &l.reductions {
        let (Some((partials, ty)), ReduceOpTokens::Builtin(op)) = (&red.partials, &red.op) else {
            continue;
        };
        let name = &red.name;
        trees.push(quote!(#r::is_tree::<#r::#op, #ty>()));
        starts.push(quote! {
            self.#partials = #r::start::<#r::#op, #ty>(#name, 0);
            #name = #r::entry_value::<#r::#op, #ty>(#name);
        });
    }
    let tree = if trees.is_empty() {
        quote!(false)
    } else {
        quote!(#(#trees)||*)
    };
    quote! {
        self.#stop = #access.len();
        self.#halves = 0;
        self.#leaf = #r::leaves(self.#stop, #tree);
        #(#starts)*
    }
}

/// Whether the split loop `l` is at its start: none of its iterations ran, in the task it
/// was spawned as (not a half), with no halves split off. `split_state` says `Starting`
/// there, and a chunk that reaches it after other work stops there (`leaf_arm`).
fn at_start(l: &SplitLoop, half: &Ident) -> TokenStream {
    let done = &l.done;
    let halves = &l.fields.halves;
    quote!(self.#done == 0 && self.#halves == 0 && !self.#half)
}

/// The pieces of a split loop's leaf arm `machine` hands over.
pub struct Chunk {
    /// `let penny_range = ...;`'s expression.
    pub range: TokenStream,
    /// Narrows writable views to the chunk's stripes (before the chunk loop).
    pub restrict: TokenStream,
    /// The chunk loop over `penny_range.chunk(self.done, penny_end)`.
    pub chunk: TokenStream,
    /// Returns `Yielded`, storing the variables.
    pub yielded: TokenStream,
    /// Leaves the loop.
    pub exit: TokenStream,
    /// The half flag.
    pub half: Ident,
}

/// A split loop's leaf arm: chunks up to the part's `stop`, ending early at leaf boundaries
/// to hand each finished leaf to the reductions' trees; at `stop` the part waits for its
/// halves (a half stops for good), then the reductions finish and the loop exits.
pub fn leaf_arm(l: &SplitLoop, c: Chunk) -> TokenStream {
    let done = &l.done;
    let SplitFields {
        stop, halves, leaf, ..
    } = &l.fields;
    let Chunk {
        range,
        restrict,
        chunk,
        yielded,
        exit,
        half,
    } = c;
    let r = r();
    let at_start = at_start(l, &half);
    let mut pushes = Vec::new();
    let mut finishes = Vec::new();
    for red in &l.reductions {
        let (Some((partials, ty)), ReduceOpTokens::Builtin(op)) = (&red.partials, &red.op) else {
            continue;
        };
        let name = &red.name;
        pushes.push(quote! {
            #name = #r::push_leaf::<#r::#op, #ty>(&mut self.#partials, (penny_end - 1) / penny_leaf, #name);
        });
        finishes.push(quote!(#name = #r::finish::<#r::#op, #ty>(&self.#partials, #name);));
    }
    let leaves = (!pushes.is_empty()).then(|| {
        quote! {
            if penny_leaf != 0
                && penny_take != 0
                && (penny_end % penny_leaf == 0 || penny_end == penny_range.len())
            {
                #(#pushes)*
            }
        }
    });
    quote! {
        let penny_range = #range;
        // `stop` never exceeds the range's length; saying so lets LLVM see every index is
        // below the range's end (and drop bounds checks), as in an unsplit loop.
        let penny_len = ::core::cmp::min(self.#stop, penny_range.len());
        let penny_leaf = self.#leaf;
        // A chunk that ran other iterations first stops at the loop's start (`split_state`
        // says `Starting` there): what it measured says nothing about this loop's
        // iterations, so the runtime probes them afresh instead of running the whole loop
        // on a budget learnt from cheaper ones, unsplit.
        if #at_start && penny_len != 0 && penny_budget != penny_chunk #yielded
        loop {
            let penny_end = ::core::cmp::min(self.#done.saturating_add(penny_budget), penny_len);
            let penny_end = if penny_leaf != 0 {
                ::core::cmp::min(penny_end, (self.#done / penny_leaf + 1) * penny_leaf)
            } else {
                penny_end
            };
            let penny_take = penny_end - self.#done;
            #restrict
            let penny_part = ::penny::__private::SplitPart::enter();
            #chunk
            drop(penny_part);
            penny_budget -= penny_take;
            self.#done = penny_end;
            #leaves
            if penny_end < penny_len && penny_budget != 0 {
                continue;
            }
            break;
        }
        if self.#done < penny_len #yielded
        if self.#halves != 0 || self.#half #yielded
        #(#finishes)*
        #exit
    }
}

/// `Task::split`, `split_state` and `join` for the kernel's split loops (none: the trait's
/// defaults stand).
pub fn methods(loops: &[SplitLoop], phase: &Ident, half: Option<&Ident>) -> TokenStream {
    let Some(half) = half else {
        return quote!();
    };
    if loops.is_empty() {
        return quote!();
    }
    let r = r();
    let use_reduce = use_reduce();
    let mut split_arms = Vec::new();
    let mut state_arms = Vec::new();
    let mut join_arms = Vec::new();
    for l in loops {
        let done = &l.done;
        let SplitFields {
            stop, halves, leaf, ..
        } = &l.fields;
        let head = crate::machine::pc_literal(l.head);
        let at_start = at_start(l, half);
        let mut identities = Vec::new();
        let mut combines = Vec::new();
        for red in &l.reductions {
            let field = &red.field;
            let (identity, combine) = match &red.op {
                ReduceOpTokens::Builtin(op) => (
                    quote!(#r::identity_like::<#r::#op, _>(&penny_value)),
                    quote!(#r::combine::<#r::#op, _>(penny_mine, penny_theirs)),
                ),
                ReduceOpTokens::Custom(combine, identity) => (
                    quote!(#identity),
                    quote!((#combine)(penny_mine, penny_theirs)),
                ),
            };
            if red.opaque {
                identities.push(quote! {
                    penny_half.#field = self.#field.map(|penny_value| #identity);
                });
                combines.push(quote! {
                    if let (::core::option::Option::Some(penny_mine), ::core::option::Option::Some(penny_theirs)) = (self.#field, penny_other.#field) {
                        self.#field = ::core::option::Option::Some(#combine);
                    }
                });
            } else {
                let (identity, combine) = match &red.op {
                    ReduceOpTokens::Builtin(op) => (
                        quote!(#r::identity_like::<#r::#op, _>(&self.#field)),
                        quote!(#r::combine::<#r::#op, _>(self.#field, penny_other.#field)),
                    ),
                    ReduceOpTokens::Custom(combine, identity) => (
                        quote!(#identity),
                        quote!((#combine)(self.#field, penny_other.#field)),
                    ),
                };
                identities.push(quote!(penny_half.#field = #identity;));
                combines.push(quote!(self.#field = #combine;));
            }
            if let (Some((partials, ty)), ReduceOpTokens::Builtin(op)) = (&red.partials, &red.op) {
                identities.push(quote! {
                    penny_half.#partials = #r::start::<#r::#op, #ty>(
                        #r::identity::<#r::#op, #ty>(),
                        penny_mid / ::core::cmp::max(self.#leaf, 1),
                    );
                });
                combines.push(quote! {
                    #r::append::<#r::#op, #ty>(&mut self.#partials, &penny_other.#partials);
                });
            }
        }
        split_arms.push(quote! {
            #head if self.#done < self.#stop => {
                let penny_rest = self.#stop - self.#done;
                if penny_rest < ::core::cmp::max(min_iterations, 1).saturating_mul(2) {
                    return ::core::option::Option::None;
                }
                // Splits fall on leaf boundaries (see `penny::__private::reduce`).
                let penny_mid = self.#done + penny_rest / 2;
                let penny_mid = if self.#leaf != 0 { penny_mid / self.#leaf * self.#leaf } else { penny_mid };
                if penny_mid <= self.#done || penny_mid >= self.#stop {
                    return ::core::option::Option::None;
                }
                let mut penny_half = *self;
                penny_half.#done = penny_mid;
                penny_half.#halves = 0;
                penny_half.#half = true;
                #(#identities)*
                self.#stop = penny_mid;
                self.#halves += 1;
                ::core::option::Option::Some(penny_half)
            }
        });
        state_arms.push(quote! {
            #head if self.#done >= self.#stop => {
                if self.#halves != 0 {
                    ::penny::SplitState::Joining
                } else if self.#half {
                    ::penny::SplitState::HalfDone
                } else {
                    ::penny::SplitState::Sequential
                }
            }
            #head if #at_start => ::penny::SplitState::Starting,
            #head => ::penny::SplitState::Splittable,
        });
        join_arms.push(quote! {
            #head if self.#halves != 0 => {
                #(#combines)*
                self.#done = penny_other.#stop;
                self.#stop = penny_other.#stop;
                self.#halves -= 1;
            }
        });
    }
    quote! {
        #[allow(unused_variables, clippy::all)]
        fn split(&mut self, min_iterations: u64) -> ::core::option::Option<Self> {
            #use_reduce
            match self.#phase {
                #(#split_arms)*
                _ => ::core::option::Option::None,
            }
        }

        #[allow(clippy::all)]
        fn split_state(&self) -> ::penny::SplitState {
            match self.#phase {
                #(#state_arms)*
                _ => ::penny::SplitState::Sequential,
            }
        }

        #[allow(unused_variables, clippy::all)]
        fn join(&mut self, penny_other: &Self) {
            #use_reduce
            match self.#phase {
                #(#join_arms)*
                _ => {}
            }
        }
    }
}
