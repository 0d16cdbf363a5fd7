//! The JS `SharedBuffer` class: a [`Buffer`] JavaScript allocates in the shared memory,
//! fills and reads through a typed array (`view()`, no copy), and passes to `js` kernels:
//! itself for a `View<T>` argument, `buffer.stripes(width)` for `Stripes<T>`,
//! `buffer.tiles(rows, tileRows, tileCols)` for `Tiles<T>`.
//!
//! The buffer itself lives in a per-thread table, the JS object holds its entry's token:
//! `free()` (or the garbage collector) drops the owner, and the memory goes once the tasks
//! holding views of it are done. Typed arrays can't be fenced: JS writing a buffer's array
//! while a task reads or writes it races with the task (the values are unspecified; the
//! wasm side stays memory-safe).

use super::convert::FromJs;
use super::glue::{guarded, Class};
use crate::buffer::{Buffer, Stripes, Tiles, View};
use std::cell::RefCell;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// One `Buffer` of any element type JS has a typed array for.
enum AnyBuffer {
    U8(Buffer<u8>),
    I8(Buffer<i8>),
    U16(Buffer<u16>),
    I16(Buffer<i16>),
    U32(Buffer<u32>),
    I32(Buffer<i32>),
    F32(Buffer<f32>),
    F64(Buffer<f64>),
}

/// The buffers JS holds on this thread: `(serial, buffer)` by token; freed entries are
/// reused (the serial tells a stale `stripes()` object from the entry's new buffer).
#[derive(Default)]
struct Table {
    entries: Vec<Option<(u32, AnyBuffer)>>,
    free: Vec<u32>,
    serial: u32,
}

impl Table {
    /// Room for one more entry, and in `free` for every entry (so `WebBuffer`'s drop never
    /// allocates): false where the memory can't hold it. `make` then allocates nothing.
    fn reserve(&mut self) -> bool {
        if !self.free.is_empty() {
            return true;
        }
        let entries = self.entries.len() + 1;
        self.entries.try_reserve(1).is_ok() && self.free.try_reserve(entries).is_ok()
    }
}

thread_local! {
    static TABLE: RefCell<Table> = RefCell::new(Table::default());
}

/// Most elements a `SharedBuffer` or an `OutArray` may have: 2^28.
const MAX_LEN: f64 = (1u32 << 28) as f64;

/// `value` as a count in `min..=2^28`, or a `TypeError` that starts with `context`: a number
/// only (a parameter typed `f64` would take `'10'` as 10 and `true` as 1, the coercion
/// `spawn` refuses too; wasm-bindgen would turn -1 into 4294967295).
pub(crate) fn count(
    value: &JsValue,
    context: &str,
    what: &str,
    min: f64,
) -> Result<usize, JsValue> {
    match value.as_f64() {
        Some(n) if n.fract() == 0.0 && (min..=MAX_LEN).contains(&n) => Ok(n as usize),
        _ => Err(js_sys::TypeError::new(&format!(
            "{context}: {what} must be an integer in {min}..={MAX_LEN}, got {}",
            super::convert::describe(value)
        ))
        .into()),
    }
}

/// `len` (checked) copies of `zero` in a new buffer, or a `RangeError` when the shared
/// memory can't hold them: every allocation on the way is fallible (one that failed would
/// trap this thread), and on a refusal nothing is taken. The table has room for the entry
/// [`make`] adds, and the small allocations after this (wasm-bindgen's box for the JS
/// object) get the [`Headroom`] this held.
fn zeroed<T: Copy + Send + Sync + 'static>(
    len: &JsValue,
    zero: T,
    factory: &str,
) -> Result<Buffer<T>, JsValue> {
    let len = count(
        len,
        &format!("SharedBuffer.{factory}(length)"),
        "length",
        0.0,
    )?;
    let refuse = || {
        out_of_memory(
            format_args!("SharedBuffer.{factory}({len})"),
            len * core::mem::size_of::<T>(),
        )
    };
    let room = Headroom::take(0).ok_or_else(refuse)?;
    if !TABLE.with(|t| t.borrow_mut().reserve()) {
        return Err(refuse());
    }
    let mut values = Vec::new();
    values.try_reserve_exact(len).map_err(|_| refuse())?;
    values.resize(len, zero);
    let buffer = Buffer::try_from_vec(values).ok_or_else(refuse)?;
    drop(room);
    Ok(buffer)
}

