//! The arguments of `#[penny::task(...)]`.

use syn::parse::{Parse, ParseStream};
use syn::{Ident, LitInt, Token};

/// Bytes a task's state may take unless the attribute raises the limit. The pool runs
/// states of any size (large ones beside the slot); the limit catches states that grew by
/// mistake, since every spawn and migration copies them.
pub const DEFAULT_SLOT_BYTES: usize = 4096;

/// Parsed `#[penny::task(slot = N, js)]`.
pub struct TaskAttr {
    /// Bytes the state struct may take.
    pub slot_bytes: usize,
    /// `js`: export a JS class that spawns the kernel (wasm builds), at this span.
    pub js: Option<proc_macro2::Span>,
}

impl Default for TaskAttr {
    fn default() -> Self {
        TaskAttr {
            slot_bytes: DEFAULT_SLOT_BYTES,
            js: None,
        }
    }
}

impl Parse for TaskAttr {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut attr = TaskAttr::default();
        while !input.is_empty() {
            let key: Ident = input.parse()?;
            if key == "js" {
                attr.js = Some(key.span());
                if !input.is_empty() {
                    input.parse::<Token![,]>()?;
                }
                continue;
            }
            if key != "slot" {
                return Err(syn::Error::new(
                    key.span(),
                    format!("unknown option `{key}`; the options are `slot = <bytes>` and `js`"),
                ));
            }
            input.parse::<Token![=]>()?;
            let value: LitInt = input.parse()?;
            let bytes: usize = value.base10_parse()?;
            if bytes == 0 || bytes % 8 != 0 {
                return Err(syn::Error::new(
                    value.span(),
                    "the slot size must be a positive multiple of 8 bytes, e.g. `slot = 512`",
                ));
            }
            attr.slot_bytes = bytes;
            if !input.is_empty() {
                input.parse::<Token![,]>()?;
            }
        }
        Ok(attr)
    }
}
