//! What the emitters read: the user's function with its tree, bindings and options, built
//! once by `lib.rs` after every check passed.

use syn::{Ident, Type};

use crate::ast::{Loop, Seq};
use crate::attr::TaskAttr;
use crate::vars::{ArgInfo, Vars};

/// Everything the emitter needs.
pub struct Kernel<'a> {
    /// The user's function.
    pub func: &'a syn::ItemFn,
    /// `#[penny::task(...)]` options.
    pub attr: TaskAttr,
    /// Name of the state struct.
    pub state: Ident,
    /// The arguments.
    pub args: Vec<ArgInfo>,
    /// The return type (`()` when none).
    pub output: Type,
    /// The body as a tree of resumable loops.
    pub body: &'a Seq,
    /// The resumable loops, by id.
    pub loops: Vec<&'a Loop>,
    /// What every binding is.
    pub vars: Vars,
    /// Names whose every use reads the same value (see [`crate::pure`]).
    pub immutables: crate::pure::Immutables,
}
