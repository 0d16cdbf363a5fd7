//! The arguments of `#[penny::task(...)]`.

use syn::parse::{Parse, ParseStream};
use syn::{Ident, LitInt, Token};

/// Bytes a task's state may take unless the attribute raises the limit. The pool runs
/// states of any size (large ones beside the slot); the limit catches states that grew by
/// mistake, since every spawn and migration copies them.
pub const DEFAULT_SLOT_BYTES: usize = 4096;

/// Parsed `#[penny::task(slot = N, js, state = Name)]`.
pub struct TaskAttr {
    /// Bytes the state struct may take.
    pub slot_bytes: usize,
    /// `js`: export a JS class that spawns the kernel (wasm builds), at this span.
    pub js: Option<proc_macro2::Span>,
    /// `state = Name`: the generated state struct's name (by default the function's name in
    /// UpperCamelCase), for a crate that already has an item of that name.
    pub state: Option<Ident>,
}

impl Default for TaskAttr {
    fn default() -> Self {
        TaskAttr {
            slot_bytes: DEFAULT_SLOT_BYTES,
            js: None,
            state: None,
        }
    }
}

const OPTIONS: &str = "the options are `slot = <bytes>`, `js` and `state = <StructName>`";

impl Parse for TaskAttr {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut attr = TaskAttr::default();
        let mut seen: Vec<String> = Vec::new();
        while !input.is_empty() {
            let key: Ident = input.parse()?;
            if seen.contains(&key.to_string()) {
                return Err(syn::Error::new(
                    key.span(),
                    format!("`{key}` is given twice; give each option once"),
                ));
            }
            seen.push(key.to_string());
            if key == "js" {
                if input.peek(Token![=]) {
                    return Err(syn::Error::new(
                        key.span(),
                        "`js` takes no value: write `#[penny::task(js)]`",
                    ));
                }
                attr.js = Some(key.span());
            } else if key == "slot" {
                const SLOT: &str = "`slot` takes a size in bytes: `slot = 8192`";
                if input.parse::<Option<Token![=]>>()?.is_none() {
                    return Err(syn::Error::new(key.span(), SLOT));
                }
                let value: LitInt = input.parse().map_err(|e| syn::Error::new(e.span(), SLOT))?;
                let bytes: usize = value
                    .base10_parse()
                    .map_err(|_| syn::Error::new(value.span(), SLOT))?;
                if bytes == 0 || bytes % 8 != 0 {
                    return Err(syn::Error::new(
                        value.span(),
                        "the slot size must be a positive multiple of 8 bytes, e.g. `slot = 512`",
                    ));
                }
                attr.slot_bytes = bytes;
            } else if key == "state" {
                attr.state = Some(state_name(input, &key)?);
            } else {
                return Err(syn::Error::new(
                    key.span(),
                    format!("unknown option `{key}`; {OPTIONS}"),
                ));
            }
            if !input.is_empty() {
                input.parse::<Token![,]>()?;
            }
        }
        Ok(attr)
    }
}

/// `= Name` after `state`: one identifier, the struct's name as it will be declared.
fn state_name(input: ParseStream, key: &Ident) -> syn::Result<Ident> {
    const EXPECTED: &str = "`state` names the generated state struct: write one identifier, \
         e.g. `#[penny::task(state = ParticleTask)]` (the struct is declared beside the \
         function: no path, generics or quotes)";
    if input.parse::<Option<Token![=]>>()?.is_none() {
        return Err(syn::Error::new(key.span(), EXPECTED));
    }
    // Whatever the value is, up to the next `,`: one identifier, or the error spans it all.
    let value: proc_macro2::TokenStream = input.step(|cursor| {
        let mut rest = *cursor;
        let mut tokens = proc_macro2::TokenStream::new();
        while let Some((tt, next)) = rest.token_tree() {
            if matches!(&tt, proc_macro2::TokenTree::Punct(p) if p.as_char() == ',') {
                break;
            }
            tokens.extend([tt]);
            rest = next;
        }
        Ok((tokens, rest))
    })?;
    if value.is_empty() {
        return Err(syn::Error::new(key.span(), EXPECTED));
    }
    // `Ident` refuses keywords (`Self`, `struct`), so what parses can name a struct.
    syn::parse2::<Ident>(value.clone()).map_err(|_| syn::Error::new_spanned(value, EXPECTED))
}
