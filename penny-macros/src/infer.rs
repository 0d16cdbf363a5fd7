//! A small, conservative type inference over a kernel, to annotate its `let`s.
//!
//! Carried variables become fields of the state struct, so the macro must write their types.
//! [`annotate_lets`] returns a copy of the kernel in which every unannotated `let` (at any
//! block depth, but not inside closures, async blocks, macro arguments or nested items) whose
//! bindings all have a type this module can determine gets that type as an annotation.
//! Every other `let` is left exactly as written, and the caller asks for an annotation.
//!
//! # How
//!
//! One walk over the body gives every binding, literal and expression a type variable, and
//! records constraints between them in a union-find of *shapes*: unknown, integer literal,
//! float literal, a primitive, an opaque named type (`T`, `P`, `In<f32>`, compared by
//! spelling), a tuple, an array (element and length), a slice, a reference, an `Option` or an
//! iterator (never written out). Constraints that need an operand's shape first (operators,
//! methods, fields, indexing, `for` loops, patterns) wait in a list that is solved to a
//! fixpoint once the walk is done.
//!
//! # What links types
//!
//! * `let` (pattern and initializer, or the annotation), `=`, compound assignment,
//!   `if`/`else` branches, `match` arms, block tails, `break value` and the `loop`'s value,
//!   labeled blocks, `return` and the body's tail against the declared return type.
//! * Literals: a suffix gives the type; unsuffixed ones are integer or float *literal kinds*
//!   that a primitive of the right kind refines. `true`, `'c'`, `b'c'` are `bool`/`char`/`u8`.
//! * Arguments and generics: argument types (which may name type and const parameters),
//!   `const`/`static` items and `fn` items *declared in the body* (visible in their block),
//!   calls to those `fn`s (arguments linked to non-generic parameter types, the result to the
//!   return type), tuple-struct and struct literals of structs declared in the body (fields
//!   linked); a struct literal `P { .. }` is a `P` when `P` can't be generic (declared in
//!   the body without generics, or declared outside and never written `P<..>` in the
//!   kernel: a bare `P` is no type for a `struct P<T>`).
//! * Operators on primitives (or literal kinds): arithmetic and bitwise operators link both
//!   operands and the result (a reference operand, `acc += x` with `x: &f32`, links through
//!   the reference); shifts give the left operand's type and leave the right one alone;
//!   comparisons link both operands and give `bool`; `&&`, `||`, conditions and guards are
//!   `bool`; `-x`/`!x` keep the type; `*r` and `&x` go through references; `as T` is a `T`
//!   and does not constrain its operand.
//! * Tuples, `.0` fields, arrays `[a, b]`, `[x; N]`, indexing arrays/slices/`In<T>`/`Vec<T>`
//!   (the index is a `usize`, a range index gives a slice), `Some(x)`, `None`, ranges.
//! * Methods of numeric primitives with their argument types (`min`, `max`, `pow(u32)`,
//!   `sqrt`, `wrapping_*`, `count_ones() -> u32`, `to_bits`, `abs_diff`, ...), also called
//!   as `f32::sqrt(x)`; `u32::MAX`, `f64::consts::PI`, `f32::from_bits(u32)`; `len()`,
//!   `iter()`, `chunks(k)`, `first()`, `get(i)`, ... on arrays, slices, `In`, `Vec`;
//!   `get`/`set`/`fill`/`len` on `Out<T>`; `unwrap`, `is_some`, `copied`, ... on `Option`;
//!   `core::cmp::{min, max}`, `core::mem::{swap, replace}`, `core::hint::black_box`.
//! * `for` loops: ranges (also `.rev()`, `.step_by(k)`, `.skip(k)`, `.take(k)`) give their
//!   element type, `arr.iter()` gives `&T`, `.enumerate()` `(usize, _)`, `.zip(b)` pairs,
//!   `.copied()` derefs, `.chunks(k)` gives `&[T]`, an array by value gives `T`, `&arr` `&T`.
//! * Patterns: tuples, `Some(..)`, `None`, literals, ranges, `&p`, `x @ p`, or-patterns,
//!   structs declared in the body, with the default binding modes through references
//!   (`for (a, b) in pairs.iter()` binds `&A`, `&B`; `mut x` binds by value).
//! * Format-style macros (`println!`, `format!`, `write!`, `assert*!`, `debug_assert*!`,
//!   `panic!`, `dbg!`, ...) are parsed as comma-separated expressions: their format arguments
//!   don't constrain, `assert!`'s condition is a `bool`, `assert_eq!` compares.
//!
//! # When it gives up (and why)
//!
//! Integer and float literal kinds fall back to rustc's defaults (`i32`, `f64`) only when no
//! occurrence of anything linked to them is in a context this module doesn't model, because
//! such a context (a trait method, a generic function) could fix the type rustc infers, and
//! a wrong annotation is worse than none. Two more cases take no default: a number whose
//! type is still a literal's when a method is called on it (`x.pow(2)`, `x.wrapping_mul(3)`:
//! rustc rejects that call, E0689, and asks for the type; the call still links the types, so
//! `a = a.wrapping_mul(x)` with `x: u64` makes `a` a `u64`), and an integer literal that
//! doesn't fit an `i32`. A type variable *escapes* (can't default; its
//! parts can't either) when it is an argument of an unknown function or method, the receiver
//! of an unknown method, named inside a closure or an unknown macro, indexed as an unknown
//! type, an operand of an operator on a non-primitive type, or anything that stays undecided
//! when the constraints are solved. A variable linked to two different types (or a shape the
//! walk got wrong) is *poisoned*: neither it nor anything containing it is annotated. Module
//! level items (`const`, `fn`, `struct` fields) are unknown: uses give no information.
//! A `let` is annotated only when every binding of its pattern has a fully known type; parts
//! of the pattern without bindings may be written `_`. An annotation never names an item
//! that would resolve differently at the `let` than where the type was written.

use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{quote, ToTokens};
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::visit_mut::VisitMut;
use syn::{
    BinOp, Block, Expr, Fields, FnArg, GenericParam, Item, ItemFn, Lit, Local, Macro, Member, Pat,
    PatIdent, PatType, Path, ReturnType, Signature, Stmt, Token, Type, UnOp,
};

#[cfg(test)]
mod tests;

/// Returns a copy of `func` in which every unannotated `let` of the kernel body whose
/// bindings all have a determined type gets that type as an annotation (see the module doc).
pub fn annotate_lets(func: &ItemFn) -> ItemFn {
    let mut out = func.clone();
    let mut annotate = {
        let mut cx = Infer::new();
        cx.kernel(&out);
        cx.solve();
        Annotate {
            lets: cx.annotations(),
            arms: cx.arm_lets(),
            params: cx.param_annotations(),
        }
    };
    annotate.visit_block_mut(&mut out.block);
    out
}

/// Writes the annotations found, by the address of their `let`, and the typed `let`s that
/// bind an arm's pattern names again (`let k: u32 = k;`), by the address of its block.
struct Annotate {
    lets: HashMap<usize, Type>,
    /// By block: the `let`s, and whether they go around the loop whose body it is.
    arms: HashMap<usize, (Vec<Stmt>, bool)>,
    /// By closure: the types of its untyped parameters, by position.
    params: HashMap<usize, Vec<(usize, Type)>>,
}

impl VisitMut for Annotate {
    // The arm's `let`s go in after its statements were visited: inserting moves the block's
    // statements, and the keys of the `let`s inside them are their addresses.
    fn visit_block_mut(&mut self, block: &mut syn::Block) {
        let key = &*block as *const syn::Block as usize;
        let arm = match self.arms.get(&key) {
            Some((_, false)) => self.arms.remove(&key),
            _ => None,
        };
        syn::visit_mut::visit_block_mut(self, block);
        if let Some((lets, _)) = arm {
            block.stmts.splice(0..0, lets);
        }
    }

