//! What `#[penny::task(js)]` checks on every target (so a native build already reports a
//! kernel JavaScript can't call): the argument and output types a JS class can convert.
//! The conversions themselves are wasm-only (`crate::web::convert`).

/// A kernel argument type JavaScript can pass (a `number`, `BigInt`, `boolean`, or a
/// one-character string for `char`).
#[diagnostic::on_unimplemented(
    message = "`{Self}` can't be passed from JavaScript to a `#[penny::task(js)]` kernel",
    label = "not a number, BigInt, boolean or char",
    note = "`js` kernels take integers (up to 128 bits), floats, `bool` and `char`; pass other data as several scalars, or drop `js` and spawn the task from Rust"
)]
pub trait JsArg {}

/// A kernel output type JavaScript can receive.
#[diagnostic::on_unimplemented(
    message = "`{Self}` can't be returned to JavaScript from a `#[penny::task(js)]` kernel",
    label = "not a scalar, `()`, `Option`, tuple or array of those",
    note = "`js` kernels return integers, floats, `bool`, `char`, `()`, and `Option`s, tuples (up to 6) and arrays of those"
)]
pub trait JsOutput {}

macro_rules! scalars {
    ($($t:ty),*) => {$(
        impl JsArg for $t {}
        impl JsOutput for $t {}
    )*};
}
scalars!(u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize, f32, f64, bool, char);

impl JsOutput for () {}

macro_rules! out_args {
    ($($t:ty),*) => {$( impl JsArg for crate::Out<$t> {} )*};
}
// What `OutArray` (wasm's `crate::web`) can make.
out_args!(u8, i8, u16, i16, u32, i32, f32, f64);

#[cfg(not(loom))]
macro_rules! buffer_args {
    ($($t:ty),*) => {$(
        impl JsArg for crate::View<$t> {}
        impl<const N: usize> JsArg for crate::View<[$t; N]> {}
        impl JsArg for crate::Stripes<$t> {}
        impl JsArg for crate::Tiles<$t> {}
    )*};
}
// What `SharedBuffer` (wasm's `crate::web`) can make.
#[cfg(not(loom))]
buffer_args!(u8, i8, u16, i16, u32, i32, f32, f64);
impl<T: JsOutput> JsOutput for Option<T> {}
impl<T: JsOutput, const N: usize> JsOutput for [T; N] {}

macro_rules! tuples {
    ($(($($name:ident),+)),*) => {$(
        impl<$($name: JsOutput),+> JsOutput for ($($name,)+) {}
    )*};
}
tuples!(
    (A),
    (A, B),
    (A, B, C),
    (A, B, C, D),
    (A, B, C, D, E),
    (A, B, C, D, E, F)
);

/// Compile-time check that `T` can come from JavaScript.
pub const fn assert_js_arg<T: JsArg>() {}

/// Compile-time check that `T` can go to JavaScript.
pub const fn assert_js_output<T: JsOutput>() {}