/// The most the shared memory grows to (`--max-memory` in `xtask/wasm-threads.toml`).
pub(crate) const MAX_MEMORY: usize = 1 << 30;

/// A few KiB of the shared memory held while a call makes what it returns and given back
/// just before it returns, so that the small infallible allocations that follow (the box
/// wasm-bindgen puts a returned object in, the glue's own) find room where the call's
/// fallible ones just fit: without it, a memory filled to the last bytes trapped there.
pub(crate) struct Headroom(#[allow(dead_code)] Vec<u8>);

impl Headroom {
    /// The headroom plus `extra` bytes, or `None` where the memory can't hold them.
    pub(crate) fn take(extra: usize) -> Option<Headroom> {
        let mut bytes = Vec::new();
        bytes.try_reserve_exact((4 << 10) + extra).ok()?;
        Some(Headroom(bytes))
    }
}

/// The `RangeError` of an allocation of `bytes` the shared memory can't hold. Allocates
/// nothing (the message is made on the stack): the memory is full.
pub(crate) fn out_of_memory(call: core::fmt::Arguments<'_>, bytes: usize) -> JsValue {
    let mut text = StackText {
        bytes: [0; 400],
        len: 0,
    };
    let _ = core::fmt::write(
        &mut text,
        format_args!(
            "{call}: the shared memory can't hold {bytes} more bytes (it grows to 1 GiB at \
             most, {} MiB now): free buffers no longer needed, or ask for less",
            wasm_memory_mib()
        ),
    );
    js_sys::RangeError::new(text.as_str()).into()
}

/// Text written into a fixed array (cut short at a character boundary when it's full).
struct StackText {
    bytes: [u8; 400],
    len: usize,
}

impl StackText {
    fn as_str(&self) -> &str {
        core::str::from_utf8(&self.bytes[..self.len]).unwrap_or_default()
    }
}

impl core::fmt::Write for StackText {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let room = self.bytes.len() - self.len;
        let mut take = s.len().min(room);
        while !s.is_char_boundary(take) {
            take -= 1;
        }
        self.bytes[self.len..self.len + take].copy_from_slice(&s.as_bytes()[..take]);
        self.len += take;
        Ok(())
    }
}

/// The wasm memory's size now, in MiB (64 KiB pages).
fn wasm_memory_mib() -> usize {
    core::arch::wasm32::memory_size(0) * 64 / 1024
}

/// A buffer in the shared memory: `SharedBuffer.f32(len)` (also `u8`, `i8`, `u16`, `i16`,
/// `u32`, `i32`, `f64`), zeroed. After `free()` its members throw an Error saying so.
#[wasm_bindgen(js_name = SharedBuffer)]
#[derive(Debug)]
pub struct WebBuffer {
    token: u32,
    serial: u32,
}

fn make(buffer: AnyBuffer) -> WebBuffer {
    let buffer = TABLE.with(|t| {
        let mut t = t.borrow_mut();
        t.serial = t.serial.wrapping_add(1);
        let serial = t.serial;
        let token = match t.free.pop() {
            Some(token) => {
                t.entries[token as usize] = Some((serial, buffer));
                token
            }
            None => {
                t.entries.push(Some((serial, buffer)));
                t.entries.len() as u32 - 1
            }
        };
        WebBuffer { token, serial }
    });
    guarded(buffer, Class::SharedBuffer)
}

/// Runs `f` on the buffer of `(token, serial)`, if it is still there.
fn with<R>(token: u32, serial: u32, f: impl FnOnce(&mut AnyBuffer) -> R) -> Option<R> {
    TABLE.with(|t| match t.borrow_mut().entries.get_mut(token as usize) {
        Some(Some((s, buffer))) if *s == serial => Some(f(buffer)),
        _ => None,
    })
}

