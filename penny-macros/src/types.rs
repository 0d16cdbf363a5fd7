//! Reading types without a type checker.
//!
//! A carried variable becomes a field of the state struct, so the macro must write its type.
//! It reads it from an annotation, or from the initializer when the initializer says it
//! plainly: a suffixed literal, a cast, another variable of known type, a tuple or array of
//! those, `Some(..)`, a struct literal, arithmetic on a typed left operand, and a few
//! same-type methods (`x.min(y)`, `x.sqrt()`). Anything else asks the user for an annotation.
//! The same module spots types that can never be task state (heap types, references,
//! pointers, closures) so they get a Penny error instead of a cascade from rustc.

use std::collections::HashMap;

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::spanned::Spanned;
use syn::{BinOp, Expr, Lit, Type, UnOp};

/// Known types of variables in scope, by name.
pub type Env = HashMap<String, Type>;

/// Why a type could not be read.
#[derive(Clone)]
pub enum Unreadable {
    /// The value can never be task state; the message says why and what to write.
    NotPod(Span, String),
    /// Penny can't tell; the message is a hint for the annotation.
    Unknown(String),
}

const PRIMITIVES: &[&str] = &[
    "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64", "i128", "isize", "f32",
    "f64", "bool", "char",
];

/// Methods of numeric primitives that return the receiver's type.
pub(crate) const SAME_TYPE_METHODS: &[&str] = &[
    "div_ceil",
    "next_multiple_of",
    "min",
    "max",
    "clamp",
    "abs",
    "signum",
    "pow",
    "powi",
    "powf",
    "sqrt",
    "cbrt",
    "exp",
    "exp2",
    "ln",
    "log",
    "log2",
    "log10",
    "sin",
    "cos",
    "tan",
    "asin",
    "acos",
    "atan",
    "atan2",
    "sinh",
    "cosh",
    "tanh",
    "floor",
    "ceil",
    "round",
    "trunc",
    "fract",
    "mul_add",
    "recip",
    "hypot",
    "rem_euclid",
    "div_euclid",
    "wrapping_add",
    "wrapping_sub",
    "wrapping_mul",
    "wrapping_neg",
    "wrapping_shl",
    "wrapping_shr",
    "saturating_add",
    "saturating_sub",
    "saturating_mul",
    "rotate_left",
    "rotate_right",
    "swap_bytes",
    "reverse_bits",
    "to_le",
    "to_be",
    "isqrt",
    "copysign",
    "to_degrees",
    "to_radians",
];

fn parse_type(text: &str) -> Type {
    syn::parse_str(text).expect("a primitive type name parses")
}

fn is_primitive(ty: &Type) -> bool {
    matches!(ty, Type::Path(p) if p.qself.is_none() && p.path.get_ident().is_some_and(|id| PRIMITIVES.contains(&id.to_string().as_str())))
}