    fn visit_arm_mut(&mut self, arm: &mut syn::Arm) {
        let wrapped = match &*arm.body {
            Expr::Loop(l) => match self.arms.get(&(&l.body as *const syn::Block as usize)) {
                Some((_, true)) => self.arms.remove(&(&l.body as *const syn::Block as usize)),
                _ => None,
            },
            _ => None,
        };
        syn::visit_mut::visit_arm_mut(self, arm);
        if let Some((lets, _)) = wrapped {
            let body = &arm.body;
            *arm.body = syn::parse_quote!({ #(#lets)* #body });
        }
    }

    // A closure the lowering creates again where it isn't called (after a resume point) has
    // nothing to infer its parameters from there (E0284): they get the types its calls give.
    fn visit_expr_closure_mut(&mut self, closure: &mut syn::ExprClosure) {
        let key = &*closure as *const syn::ExprClosure as usize;
        if let Some(types) = self.params.remove(&key) {
            for (index, ty) in types {
                annotate_pat(&mut closure.inputs[index], ty);
            }
        }
        syn::visit_mut::visit_expr_closure_mut(self, closure);
    }

    fn visit_local_mut(&mut self, local: &mut Local) {
        let key = &*local as *const Local as usize;
        if let Some(ty) = self.lets.remove(&key) {
            annotate_pat(&mut local.pat, ty);
        }
        syn::visit_mut::visit_local_mut(self, local);
    }
}

/// `pat` becomes `pat: ty`.
fn annotate_pat(pat: &mut Pat, ty: Type) {
    let inner = std::mem::replace(pat, Pat::Verbatim(TokenStream::new()));
    *pat = Pat::Type(PatType {
        attrs: Vec::new(),
        pat: Box::new(inner),
        colon_token: Token![:](Span::call_site()),
        ty: Box::new(ty),
    });
}

// ---------------------------------------------------------------------------------------------
// Shapes and the union-find.

/// A type variable.
type V = usize;

/// Block ids from the body's block to the innermost one: where a type was written.
type Chain = Rc<[usize]>;

const PRIMS: &[&str] = &[
    "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64", "i128", "isize", "f32",
    "f64", "bool", "char", "str",
];

fn prim_name(name: &str) -> Option<&'static str> {
    PRIMS.iter().copied().find(|p| *p == name)
}

fn is_int(p: &str) -> bool {
    p.starts_with('u') || p.starts_with('i')
}

fn is_float(p: &str) -> bool {
    p == "f32" || p == "f64"
}

/// The unsigned type of the same width (`abs_diff`, `unsigned_abs`).
fn unsigned_of(p: &'static str) -> &'static str {
    match p {
        "i8" => "u8",
        "i16" => "u16",
        "i32" => "u32",
        "i64" => "u64",
        "i128" => "u128",
        "isize" => "usize",
        other => other,
    }
}

/// A type spelled by the user (or a struct literal's path), opaque to inference.
struct Named {
    ty: Type,
    key: String,
    origin: Chain,
}

/// An array length expression, and where it was written.
struct Len {
    expr: Expr,
    origin: Chain,
}

impl Len {
    fn literal(&self) -> Option<u128> {
        match &self.expr {
            Expr::Lit(syn::ExprLit {
                lit: Lit::Int(int), ..
            }) => int.base10_parse().ok(),
            _ => None,
        }
    }
}

#[derive(Clone)]
enum Shape {
    Unknown,
    /// An unsuffixed integer literal: some integer type, `i32` by default.
    Int,
    /// An unsuffixed float literal: `f32` or `f64`, `f64` by default.
    Float,
    Prim(&'static str),
    Named(Rc<Named>),
    Tuple(Vec<V>),
    Array(V, Rc<Len>),
    Slice(V),
    Ref(bool, V),
    Option(V),
    /// `Result<T, E>`: the `Ok` and the `Err` type.
    Result(V, V),
    /// An iterator with this item type; never written in an annotation.
    Iter(V),
    /// A closure with these parameter types, returning the last; never written either.
    Closure(Rc<[V]>, V),
}

impl Shape {
    fn children(&self) -> Vec<V> {
        match self {
            Shape::Tuple(elems) => elems.clone(),
            Shape::Array(v, _)
            | Shape::Slice(v)
            | Shape::Ref(_, v)
            | Shape::Option(v)
            | Shape::Iter(v) => vec![*v],
            Shape::Result(ok, err) => vec![*ok, *err],
            Shape::Closure(params, ret) => params.iter().copied().chain([*ret]).collect(),
            _ => Vec::new(),
        }
    }
}

#[derive(Default)]
struct Uf {
    parent: Vec<V>,
    shape: Vec<Shape>,
    /// Used where a type could be constrained in a way not modeled: literal kinds in it
    /// can't take their default.
    escaped: Vec<bool>,
    /// Holds an integer literal that doesn't fit `i32`: no default either (rustc would
    /// reject the default).
    big: Vec<bool>,
    /// Linked to two incompatible types: never written.
    poisoned: Vec<bool>,
    /// Parts of shapes dropped by a conflict, poisoned at the end.
    dropped: Vec<V>,
}

impl Uf {
    fn make(&mut self, shape: Shape) -> V {
        let v = self.parent.len();
        self.parent.push(v);
        self.shape.push(shape);
        self.escaped.push(false);
        self.big.push(false);
        self.poisoned.push(false);
        v
    }

    fn find(&mut self, v: V) -> V {
        let mut root = v;
        while self.parent[root] != root {
            root = self.parent[root];
        }
        let mut at = v;
        while self.parent[at] != root {
            let next = self.parent[at];
            self.parent[at] = root;
            at = next;
        }
        root
    }

    fn shape(&mut self, v: V) -> Shape {
        let root = self.find(v);
        self.shape[root].clone()
    }

    fn unify(&mut self, a: V, b: V) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return;
        }
        let sa = std::mem::replace(&mut self.shape[ra], Shape::Unknown);
        let sb = std::mem::replace(&mut self.shape[rb], Shape::Unknown);
        self.parent[rb] = ra;
        self.escaped[ra] |= self.escaped[rb];
        self.big[ra] |= self.big[rb];
        self.poisoned[ra] |= self.poisoned[rb];
        let mut pairs = Vec::new();
        let merged = match (sa, sb) {
            (Shape::Unknown, s) | (s, Shape::Unknown) => Some(s),
            (Shape::Int, Shape::Int) => Some(Shape::Int),
            (Shape::Float, Shape::Float) => Some(Shape::Float),
            (Shape::Int, Shape::Prim(p)) | (Shape::Prim(p), Shape::Int) if is_int(p) => {
                Some(Shape::Prim(p))
            }
            (Shape::Float, Shape::Prim(p)) | (Shape::Prim(p), Shape::Float) if is_float(p) => {
                Some(Shape::Prim(p))
            }
            (Shape::Prim(p), Shape::Prim(q)) if p == q => Some(Shape::Prim(p)),
            (Shape::Named(n), Shape::Named(m)) if n.key == m.key => Some(Shape::Named(n)),
            (Shape::Tuple(x), Shape::Tuple(y)) if x.len() == y.len() => {
                pairs.extend(x.iter().copied().zip(y.iter().copied()));
                Some(Shape::Tuple(x))
            }
            (Shape::Array(x, n), Shape::Array(y, m)) => match (n.literal(), m.literal()) {
                (Some(a), Some(b)) if a != b => {
                    self.dropped.extend([x, y]);
                    None
                }
                (None, Some(_)) => {
                    pairs.push((x, y));
                    Some(Shape::Array(x, m))
                }
                _ => {
                    pairs.push((x, y));
                    Some(Shape::Array(x, n))
                }
            },
            (Shape::Slice(x), Shape::Slice(y)) => {
                pairs.push((x, y));
                Some(Shape::Slice(x))
            }
            (Shape::Option(x), Shape::Option(y)) => {
                pairs.push((x, y));
                Some(Shape::Option(x))
            }
            (Shape::Result(x, e), Shape::Result(y, f)) => {
                pairs.extend([(x, y), (e, f)]);
                Some(Shape::Result(x, e))
            }
            (Shape::Iter(x), Shape::Iter(y)) => {
                pairs.push((x, y));
                Some(Shape::Iter(x))
            }
            (Shape::Closure(p, x), Shape::Closure(q, y)) if p.len() == q.len() => {
                pairs.extend(p.iter().copied().zip(q.iter().copied()));
                pairs.push((x, y));
                Some(Shape::Closure(p, x))
            }
            (Shape::Ref(m, x), Shape::Ref(n, y)) if m == n => {
                pairs.push((x, y));
                Some(Shape::Ref(m, x))
            }
            (sa, sb) => {
                self.dropped.extend(sa.children());
                self.dropped.extend(sb.children());
                None
            }
        };
        match merged {
            Some(shape) => self.shape[ra] = shape,
            None => self.poisoned[ra] = true,
        }
        for (x, y) in pairs {
            self.unify(x, y);
        }
    }

    fn escape(&mut self, v: V) {
        let root = self.find(v);
        self.escaped[root] = true;
    }

    /// Spreads escape and poison from every type to its parts.
    fn propagate(&mut self) {
        for v in std::mem::take(&mut self.dropped) {
            let root = self.find(v);
            self.poisoned[root] = true;
        }
        loop {
            let mut changed = false;
            for v in 0..self.parent.len() {
                if self.find(v) != v || !(self.escaped[v] || self.poisoned[v]) {
                    continue;
                }
                for child in self.shape[v].children() {
                    let child = self.find(child);
                    if self.escaped[v] && !self.escaped[child] {
                        self.escaped[child] = true;
                        changed = true;
                    }
                    if self.poisoned[v] && !self.poisoned[child] {
                        self.poisoned[child] = true;
                        changed = true;
                    }
                }
            }
            if !changed {
                break;
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The walk: scopes, items, loops, and the constraints left for later.

/// A value, and whether evaluating it never finishes (`return`, `break`, `panic!()`...).
#[derive(Clone, Copy)]
struct Val {
    v: V,
    div: bool,
}

/// How a pattern binds: by value, or by reference under a reference (default binding modes).
#[derive(Clone, Copy)]
enum Mode {
    Move,
    Ref(bool),
}

#[derive(Clone, Copy, PartialEq)]
enum Op {
    Arith,
    ArithAssign,
    Shift,
    Cmp,
}

enum Pending {
    Pat {
        pat: Rc<Pat>,
        ty: V,
        mode: Mode,
        vars: Rc<HashMap<String, V>>,
        chain: Chain,
    },
    Bin {
        op: Op,
        l: V,
        r: V,
        out: V,
    },
    /// `-x`, `!x`.
    Unary {
        x: V,
        out: V,
    },
    Deref {
        x: V,
        out: V,
    },
    /// `f(args)` of a variable `f` (a closure).
    CallVar {
        f: V,
        args: Vec<V>,
        out: V,
    },
    Method {
        recv: V,
        name: String,
        args: Vec<V>,
        range_arg: bool,
        out: V,
    },
    Field {
        base: V,
        member: Member,
        out: V,
    },
    Index {
        base: V,
        /// The index, or the ends of a range index.
        index: Result<V, Vec<V>>,
        out: V,
    },
    /// `for item in iterable`.
    IntoIter {
        iterable: V,
        item: V,
    },
}

enum Step {
    Done,
    Wait,
}

enum ItemKind {
    Const(Type),
    Fn(Signature),
    Struct(syn::ItemStruct),
    Other,
}

/// An item declared in the body, and the chain of the block that declares it.
struct ItemInfo {
    kind: ItemKind,
    chain: Chain,
}

#[derive(Default)]
struct Frame {
    vars: HashMap<String, V>,
}

#[derive(PartialEq)]
enum LoopKind {
    Loop,
    WhileFor,
    Block,
}

struct LoopCx {
    label: Option<String>,
    result: V,
    kind: LoopKind,
    broken: bool,
}

struct LetRecord {
    key: usize,
    ty: V,
    bindings: Vec<V>,
    chain: Chain,
}

/// An untyped closure parameter (a plain name), which the closure's calls may type.
struct ClosureParam {
    /// The closure's address.
    key: usize,
    /// The closure's type.
    closure: V,
    /// The parameter's position.
    index: usize,
    /// The parameter's type.
    param: V,
    chain: Chain,
}

/// An `if let` or `match` arm whose block holds a loop, with the names its pattern binds by
/// value (a loop in the block may carry them, and the lowering reads a carried variable's
/// type from a `let`).
struct ArmRecord {
    /// The address of the arm's block.
    key: usize,
    /// The block is a loop's body (a labelled block as the whole arm): the `let`s go before
    /// the loop, in a block around it, not in its body.
    wrap: bool,
    /// Each name, whether it is bound `mut`, and its type.
    names: Vec<(syn::Ident, bool, V)>,
    chain: Chain,
}

enum Found {
    Var(V),
    Item(usize),
    Generic(Box<Type>),
    Nothing,
}

struct Infer {
    uf: Uf,
    pending: Vec<Pending>,
    frames: Vec<Frame>,
    items: Vec<ItemInfo>,
    /// Items by block id, then name.
    block_items: HashMap<usize, HashMap<String, usize>>,
    /// Names of every item declared in a block of the body.
    body_items: HashSet<String>,
    /// The kernel's const generic parameters.
    generic_consts: HashMap<String, Type>,
    /// Names written with generic arguments somewhere in the kernel (`P<u8>`, `f::<T>`).
    generic_names: HashSet<String>,
    chain: Vec<usize>,
    next_block: usize,
    loops: Vec<LoopCx>,
    ret: V,
    ret_type: Option<Type>,
    /// Inside the arguments of a macro (the `let`s there are not the user's tokens) or a
    /// closure's body (its `let`s stay as written): no annotation is recorded.
    in_macro: usize,
    lets: Vec<LetRecord>,
    arms: Vec<ArmRecord>,
    /// Untyped closure parameters: the closure's address and type, the parameter's position
    /// and type.
    params: Vec<ClosureParam>,
}

fn has_cfg(attrs: &[syn::Attribute]) -> bool {
    attrs
        .iter()
        .any(|a| a.path().is_ident("cfg") || a.path().is_ident("cfg_attr"))
}

/// Whether a value of this type can only be written as this type (no coercion to it: no
/// references, pointers, trait objects, `impl Trait`).
fn coercion_free(ty: &Type) -> bool {
    match ty {
        Type::Paren(p) => coercion_free(&p.elem),
        Type::Group(g) => coercion_free(&g.elem),
        Type::Tuple(t) => t.elems.iter().all(coercion_free),
        Type::Array(a) => coercion_free(&a.elem),
        Type::Path(p) => {
            p.qself.is_none()
                && p.path.segments.iter().all(|seg| match &seg.arguments {
                    syn::PathArguments::None => true,
                    syn::PathArguments::AngleBracketed(args) => args.args.iter().all(|arg| {
                        matches!(arg, syn::GenericArgument::Type(t) if coercion_free(t))
                            || matches!(arg, syn::GenericArgument::Const(_))
                    }),
                    syn::PathArguments::Parenthesized(_) => false,
                })
        }
        _ => false,
    }
}

/// Whether this identifier pattern binds a variable (rather than naming a constant, a unit
/// struct or a variant like `None`, which by convention are capitalized).
fn is_binding(p: &PatIdent) -> bool {
    p.by_ref.is_some()
        || p.mutability.is_some()
        || p.subpat.is_some()
        || !p.ident.to_string().starts_with(char::is_uppercase)
}

/// The names a pattern binds.
fn pat_names(pat: &Pat, out: &mut Vec<String>) {
    match pat {
        Pat::Ident(p) => {
            if is_binding(p) {
                out.push(p.ident.to_string());
            }
            if let Some((_, sub)) = &p.subpat {
                pat_names(sub, out);
            }
        }
        Pat::Or(o) => o.cases.iter().for_each(|c| pat_names(c, out)),
        Pat::Paren(p) => pat_names(&p.pat, out),
        Pat::Reference(r) => pat_names(&r.pat, out),
        Pat::Slice(s) => s.elems.iter().for_each(|e| pat_names(e, out)),
        Pat::Struct(s) => s.fields.iter().for_each(|f| pat_names(&f.pat, out)),
        Pat::Tuple(t) => t.elems.iter().for_each(|e| pat_names(e, out)),
        Pat::TupleStruct(t) => t.elems.iter().for_each(|e| pat_names(e, out)),
        Pat::Type(t) => pat_names(&t.pat, out),
        _ => {}
    }
}

fn path_idents(path: &Path) -> Vec<String> {
    path.segments.iter().map(|s| s.ident.to_string()).collect()
}

fn path_has_args(path: &Path) -> bool {
    path.segments
        .iter()
        .any(|s| !matches!(s.arguments, syn::PathArguments::None))
}

/// `Some`, `Option::Some`, `core::option::Option::Some` (and `Option` itself as a type).
fn is_variant(path: &Path, variant: &str) -> bool {
    is_std_name(path, variant, "option", "Option")
}

/// `Ok`, `Result::Ok`, `core::result::Result::Ok` (and `Result` itself as a type).
fn is_result_variant(path: &Path, variant: &str) -> bool {
    is_std_name(path, variant, "result", "Result")
}

/// Whether `path` is `name`, `ty::name` or `{core,std}::module::ty::name`.
fn is_std_name(path: &Path, name: &str, module: &str, ty: &str) -> bool {
    let names = path_idents(path);
    let Some((last, prefix)) = names.split_last() else {
        return false;
    };
    last == name
        && (prefix.is_empty()
            || prefix == [ty]
            || prefix.len() == 3
                && ["core", "std"].contains(&prefix[0].as_str())
                && prefix[1] == module
                && prefix[2] == ty)
}

/// `In<T>`, `Out<T>` (Penny's) and `Vec<T>`: their kind and element type.
fn named_kind(ty: &Type) -> Option<(&'static str, &Type)> {
    let Type::Path(p) = ty else {
        return None;
    };
    if p.qself.is_some() {
        return None;
    }
    let names = path_idents(&p.path);
    let kind = match names
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        // A buffer `View` reads like an `In`, `Stripes` write like an `Out`.
        ["In"] | ["penny", "In"] | ["View"] | ["penny", "View"] => "In",
        ["Out"]
        | ["penny", "Out"]
        | ["Stripes"]
        | ["penny", "Stripes"]
        | ["Tiles"]
        | ["penny", "Tiles"] => "Out",
        ["Vec"] | ["std" | "alloc", "vec", "Vec"] => "Vec",
        _ => return None,
    };
    let last = p.path.segments.last()?;
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.iter().collect::<Vec<_>>().as_slice() {
        [syn::GenericArgument::Type(elem)] => Some((kind, elem)),
        _ => None,
    }
}

impl Infer {
    fn new() -> Self {
        Infer {
            uf: Uf::default(),
            pending: Vec::new(),
            frames: Vec::new(),
            items: Vec::new(),
            block_items: HashMap::new(),
            body_items: HashSet::new(),
            generic_consts: HashMap::new(),
            generic_names: HashSet::new(),
            chain: Vec::new(),
            next_block: 0,
            loops: Vec::new(),
            ret: 0,
            ret_type: None,
            in_macro: 0,
            lets: Vec::new(),
            arms: Vec::new(),
            params: Vec::new(),
        }
    }

    // --- small helpers ---

    fn fresh(&mut self) -> V {
        self.uf.make(Shape::Unknown)
    }

    fn escaped(&mut self) -> V {
        let v = self.fresh();
        self.uf.escape(v);
        v
    }

    fn mk(&mut self, shape: Shape) -> V {
        self.uf.make(shape)
    }

    fn prim(&mut self, name: &'static str) -> V {
        self.mk(Shape::Prim(name))
    }

    fn unit(&mut self) -> V {
        self.mk(Shape::Tuple(Vec::new()))
    }

    fn unify(&mut self, a: V, b: V) {
        self.uf.unify(a, b);
    }

    fn unify_prim(&mut self, v: V, name: &'static str) {
        let p = self.prim(name);
        self.unify(v, p);
    }

    fn shape(&mut self, v: V) -> Shape {
        self.uf.shape(v)
    }

    fn escape(&mut self, v: V) {
        self.uf.escape(v);
    }

    fn val(&self, v: V) -> Val {
        Val { v, div: false }
    }

    fn chain_rc(&self) -> Chain {
        Rc::from(self.chain.as_slice())
    }

    fn named(&mut self, ty: Type, origin: &Chain) -> V {
        let key = ty.to_token_stream().to_string();
        self.mk(Shape::Named(Rc::new(Named {
            ty,
            key,
            origin: origin.clone(),
        })))
    }

    /// A type variable for a type the user wrote at `origin`.
    fn conv(&mut self, ty: &Type, origin: &Chain) -> V {
        match ty {
            Type::Paren(p) => self.conv(&p.elem, origin),
            Type::Group(g) => self.conv(&g.elem, origin),
            Type::Path(p) if p.qself.is_none() => {
                if let Some(prim) = p.path.get_ident().and_then(|i| prim_name(&i.to_string())) {
                    return self.prim(prim);
                }
                if is_variant(&p.path, "Option") {
                    if let Some(syn::PathArguments::AngleBracketed(args)) =
                        p.path.segments.last().map(|s| &s.arguments)
                    {
                        if let [syn::GenericArgument::Type(inner)] =
                            args.args.iter().collect::<Vec<_>>().as_slice()
                        {
                            let inner = self.conv(inner, origin);
                            return self.mk(Shape::Option(inner));
                        }
                    }
                }
                if is_result_variant(&p.path, "Result") {
                    if let Some(syn::PathArguments::AngleBracketed(args)) =
                        p.path.segments.last().map(|s| &s.arguments)
                    {
                        // `Result<T, E>` only: a one-argument `Result` is someone's alias.
                        if let [syn::GenericArgument::Type(ok), syn::GenericArgument::Type(err)] =
                            args.args.iter().collect::<Vec<_>>().as_slice()
                        {
                            let ok = self.conv(ok, origin);
                            let err = self.conv(err, origin);
                            return self.mk(Shape::Result(ok, err));
                        }
                    }
                }
                self.named(ty.clone(), origin)
            }
            Type::Tuple(t) => {
                let elems = t.elems.iter().map(|e| self.conv(e, origin)).collect();
                self.mk(Shape::Tuple(elems))
            }
            Type::Array(a) => {
                let elem = self.conv(&a.elem, origin);
                let len = Len {
                    expr: a.len.clone(),
                    origin: origin.clone(),
                };
                self.mk(Shape::Array(elem, Rc::new(len)))
            }
            Type::Slice(s) => {
                let elem = self.conv(&s.elem, origin);
                self.mk(Shape::Slice(elem))
            }
            Type::Reference(r) => {
                let elem = self.conv(&r.elem, origin);
                self.mk(Shape::Ref(r.mutability.is_some(), elem))
            }
            Type::Infer(_) | Type::Never(_) => self.fresh(),
            Type::Ptr(_) | Type::BareFn(_) => self.named(ty.clone(), origin),
            _ => self.escaped(),
        }
    }

    /// Links `v` to a declared type, or lets it escape where a coercion could happen.
    fn coerce(&mut self, v: V, ty: &Type, origin: &Chain) {
        if coercion_free(ty) {
            let t = self.conv(ty, origin);
            self.unify(v, t);
        } else {
            self.escape(v);
        }
    }

    fn lookup(&self, name: &str) -> Found {
        for frame in self.frames.iter().rev() {
            if let Some(v) = frame.vars.get(name) {
                return Found::Var(*v);
            }
        }
        if let Some(item) = self.item_in(name, &self.chain) {
            return Found::Item(item);
        }
        match self.generic_consts.get(name) {
            Some(ty) => Found::Generic(Box::new(ty.clone())),
            None => Found::Nothing,
        }
    }

    /// The item `name` seen from the innermost block of `chain`.
    fn item_in(&self, name: &str, chain: &[usize]) -> Option<usize> {
        chain
            .iter()
            .rev()
            .find_map(|block| self.block_items.get(block)?.get(name).copied())
    }

    fn escape_name(&mut self, name: &str) {
        if let Found::Var(v) = self.lookup(name) {
            self.escape(v);
        }
    }

    /// Every variable named in `tokens` escapes.
    fn escape_tokens(&mut self, tokens: TokenStream) {
        for tree in tokens {
            match tree {
                TokenTree::Ident(ident) => self.escape_name(&ident.to_string()),
                TokenTree::Group(group) => self.escape_tokens(group.stream()),
                _ => {}
            }
        }
    }

    /// A fresh variable per name the pattern binds, and the pattern's constraint.
    fn bind(&mut self, pat: &Pat, ty: V) -> HashMap<String, V> {
        let mut names = Vec::new();
        pat_names(pat, &mut names);
        let mut vars = HashMap::new();
        for name in names {
            if let std::collections::hash_map::Entry::Vacant(entry) = vars.entry(name) {
                entry.insert(self.uf.make(Shape::Unknown));
            }
        }
        self.pending.push(Pending::Pat {
            pat: Rc::new(pat.clone()),
            ty,
            mode: Mode::Move,
            vars: Rc::new(vars.clone()),
            chain: self.chain_rc(),
        });
        vars
    }

    fn declare(&mut self, vars: HashMap<String, V>) {
        self.frames
            .last_mut()
            .expect("a scope is open")
            .vars
            .extend(vars);
    }

    fn enter_block(&mut self, stmts: &[Stmt]) {
        let id = self.next_block;
        self.next_block += 1;
        self.chain.push(id);
        let chain = self.chain_rc();
        let mut names = HashMap::new();
        for stmt in stmts {
            let Stmt::Item(item) = stmt else { continue };
            let mut found: Vec<(String, ItemKind)> = Vec::new();
            match item {
                Item::Const(c) => {
                    found.push((c.ident.to_string(), ItemKind::Const((*c.ty).clone())))
                }
                Item::Static(s) => {
                    found.push((s.ident.to_string(), ItemKind::Const((*s.ty).clone())))
                }
                Item::Fn(f) => found.push((f.sig.ident.to_string(), ItemKind::Fn(f.sig.clone()))),
                Item::Struct(s) => found.push((s.ident.to_string(), ItemKind::Struct(s.clone()))),
                Item::Enum(e) => found.push((e.ident.to_string(), ItemKind::Other)),
                Item::Type(t) => found.push((t.ident.to_string(), ItemKind::Other)),
                Item::Union(u) => found.push((u.ident.to_string(), ItemKind::Other)),
                Item::Trait(t) => found.push((t.ident.to_string(), ItemKind::Other)),
                Item::Mod(m) => found.push((m.ident.to_string(), ItemKind::Other)),
                Item::Use(u) => {
                    let mut leaves = Vec::new();
                    use_names(&u.tree, &mut leaves);
                    found.extend(leaves.into_iter().map(|n| (n, ItemKind::Other)));
                }
                _ => {}
            }
            for (name, kind) in found {
                self.body_items.insert(name.clone());
                let index = self.items.len();
                self.items.push(ItemInfo {
                    kind,
                    chain: chain.clone(),
                });
                names.insert(name, index);
            }
        }
        self.block_items.insert(id, names);
        self.frames.push(Frame::default());
    }

    fn leave_block(&mut self) {
        self.frames.pop();
        self.chain.pop();
    }

    // --- the walk ---

    fn kernel(&mut self, func: &ItemFn) {
        struct GenericNames<'n>(&'n mut HashSet<String>);
        impl<'ast> syn::visit::Visit<'ast> for GenericNames<'_> {
            fn visit_path_segment(&mut self, seg: &'ast syn::PathSegment) {
                if !seg.arguments.is_none() {
                    self.0.insert(seg.ident.to_string());
                }
                syn::visit::visit_path_segment(self, seg);
            }
        }
        syn::visit::Visit::visit_item_fn(&mut GenericNames(&mut self.generic_names), func);
        self.frames.push(Frame::default());
        let root: Chain = Rc::from(Vec::new());
        for param in &func.sig.generics.params {
            if let GenericParam::Const(c) = param {
                self.generic_consts
                    .insert(c.ident.to_string(), c.ty.clone());
            }
        }
        self.ret = match &func.sig.output {
            ReturnType::Default => self.unit(),
            ReturnType::Type(_, ty) => {
                self.ret_type = Some((**ty).clone());
                self.conv(ty, &root)
            }
        };
        for input in &func.sig.inputs {
            if let FnArg::Typed(arg) = input {
                let ty = self.conv(&arg.ty, &root);
                let vars = self.bind(&arg.pat, ty);
                self.declare(vars);
            }
        }
        let body = self.block(&func.block);
        self.returned(body.v);
    }

    fn returned(&mut self, v: V) {
        match self.ret_type.clone() {
            Some(ty) => self.coerce(v, &ty, &Rc::from(Vec::new())),
            None => {
                let ret = self.ret;
                self.unify(v, ret);
            }
        }
    }

    fn block(&mut self, block: &Block) -> Val {
        self.enter_block(&block.stmts);
        let mut div = false;
        let mut tail = None;
        let count = block.stmts.len();
        for (index, stmt) in block.stmts.iter().enumerate() {
            let last = index + 1 == count;
            match stmt {
                Stmt::Local(local) => div |= self.local(local),
                Stmt::Item(_) => {}
                Stmt::Expr(expr, semi) => {
                    let val = self.expr(expr);
                    div |= val.div;
                    if last && semi.is_none() {
                        tail = Some(val.v);
                    }
                }
                Stmt::Macro(mac) => {
                    if has_cfg(&mac.attrs) {
                        self.escape_tokens(mac.mac.tokens.clone());
                        continue;
                    }
                    let val = self.mac(&mac.mac);
                    div |= val.div;
                    if last && mac.semi_token.is_none() {
                        tail = Some(val.v);
                    }
                }
            }
        }
        self.leave_block();
        let v = match tail {
            Some(v) => v,
            None if div => self.fresh(),
            None => self.unit(),
        };
        Val { v, div }
    }

    /// Walks a `let`; returns whether its initializer diverges.
    fn local(&mut self, local: &Local) -> bool {
        if has_cfg(&local.attrs) {
            self.escape_tokens(local.to_token_stream());
            return false;
        }
        let (pat, annotation) = match &local.pat {
            Pat::Type(pt) => (&*pt.pat, Some(&*pt.ty)),
            other => (other, None),
        };
        let mut div = false;
        let mut init_v = None;
        if let Some(init) = &local.init {
            let val = self.expr(&init.expr);
            div = val.div;
            init_v = Some(val.v);
            if let Some((_, diverge)) = &init.diverge {
                self.expr(diverge);
            }
        }
        let chain = self.chain_rc();
        let ty = match annotation {
            Some(annotation) => {
                let ty = self.conv(annotation, &chain);
                if let Some(v) = init_v {
                    if coercion_free(annotation) {
                        self.unify(v, ty);
                    } else {
                        self.escape(v);
                    }
                }
                ty
            }
            None => match init_v {
                Some(v) => v,
                None => self.fresh(),
            },
        };
        let vars = self.bind(pat, ty);
        if annotation.is_none() && self.in_macro == 0 {
            self.lets.push(LetRecord {
                key: local as *const Local as usize,
                ty,
                bindings: vars.values().copied().collect(),
                chain,
            });
        }
        self.declare(vars);
        div
    }

    fn lit(&mut self, lit: &Lit) -> V {
        match lit {
            Lit::Int(int) => match int.suffix() {
                "" => {
                    let v = self.mk(Shape::Int);
                    let fits = int
                        .base10_parse::<u128>()
                        .is_ok_and(|n| n <= i32::MAX as u128);
                    self.uf.big[v] = !fits;
                    v
                }
                suffix => match prim_name(suffix) {
                    Some(p) => self.prim(p),
                    None => self.escaped(),
                },
            },
            Lit::Float(float) => match float.suffix() {
                "" => self.mk(Shape::Float),
                suffix => match prim_name(suffix) {
                    Some(p) => self.prim(p),
                    None => self.escaped(),
                },
            },
            Lit::Bool(_) => self.prim("bool"),
            Lit::Char(_) => self.prim("char"),
            Lit::Byte(_) => self.prim("u8"),
            Lit::Str(_) => {
                let s = self.prim("str");
                self.mk(Shape::Ref(false, s))
            }
            _ => self.escaped(),
        }
    }

    fn expr(&mut self, expr: &Expr) -> Val {
        match expr {
            Expr::Lit(lit) => {
                let v = self.lit(&lit.lit);
                self.val(v)
            }
            Expr::Path(path) => {
                let v = self.path_expr(path);
                self.val(v)
            }
            Expr::Paren(p) => self.expr(&p.expr),
            Expr::Group(g) => self.expr(&g.expr),
            Expr::Array(array) => {
                let elem = self.fresh();
                let mut div = false;
                for e in &array.elems {
                    let val = self.expr(e);
                    div |= val.div;
                    self.unify(elem, val.v);
                }
                let n = proc_macro2::Literal::usize_unsuffixed(array.elems.len());
                let len = Len {
                    expr: syn::parse_quote!(#n),
                    origin: Rc::from(Vec::new()),
                };
                let v = self.mk(Shape::Array(elem, Rc::new(len)));
                Val { v, div }
            }
            Expr::Repeat(repeat) => {
                let elem = self.expr(&repeat.expr);
                let len = Len {
                    expr: (*repeat.len).clone(),
                    origin: self.chain_rc(),
                };
                let v = self.mk(Shape::Array(elem.v, Rc::new(len)));
                Val { v, div: elem.div }
            }
            Expr::Tuple(tuple) => {
                let vals: Vec<Val> = tuple.elems.iter().map(|e| self.expr(e)).collect();
                let div = vals.iter().any(|v| v.div);
                let v = self.mk(Shape::Tuple(vals.iter().map(|v| v.v).collect()));
                Val { v, div }
            }
            Expr::Assign(assign) => {
                let left = self.expr(&assign.left);
                let right = self.expr(&assign.right);
                self.unify(left.v, right.v);
                let v = self.unit();
                Val {
                    v,
                    div: left.div || right.div,
                }
            }
            Expr::Binary(binary) => self.binary(binary),
            Expr::Unary(unary) => {
                let x = self.expr(&unary.expr);
                let out = self.fresh();
                match unary.op {
                    UnOp::Deref(_) => self.pending.push(Pending::Deref { x: x.v, out }),
                    UnOp::Not(_) | UnOp::Neg(_) => {
                        self.pending.push(Pending::Unary { x: x.v, out })
                    }
                    _ => self.escape(out),
                }
                Val { v: out, div: x.div }
            }
            Expr::Cast(cast) => {
                let x = self.expr(&cast.expr);
                let chain = self.chain_rc();
                let v = self.conv(&cast.ty, &chain);
                if matches!(*cast.ty, Type::Infer(_)) {
                    self.escape(v);
                }
                Val { v, div: x.div }
            }
            Expr::Reference(reference) => {
                let x = self.expr(&reference.expr);
                let v = self.mk(Shape::Ref(reference.mutability.is_some(), x.v));
                Val { v, div: x.div }
            }
            Expr::Block(block) => match &block.label {
                None => self.block(&block.block),
                Some(label) => {
                    let result = self.fresh();
                    self.loops.push(LoopCx {
                        label: Some(label.name.ident.to_string()),
                        result,
                        kind: LoopKind::Block,
                        broken: false,
                    });
                    let val = self.block(&block.block);
                    self.unify(result, val.v);
                    let cx = self.loops.pop().expect("pushed above");
                    Val {
                        v: result,
                        div: val.div && !cx.broken,
                    }
                }
            },
            Expr::Unsafe(block) => self.block(&block.block),
            Expr::If(if_expr) => self.if_expr(if_expr),
            Expr::Match(m) => {
                let scrutinee = self.expr(&m.expr);
                let result = self.fresh();
                let mut all_div = true;
                for arm in &m.arms {
                    self.frames.push(Frame::default());
                    let vars = self.bind(&arm.pat, scrutinee.v);
                    // A labelled block as the arm (`Some(k) => 'a: { .. }`) is a loop by now,
                    // run once: its body is the arm's block.
                    match &*arm.body {
                        Expr::Block(b) => self.record_arm(&arm.pat, &vars, &b.block, false),
                        Expr::Loop(l) => self.record_arm(&arm.pat, &vars, &l.body, true),
                        _ => {}
                    }
                    self.declare(vars);
                    if let Some((_, guard)) = &arm.guard {
                        let g = self.expr(guard);
                        self.unify_prim(g.v, "bool");
                    }
                    let body = self.expr(&arm.body);
                    self.unify(result, body.v);
                    all_div &= body.div;
                    self.frames.pop();
                }
                Val {
                    v: result,
                    div: scrutinee.div || all_div,
                }
            }
            Expr::Loop(l) => {
                let result = self.fresh();
                self.loops.push(LoopCx {
                    label: l.label.as_ref().map(|l| l.name.ident.to_string()),
                    result,
                    kind: LoopKind::Loop,
                    broken: false,
                });
                self.block(&l.body);
                let cx = self.loops.pop().expect("pushed above");
                Val {
                    v: result,
                    div: !cx.broken,
                }
            }
            Expr::While(w) => {
                self.frames.push(Frame::default());
                let cond = self.expr(&w.cond);
                self.unify_prim(cond.v, "bool");
                let result = self.unit();
                self.loops.push(LoopCx {
                    label: w.label.as_ref().map(|l| l.name.ident.to_string()),
                    result,
                    kind: LoopKind::WhileFor,
                    broken: false,
                });
                self.block(&w.body);
                self.loops.pop();
                self.frames.pop();
                Val {
                    v: result,
                    div: cond.div,
                }
            }
            Expr::ForLoop(f) => {
                let iterable = self.expr(&f.expr);
                let item = self.fresh();
                self.pending.push(Pending::IntoIter {
                    iterable: iterable.v,
                    item,
                });
                self.frames.push(Frame::default());
                let vars = self.bind(&f.pat, item);
                self.declare(vars);
                let result = self.unit();
                self.loops.push(LoopCx {
                    label: f.label.as_ref().map(|l| l.name.ident.to_string()),
                    result,
                    kind: LoopKind::WhileFor,
                    broken: false,
                });
                self.block(&f.body);
                self.loops.pop();
                self.frames.pop();
                Val {
                    v: result,
                    div: iterable.div,
                }
            }
            Expr::Break(b) => {
                let value = b.expr.as_ref().map(|e| self.expr(e).v);
                let label = b.label.as_ref().map(|l| l.ident.to_string());
                let target = self.loops.iter().rposition(|cx| match &label {
                    Some(label) => cx.label.as_ref() == Some(label),
                    None => cx.kind != LoopKind::Block,
                });
                if let Some(index) = target {
                    self.loops[index].broken = true;
                    let result = self.loops[index].result;
                    let value = match value {
                        Some(v) => v,
                        None => self.unit(),
                    };
                    self.unify(result, value);
                } else if let Some(v) = value {
                    self.escape(v);
                }
                let v = self.fresh();
                Val { v, div: true }
            }
            Expr::Continue(_) => {
                let v = self.fresh();
                Val { v, div: true }
            }
            Expr::Return(r) => {
                match &r.expr {
                    Some(e) => {
                        let val = self.expr(e);
                        self.returned(val.v);
                    }
                    None => {
                        let unit = self.unit();
                        self.returned(unit);
                    }
                }
                let v = self.fresh();
                Val { v, div: true }
            }
            Expr::Call(call) => self.call(call),
            Expr::MethodCall(call) => {
                let recv = self.expr(&call.receiver);
                let args: Vec<Val> = call.args.iter().map(|a| self.expr(a)).collect();
                let div = recv.div || args.iter().any(|a| a.div);
                let out = self.fresh();
                if call.turbofish.is_some() {
                    self.escape(recv.v);
                    args.iter().for_each(|a| self.uf.escape(a.v));
                    self.escape(out);
                } else {
                    self.pending.push(Pending::Method {
                        recv: recv.v,
                        name: call.method.to_string(),
                        args: args.iter().map(|a| a.v).collect(),
                        range_arg: matches!(call.args.first(), Some(Expr::Range(_))),
                        out,
                    });
                }
                Val { v: out, div }
            }
            Expr::Field(field) => {
                let base = self.expr(&field.base);
                let out = self.fresh();
                self.pending.push(Pending::Field {
                    base: base.v,
                    member: field.member.clone(),
                    out,
                });
                Val {
                    v: out,
                    div: base.div,
                }
            }
            Expr::Index(index) => {
                let base = self.expr(&index.expr);
                let out = self.fresh();
                let (index, div) = match &*index.index {
                    Expr::Range(range) => {
                        let ends: Vec<Val> = [&range.start, &range.end]
                            .into_iter()
                            .flatten()
                            .map(|e| self.expr(e))
                            .collect();
                        let div = ends.iter().any(|e| e.div);
                        (Err(ends.iter().map(|e| e.v).collect()), div)
                    }
                    other => {
                        let i = self.expr(other);
                        (Ok(i.v), i.div)
                    }
                };
                self.pending.push(Pending::Index {
                    base: base.v,
                    index,
                    out,
                });
                Val {
                    v: out,
                    div: base.div || div,
                }
            }
            Expr::Range(range) => {
                let ends: Vec<Val> = [&range.start, &range.end]
                    .into_iter()
                    .flatten()
                    .map(|e| self.expr(e))
                    .collect();
                let div = ends.iter().any(|e| e.div);
                let v = if range.start.is_some() {
                    let elem = self.fresh();
                    for end in &ends {
                        self.unify(elem, end.v);
                    }
                    self.mk(Shape::Iter(elem))
                } else {
                    ends.iter().for_each(|e| self.uf.escape(e.v));
                    self.escaped()
                };
                Val { v, div }
            }
            Expr::Struct(s) => self.struct_lit(s),
            Expr::Let(l) => {
                let x = self.expr(&l.expr);
                let vars = self.bind(&l.pat, x.v);
                self.declare(vars);
                let v = self.prim("bool");
                Val { v, div: x.div }
            }
            Expr::Macro(m) => self.mac(&m.mac),
            Expr::Closure(c) if c.asyncness.is_none() => self.closure(c),
            Expr::Infer(_) => {
                let v = self.fresh();
                self.val(v)
            }
            other => {
                // Closures, async blocks, `?`, `.await`, const blocks...: not modeled.
                self.escape_tokens(other.to_token_stream());
                let v = self.escaped();
                self.val(v)
            }
        }
    }

    /// A closure's body, read as code of the kernel with its parameters in scope: what it
    /// does to the variables it reads types them (`|x: u32| x * k` makes `k` a `u32`). Its
    /// value is a [`Shape::Closure`] of its parameters and return type, which a call reads
    /// (`total += sq(i)`). An untyped parameter escapes, so nothing is guessed from it.
    fn closure(&mut self, c: &syn::ExprClosure) -> Val {
        self.frames.push(Frame::default());
        let chain = self.chain_rc();
        let mut params = Vec::new();
        let mut untyped = Vec::new();
        let key = c as *const syn::ExprClosure as usize;
        for (index, input) in c.inputs.iter().enumerate() {
            let (pat, ty) = match input {
                Pat::Type(t) => (&*t.pat, self.conv(&t.ty, &chain)),
                // A plain name: typed by the closure's calls, when they are all seen (a
                // closure passed to an unknown function escapes, and its parameters with it).
                Pat::Ident(p) if p.by_ref.is_none() && p.subpat.is_none() && self.in_macro == 0 => {
                    let v = self.fresh();
                    untyped.push((index, v));
                    (input, v)
                }
                other => (other, self.escaped()),
            };
            params.push(ty);
            let vars = self.bind(pat, ty);
            self.declare(vars);
        }
        // What a call returns: the written return type, else what the body's value and its
        // `return`s have in common (rustc requires them all of one type).
        let output = match &c.output {
            syn::ReturnType::Type(_, ty) => self.conv(ty, &chain),
            syn::ReturnType::Default => self.fresh(),
        };
        // `return` in the body leaves the closure; no `break` or `continue` crosses it.
        let ret = std::mem::replace(&mut self.ret, output);
        let ret_type = self.ret_type.take();
        let loops = std::mem::take(&mut self.loops);
        // The closure's own `let`s stay as written (the lowering creates the closure again
        // as it is): read, not recorded, as inside a macro's arguments.
        self.in_macro += 1;
        let body = self.expr(&c.body);
        self.in_macro -= 1;
        if !body.div {
            self.unify(body.v, output);
        }
        self.loops = loops;
        self.ret_type = ret_type;
        self.ret = ret;
        self.frames.pop();
        let v = self.mk(Shape::Closure(params.into(), output));
        for (index, param) in untyped {
            self.params.push(ClosureParam {
                key,
                closure: v,
                index,
                param,
                chain: chain.clone(),
            });
        }
        self.val(v)
    }

    /// Records an arm's by-value bindings when its block holds a loop and reads them;
    /// `wrap`: the block is the body of a loop run once that is the whole arm.
    fn record_arm(&mut self, pat: &Pat, vars: &HashMap<String, V>, block: &syn::Block, wrap: bool) {
        if self.in_macro > 0 || !crate::desugar::holds_loop(block) {
            return;
        }
        let used: HashSet<String> = block
            .stmts
            .iter()
            .flat_map(crate::names::used_names_stmt)
            .collect();
        // A name the block binds again first (`let k: u32 = k;`, written by the user or by
        // an earlier pass) needs nothing more.
        let rebound = |ident: &syn::Ident| {
            block
                .stmts
                .iter()
                .map_while(|stmt| match stmt {
                    Stmt::Local(l) => Some(l),
                    _ => None,
                })
                .any(|l| {
                    let bound = match &l.pat {
                        Pat::Type(t) => &*t.pat,
                        other => other,
                    };
                    matches!(bound, Pat::Ident(p) if p.ident == *ident)
                        && l.init.as_ref().is_some_and(
                            |i| matches!(&*i.expr, Expr::Path(e) if e.path.is_ident(ident)),
                        )
                })
        };
        // By value, `mut` or not (`Some(mut k)` becomes `let mut k: u32 = k;`).
        let names: Vec<(syn::Ident, bool, V)> = crate::names::bound_by_value(pat)
            .into_iter()
            .filter(|(ident, _)| used.contains(&ident.to_string()) && !rebound(ident))
            .filter_map(|(ident, mutable)| {
                vars.get(&ident.to_string()).map(|v| (ident, mutable, *v))
            })
            .collect();
        let key = block as *const syn::Block as usize;
        if !names.is_empty() && !self.arms.iter().any(|a| a.key == key) {
            self.arms.push(ArmRecord {
                key,
                wrap,
                names,
                chain: self.chain_rc(),
            });
        }
    }

    fn if_expr(&mut self, if_expr: &syn::ExprIf) -> Val {
        self.frames.push(Frame::default());
        let cond = self.expr(&if_expr.cond);
        self.unify_prim(cond.v, "bool");
        if let Expr::Let(l) = &*if_expr.cond {
            let vars = self.frames.last().expect("pushed above").vars.clone();
            self.record_arm(&l.pat, &vars, &if_expr.then_branch, false);
        }
        let then = self.block(&if_expr.then_branch);
        self.frames.pop();
        match &if_expr.else_branch {
            Some((_, els)) => {
                let els = self.expr(els);
                let result = self.fresh();
                self.unify(result, then.v);
                self.unify(result, els.v);
                Val {
                    v: result,
                    div: cond.div || (then.div && els.div),
                }
            }
            None => {
                let unit = self.unit();
                self.unify(then.v, unit);
                Val {
                    v: unit,
                    div: cond.div,
                }
            }
        }
    }

    fn binary(&mut self, binary: &syn::ExprBinary) -> Val {
        let l = self.expr(&binary.left);
        let r = self.expr(&binary.right);
        let div = l.div || r.div;
        let (l, r) = (l.v, r.v);
        let op = match binary.op {
            BinOp::And(_) | BinOp::Or(_) => {
                self.unify_prim(l, "bool");
                self.unify_prim(r, "bool");
                let v = self.prim("bool");
                return Val { v, div };
            }
            BinOp::Eq(_)
            | BinOp::Ne(_)
            | BinOp::Lt(_)
            | BinOp::Le(_)
            | BinOp::Gt(_)
            | BinOp::Ge(_) => Op::Cmp,
            BinOp::Add(_)
            | BinOp::Sub(_)
            | BinOp::Mul(_)
            | BinOp::Div(_)
            | BinOp::Rem(_)
            | BinOp::BitAnd(_)
            | BinOp::BitOr(_)
            | BinOp::BitXor(_) => Op::Arith,
            BinOp::Shl(_) | BinOp::Shr(_) | BinOp::ShlAssign(_) | BinOp::ShrAssign(_) => Op::Shift,
            BinOp::AddAssign(_)
            | BinOp::SubAssign(_)
            | BinOp::MulAssign(_)
            | BinOp::DivAssign(_)
            | BinOp::RemAssign(_)
            | BinOp::BitAndAssign(_)
            | BinOp::BitOrAssign(_)
            | BinOp::BitXorAssign(_) => Op::ArithAssign,
            _ => {
                self.escape(l);
                self.escape(r);
                let v = self.escaped();
                return Val { v, div };
            }
        };
        let out = self.fresh();
        self.pending.push(Pending::Bin { op, l, r, out });
        let v = match binary.op {
            BinOp::Eq(_)
            | BinOp::Ne(_)
            | BinOp::Lt(_)
            | BinOp::Le(_)
            | BinOp::Gt(_)
            | BinOp::Ge(_) => self.prim("bool"),
            BinOp::ShlAssign(_)
            | BinOp::ShrAssign(_)
            | BinOp::AddAssign(_)
            | BinOp::SubAssign(_)
            | BinOp::MulAssign(_)
            | BinOp::DivAssign(_)
            | BinOp::RemAssign(_)
            | BinOp::BitAndAssign(_)
            | BinOp::BitOrAssign(_)
            | BinOp::BitXorAssign(_) => self.unit(),
            _ => out,
        };
        Val { v, div }
    }

    fn path_expr(&mut self, path: &syn::ExprPath) -> V {
        if path.qself.is_some() || path_has_args(&path.path) {
            return self.escaped();
        }
        let names = path_idents(&path.path);
        if is_variant(&path.path, "None") {
            let inner = self.fresh();
            return self.mk(Shape::Option(inner));
        }
        if let [name] = names.as_slice() {
            return match self.lookup(name) {
                Found::Var(v) => v,
                Found::Item(index) => self.item_value(index),
                Found::Generic(ty) => self.conv(&ty, &Rc::from(Vec::new())),
                Found::Nothing => self.escaped(),
            };
        }
        match self.prim_const(&names) {
            Some(p) => self.prim(p),
            None => self.escaped(),
        }
    }

    /// The type of an associated constant of a primitive: `u32::MAX`, `f64::consts::PI`.
    fn prim_const(&self, names: &[String]) -> Option<&'static str> {
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let (ty, item) = match names.as_slice() {
            [ty, item] | ["core" | "std", ty, item] => (*ty, *item),
            [ty, "consts", item] | ["core" | "std", ty, "consts", item] if is_float(ty) => {
                return item
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
                    .then(|| prim_name(ty))
                    .flatten();
            }
            _ => return None,
        };
        let prim = prim_name(ty)?;
        match item {
            "BITS" | "DIGITS" | "MANTISSA_DIGITS" | "RADIX" => Some("u32"),
            "MIN_EXP" | "MAX_EXP" | "MIN_10_EXP" | "MAX_10_EXP" => Some("i32"),
            "MAX" | "MIN" | "EPSILON" | "NAN" | "INFINITY" | "NEG_INFINITY" | "MIN_POSITIVE" => {
                Some(prim)
            }
            _ => None,
        }
    }

    /// A body item used as a value: a constant's type, a unit struct.
    fn item_value(&mut self, index: usize) -> V {
        let chain = self.items[index].chain.clone();
        match &self.items[index].kind {
            ItemKind::Const(ty) => {
                let ty = ty.clone();
                self.conv(&ty, &chain)
            }
            ItemKind::Struct(s)
                if matches!(s.fields, Fields::Unit) && s.generics.params.is_empty() =>
            {
                let ident = s.ident.clone();
                self.named(syn::parse_quote!(#ident), &chain)
            }
            _ => self.escaped(),
        }
    }

    fn call(&mut self, call: &syn::ExprCall) -> Val {
        let args: Vec<Val> = call.args.iter().map(|a| self.expr(a)).collect();
        let div = args.iter().any(|a| a.div);
        let args: Vec<V> = args.iter().map(|a| a.v).collect();
        let v = match &*call.func {
            Expr::Path(p) if p.qself.is_none() && !path_has_args(&p.path) => {
                self.call_path(&p.path, &args)
            }
            other => {
                let f = self.expr(other);
                self.escape(f.v);
                None
            }
        };
        let v = match v {
            Some(v) => v,
            None => {
                args.iter().for_each(|a| self.uf.escape(*a));
                self.escaped()
            }
        };
        Val { v, div }
    }

    /// The result of calling `path` with `args`; `None` when not modeled.
    fn call_path(&mut self, path: &Path, args: &[V]) -> Option<V> {
        if is_variant(path, "Some") && args.len() == 1 {
            return Some(self.mk(Shape::Option(args[0])));
        }
        if is_result_variant(path, "Ok") && args.len() == 1 {
            let err = self.fresh();
            return Some(self.mk(Shape::Result(args[0], err)));
        }
        if is_result_variant(path, "Err") && args.len() == 1 {
            let ok = self.fresh();
            return Some(self.mk(Shape::Result(ok, args[0])));
        }
        let names = path_idents(path);
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        match names.as_slice() {
            [name] => match self.lookup(name) {
                Found::Item(index) => self.call_item(index, args),
                Found::Var(f) => {
                    let out = self.fresh();
                    self.pending.push(Pending::CallVar {
                        f,
                        args: args.to_vec(),
                        out,
                    });
                    Some(out)
                }
                _ => None,
            },
            [ty, method] if prim_name(ty).is_some() => {
                let prim = prim_name(ty).expect("checked");
                match *method {
                    "from_bits" if is_float(prim) && args.len() == 1 => {
                        self.unify_prim(args[0], if prim == "f32" { "u32" } else { "u64" });
                        Some(self.prim(prim))
                    }
                    "from" | "from_le_bytes" | "from_be_bytes" | "from_ne_bytes" => {
                        args.iter().for_each(|a| self.uf.escape(*a));
                        Some(self.prim(prim))
                    }
                    _ if NUM_METHODS.iter().any(|m| m.0 == *method) && !args.is_empty() => {
                        self.unify_prim(args[0], prim);
                        let out = self.fresh();
                        self.pending.push(Pending::Method {
                            recv: args[0],
                            name: method.to_string(),
                            args: args[1..].to_vec(),
                            range_arg: false,
                            out,
                        });
                        Some(out)
                    }
                    _ => None,
                }
            }
            [.., "cmp", "max" | "min"] if args.len() == 2 && is_std(&names) => {
                self.unify(args[0], args[1]);
                Some(args[0])
            }
            [.., "mem", "swap"] if args.len() == 2 && is_std(&names) => {
                let x = self.fresh();
                let r = self.mk(Shape::Ref(true, x));
                self.unify(args[0], r);
                self.unify(args[1], r);
                Some(self.unit())
            }
            [.., "mem", "replace"] if args.len() == 2 && is_std(&names) => {
                let r = self.mk(Shape::Ref(true, args[1]));
                self.unify(args[0], r);
                Some(args[1])
            }
            [.., "hint", "black_box"] if args.len() == 1 && is_std(&names) => Some(args[0]),
            _ => None,
        }
    }

    /// Calls of `fn`s and tuple structs declared in the body.
    fn call_item(&mut self, index: usize, args: &[V]) -> Option<V> {
        let chain = self.items[index].chain.clone();
        match &self.items[index].kind {
            ItemKind::Fn(sig) => {
                let generic = sig
                    .generics
                    .params
                    .iter()
                    .any(|p| !matches!(p, GenericParam::Lifetime(_)));
                if generic || sig.inputs.len() != args.len() || sig.variadic.is_some() {
                    return None;
                }
                let params: Option<Vec<Type>> = sig
                    .inputs
                    .iter()
                    .map(|input| match input {
                        FnArg::Typed(pt) => Some((*pt.ty).clone()),
                        FnArg::Receiver(_) => None,
                    })
                    .collect();
                let output = sig.output.clone();
                for (ty, arg) in params?.iter().zip(args) {
                    self.coerce(*arg, ty, &chain);
                }
                Some(match output {
                    ReturnType::Default => self.unit(),
                    ReturnType::Type(_, ty) => self.conv(&ty, &chain),
                })
            }
            ItemKind::Struct(s) if s.generics.params.is_empty() => {
                let Fields::Unnamed(fields) = &s.fields else {
                    return None;
                };
                if fields.unnamed.len() != args.len() {
                    return None;
                }
                let types: Vec<Type> = fields.unnamed.iter().map(|f| f.ty.clone()).collect();
                let ident = s.ident.clone();
                for (ty, arg) in types.iter().zip(args) {
                    self.coerce(*arg, ty, &chain);
                }
                Some(self.named(syn::parse_quote!(#ident), &chain))
            }
            _ => None,
        }
    }

    fn struct_lit(&mut self, s: &syn::ExprStruct) -> Val {
        let fields: Vec<(Member, Val)> = s
            .fields
            .iter()
            .map(|f| (f.member.clone(), self.expr(&f.expr)))
            .collect();
        let rest = s.rest.as_ref().map(|r| self.expr(r));
        let div = fields.iter().any(|f| f.1.div) || rest.is_some_and(|r| r.div);
        let name = s.path.segments.last().map(|s| s.ident.to_string());
        let name = name.unwrap_or_default();
        let local = match self.lookup(&name) {
            Found::Item(index) => match &self.items[index].kind {
                ItemKind::Struct(def) => Some((def.clone(), self.items[index].chain.clone())),
                _ => None,
            },
            _ => None,
        };
        // A struct literal says its type only when the struct is not generic: a local one
        // by its declaration, one declared outside by never being written `P<..>` here.
        let single = s.qself.is_none()
            && s.path.segments.len() == 1
            && !path_has_args(&s.path)
            && name != "Self"
            && match &local {
                Some((def, _)) => def.generics.params.is_empty(),
                None => !self.generic_names.contains(&name),
            };
        if !single {
            fields.iter().for_each(|f| self.uf.escape(f.1.v));
            if let Some(rest) = rest {
                self.escape(rest.v);
            }
            let v = self.escaped();
            return Val { v, div };
        }
        let chain = self.chain_rc();
        let path = &s.path;
        let out = self.named(syn::parse_quote!(#path), &chain);
        let def = local.map(|(def, chain)| (def.fields, chain));
        for (member, val) in &fields {
            let ty = def
                .as_ref()
                .and_then(|(fields, _)| field_type(fields, member));
            match (ty, &def) {
                (Some(ty), Some((_, chain))) => self.coerce(val.v, &ty, chain),
                _ => self.escape(val.v),
            }
        }
        if let Some(rest) = rest {
            self.unify(rest.v, out);
        }
        Val { v: out, div }
    }

    fn mac(&mut self, mac: &Macro) -> Val {
        let names = path_idents(&mac.path);
        let name = names.last().cloned().unwrap_or_default();
        if name == "yield_now" && mac.tokens.is_empty() {
            let v = self.unit();
            return self.val(v);
        }
        let std_path = names.len() == 1
            || matches!(
                names.first().map(String::as_str),
                Some("core" | "std" | "alloc")
            );
        let parsed = Punctuated::<Expr, Token![,]>::parse_terminated
            .parse2(mac.tokens.clone())
            .ok();
        let known = [
            "print",
            "println",
            "eprint",
            "eprintln",
            "format",
            "write",
            "writeln",
            "panic",
            "unreachable",
            "todo",
            "unimplemented",
            "assert",
            "debug_assert",
            "assert_eq",
            "assert_ne",
            "debug_assert_eq",
            "debug_assert_ne",
            "dbg",
        ];
        let (Some(args), true) = (parsed, std_path && known.contains(&name.as_str())) else {
            self.escape_tokens(mac.tokens.clone());
            let v = self.escaped();
            return self.val(v);
        };
        let args: Vec<Expr> = args.into_iter().collect();
        self.in_macro += 1;
        let val = self.known_mac(&name, &args);
        self.in_macro -= 1;
        val
    }

    fn known_mac(&mut self, name: &str, args: &[Expr]) -> Val {
        let mut div = matches!(name, "panic" | "unreachable" | "todo" | "unimplemented");
        let format_from = match name {
            "write" | "writeln" => {
                if let Some(dest) = args.first() {
                    let d = self.expr(dest);
                    self.escape(d.v);
                }
                1
            }
            "assert" | "debug_assert" => {
                if let Some(cond) = args.first() {
                    let c = self.expr(cond);
                    div |= c.div;
                    self.unify_prim(c.v, "bool");
                }
                1
            }
            "assert_eq" | "assert_ne" | "debug_assert_eq" | "debug_assert_ne" => {
                if let [a, b, ..] = args {
                    let a = self.expr(a);
                    let b = self.expr(b);
                    div |= a.div || b.div;
                    let out = self.fresh();
                    self.pending.push(Pending::Bin {
                        op: Op::Cmp,
                        l: a.v,
                        r: b.v,
                        out,
                    });
                }
                2
            }
            "dbg" => {
                let vals: Vec<Val> = args.iter().map(|a| self.expr(a)).collect();
                let v = match vals.as_slice() {
                    [] => self.unit(),
                    [one] => one.v,
                    many => self.mk(Shape::Tuple(many.iter().map(|v| v.v).collect())),
                };
                return Val {
                    v,
                    div: vals.iter().any(|v| v.div),
                };
            }
            _ => 0,
        };
        let rest = args.get(format_from..).unwrap_or_default();
        // A format string with `$` or `*` takes widths or precisions: `usize` arguments.
        let risky = match rest.first() {
            Some(Expr::Lit(syn::ExprLit {
                lit: Lit::Str(s), ..
            })) => {
                let text = s.value();
                let risky = text.contains('$') || text.contains('*');
                if risky {
                    for word in text.split(|c: char| !(c.is_alphanumeric() || c == '_')) {
                        self.escape_name(word);
                    }
                }
                risky
            }
            Some(_) => true,
            None => false,
        };
        for arg in rest {
            let value = match arg {
                Expr::Assign(named) if matches!(&*named.left, Expr::Path(_)) => &*named.right,
                other => other,
            };
            let val = self.expr(value);
            div |= val.div;
            if risky {
                self.escape(val.v);
                self.escape_tokens(value.to_token_stream());
            }
        }
        let v = match name {
            "format" => self.named(syn::parse_quote!(String), &Rc::from(Vec::new())),
            _ if div => self.fresh(),
            _ => self.unit(),
        };
        Val { v, div }
    }

    // --- solving ---

    fn solve(&mut self) {
        loop {
            let mut progress = false;
            for pending in std::mem::take(&mut self.pending) {
                match self.step(&pending, false) {
                    Step::Done => progress = true,
                    Step::Wait => self.pending.push(pending),
                }
            }
            if progress {
                continue;
            }
            // Nothing moves: a pattern matched against a value of unknown shape is taken to
            // match it by value (as rustc does when it checks the pattern).
            let Some(index) = self
                .pending
                .iter()
                .position(|p| matches!(p, Pending::Pat { .. }))
            else {
                break;
            };
            let pending = self.pending.remove(index);
            self.step(&pending, true);
        }
        for pending in std::mem::take(&mut self.pending) {
            self.give_up(&pending);
        }
        self.uf.propagate();
    }

    fn give_up(&mut self, pending: &Pending) {
        let vars: Vec<V> = match pending {
            Pending::Pat { pat, ty, vars, .. } => {
                let mut names = Vec::new();
                pat_names(pat, &mut names);
                let mut all: Vec<V> = names.iter().filter_map(|n| vars.get(n).copied()).collect();
                all.push(*ty);
                all
            }
            Pending::Bin { l, r, out, .. } => vec![*l, *r, *out],
            Pending::Unary { x, out } | Pending::Deref { x, out } => vec![*x, *out],
            Pending::Method {
                recv, args, out, ..
            } => {
                let mut all = args.clone();
                all.extend([*recv, *out]);
                all
            }
            Pending::Field { base, out, .. } => vec![*base, *out],
            Pending::CallVar { f, args, out } => {
                let mut all = args.clone();
                all.extend([*f, *out]);
                all
            }
            Pending::Index { base, index, out } => {
                let mut all = match index {
                    Ok(i) => vec![*i],
                    Err(ends) => ends.clone(),
                };
                all.extend([*base, *out]);
                all
            }
            Pending::IntoIter { iterable, item } => vec![*iterable, *item],
        };
        for v in vars {
            self.escape(v);
        }
    }

    fn step(&mut self, pending: &Pending, force: bool) -> Step {
        match pending {
            Pending::Pat {
                pat,
                ty,
                mode,
                vars,
                chain,
            } => self.step_pat(pat, *ty, *mode, vars, chain, force),
            Pending::Bin { op, l, r, out } => self.step_bin(*op, *l, *r, *out),
            Pending::Unary { x, out } => {
                let (base, _) = self.peel(*x);
                match self.shape(base) {
                    Shape::Unknown => return Step::Wait,
                    Shape::Int | Shape::Float => self.unify(*out, base),
                    Shape::Prim(p) if is_int(p) || is_float(p) || p == "bool" => {
                        self.unify(*out, base)
                    }
                    _ => self.escape(*out),
                }
                Step::Done
            }
            Pending::Deref { x, out } => match self.shape(*x) {
                Shape::Unknown => Step::Wait,
                Shape::Ref(_, inner) => {
                    self.unify(*out, inner);
                    Step::Done
                }
                _ => {
                    self.escape(*out);
                    Step::Done
                }
            },
            Pending::Method {
                recv,
                name,
                args,
                range_arg,
                out,
            } => self.step_method(*recv, name, args, *range_arg, *out),
            Pending::CallVar { f, args, out } => match self.shape(*f) {
                Shape::Unknown => Step::Wait,
                Shape::Closure(params, ret) if params.len() == args.len() => {
                    for (a, p) in args.iter().zip(params.iter()) {
                        self.unify(*a, *p);
                    }
                    self.unify(*out, ret);
                    Step::Done
                }
                _ => {
                    args.iter().for_each(|a| self.escape(*a));
                    self.escape(*out);
                    Step::Done
                }
            },
            Pending::Field { base, member, out } => {
                let (base, _) = self.peel(*base);
                match (self.shape(base), member) {
                    (Shape::Unknown, _) => return Step::Wait,
                    (Shape::Tuple(elems), Member::Unnamed(index)) => {
                        match elems.get(index.index as usize) {
                            Some(elem) => self.unify(*out, *elem),
                            None => self.escape(*out),
                        }
                    }
                    (Shape::Named(named), member) => match self.struct_def(&named) {
                        Some((fields, chain)) => match field_type(&fields, member) {
                            Some(ty) => {
                                let ty = self.conv(&ty, &chain);
                                self.unify(*out, ty);
                            }
                            None => self.escape(*out),
                        },
                        None => self.escape(*out),
                    },
                    _ => self.escape(*out),
                }
                Step::Done
            }
            Pending::Index { base, index, out } => {
                let (elem, kind) = match self.seq_elem(*base) {
                    Err(()) => return Step::Wait,
                    Ok(Some((elem, kind))) => (elem, kind),
                    Ok(None) => {
                        match index {
                            Ok(i) => self.escape(*i),
                            Err(ends) => ends.iter().for_each(|e| self.uf.escape(*e)),
                        }
                        self.escape(*out);
                        return Step::Done;
                    }
                };
                match index {
                    // A 2-D view or stripes (`src[(r, k)]`): a row and a column.
                    Ok(i)
                        if matches!(kind, "In" | "Out")
                            && matches!(self.shape(*i), Shape::Tuple(ref e) if e.len() == 2) =>
                    {
                        if let Shape::Tuple(parts) = self.shape(*i) {
                            for part in parts {
                                self.unify_prim(part, "usize");
                            }
                        }
                        self.unify(*out, elem);
                    }
                    Ok(i) => {
                        self.unify_prim(*i, "usize");
                        self.unify(*out, elem);
                    }
                    Err(ends) => {
                        for end in ends {
                            self.unify_prim(*end, "usize");
                        }
                        let slice = self.mk(Shape::Slice(elem));
                        self.unify(*out, slice);
                    }
                }
                Step::Done
            }
            Pending::IntoIter { iterable, item } => {
                match self.shape(*iterable) {
                    Shape::Unknown => return Step::Wait,
                    Shape::Iter(elem) | Shape::Array(elem, _) | Shape::Option(elem) => {
                        self.unify(*item, elem)
                    }
                    Shape::Ref(m, inner) => match self.seq_elem(inner) {
                        Err(()) => return Step::Wait,
                        Ok(Some((elem, kind))) if kind != "In" => {
                            let r = self.mk(Shape::Ref(m, elem));
                            self.unify(*item, r);
                        }
                        _ => self.escape(*item),
                    },
                    Shape::Named(named) => match named_kind(&named.ty) {
                        Some(("Vec", elem)) => {
                            let elem = self.conv(&elem.clone(), &named.origin);
                            self.unify(*item, elem);
                        }
                        _ => self.escape(*item),
                    },
                    _ => self.escape(*item),
                }
                Step::Done
            }
        }
    }

    /// Follows references: the innermost type and how many were crossed.
    fn peel(&mut self, v: V) -> (V, usize) {
        let mut v = v;
        let mut refs = 0;
        while let Shape::Ref(_, inner) = self.shape(v) {
            v = inner;
            refs += 1;
            if refs > 16 {
                break;
            }
        }
        (v, refs)
    }

    /// The element of what `v` indexes like a slice (through references): `Err` while
    /// unknown, `Ok(None)` when it is not a sequence.
    fn seq_elem(&mut self, v: V) -> Result<Option<(V, &'static str)>, ()> {
        let (base, _) = self.peel(v);
        Ok(match self.shape(base) {
            Shape::Unknown => return Err(()),
            Shape::Array(elem, _) => Some((elem, "Array")),
            Shape::Slice(elem) => Some((elem, "Slice")),
            Shape::Named(named) => match named_kind(&named.ty) {
                Some((kind @ ("In" | "Vec"), elem)) => {
                    let elem = self.conv(&elem.clone(), &named.origin);
                    Some((elem, kind))
                }
                _ => None,
            },
            _ => None,
        })
    }

    fn struct_def(&self, named: &Named) -> Option<(Fields, Chain)> {
        let Type::Path(p) = &named.ty else {
            return None;
        };
        let ident = p.path.get_ident()?;
        let index = self.item_in(&ident.to_string(), &named.origin)?;
        match &self.items[index].kind {
            ItemKind::Struct(def) if def.generics.params.is_empty() => {
                Some((def.fields.clone(), self.items[index].chain.clone()))
            }
            _ => None,
        }
    }

    fn step_bin(&mut self, op: Op, l: V, r: V, out: V) -> Step {
        let numeric = |shape: &Shape| match shape {
            Shape::Int | Shape::Float => true,
            Shape::Prim(p) => is_int(p) || is_float(p) || *p == "bool",
            _ => false,
        };
        match op {
            Op::Cmp => {
                let link = match self.shape(l) {
                    Shape::Unknown => return Step::Wait,
                    Shape::Ref(_, inner) => {
                        let (inner, _) = self.peel(inner);
                        match self.shape(inner) {
                            Shape::Unknown => return Step::Wait,
                            s => numeric(&s),
                        }
                    }
                    s => {
                        numeric(&s)
                            || matches!(s, Shape::Tuple(_) | Shape::Option(_) | Shape::Result(..))
                    }
                };
                if link {
                    self.unify(l, r);
                } else {
                    self.escape(r);
                }
            }
            Op::Shift => {
                let (base, _) = self.peel(l);
                match self.shape(base) {
                    Shape::Unknown => return Step::Wait,
                    Shape::Int => self.unify(out, base),
                    Shape::Prim(p) if is_int(p) => self.unify(out, base),
                    _ => {
                        self.escape(r);
                        self.escape(out);
                    }
                }
            }
            Op::Arith | Op::ArithAssign => {
                let (base, refs) = self.peel(l);
                let shape = self.shape(base);
                if let Shape::Unknown = shape {
                    return Step::Wait;
                }
                if !numeric(&shape) || (op == Op::ArithAssign && refs > 0) {
                    self.escape(r);
                    self.escape(out);
                    return Step::Done;
                }
                let (rbase, _) = self.peel(r);
                if let Shape::Unknown = self.shape(rbase) {
                    return Step::Wait;
                }
                self.unify(base, rbase);
                self.unify(out, base);
            }
        }
        Step::Done
    }

    fn step_method(&mut self, recv: V, name: &str, args: &[V], range_arg: bool, out: V) -> Step {
        let (base, refs) = self.peel(recv);
        let shape = self.shape(base);
        let done = match shape {
            Shape::Unknown => return Step::Wait,
            Shape::Int | Shape::Float | Shape::Prim(_) => {
                match self.num_method(base, &shape, refs, name, args, out) {
                    Some(step) => return step,
                    None => false,
                }
            }
            Shape::Array(..) | Shape::Slice(_) => {
                let Ok(Some((elem, kind))) = self.seq_elem(base) else {
                    unreachable!("an array or a slice is a sequence")
                };
                self.seq_method(elem, kind, refs, name, args, range_arg, out)
            }
            Shape::Named(named) => match named_kind(&named.ty) {
                Some(("Out", elem)) => {
                    let elem = self.conv(&elem.clone(), &named.origin);
                    self.out_method(elem, name, args, out)
                }
                Some((kind, elem)) => {
                    let elem = self.conv(&elem.clone(), &named.origin);
                    self.seq_method(elem, kind, refs, name, args, range_arg, out)
                }
                None => false,
            },
            Shape::Option(elem) => self.option_method(elem, name, args, out),
            Shape::Result(ok, err) => self.result_method(ok, err, name, args, out),
            Shape::Iter(item) => self.iter_method(item, name, args, out),
            Shape::Tuple(_) if name == "clone" && args.is_empty() && refs == 0 => {
                self.unify(out, base);
                true
            }
            _ => false,
        };
        if !done {
            self.escape(recv);
            args.iter().for_each(|a| self.uf.escape(*a));
            self.escape(out);
        }
        Step::Done
    }

    /// A method of a number; `None` when not modeled.
    fn num_method(
        &mut self,
        base: V,
        shape: &Shape,
        refs: usize,
        name: &str,
        args: &[V],
        out: V,
    ) -> Option<Step> {
        let kind = match shape {
            Shape::Int => Num::Int,
            Shape::Float => Num::Float,
            Shape::Prim(p) if is_int(p) => Num::Int,
            Shape::Prim(p) if is_float(p) => Num::Float,
            _ => return None,
        };
        // rustc refuses a method call on a number whose type is still a literal's (E0689):
        // the call links types, but can't let the literal take its default.
        if matches!(shape, Shape::Int | Shape::Float) {
            self.escape(base);
        }
        if name == "clone" && args.is_empty() {
            self.unify(out, base);
            return Some(Step::Done);
        }
        let (_, num, params, ret) = NUM_METHODS.iter().find(|m| m.0 == name)?;
        if !(*num == Num::Both || *num == kind) || params.len() != args.len() {
            return None;
        }
        // On a reference, integer `min`/`max`/`clamp` are `Ord`'s, on the reference itself.
        if refs > 0 && kind == Num::Int && matches!(name, "min" | "max" | "clamp") {
            return None;
        }
        let prim = match shape {
            Shape::Prim(p) => Some(*p),
            _ => None,
        };
        if matches!(ret, Ret::Unsigned | Ret::Bits) && prim.is_none() {
            return Some(Step::Wait);
        }
        for (param, arg) in params.iter().zip(args) {
            match param {
                Arg::Same => self.unify(*arg, base),
                Arg::U32 => self.unify_prim(*arg, "u32"),
                Arg::I32 => self.unify_prim(*arg, "i32"),
            }
        }
        let result = match ret {
            Ret::Same => base,
            Ret::U32 => self.prim("u32"),
            Ret::Bool => self.prim("bool"),
            Ret::OptSame => self.mk(Shape::Option(base)),
            Ret::PairBool => {
                let b = self.prim("bool");
                self.mk(Shape::Tuple(vec![base, b]))
            }
            Ret::Pair => self.mk(Shape::Tuple(vec![base, base])),
            Ret::Unsigned => self.prim(unsigned_of(prim.expect("checked above"))),
            Ret::Bits => self.prim(if prim == Some("f32") { "u32" } else { "u64" }),
        };
        self.unify(out, result);
        Some(Step::Done)
    }

    #[allow(clippy::too_many_arguments)]
    fn seq_method(
        &mut self,
        elem: V,
        kind: &str,
        refs: usize,
        name: &str,
        args: &[V],
        range_arg: bool,
        out: V,
    ) -> bool {
        let result = match (name, args) {
            ("len", []) => self.prim("usize"),
            ("is_empty", []) => self.prim("bool"),
            ("iter", []) => {
                let r = self.mk(Shape::Ref(false, elem));
                self.mk(Shape::Iter(r))
            }
            ("iter_mut", []) if kind != "In" => {
                let r = self.mk(Shape::Ref(true, elem));
                self.mk(Shape::Iter(r))
            }
            ("chunks" | "chunks_exact" | "windows" | "rchunks", [k]) => {
                self.unify_prim(*k, "usize");
                let s = self.mk(Shape::Slice(elem));
                let r = self.mk(Shape::Ref(false, s));
                self.mk(Shape::Iter(r))
            }
            ("chunks_mut" | "chunks_exact_mut", [k]) if kind != "In" => {
                self.unify_prim(*k, "usize");
                let s = self.mk(Shape::Slice(elem));
                let r = self.mk(Shape::Ref(true, s));
                self.mk(Shape::Iter(r))
            }
            ("first" | "last", []) => {
                let r = self.mk(Shape::Ref(false, elem));
                self.mk(Shape::Option(r))
            }
            ("get", [i]) if !range_arg => {
                self.unify_prim(*i, "usize");
                let r = self.mk(Shape::Ref(false, elem));
                self.mk(Shape::Option(r))
            }
            ("contains", [x]) => {
                let r = self.mk(Shape::Ref(false, elem));
                self.unify(*x, r);
                self.prim("bool")
            }
            ("swap", [i, j]) if kind != "In" => {
                self.unify_prim(*i, "usize");
                self.unify_prim(*j, "usize");
                self.unit()
            }
            ("fill", [x]) if kind != "In" => {
                self.unify(*x, elem);
                self.unit()
            }
            ("into_iter", []) if refs > 0 && kind != "In" => {
                let r = self.mk(Shape::Ref(false, elem));
                self.mk(Shape::Iter(r))
            }
            ("into_iter", []) if kind == "Vec" => self.mk(Shape::Iter(elem)),
            ("push", [x]) if kind == "Vec" => {
                self.unify(*x, elem);
                self.unit()
            }
            ("pop", []) if kind == "Vec" => self.mk(Shape::Option(elem)),
            _ => return false,
        };
        self.unify(out, result);
        true
    }

    fn out_method(&mut self, elem: V, name: &str, args: &[V], out: V) -> bool {
        let result = match (name, args) {
            // `width` of a `Stripes`, `tile_count` of a `Tiles` (the writable views share
            // this table with `Out`).
            ("len" | "width" | "tile_count", []) => self.prim("usize"),
            ("is_empty", []) => self.prim("bool"),
            ("get", [i]) => {
                self.unify_prim(*i, "usize");
                elem
            }
            ("set", [i, x]) => {
                self.unify_prim(*i, "usize");
                self.unify(*x, elem);
                self.unit()
            }
            ("fill", [x]) => {
                self.unify(*x, elem);
                self.unit()
            }
            _ => return false,
        };
        self.unify(out, result);
        true
    }

    fn option_method(&mut self, elem: V, name: &str, args: &[V], out: V) -> bool {
        let result = match (name, args) {
            ("is_some" | "is_none", []) => self.prim("bool"),
            ("unwrap" | "unwrap_or_default", []) | ("expect", [_]) => elem,
            ("unwrap_or", [x]) => {
                self.unify(*x, elem);
                elem
            }
            ("take", []) => self.mk(Shape::Option(elem)),
            ("copied" | "cloned", []) => {
                let value = self.fresh();
                let r = self.mk(Shape::Ref(false, value));
                self.unify(elem, r);
                self.mk(Shape::Option(value))
            }
            ("replace", [x]) => {
                self.unify(*x, elem);
                self.mk(Shape::Option(elem))
            }
            _ => return false,
        };
        self.unify(out, result);
        true
    }

    fn result_method(&mut self, ok: V, err: V, name: &str, args: &[V], out: V) -> bool {
        let result = match (name, args) {
            ("is_ok" | "is_err", []) => self.prim("bool"),
            ("unwrap" | "unwrap_or_default", []) | ("expect", [_]) => ok,
            ("unwrap_err", []) | ("expect_err", [_]) => err,
            ("unwrap_or", [x]) => {
                self.unify(*x, ok);
                ok
            }
            ("ok", []) => self.mk(Shape::Option(ok)),
            ("err", []) => self.mk(Shape::Option(err)),
            _ => return false,
        };
        self.unify(out, result);
        true
    }

    fn iter_method(&mut self, item: V, name: &str, args: &[V], out: V) -> bool {
        let result = match (name, args) {
            ("enumerate", []) => {
                let index = self.prim("usize");
                let pair = self.mk(Shape::Tuple(vec![index, item]));
                self.mk(Shape::Iter(pair))
            }
            ("rev" | "into_iter", []) | ("filter", [_]) => self.mk(Shape::Iter(item)),
            ("skip" | "take" | "step_by", [k]) => {
                self.unify_prim(*k, "usize");
                self.mk(Shape::Iter(item))
            }
            ("zip", [other]) => {
                let other_item = self.fresh();
                self.pending.push(Pending::IntoIter {
                    iterable: *other,
                    item: other_item,
                });
                let pair = self.mk(Shape::Tuple(vec![item, other_item]));
                self.mk(Shape::Iter(pair))
            }
            ("chain", [other]) => {
                self.pending.push(Pending::IntoIter {
                    iterable: *other,
                    item,
                });
                self.mk(Shape::Iter(item))
            }
            ("copied" | "cloned", []) => {
                let value = self.fresh();
                let r = self.mk(Shape::Ref(false, value));
                self.unify(item, r);
                self.mk(Shape::Iter(value))
            }
            ("count", []) => self.prim("usize"),
            ("next" | "last" | "min" | "max", []) => self.mk(Shape::Option(item)),
            _ => return false,
        };
        self.unify(out, result);
        true
    }

    fn step_pat(
        &mut self,
        pat: &Pat,
        ty: V,
        mode: Mode,
        vars: &Rc<HashMap<String, V>>,
        chain: &Chain,
        force: bool,
    ) -> Step {
        let sub = |this: &mut Self, pat: &Pat, ty: V, mode: Mode| {
            this.pending.push(Pending::Pat {
                pat: Rc::new(pat.clone()),
                ty,
                mode,
                vars: vars.clone(),
                chain: chain.clone(),
            });
        };
        match pat {
            Pat::Ident(p) if is_binding(p) => {
                let Some(&var) = vars.get(&p.ident.to_string()) else {
                    self.escape(ty);
                    return Step::Done;
                };
                let bound = match (p.by_ref, mode) {
                    (Some(_), _) => self.mk(Shape::Ref(p.mutability.is_some(), ty)),
                    (None, Mode::Ref(m)) if p.mutability.is_none() => self.mk(Shape::Ref(m, ty)),
                    _ => ty,
                };
                self.unify(var, bound);
                if let Some((_, subpat)) = &p.subpat {
                    sub(self, subpat, ty, mode);
                }
                return Step::Done;
            }
            Pat::Wild(_) => return Step::Done,
            Pat::Paren(p) => {
                sub(self, &p.pat, ty, mode);
                return Step::Done;
            }
            Pat::Or(o) => {
                for case in &o.cases {
                    sub(self, case, ty, mode);
                }
                return Step::Done;
            }
            Pat::Type(t) => {
                if coercion_free(&t.ty) {
                    let tv = self.conv(&t.ty, chain);
                    self.unify(ty, tv);
                    sub(self, &t.pat, ty, mode);
                } else {
                    self.give_up_pat(pat, ty, vars);
                }
                return Step::Done;
            }
            Pat::Reference(r) => {
                let inner = self.fresh();
                let reference = self.mk(Shape::Ref(r.mutability.is_some(), inner));
                self.unify(ty, reference);
                sub(self, &r.pat, inner, Mode::Move);
                return Step::Done;
            }
            Pat::Lit(syn::ExprLit {
                lit: Lit::Str(_), ..
            }) => {
                let s = self.prim("str");
                let r = self.mk(Shape::Ref(false, s));
                self.unify(ty, r);
                return Step::Done;
            }
            Pat::Ident(_)
            | Pat::Tuple(_)
            | Pat::TupleStruct(_)
            | Pat::Struct(_)
            | Pat::Slice(_)
            | Pat::Lit(_)
            | Pat::Range(_)
            | Pat::Path(_) => {}
            _ => {
                self.give_up_pat(pat, ty, vars);
                return Step::Done;
            }
        }
        // A pattern that is not a binding: through a reference, the default binding mode
        // becomes by-reference.
        match self.shape(ty) {
            Shape::Unknown if !force => return Step::Wait,
            Shape::Ref(m, inner) => {
                let mode = match mode {
                    Mode::Move => Mode::Ref(m),
                    Mode::Ref(old) => Mode::Ref(old && m),
                };
                sub(self, pat, inner, mode);
                return Step::Done;
            }
            _ => {}
        }
        match pat {
            Pat::Tuple(t) => {
                let rest = t.elems.iter().position(|e| matches!(e, Pat::Rest(_)));
                match rest {
                    None => {
                        let elems: Vec<V> = t.elems.iter().map(|_| self.fresh()).collect();
                        let tuple = self.mk(Shape::Tuple(elems.clone()));
                        self.unify(ty, tuple);
                        for (e, v) in t.elems.iter().zip(elems) {
                            sub(self, e, v, mode);
                        }
                    }
                    Some(at) => match self.shape(ty) {
                        Shape::Tuple(elems) if elems.len() + 1 >= t.elems.len() => {
                            let after = t.elems.len() - at - 1;
                            for (e, v) in t.elems.iter().take(at).zip(&elems) {
                                sub(self, e, *v, mode);
                            }
                            for (e, v) in t
                                .elems
                                .iter()
                                .skip(at + 1)
                                .zip(&elems[elems.len() - after..])
                            {
                                sub(self, e, *v, mode);
                            }
                        }
                        _ => self.give_up_pat(pat, ty, vars),
                    },
                }
            }
            Pat::TupleStruct(t)
                if t.qself.is_none()
                    && (is_result_variant(&t.path, "Ok") || is_result_variant(&t.path, "Err")) =>
            {
                if let [inner] = t.elems.iter().collect::<Vec<_>>().as_slice() {
                    let (ok, err) = (self.fresh(), self.fresh());
                    let result = self.mk(Shape::Result(ok, err));
                    self.unify(ty, result);
                    let bound = if is_result_variant(&t.path, "Ok") {
                        ok
                    } else {
                        err
                    };
                    sub(self, inner, bound, mode);
                } else {
                    self.give_up_pat(pat, ty, vars);
                }
            }
            Pat::TupleStruct(t) if t.qself.is_none() && is_variant(&t.path, "Some") => {
                if let [inner] = t.elems.iter().collect::<Vec<_>>().as_slice() {
                    let v = self.fresh();
                    let option = self.mk(Shape::Option(v));
                    self.unify(ty, option);
                    sub(self, inner, v, mode);
                } else {
                    self.give_up_pat(pat, ty, vars);
                }
            }
            Pat::TupleStruct(t) => {
                let def = self.pat_struct(&t.path, chain);
                match def {
                    Some((named, Fields::Unnamed(fields), def_chain))
                        if fields.unnamed.len() == t.elems.len()
                            && !t.elems.iter().any(|e| matches!(e, Pat::Rest(_))) =>
                    {
                        self.unify(ty, named);
                        for (e, f) in t.elems.iter().zip(&fields.unnamed) {
                            if coercion_free(&f.ty) {
                                let fv = self.conv(&f.ty, &def_chain);
                                sub(self, e, fv, mode);
                            } else {
                                self.give_up_pat(e, ty, vars);
                            }
                        }
                    }
                    _ => self.give_up_pat(pat, ty, vars),
                }
            }
            Pat::Struct(s) if s.qself.is_none() => {
                let def = self.pat_struct(&s.path, chain);
                match def {
                    Some((named, fields @ Fields::Named(_), def_chain)) => {
                        self.unify(ty, named);
                        for field in &s.fields {
                            match field_type(&fields, &field.member) {
                                Some(fty) if coercion_free(&fty) => {
                                    let fv = self.conv(&fty, &def_chain);
                                    sub(self, &field.pat, fv, mode);
                                }
                                _ => self.give_up_pat(&field.pat, ty, vars),
                            }
                        }
                    }
                    _ => self.give_up_pat(pat, ty, vars),
                }
            }
            Pat::Slice(s) => match self.shape(ty) {
                Shape::Array(elem, _) | Shape::Slice(elem) => {
                    for e in &s.elems {
                        match e {
                            Pat::Rest(_) => {}
                            Pat::Ident(p)
                                if matches!(
                                    p.subpat.as_ref().map(|s| &*s.1),
                                    Some(Pat::Rest(_))
                                ) =>
                            {
                                self.give_up_pat(e, ty, vars)
                            }
                            e => sub(self, e, elem, mode),
                        }
                    }
                }
                _ => self.give_up_pat(pat, ty, vars),
            },
            Pat::Lit(lit) => {
                let v = self.lit(&lit.lit);
                self.unify(ty, v);
            }
            Pat::Range(range) => {
                for end in [&range.start, &range.end].into_iter().flatten() {
                    match self.pat_const_expr(end, chain) {
                        Some(v) => self.unify(ty, v),
                        None => self.escape(ty),
                    }
                }
            }
            Pat::Path(p) => {
                let expr = Expr::Path(p.clone());
                match self.pat_const_expr(&expr, chain) {
                    Some(v) => self.unify(ty, v),
                    None => self.escape(ty),
                }
            }
            Pat::Ident(p) => {
                let ident = &p.ident;
                let expr: Expr = syn::parse_quote!(#ident);
                match self.pat_const_expr(&expr, chain) {
                    Some(v) => self.unify(ty, v),
                    None => self.escape(ty),
                }
            }
            _ => self.give_up_pat(pat, ty, vars),
        }
        Step::Done
    }

    /// The type of a constant in a pattern: a literal, `-1`, `None`, `u8::MAX`, a `const`
    /// declared in a block around the pattern.
    fn pat_const_expr(&mut self, expr: &Expr, chain: &Chain) -> Option<V> {
        match expr {
            Expr::Lit(lit) => Some(self.lit(&lit.lit)),
            Expr::Unary(u) if matches!(u.op, UnOp::Neg(_)) => self.pat_const_expr(&u.expr, chain),
            Expr::Paren(p) => self.pat_const_expr(&p.expr, chain),
            Expr::Path(p) if p.qself.is_none() && !path_has_args(&p.path) => {
                if is_variant(&p.path, "None") {
                    let inner = self.fresh();
                    return Some(self.mk(Shape::Option(inner)));
                }
                let names = path_idents(&p.path);
                if let [name] = names.as_slice() {
                    let index = self.item_in(name, chain)?;
                    let item_chain = self.items[index].chain.clone();
                    return match &self.items[index].kind {
                        ItemKind::Const(ty) => {
                            let ty = ty.clone();
                            Some(self.conv(&ty, &item_chain))
                        }
                        _ => None,
                    };
                }
                self.prim_const(&names).map(|p| self.prim(p))
            }
            _ => None,
        }
    }

    /// A struct declared in the body named by a pattern's path.
    fn pat_struct(&mut self, path: &Path, chain: &Chain) -> Option<(V, Fields, Chain)> {
        let ident = path.get_ident()?;
        let index = self.item_in(&ident.to_string(), chain)?;
        let ItemKind::Struct(def) = &self.items[index].kind else {
            return None;
        };
        if !def.generics.params.is_empty() {
            return None;
        }
        let fields = def.fields.clone();
        let def_chain = self.items[index].chain.clone();
        let named = self.named(syn::parse_quote!(#ident), chain);
        Some((named, fields, def_chain))
    }

    fn give_up_pat(&mut self, pat: &Pat, ty: V, vars: &HashMap<String, V>) {
        self.escape(ty);
        let mut names = Vec::new();
        pat_names(pat, &mut names);
        for name in names {
            if let Some(v) = vars.get(&name) {
                self.escape(*v);
            }
        }
    }

    // --- writing types ---

    fn annotations(&mut self) -> HashMap<usize, Type> {
        let lets = std::mem::take(&mut self.lets);
        let mut out = HashMap::new();
        for record in lets {
            // A pattern without bindings (`let _ = ..`) has nothing to annotate.
            if record.bindings.is_empty() {
                continue;
            }
            let all_known = record
                .bindings
                .iter()
                .all(|b| self.render(*b, false, &record.chain, 0).is_some());
            if !all_known {
                continue;
            }
            match self.render(record.ty, true, &record.chain, 0) {
                Some(Type::Infer(_)) | None => {}
                Some(ty) => {
                    out.insert(record.key, ty);
                }
            }
        }
        out
    }

    /// For each closure recorded, the types of its untyped parameters that are known and
    /// were never handed to code this module doesn't model.
    fn param_annotations(&mut self) -> HashMap<usize, Vec<(usize, Type)>> {
        let params = std::mem::take(&mut self.params);
        let mut out: HashMap<usize, Vec<(usize, Type)>> = HashMap::new();
        for p in params {
            // The closure's own type: only closures share it, so it escapes only when this
            // one (or a copy) went where a call can't be seen, such as a helper's
            // `F: Fn(&u32)` that gives the parameter a type of its own.
            let closure = self.uf.find(p.closure);
            if self.uf.escaped[closure] || self.uf.poisoned[closure] {
                continue;
            }
            if let Some(ty) = self.render(p.param, false, &p.chain, 0) {
                out.entry(p.key).or_default().push((p.index, ty));
            }
        }
        out
    }

    /// For each arm recorded, a typed `let` for every name whose type is known and holds
    /// no reference (a reference can't be task state, and a wrong lifetime is no better).
    fn arm_lets(&mut self) -> HashMap<usize, (Vec<Stmt>, bool)> {
        let arms = std::mem::take(&mut self.arms);
        let mut out = HashMap::new();
        for arm in arms {
            let mut lets = Vec::new();
            for (name, mutable, v) in &arm.names {
                let Some(ty) = self.render(*v, false, &arm.chain, 0) else {
                    continue;
                };
                if ty
                    .to_token_stream()
                    .into_iter()
                    .any(|t| matches!(&t, TokenTree::Punct(p) if p.as_char() == '&'))
                {
                    continue;
                }
                let mutable = mutable.then(|| quote!(mut));
                let stmt: Stmt =
                    syn::parse_quote_spanned!(name.span()=> let #mutable #name: #ty = #name;);
                lets.push(stmt);
            }
            if !lets.is_empty() {
                out.insert(arm.key, (lets, arm.wrap));
            }
        }
        out
    }

    /// The type `v` stands for, written for a `let` in the block `at`; with `wild`, parts
    /// that are not known are written `_`.
    fn render(&mut self, v: V, wild: bool, at: &[usize], depth: usize) -> Option<Type> {
        if depth > 32 {
            return None;
        }
        let root = self.uf.find(v);
        if self.uf.poisoned[root] {
            return None;
        }
        let escaped = self.uf.escaped[root];
        let unknown = || {
            wild.then(|| {
                Type::Infer(syn::TypeInfer {
                    underscore_token: Default::default(),
                })
            })
        };
        let prim = |name: &str| -> Type {
            let ident = syn::Ident::new(name, Span::call_site());
            syn::parse_quote!(#ident)
        };
        match self.uf.shape[root].clone() {
            Shape::Unknown | Shape::Iter(_) | Shape::Closure(..) => unknown(),
            Shape::Int if escaped || self.uf.big[root] => unknown(),
            Shape::Float if escaped => unknown(),
            Shape::Int => Some(prim("i32")),
            Shape::Float => Some(prim("f64")),
            Shape::Prim(p) => Some(prim(p)),
            Shape::Named(named) => self
                .same_meaning(named.ty.to_token_stream(), &named.origin, at)
                .then(|| named.ty.clone()),
            Shape::Tuple(elems) => {
                let elems = elems
                    .iter()
                    .map(|e| self.render(*e, wild, at, depth + 1))
                    .collect::<Option<Vec<_>>>()?;
                Some(match elems.as_slice() {
                    [one] => syn::parse_quote!((#one,)),
                    many => syn::parse_quote!((#(#many),*)),
                })
            }
            Shape::Array(elem, len) => {
                let elem = self.render(elem, wild, at, depth + 1)?;
                if !self.same_meaning(len.expr.to_token_stream(), &len.origin, at) {
                    return None;
                }
                let len = &len.expr;
                Some(syn::parse_quote!([#elem; #len]))
            }
            Shape::Slice(elem) => {
                let elem = self.render(elem, wild, at, depth + 1)?;
                Some(syn::parse_quote!([#elem]))
            }
            Shape::Ref(m, elem) => {
                let elem = self.render(elem, wild, at, depth + 1)?;
                let is_str = matches!(&elem, Type::Path(p) if p.path.is_ident("str"));
                Some(if m {
                    syn::parse_quote!(&mut #elem)
                } else if is_str {
                    // A `&str` a kernel can hold comes from a literal (a `String` can't be
                    // an argument or carried): `&'static str`, which may be task state.
                    syn::parse_quote!(&'static str)
                } else {
                    syn::parse_quote!(&#elem)
                })
            }
            Shape::Option(elem) => {
                let elem = self.render(elem, wild, at, depth + 1)?;
                self.same_meaning(quote!(Option), &Rc::from(Vec::new()), at)
                    .then(|| syn::parse_quote!(Option<#elem>))
            }
            Shape::Result(ok, err) => {
                let ok = self.render(ok, wild, at, depth + 1)?;
                let err = self.render(err, wild, at, depth + 1)?;
                self.same_meaning(quote!(Result), &Rc::from(Vec::new()), at)
                    .then(|| syn::parse_quote!(Result<#ok, #err>))
            }
        }
    }

    /// Whether every name of `tokens`, written in the block chain `origin`, names the same
    /// item in the block chain `at` (a block may declare an item that shadows another).
    fn same_meaning(&self, tokens: TokenStream, origin: &[usize], at: &[usize]) -> bool {
        tokens.into_iter().all(|tree| match tree {
            TokenTree::Ident(ident) => {
                let name = ident.to_string();
                !self.body_items.contains(&name)
                    || self.item_in(&name, origin) == self.item_in(&name, at)
            }
            TokenTree::Group(group) => self.same_meaning(group.stream(), origin, at),
            _ => true,
        })
    }
}

fn is_std(names: &[&str]) -> bool {
    matches!(names.first(), Some(&("core" | "std" | "alloc")))
        || names.len() <= 2 && !names.is_empty()
}

fn field_type(fields: &Fields, member: &Member) -> Option<Type> {
    match (fields, member) {
        (Fields::Named(named), Member::Named(name)) => named
            .named
            .iter()
            .find(|f| f.ident.as_ref() == Some(name))
            .map(|f| f.ty.clone()),
        (Fields::Unnamed(unnamed), Member::Unnamed(index)) => unnamed
            .unnamed
            .iter()
            .nth(index.index as usize)
            .map(|f| f.ty.clone()),
        _ => None,
    }
}

fn use_names(tree: &syn::UseTree, out: &mut Vec<String>) {
    match tree {
        syn::UseTree::Path(p) => use_names(&p.tree, out),
        syn::UseTree::Name(n) => out.push(n.ident.to_string()),
        syn::UseTree::Rename(r) => out.push(r.rename.to_string()),
        syn::UseTree::Glob(_) => {}
        syn::UseTree::Group(g) => g.items.iter().for_each(|t| use_names(t, out)),
    }
}

// ---------------------------------------------------------------------------------------------
// Methods of numbers.

#[derive(Clone, Copy, PartialEq)]
enum Num {
    Int,
    Float,
    Both,
}

/// A parameter's type: the receiver's, or a fixed one.
#[derive(Clone, Copy)]
enum Arg {
    Same,
    U32,
    I32,
}

#[derive(Clone, Copy)]
enum Ret {
    Same,
    U32,
    Bool,
    OptSame,
    /// `(Self, bool)`.
    PairBool,
    /// `(Self, Self)`.
    Pair,
    /// The unsigned type of the same width.
    Unsigned,
    /// `f32` → `u32`, `f64` → `u64`.
    Bits,
}

use Arg::{Same as S, I32, U32};

/// Methods of the numeric primitives: name, which numbers have it, parameters, result.
/// (`types.rs`'s `SAME_TYPE_METHODS` are the `Ret::Same` rows.)
const NUM_METHODS: &[(&str, Num, &[Arg], Ret)] = &[
    ("min", Num::Both, &[S], Ret::Same),
    ("max", Num::Both, &[S], Ret::Same),
    ("clamp", Num::Both, &[S, S], Ret::Same),
    ("abs", Num::Both, &[], Ret::Same),
    ("signum", Num::Both, &[], Ret::Same),
    ("rem_euclid", Num::Both, &[S], Ret::Same),
    ("div_euclid", Num::Both, &[S], Ret::Same),
    ("to_le", Num::Int, &[], Ret::Same),
    ("to_be", Num::Int, &[], Ret::Same),
    ("pow", Num::Int, &[U32], Ret::Same),
    ("isqrt", Num::Int, &[], Ret::Same),
    ("div_ceil", Num::Int, &[S], Ret::Same),
    ("next_multiple_of", Num::Int, &[S], Ret::Same),
    ("next_power_of_two", Num::Int, &[], Ret::Same),
    ("wrapping_add", Num::Int, &[S], Ret::Same),
    ("wrapping_sub", Num::Int, &[S], Ret::Same),
    ("wrapping_mul", Num::Int, &[S], Ret::Same),
    ("wrapping_div", Num::Int, &[S], Ret::Same),
    ("wrapping_rem", Num::Int, &[S], Ret::Same),
    ("wrapping_neg", Num::Int, &[], Ret::Same),
    ("wrapping_abs", Num::Int, &[], Ret::Same),
    ("wrapping_shl", Num::Int, &[U32], Ret::Same),
    ("wrapping_shr", Num::Int, &[U32], Ret::Same),
    ("wrapping_pow", Num::Int, &[U32], Ret::Same),
    ("saturating_add", Num::Int, &[S], Ret::Same),
    ("saturating_sub", Num::Int, &[S], Ret::Same),
    ("saturating_mul", Num::Int, &[S], Ret::Same),
    ("saturating_div", Num::Int, &[S], Ret::Same),
    ("saturating_pow", Num::Int, &[U32], Ret::Same),
    ("rotate_left", Num::Int, &[U32], Ret::Same),
    ("rotate_right", Num::Int, &[U32], Ret::Same),
    ("swap_bytes", Num::Int, &[], Ret::Same),
    ("reverse_bits", Num::Int, &[], Ret::Same),
    ("count_ones", Num::Int, &[], Ret::U32),
    ("count_zeros", Num::Int, &[], Ret::U32),
    ("leading_zeros", Num::Int, &[], Ret::U32),
    ("trailing_zeros", Num::Int, &[], Ret::U32),
    ("leading_ones", Num::Int, &[], Ret::U32),
    ("trailing_ones", Num::Int, &[], Ret::U32),
    ("ilog2", Num::Int, &[], Ret::U32),
    ("ilog10", Num::Int, &[], Ret::U32),
    ("ilog", Num::Int, &[S], Ret::U32),
    ("is_power_of_two", Num::Int, &[], Ret::Bool),
    ("is_positive", Num::Int, &[], Ret::Bool),
    ("is_negative", Num::Int, &[], Ret::Bool),
    ("checked_add", Num::Int, &[S], Ret::OptSame),
    ("checked_sub", Num::Int, &[S], Ret::OptSame),
    ("checked_mul", Num::Int, &[S], Ret::OptSame),
    ("checked_div", Num::Int, &[S], Ret::OptSame),
    ("checked_rem", Num::Int, &[S], Ret::OptSame),
    ("checked_neg", Num::Int, &[], Ret::OptSame),
    ("overflowing_add", Num::Int, &[S], Ret::PairBool),
    ("overflowing_sub", Num::Int, &[S], Ret::PairBool),
    ("overflowing_mul", Num::Int, &[S], Ret::PairBool),
    ("abs_diff", Num::Int, &[S], Ret::Unsigned),
    ("unsigned_abs", Num::Int, &[], Ret::Unsigned),
    ("powi", Num::Float, &[I32], Ret::Same),
    ("powf", Num::Float, &[S], Ret::Same),
    ("sqrt", Num::Float, &[], Ret::Same),
    ("cbrt", Num::Float, &[], Ret::Same),
    ("exp", Num::Float, &[], Ret::Same),
    ("exp2", Num::Float, &[], Ret::Same),
    ("exp_m1", Num::Float, &[], Ret::Same),
    ("ln", Num::Float, &[], Ret::Same),
    ("ln_1p", Num::Float, &[], Ret::Same),
    ("log", Num::Float, &[S], Ret::Same),
    ("log2", Num::Float, &[], Ret::Same),
    ("log10", Num::Float, &[], Ret::Same),
    ("sin", Num::Float, &[], Ret::Same),
    ("cos", Num::Float, &[], Ret::Same),
    ("tan", Num::Float, &[], Ret::Same),
    ("asin", Num::Float, &[], Ret::Same),
    ("acos", Num::Float, &[], Ret::Same),
    ("atan", Num::Float, &[], Ret::Same),
    ("atan2", Num::Float, &[S], Ret::Same),
    ("sinh", Num::Float, &[], Ret::Same),
    ("cosh", Num::Float, &[], Ret::Same),
    ("tanh", Num::Float, &[], Ret::Same),
    ("asinh", Num::Float, &[], Ret::Same),
    ("acosh", Num::Float, &[], Ret::Same),
    ("atanh", Num::Float, &[], Ret::Same),
    ("sin_cos", Num::Float, &[], Ret::Pair),
    ("floor", Num::Float, &[], Ret::Same),
    ("ceil", Num::Float, &[], Ret::Same),
    ("round", Num::Float, &[], Ret::Same),
    ("round_ties_even", Num::Float, &[], Ret::Same),
    ("trunc", Num::Float, &[], Ret::Same),
    ("fract", Num::Float, &[], Ret::Same),
    ("mul_add", Num::Float, &[S, S], Ret::Same),
    ("recip", Num::Float, &[], Ret::Same),
    ("hypot", Num::Float, &[S], Ret::Same),
    ("copysign", Num::Float, &[S], Ret::Same),
    ("to_degrees", Num::Float, &[], Ret::Same),
    ("to_radians", Num::Float, &[], Ret::Same),
    ("is_nan", Num::Float, &[], Ret::Bool),
    ("is_finite", Num::Float, &[], Ret::Bool),
    ("is_infinite", Num::Float, &[], Ret::Bool),
    ("is_normal", Num::Float, &[], Ret::Bool),
    ("is_sign_positive", Num::Float, &[], Ret::Bool),
    ("is_sign_negative", Num::Float, &[], Ret::Bool),
    ("to_bits", Num::Float, &[], Ret::Bits),
];