impl Drop for WebBuffer {
    fn drop(&mut self) {
        let dropped = TABLE.with(|t| {
            let mut t = t.borrow_mut();
            let entry = t
                .entries
                .get_mut(self.token as usize)
                .and_then(Option::take);
            if entry.is_some() {
                t.free.push(self.token);
            }
            entry
        });
        // The owner goes outside the table's borrow (its drop may free memory).
        drop(dropped);
    }
}

macro_rules! each {
    ($buffer:expr, $b:ident => $body:expr) => {
        match $buffer {
            AnyBuffer::U8($b) => $body,
            AnyBuffer::I8($b) => $body,
            AnyBuffer::U16($b) => $body,
            AnyBuffer::I16($b) => $body,
            AnyBuffer::U32($b) => $body,
            AnyBuffer::I32($b) => $body,
            AnyBuffer::F32($b) => $body,
            AnyBuffer::F64($b) => $body,
        }
    };
}

#[wasm_bindgen(js_class = SharedBuffer)]
impl WebBuffer {
    /// `len` zeroed `u8`s.
    pub fn u8(
        #[wasm_bindgen(unchecked_param_type = "number")] len: JsValue,
    ) -> Result<WebBuffer, JsValue> {
        Ok(make(AnyBuffer::U8(zeroed(&len, 0, "u8")?)))
    }
    /// `len` zeroed `i8`s.
    pub fn i8(
        #[wasm_bindgen(unchecked_param_type = "number")] len: JsValue,
    ) -> Result<WebBuffer, JsValue> {
        Ok(make(AnyBuffer::I8(zeroed(&len, 0, "i8")?)))
    }
    /// `len` zeroed `u16`s.
    pub fn u16(
        #[wasm_bindgen(unchecked_param_type = "number")] len: JsValue,
    ) -> Result<WebBuffer, JsValue> {
        Ok(make(AnyBuffer::U16(zeroed(&len, 0, "u16")?)))
    }
    /// `len` zeroed `i16`s.
    pub fn i16(
        #[wasm_bindgen(unchecked_param_type = "number")] len: JsValue,
    ) -> Result<WebBuffer, JsValue> {
        Ok(make(AnyBuffer::I16(zeroed(&len, 0, "i16")?)))
    }
    /// `len` zeroed `u32`s.
    pub fn u32(
        #[wasm_bindgen(unchecked_param_type = "number")] len: JsValue,
    ) -> Result<WebBuffer, JsValue> {
        Ok(make(AnyBuffer::U32(zeroed(&len, 0, "u32")?)))
    }
    /// `len` zeroed `i32`s.
    pub fn i32(
        #[wasm_bindgen(unchecked_param_type = "number")] len: JsValue,
    ) -> Result<WebBuffer, JsValue> {
        Ok(make(AnyBuffer::I32(zeroed(&len, 0, "i32")?)))
    }
    /// `len` zeroed `f32`s (a `Float32Array` view).
    pub fn f32(
        #[wasm_bindgen(unchecked_param_type = "number")] len: JsValue,
    ) -> Result<WebBuffer, JsValue> {
        Ok(make(AnyBuffer::F32(zeroed(&len, 0.0, "f32")?)))
    }
    /// `len` zeroed `f64`s.
    pub fn f64(
        #[wasm_bindgen(unchecked_param_type = "number")] len: JsValue,
    ) -> Result<WebBuffer, JsValue> {
        Ok(make(AnyBuffer::F64(zeroed(&len, 0.0, "f64")?)))
    }

    /// Number of elements.
    #[wasm_bindgen(getter)]
    pub fn length(&self) -> u32 {
        with(self.token, self.serial, |b| each!(b, b => b.len() as u32)).unwrap_or(0)
    }

