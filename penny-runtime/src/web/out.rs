//! The JS `OutArray` class: an [`Out`] JavaScript allocates, passes to `js` kernels that
//! take an `Out<T>`, and reads through a typed array over the shared memory (no copy).
//!
//! Like `Out::leak_filled`, the memory is never freed (a task may hold the view at any
//! time); the pool-owned buffers of the parallel-loops issue replace this.

use super::convert::FromJs;
use crate::io::Out;
use std::cell::RefCell;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// One `Out` of any element type JS has a typed array for.
#[derive(Clone, Copy, Debug)]
enum AnyOut {
    U8(Out<u8>),
    I8(Out<i8>),
    U16(Out<u16>),
    I16(Out<i16>),
    U32(Out<u32>),
    I32(Out<i32>),
    F32(Out<f32>),
    F64(Out<f64>),
}

thread_local! {
    /// Every `OutArray` this thread made, by token (they live forever, like their memory).
    static MADE: RefCell<Vec<AnyOut>> = const { RefCell::new(Vec::new()) };
}

/// An output array in the shared memory: `OutArray.u32(len)` (also `u8`, `i8`, `u16`,
/// `i16`, `i32`, `f32`, `f64`), passed to kernels taking `penny::Out<T>` of that type;
/// `view()` is a typed array over it. After `free()` its members throw an Error saying so.
#[wasm_bindgen(js_name = OutArray)]
#[derive(Debug)]
pub struct WebOut {
    out: AnyOut,
    token: u32,
}

/// `len` (checked) elements holding `value`, or a `RangeError` when the shared memory can't
/// hold them: every allocation on the way is fallible (one that failed would trap this
/// thread), and on a refusal nothing is taken. `MADE` has room for the entry [`make`] adds
/// (it grew after the array was leaked, and trapped), and the small allocations after this
/// get the headroom this held (see `buffer::Headroom`).
fn filled<T: crate::io::AtomicElem>(
    len: &JsValue,
    value: T,
    factory: &str,
) -> Result<Out<T>, JsValue> {
    let len = super::buffer::count(len, &format!("OutArray.{factory}(length)"), "length", 0.0)?;
    let refuse = || {
        super::buffer::out_of_memory(
            format_args!("OutArray.{factory}({len})"),
            len * core::mem::size_of::<T>(),
        )
    };
    let room = super::buffer::Headroom::take(0).ok_or_else(refuse)?;
    if MADE.with(|m| m.borrow_mut().try_reserve(1)).is_err() {
        return Err(refuse());
    }
    let out = Out::try_leak_filled(len, value).ok_or_else(refuse)?;
    drop(room);
    Ok(out)
}

/// Records `out` (`filled` reserved its room: this allocates nothing but, the first time on
/// a thread, what guarding the class takes).
fn make(out: AnyOut) -> WebOut {
    let token = MADE.with(|m| {
        let mut made = m.borrow_mut();
        debug_assert!(made.len() < made.capacity());
        made.push(out);
        made.len() as u32 - 1
    });
    super::glue::guarded(WebOut { out, token }, super::glue::Class::OutArray)
}

#[wasm_bindgen(js_class = OutArray)]
impl WebOut {
    /// `len` zeroed `u8`s (a `Uint8Array` view).
    pub fn u8(
        #[wasm_bindgen(unchecked_param_type = "number")] len: JsValue,
    ) -> Result<WebOut, JsValue> {
        Ok(make(AnyOut::U8(filled(&len, 0, "u8")?)))
    }
    /// `len` zeroed `i8`s.
    pub fn i8(
        #[wasm_bindgen(unchecked_param_type = "number")] len: JsValue,
    ) -> Result<WebOut, JsValue> {
        Ok(make(AnyOut::I8(filled(&len, 0, "i8")?)))
    }
    /// `len` zeroed `u16`s.
    pub fn u16(
        #[wasm_bindgen(unchecked_param_type = "number")] len: JsValue,
    ) -> Result<WebOut, JsValue> {
        Ok(make(AnyOut::U16(filled(&len, 0, "u16")?)))
    }
    /// `len` zeroed `i16`s.
    pub fn i16(
        #[wasm_bindgen(unchecked_param_type = "number")] len: JsValue,
    ) -> Result<WebOut, JsValue> {
        Ok(make(AnyOut::I16(filled(&len, 0, "i16")?)))
    }
    /// `len` zeroed `u32`s (a `Uint32Array` view).
    pub fn u32(
        #[wasm_bindgen(unchecked_param_type = "number")] len: JsValue,
    ) -> Result<WebOut, JsValue> {
        Ok(make(AnyOut::U32(filled(&len, 0, "u32")?)))
    }
    /// `len` zeroed `i32`s.
    pub fn i32(
        #[wasm_bindgen(unchecked_param_type = "number")] len: JsValue,
    ) -> Result<WebOut, JsValue> {
        Ok(make(AnyOut::I32(filled(&len, 0, "i32")?)))
    }
    /// `len` zeroed `f32`s (a `Float32Array` view).
    pub fn f32(
        #[wasm_bindgen(unchecked_param_type = "number")] len: JsValue,
    ) -> Result<WebOut, JsValue> {
        Ok(make(AnyOut::F32(filled(&len, 0.0, "f32")?)))
    }
    /// `len` zeroed `f64`s.
    pub fn f64(
        #[wasm_bindgen(unchecked_param_type = "number")] len: JsValue,
    ) -> Result<WebOut, JsValue> {
        Ok(make(AnyOut::F64(filled(&len, 0.0, "f64")?)))
    }

