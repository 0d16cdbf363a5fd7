//! A class made by a JS constructor (`new __PennyConstructed(n)`), for the JS tests: the API's
//! classes are made by Rust functions (static factories, `spawn`, `buffer.stripes()`), and
//! this one checks that [`glue::guarded`] guards a class whose first object `new` makes as
//! well. Not part of the API.

use super::glue;
use wasm_bindgen::prelude::*;

/// Holds a number; `free()` it, and its members say so.
#[doc(hidden)]
#[wasm_bindgen(js_name = __PennyConstructed, skip_typescript)]
#[derive(Debug)]
pub struct Constructed {
    value: u32,
}

#[wasm_bindgen(js_class = __PennyConstructed)]
impl Constructed {
    /// `new __PennyConstructed(value)`.
    #[wasm_bindgen(constructor)]
    pub fn new(value: u32) -> Constructed {
        glue::guarded(Constructed { value }, glue::Class::Constructed)
    }

    /// The number.
    #[wasm_bindgen(getter)]
    pub fn value(&self) -> u32 {
        self.value
    }

    /// The number, doubled.
    pub fn doubled(&self) -> u32 {
        self.value.wrapping_mul(2)
    }
}