    /// A typed array over the elements in the shared memory (no copy: JS fills inputs and
    /// reads outputs through it).
    pub fn view(&self) -> JsValue {
        let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
        let buffer = memory.buffer();
        with(self.token, self.serial, |b| {
            macro_rules! array {
                ($b:expr, $array:ident) => {
                    js_sys::$array::new_with_byte_offset_and_length(
                        &buffer,
                        $b.addr() as u32,
                        $b.len() as u32,
                    )
                    .into()
                };
            }
            match b {
                AnyBuffer::U8(b) => array!(b, Uint8Array),
                AnyBuffer::I8(b) => array!(b, Int8Array),
                AnyBuffer::U16(b) => array!(b, Uint16Array),
                AnyBuffer::I16(b) => array!(b, Int16Array),
                AnyBuffer::U32(b) => array!(b, Uint32Array),
                AnyBuffer::I32(b) => array!(b, Int32Array),
                AnyBuffer::F32(b) => array!(b, Float32Array),
                AnyBuffer::F64(b) => array!(b, Float64Array),
            }
        })
        .unwrap_or(JsValue::UNDEFINED)
    }

    /// This buffer for a `Stripes<T>` argument: in a split loop, iteration `k` writes
    /// elements `k * width .. (k + 1) * width`.
    pub fn stripes(
        &self,
        #[wasm_bindgen(unchecked_param_type = "number")] width: JsValue,
    ) -> Result<BufferStripes, JsValue> {
        let stripes = BufferStripes {
            token: self.token,
            serial: self.serial,
            width: count(&width, "SharedBuffer.stripes(width)", "width", 1.0)?,
        };
        Ok(guarded(stripes, Class::BufferStripes))
    }

    /// This buffer for a `Tiles<T>` argument: `rows` rows, in tiles of `tileRows x tileCols`.
    pub fn tiles(
        &self,
        #[wasm_bindgen(unchecked_param_type = "number")] rows: JsValue,
        #[wasm_bindgen(unchecked_param_type = "number")] tile_rows: JsValue,
        #[wasm_bindgen(unchecked_param_type = "number")] tile_cols: JsValue,
    ) -> Result<BufferTiles, JsValue> {
        let context = "SharedBuffer.tiles(rows, tileRows, tileCols)";
        let rows = count(&rows, context, "rows", 1.0)?;
        if self.length() as usize % rows != 0 {
            return Err(js_sys::TypeError::new(&format!(
                "{context}: rows must divide the length, {}; got {rows}",
                self.length()
            ))
            .into());
        }
        let tiles = BufferTiles {
            token: self.token,
            serial: self.serial,
            rows,
            tile_rows: count(&tile_rows, context, "tileRows", 1.0)?,
            tile_cols: count(&tile_cols, context, "tileCols", 1.0)?,
        };
        Ok(guarded(tiles, Class::BufferTiles))
    }

    /// Identifies the buffer to kernel classes' `spawn` (not part of the API).
    #[doc(hidden)]
    #[wasm_bindgen(getter, js_name = __pennyBuffer, skip_typescript)]
    pub fn registry_token(&self) -> Vec<u32> {
        vec![self.token, self.serial]
    }
}

/// A `SharedBuffer` passed as a `Stripes<T>` argument (`buffer.stripes(width)`).
#[wasm_bindgen]
#[derive(Debug)]
pub struct BufferStripes {
    token: u32,
    serial: u32,
    width: usize,
}

#[wasm_bindgen]
impl BufferStripes {
    /// Identifies the buffer to kernel classes' `spawn` (not part of the API).
    #[doc(hidden)]
    #[wasm_bindgen(getter, js_name = __pennyStripes, skip_typescript)]
    pub fn registry_token(&self) -> Vec<u32> {
        vec![self.token, self.serial, self.width as u32]
    }
}

/// A `SharedBuffer` passed as a `Tiles<T>` argument (`buffer.tiles(rows, tileRows, tileCols)`).
#[wasm_bindgen]
#[derive(Debug)]
pub struct BufferTiles {
    token: u32,
    serial: u32,
    rows: usize,
    tile_rows: usize,
    tile_cols: usize,
}

#[wasm_bindgen]
impl BufferTiles {
    /// Identifies the buffer to kernel classes' `spawn` (not part of the API).
    #[doc(hidden)]
    #[wasm_bindgen(getter, js_name = __pennyTiles, skip_typescript)]
    pub fn registry_token(&self) -> Vec<u32> {
        vec![
            self.token,
            self.serial,
            self.rows as u32,
            self.tile_rows as u32,
            self.tile_cols as u32,
        ]
    }
}