/// Reads the type of `expr`, evaluated where the variables in `env` are in scope.
pub fn read_type(expr: &Expr, env: &Env) -> Result<Type, Unreadable> {
    match expr {
        Expr::Lit(lit) => literal_type(&lit.lit),
        Expr::Cast(cast) => Ok((*cast.ty).clone()),
        Expr::Paren(e) => read_type(&e.expr, env),
        Expr::Group(e) => read_type(&e.expr, env),
        Expr::Path(path) if path.qself.is_none() => path_type(&path.path, env),
        Expr::Unary(unary) => match unary.op {
            UnOp::Neg(_) | UnOp::Not(_) => read_type(&unary.expr, env),
            _ => Err(Unreadable::Unknown(
                "Penny can't read the type of a dereference".into(),
            )),
        },
        Expr::Binary(binary) => match binary.op {
            BinOp::Eq(_)
            | BinOp::Ne(_)
            | BinOp::Lt(_)
            | BinOp::Le(_)
            | BinOp::Gt(_)
            | BinOp::Ge(_)
            | BinOp::And(_)
            | BinOp::Or(_) => Ok(parse_type("bool")),
            BinOp::Shl(_) | BinOp::Shr(_) => read_type(&binary.left, env),
            // The left operand decides (`Add<Rhs>` for a user type may return anything, and
            // `infer` already linked literal operands to typed ones).
            _ => read_type(&binary.left, env),
        },
        Expr::Tuple(tuple) => {
            let elems = tuple
                .elems
                .iter()
                .map(|e| read_type(e, env))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(syn::parse2(quote!((#(#elems,)*))).expect("a tuple type parses"))
        }
        Expr::Repeat(repeat) => {
            let elem = read_type(&repeat.expr, env)?;
            let len = &repeat.len;
            Ok(syn::parse2(quote!([#elem; #len])).expect("an array type parses"))
        }
        Expr::Array(array) => {
            let first = array
                .elems
                .first()
                .ok_or_else(|| Unreadable::Unknown("an empty array has no element type".into()))?;
            let elem = read_type(first, env)?;
            let len = proc_macro2::Literal::usize_unsuffixed(array.elems.len());
            Ok(syn::parse2(quote!([#elem; #len])).expect("an array type parses"))
        }
        Expr::Call(call) => call_type(call, env),
        // `State::Stop { at: 3 }` is a variant of `State`; `geo::Point { .. }` a struct.
        Expr::Struct(lit) if lit.qself.is_none() => {
            Ok(variant_enum(&lit.path).unwrap_or_else(|| {
                let path = &lit.path;
                syn::parse2(quote!(#path)).expect("a struct path is a type")
            }))
        }
        Expr::MethodCall(call) => {
            let method = call.method.to_string();
            let receiver = read_type(&call.receiver, env)?;
            if !is_primitive(&receiver) {
                return Err(Unreadable::Unknown(format!(
                    "Penny can't tell what `.{method}()` returns"
                )));
            }
            match method.as_str() {
                m if SAME_TYPE_METHODS.contains(&m) => Ok(receiver),
                "count_ones" | "count_zeros" | "leading_zeros" | "trailing_zeros" => {
                    Ok(parse_type("u32"))
                }
                "is_nan" | "is_finite" | "is_infinite" | "is_power_of_two" => {
                    Ok(parse_type("bool"))
                }
                "to_bits" => {
                    let bits = if quote!(#receiver).to_string() == "f32" {
                        "u32"
                    } else {
                        "u64"
                    };
                    Ok(parse_type(bits))
                }
                _ => Err(Unreadable::Unknown(format!(
                    "Penny can't tell what `.{method}()` returns"
                ))),
            }
        }
        Expr::Index(index) => match read_type(&index.expr, env)? {
            Type::Array(array) => Ok((*array.elem).clone()),
            _ => Err(Unreadable::Unknown(
                "Penny can't read the type of this index".into(),
            )),
        },
        Expr::Field(field) => match (read_type(&field.base, env)?, &field.member) {
            (Type::Tuple(tuple), syn::Member::Unnamed(index)) => tuple
                .elems
                .iter()
                .nth(index.index as usize)
                .cloned()
                .ok_or_else(|| Unreadable::Unknown("no such tuple field".into())),
            _ => Err(Unreadable::Unknown(
                "Penny can't read the type of a field".into(),
            )),
        },
        Expr::If(if_expr) => match if_expr.then_branch.stmts.last() {
            Some(syn::Stmt::Expr(tail, None)) => read_type(tail, env),
            _ => Err(Unreadable::Unknown(
                "Penny can't read the type of this `if`".into(),
            )),
        },
        Expr::Block(block) => match block.block.stmts.last() {
            Some(syn::Stmt::Expr(tail, None))
                if matches!(crate::ast::strip_parens(tail), Expr::Closure(_))
                    && block.block.stmts.len() > 1 =>
            {
                Err(Unreadable::NotPod(
                    tail.span(),
                    "a closure that is a block's value can't be created again when the task \
                     resumes: what it captures from the block is gone by then. Declare those \
                     values before it, outside the block, and bind the closure itself: \
                     `let k2 = ..; let f = move |i| ..;`"
                        .into(),
                ))
            }
            Some(syn::Stmt::Expr(tail, None)) => read_type(tail, env),
            _ => Err(Unreadable::Unknown(
                "Penny can't read the type of this block".into(),
            )),
        },
        Expr::Closure(closure) => Err(Unreadable::NotPod(
            closure.span(),
            "a closure is carried across an iteration boundary by creating it again when the \
             task resumes, which Penny does for a closure bound by itself: `let f = |x| ..;`. \
             Bind it so, or write a `fn` and call it inside the loop"
                .into(),
        )),
        Expr::Reference(reference) => Err(Unreadable::NotPod(
            reference.span(),
            "a reference can't be carried across an iteration boundary: the task may resume \
             on another worker. Keep an index instead, or use `penny::In<T>` for shared data"
                .into(),
        )),
        Expr::Macro(mac) if mac.mac.path.is_ident("vec") || mac.mac.path.is_ident("format") => {
            Err(Unreadable::NotPod(
                mac.span(),
                "heap data (`Vec`, `String`) can't be carried across an iteration boundary: \
                 task state is plain bytes. Use a fixed-size array, or `penny::In`/`penny::Out` \
                 for large buffers"
                    .into(),
            ))
        }
        _ => Err(Unreadable::Unknown(
            "Penny can't read the type of this expression".into(),
        )),
    }
}

fn literal_type(lit: &Lit) -> Result<Type, Unreadable> {
    match lit {
        Lit::Int(int) if !int.suffix().is_empty() => Ok(parse_type(int.suffix())),
        Lit::Float(float) if !float.suffix().is_empty() => Ok(parse_type(float.suffix())),
        Lit::Int(_) => Err(Unreadable::Unknown(
            "an integer literal without a suffix could be any integer type; write it with a \
             suffix such as `0u32`"
                .into(),
        )),
        Lit::Float(_) => Err(Unreadable::Unknown(
            "a float literal without a suffix could be `f32` or `f64`; write it with a suffix \
             such as `0.0f64`"
                .into(),
        )),
        Lit::Bool(_) => Ok(parse_type("bool")),
        Lit::Char(_) => Ok(parse_type("char")),
        Lit::Byte(_) => Ok(parse_type("u8")),
        Lit::Str(s) => Err(Unreadable::NotPod(
            s.span(),
            "a string can't be carried across an iteration boundary: task state is plain \
             bytes"
                .into(),
        )),
        _ => Err(Unreadable::Unknown(
            "Penny can't read the type of this literal".into(),
        )),
    }
}

fn path_type(path: &syn::Path, env: &Env) -> Result<Type, Unreadable> {
    if let Some(ident) = path.get_ident() {
        return env.get(&ident.to_string()).cloned().ok_or_else(|| {
            Unreadable::Unknown(format!("Penny doesn't know the type of `{ident}`"))
        });
    }
    // `u32::MAX`, `f64::EPSILON`, `u64::BITS`.
    if path.segments.len() == 2 {
        let ty = &path.segments[0].ident;
        let item = path.segments[1].ident.to_string();
        if PRIMITIVES.contains(&ty.to_string().as_str()) {
            match item.as_str() {
                "BITS" | "DIGITS" | "MANTISSA_DIGITS" | "RADIX" => return Ok(parse_type("u32")),
                "MIN_EXP" | "MAX_EXP" | "MIN_10_EXP" | "MAX_10_EXP" => {
                    return Ok(parse_type("i32"))
                }
                "MAX" | "MIN" | "EPSILON" | "INFINITY" | "NEG_INFINITY" | "NAN"
                | "MIN_POSITIVE" => return Ok(parse_type(&ty.to_string())),
                _ => {}
            }
        }
    }
    if path.is_ident("None") {
        return Err(Unreadable::Unknown("`None` doesn't say its type".into()));
    }
    if let Some(ty) = variant_enum(path) {
        return Ok(ty);
    }
    // `Dir::N`: a one-letter variant spells like an associated constant (`Grid::W`), whose
    // type is not the type it belongs to.
    if let [.., ty, last] = path.segments.iter().collect::<Vec<_>>().as_slice() {
        let last = last.ident.to_string();
        if last.len() == 1 && last.starts_with(char::is_uppercase) {
            return Err(Unreadable::Unknown(format!(
                "Penny can't tell whether `{}::{last}` is a variant of `{0}` or a constant \
                 (a one-letter name reads as either)",
                ty.ident
            )));
        }
    }
    Err(Unreadable::Unknown(
        "Penny can't read the type of this path".into(),
    ))
}

/// The enum of a variant path, `Light::Red` or `St::Go` (in `St::Go(0)`) → `Light`, `St`:
/// a last segment in UpperCamelCase (a variant; associated constants are SHOUTY_CASE and
/// functions snake_case) after one that names a type; `Acc::<u32>::Empty` → `Acc::<u32>`. Not
/// `Option::None` or `Result::Ok`, whose enums are generic: their type needs the argument's.
fn variant_enum(path: &syn::Path) -> Option<Type> {
    let n = path.segments.len();
    // Arguments may sit on the enum's segment only (`Acc::<u32>::Empty`, which is a type as
    // written); without them a generic enum's type can't be told (its definition is outside
    // the fn), and rustc asks for them (E0107 at the user's path).
    if n < 2
        || path
            .segments
            .iter()
            .enumerate()
            .any(|(i, s)| i != n - 2 && !s.arguments.is_none())
    {
        return None;
    }
    let camel = |ident: &syn::Ident| {
        let name = ident.to_string();
        name.starts_with(char::is_uppercase) && name.contains(char::is_lowercase)
    };
    let (variant, ty) = (&path.segments[n - 1].ident, &path.segments[n - 2].ident);
    let generic = ["Option", "Result", "Self", "Cow"];
    if !camel(variant) || !ty.to_string().starts_with(char::is_uppercase) {
        return None;
    }
    if generic.contains(&ty.to_string().as_str()) {
        return None;
    }
    Some(Type::Path(syn::TypePath {
        qself: None,
        path: syn::Path {
            leading_colon: path.leading_colon,
            segments: path.segments.iter().take(n - 1).cloned().collect(),
        },
    }))
}

fn call_type(call: &syn::ExprCall, env: &Env) -> Result<Type, Unreadable> {
    let Expr::Path(func) = &*call.func else {
        return Err(Unreadable::Unknown(
            "Penny can't read the type of this call".into(),
        ));
    };
    let segments: Vec<String> = func
        .path
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect();
    let heap = [
        "Vec", "String", "Box", "Rc", "Arc", "HashMap", "BTreeMap", "VecDeque",
    ];
    if let Some(first) = segments.first() {
        if heap.contains(&first.as_str()) {
            return Err(Unreadable::NotPod(
                call.span(),
                format!(
                    "a `{first}` can't be carried across an iteration boundary: task state is \
                     plain bytes. Use a fixed-size array, or `penny::In`/`penny::Out` for large \
                     buffers"
                ),
            ));
        }
    }
    match segments.as_slice() {
        [some] if some == "Some" && call.args.len() == 1 => {
            let inner = read_type(&call.args[0], env)?;
            Ok(syn::parse2(quote!(Option<#inner>)).expect("an Option type parses"))
        }
        [ty, from] if PRIMITIVES.contains(&ty.as_str()) && from == "from" => Ok(parse_type(ty)),
        [name] if name.starts_with(char::is_uppercase) && name != "Ok" && name != "Err" => {
            Ok(parse_type(name))
        }
        _ => variant_enum(&func.path).ok_or_else(|| {
            Unreadable::Unknown(
                "Penny can't tell what this call returns (if it returns a closure or another \
                 `impl Trait`, which has no type to write and can't be part of the state, \
                 make the call inside the loop instead)"
                    .into(),
            )
        }),
    }
}

/// Whether `ty` is plain data by its spelling alone: primitives, and arrays, tuples and
/// `Option`s of them, and Penny's `In`/`Out` handles. A user type may be `Pod` too, but only
/// its `#[derive(penny::Pod)]` says so.
pub fn is_known_pod(ty: &Type) -> bool {
    match ty {
        Type::Paren(p) => is_known_pod(&p.elem),
        Type::Group(g) => is_known_pod(&g.elem),
        Type::Array(a) => is_known_pod(&a.elem),
        Type::Tuple(t) => t.elems.iter().all(is_known_pod),
        Type::Path(p) if p.qself.is_none() => {
            let Some(last) = p.path.segments.last() else {
                return false;
            };
            let name = last.ident.to_string();
            match &last.arguments {
                syn::PathArguments::None => is_primitive(ty),
                syn::PathArguments::AngleBracketed(args) => {
                    let inner_known = args.args.iter().all(|arg| match arg {
                        syn::GenericArgument::Type(inner) => is_known_pod(inner),
                        _ => false,
                    });
                    (name == "Option" || name == "In" || name == "Out") && inner_known
                }
                syn::PathArguments::Parenthesized(_) => false,
            }
        }
        _ => false,
    }
}

/// Why `ty` can never be task state, when that is visible from its spelling.
pub fn not_pod_reason(ty: &Type) -> Option<(TokenStream, String)> {
    match ty {
        // `&'static str`, `&'static [u8]`: `Copy`, and valid on any worker for good.
        Type::Reference(r)
            if r.mutability.is_none()
                && r.lifetime.as_ref().is_some_and(|l| l.ident == "static") =>
        {
            not_pod_reason(&r.elem).filter(|_| !matches!(&*r.elem, Type::Slice(_)))
        }
        Type::Reference(r) => Some((
            quote!(#r),
            "a borrowed value can't be part of a task's state: the task may resume on another \
             worker after the borrow ended. Pass a `penny::In<T>` (read) or `penny::Out<T>` \
             (write) for shared buffers, or the value itself"
                .into(),
        )),
        Type::Ptr(p) => Some((
            quote!(#p),
            "a raw pointer can't be part of a task's state: it is not `Send` and Penny can't \
             check what it points to. Use `penny::In<T>` / `penny::Out<T>`, or an index"
                .into(),
        )),
        Type::ImplTrait(t) => Some((
            quote!(#t),
            "`impl Trait` can't be part of a task's state: write a concrete type".into(),
        )),
        Type::TraitObject(t) => Some((
            quote!(#t),
            "a trait object can't be part of a task's state: write a concrete type".into(),
        )),
        Type::BareFn(f) => Some((
            quote!(#f),
            "a function pointer can't be part of a task's state: call the function by name \
             inside the kernel"
                .into(),
        )),
        Type::Paren(p) => not_pod_reason(&p.elem),
        Type::Group(g) => not_pod_reason(&g.elem),
        Type::Array(a) => not_pod_reason(&a.elem),
        Type::Slice(s) => Some((
            quote!(#s),
            "a slice can't be part of a task's state: use a fixed-size array `[T; N]` or \
             `penny::In<T>`"
                .into(),
        )),
        Type::Tuple(t) => t.elems.iter().find_map(not_pod_reason),
        Type::Path(p) => {
            let last = p.path.segments.last()?;
            let name = last.ident.to_string();
            let heap = [
                "Vec", "String", "Box", "Rc", "Arc", "HashMap", "HashSet", "BTreeMap", "BTreeSet",
                "VecDeque", "RefCell", "Cell", "Mutex", "RwLock",
            ];
            if heap.contains(&name.as_str()) {
                return Some((
                    quote!(#p),
                    format!(
                        "`{name}` can't be part of a task's state: state is plain bytes copied \
                         between workers, and `{name}` owns or shares memory outside it. Use a \
                         fixed-size array, or `penny::In<T>` / `penny::Out<T>` for buffers"
                    ),
                ));
            }
            if let syn::PathArguments::AngleBracketed(args) = &last.arguments {
                for arg in &args.args {
                    match arg {
                        syn::GenericArgument::Lifetime(lt) => {
                            return Some((
                                quote!(#lt),
                                "a type with a lifetime borrows data, so it can't be part of a \
                                 task's state: pass owned plain data or `penny::In<T>`"
                                    .into(),
                            ))
                        }
                        syn::GenericArgument::Type(inner) => {
                            if let Some(reason) = not_pod_reason(inner) {
                                return Some(reason);
                            }
                        }
                        _ => {}
                    }
                }
            }
            None
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(expr: &str, env: &[(&str, &str)]) -> Result<String, String> {
        let env: Env = env
            .iter()
            .map(|(name, ty)| (name.to_string(), syn::parse_str(ty).expect("type")))
            .collect();
        let expr: Expr = syn::parse_str(expr).expect("expression");
        match read_type(&expr, &env) {
            Ok(ty) => Ok(quote!(#ty).to_string().replace(' ', "")),
            Err(Unreadable::NotPod(_, why)) => Err(format!("not pod: {why}")),
            Err(Unreadable::Unknown(why)) => Err(why),
        }
    }

    #[test]
    fn reads_what_the_code_says() {
        assert_eq!(read("0u32", &[]), Ok("u32".into()));
        assert_eq!(read("1.5f32", &[]), Ok("f32".into()));
        assert_eq!(read("n as f64", &[]), Ok("f64".into()));
        assert_eq!(read("n * 2 + 1", &[("n", "u64")]), Ok("u64".into()));
        assert_eq!(read("x < y", &[]), Ok("bool".into()));
        assert_eq!(read("(0u8, 'a', true)", &[]), Ok("(u8,char,bool,)".into()));
        assert_eq!(read("[0i16; 8]", &[]), Ok("[i16;8]".into()));
        assert_eq!(read("[a, a]", &[("a", "f64")]), Ok("[f64;2]".into()));
        assert_eq!(read("Some(n)", &[("n", "u32")]), Ok("Option<u32>".into()));
        assert_eq!(read("u32::MAX", &[]), Ok("u32".into()));
        assert_eq!(read("u64::BITS", &[]), Ok("u32".into()));
        assert_eq!(
            read("seed.wrapping_mul(3)", &[("seed", "u64")]),
            Ok("u64".into())
        );
        assert_eq!(read("bins[3]", &[("bins", "[u32; 16]")]), Ok("u32".into()));
        assert_eq!(read("pair.1", &[("pair", "(u8, f32)")]), Ok("f32".into()));
        assert_eq!(read("Point { x: 0.0, y: 0.0 }", &[]), Ok("Point".into()));
    }

    #[test]
    fn asks_when_the_code_does_not_say() {
        assert!(read("0", &[]).unwrap_err().contains("suffix"));
        assert!(read("0.0", &[]).unwrap_err().contains("f32` or `f64"));
        assert!(read("None", &[]).is_err());
        assert!(read("v.len()", &[("v", "In<u32>")]).is_err());
        assert!(read("unknown_var", &[])
            .unwrap_err()
            .contains("unknown_var"));
    }

    #[test]
    fn spots_values_that_are_never_plain_data() {
        assert!(read("|x: u32| x + 1", &[])
            .unwrap_err()
            .starts_with("not pod: a closure"));
        assert!(read("&data", &[])
            .unwrap_err()
            .starts_with("not pod: a reference"));
        assert!(read("Vec::new()", &[]).unwrap_err().contains("`Vec`"));
        assert!(read("vec![1u32]", &[])
            .unwrap_err()
            .starts_with("not pod: heap data"));
        assert!(read("\"text\"", &[])
            .unwrap_err()
            .starts_with("not pod: a string"));
    }

    #[test]
    fn spots_types_that_are_never_plain_data() {
        let reason = |ty: &str| not_pod_reason(&syn::parse_str(ty).expect("type")).map(|r| r.1);
        assert!(reason("&[f32]").unwrap().contains("borrowed"));
        assert!(reason("*const u8").unwrap().contains("raw pointer"));
        assert!(reason("Box<u64>").unwrap().contains("`Box`"));
        assert!(reason("[String; 2]").unwrap().contains("`String`"));
        assert!(reason("Option<Vec<u8>>").unwrap().contains("`Vec`"));
        assert!(reason("View<'a>").unwrap().contains("lifetime"));
        assert!(reason("(u32, f64)").is_none());
        assert!(reason("penny::In<f32>").is_none());
        assert!(reason("MyPodStruct").is_none());
    }

    #[test]
    fn knows_plain_data_by_its_spelling() {
        let known = |ty: &str| is_known_pod(&syn::parse_str(ty).expect("type"));
        assert!(known("u32") && known("[f64; 4]") && known("(u8, [i16; 2])"));
        assert!(known("Option<char>") && known("penny::In<f32>") && known("Out<u32>"));
        assert!(!known("Point") && !known("[Point; 2]") && !known("Option<Point>"));
        assert!(!known("Vec<u32>") && !known("In<Point>"));
    }
}