    /// Number of elements.
    #[wasm_bindgen(getter)]
    pub fn length(&self) -> u32 {
        let len = match self.out {
            AnyOut::U8(o) => o.len(),
            AnyOut::I8(o) => o.len(),
            AnyOut::U16(o) => o.len(),
            AnyOut::I16(o) => o.len(),
            AnyOut::U32(o) => o.len(),
            AnyOut::I32(o) => o.len(),
            AnyOut::F32(o) => o.len(),
            AnyOut::F64(o) => o.len(),
        };
        len as u32
    }

    /// A typed array over the elements in the shared memory (no copy: it sees what tasks
    /// write).
    pub fn view(&self) -> JsValue {
        let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
        let buffer = memory.buffer();
        let len = self.length();
        match self.out {
            AnyOut::U8(o) => {
                js_sys::Uint8Array::new_with_byte_offset_and_length(&buffer, o.addr() as u32, len)
                    .into()
            }
            AnyOut::I8(o) => {
                js_sys::Int8Array::new_with_byte_offset_and_length(&buffer, o.addr() as u32, len)
                    .into()
            }
            AnyOut::U16(o) => {
                js_sys::Uint16Array::new_with_byte_offset_and_length(&buffer, o.addr() as u32, len)
                    .into()
            }
            AnyOut::I16(o) => {
                js_sys::Int16Array::new_with_byte_offset_and_length(&buffer, o.addr() as u32, len)
                    .into()
            }
            AnyOut::U32(o) => {
                js_sys::Uint32Array::new_with_byte_offset_and_length(&buffer, o.addr() as u32, len)
                    .into()
            }
            AnyOut::I32(o) => {
                js_sys::Int32Array::new_with_byte_offset_and_length(&buffer, o.addr() as u32, len)
                    .into()
            }
            AnyOut::F32(o) => {
                js_sys::Float32Array::new_with_byte_offset_and_length(&buffer, o.addr() as u32, len)
                    .into()
            }
            AnyOut::F64(o) => {
                js_sys::Float64Array::new_with_byte_offset_and_length(&buffer, o.addr() as u32, len)
                    .into()
            }
        }
    }

    /// Identifies the array to kernel classes' `spawn` (not part of the API).
    #[doc(hidden)]
    #[wasm_bindgen(getter, js_name = __pennyOut, skip_typescript)]
    pub fn registry_token(&self) -> u32 {
        self.token
    }
}

/// The `AnyOut` of the `OutArray` JS object `value`, or what was expected.
fn any_out(value: &JsValue, name: &str) -> Result<AnyOut, String> {
    let expected = || format!("an OutArray made by OutArray.{name}(length)");
    if !value.is_object() {
        return Err(expected());
    }
    if super::pool::is_freed(value) {
        return Err(format!("{}, but this OutArray was freed", expected()));
    }
    let token = js_sys::Reflect::get(value, &"__pennyOut".into())
        .ok()
        .and_then(|t| t.as_f64())
        .ok_or_else(expected)?;
    MADE.with(|m| m.borrow().get(token as usize).copied())
        .ok_or_else(expected)
}

macro_rules! out_arg {
    ($($t:ident => $v:ident),*) => {$(
        impl FromJs for Out<$t> {
            const TS: &'static str = "OutArray";
            fn from_js(value: &JsValue) -> Result<Self, String> {
                match any_out(value, stringify!($t))? {
                    AnyOut::$v(out) => Ok(out),
                    _ => Err(format!(
                        "an OutArray made by OutArray.{}(length), not one of another type",
                        stringify!($t)
                    )),
                }
            }
        }
    )*};
}
out_arg!(u8 => U8, i8 => I8, u16 => U16, i16 => I16, u32 => U32, i32 => I32, f32 => F32, f64 => F64);