/// The numbers under `key` of the JS object `value`.
fn token(value: &JsValue, key: &str) -> Option<Vec<u32>> {
    if !value.is_object() {
        return None;
    }
    let got = js_sys::Reflect::get(value, &key.into()).ok()?;
    let array: js_sys::Uint32Array = got.dyn_into().ok()?;
    Some(array.to_vec())
}

/// Why a buffer argument was not taken: `expected`, and what was freed when something was:
/// the argument itself (a freed object of `class`, whose hidden getter threw), or its buffer
/// (`stripes`/`tiles` taken before the `SharedBuffer`'s `free()`).
fn not_taken(value: &JsValue, token: Option<&[u32]>, expected: String, class: &str) -> String {
    match token {
        Some(t) if with(t[0], t[1], |_| ()).is_none() => {
            format!("{expected}, but its SharedBuffer was freed")
        }
        None if super::pool::is_freed(value) => {
            format!("{expected}, but this {class} was freed")
        }
        _ => expected,
    }
}

macro_rules! buffer_args {
    ($($t:ident => $v:ident),*) => {$(
        impl FromJs for View<$t> {
            const TS: &'static str = "SharedBuffer";
            fn from_js(value: &JsValue) -> Result<Self, String> {
                let expected = || format!("a SharedBuffer made by SharedBuffer.{}(length)", stringify!($t));
                let Some(t) = token(value, "__pennyBuffer") else {
                    return Err(not_taken(value, None, expected(), Self::TS));
                };
                with(t[0], t[1], |b| match b {
                    AnyBuffer::$v(b) => Some(b.view()),
                    _ => None,
                })
                .flatten()
                .ok_or_else(|| not_taken(value, Some(&t), expected(), Self::TS))
            }
        }
        impl<const N: usize> FromJs for View<[$t; N]> {
            const TS: &'static str = "SharedBuffer";
            fn from_js(value: &JsValue) -> Result<Self, String> {
                let expected = || format!(
                    "a SharedBuffer made by SharedBuffer.{}(length), the length a multiple of {N} \
                     (read as arrays of {N})",
                    stringify!($t)
                );
                let Some(t) = token(value, "__pennyBuffer") else {
                    return Err(not_taken(value, None, expected(), Self::TS));
                };
                with(t[0], t[1], |b| match b {
                    AnyBuffer::$v(b) => b.view().arrays::<N>(),
                    _ => None,
                })
                .flatten()
                .ok_or_else(|| not_taken(value, Some(&t), expected(), Self::TS))
            }
        }
        impl FromJs for Stripes<$t> {
            const TS: &'static str = "BufferStripes";
            fn from_js(value: &JsValue) -> Result<Self, String> {
                let expected = || format!(
                    "buffer.stripes(width) of a SharedBuffer made by SharedBuffer.{}(length)",
                    stringify!($t)
                );
                let Some(t) = token(value, "__pennyStripes") else {
                    return Err(not_taken(value, None, expected(), Self::TS));
                };
                with(t[0], t[1], |b| match b {
                    AnyBuffer::$v(b) => Some(b.stripes(t[2] as usize)),
                    _ => None,
                })
                .flatten()
                .ok_or_else(|| not_taken(value, Some(&t), expected(), Self::TS))
            }
        }
        impl FromJs for Tiles<$t> {
            const TS: &'static str = "BufferTiles";
            fn from_js(value: &JsValue) -> Result<Self, String> {
                let expected = || format!(
                    "buffer.tiles(rows, tileRows, tileCols) of a SharedBuffer made by SharedBuffer.{}(length)",
                    stringify!($t)
                );
                let Some(t) = token(value, "__pennyTiles") else {
                    return Err(not_taken(value, None, expected(), Self::TS));
                };
                with(t[0], t[1], |b| match b {
                    AnyBuffer::$v(b) => Some(b.tiles(t[2] as usize, t[3] as usize, t[4] as usize)),
                    _ => None,
                })
                .flatten()
                .ok_or_else(|| not_taken(value, Some(&t), expected(), Self::TS))
            }
        }
    )*};
}
buffer_args!(u8 => U8, i8 => I8, u16 => U16, i16 => I16, u32 => U32, i32 => I32, f32 => F32, f64 => F64);
