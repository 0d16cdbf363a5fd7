//! Kernel arguments from JS and outputs to JS.
//!
//! wasm-bindgen converts silently (`'5'` → 5, 3.7 → 3, a BigInt wraps), so arguments are
//! checked here instead: integers narrower than 64 bits and floats come as `number` (an
//! integer type takes only integral numbers in its range), 64- and 128-bit integers as
//! `BigInt` in range, `bool` as `boolean`, `char` as a one-character string. Anything else
//! is an error naming what was expected; `spawn` turns it into a `TypeError`.

use wasm_bindgen::{JsCast, JsValue};

/// A kernel argument type JS can pass.
pub trait FromJs: crate::__private::JsArg + Sized {
    /// What JS must pass, for error messages and TypeScript (`number`, `bigint`, ...).
    const TS: &'static str;
    /// The value, or a description of what was expected.
    fn from_js(value: &JsValue) -> Result<Self, String>;
}

/// A kernel output type JS can receive.
pub trait IntoJs: crate::__private::JsOutput {
    /// The TypeScript type of the value.
    const TS: &'static str;
    /// The JS value.
    fn into_js(self) -> JsValue;
}

/// How `value` looks, for error messages: `5 (number)`, `"5" (string)`.
pub(crate) fn describe(value: &JsValue) -> String {
    let kind = value.js_typeof().as_string().unwrap_or_default();
    let shown = if let Some(s) = value.as_string() {
        format!("{s:?}")
    } else if kind == "object" || kind == "function" {
        String::new()
    } else {
        format!("{value:?}")
            .trim_start_matches("JsValue(")
            .trim_end_matches(')')
            .to_owned()
    };
    if shown.is_empty() {
        kind
    } else {
        format!("{shown} ({kind})")
    }
}

macro_rules! small_int {
    ($($t:ty),*) => {$(
        impl FromJs for $t {
            const TS: &'static str = "number";
            fn from_js(value: &JsValue) -> Result<Self, String> {
                let expected = || format!(
                    "an integral number in {}..={} ({})", <$t>::MIN, <$t>::MAX, stringify!($t)
                );
                let n = value.as_f64().ok_or_else(expected)?;
                if n.fract() != 0.0 || n < <$t>::MIN as f64 || n > <$t>::MAX as f64 {
                    return Err(expected());
                }
                Ok(n as $t)
            }
        }
    )*};
}
small_int!(u8, u16, u32, i8, i16, i32, usize, isize);

macro_rules! big_int {
    ($($t:ty),*) => {$(
        impl FromJs for $t {
            const TS: &'static str = "bigint";
            fn from_js(value: &JsValue) -> Result<Self, String> {
                let expected = || format!(
                    "a BigInt in {}..={} ({})", <$t>::MIN, <$t>::MAX, stringify!($t)
                );
                if !value.is_bigint() {
                    return Err(expected());
                }
                <$t>::try_from(value.clone()).map_err(|_| expected())
            }
        }
        impl IntoJs for $t {
            const TS: &'static str = "bigint";
            fn into_js(self) -> JsValue {
                JsValue::from(self)
            }
        }
    )*};
}
big_int!(u64, i64, u128, i128);

macro_rules! float {
    ($($t:ty),*) => {$(
        impl FromJs for $t {
            const TS: &'static str = "number";
            fn from_js(value: &JsValue) -> Result<Self, String> {
                let expected = || format!("a number ({})", stringify!($t));
                let n = value.as_f64().ok_or_else(expected)?;
                // NaN and the infinities pass; a finite value must not round to infinity.
                if n.is_finite() && (n as $t).is_infinite() {
                    return Err(format!("a number within the range of {}", stringify!($t)));
                }
                Ok(n as $t)
            }
        }
    )*};
}
float!(f32, f64);

/// Integers up to 32 bits and floats reach JS as a `number` (an `f64`, exact for all of them).
macro_rules! into_number {
    ($($t:ty),*) => {$(
        impl IntoJs for $t {
            const TS: &'static str = "number";
            fn into_js(self) -> JsValue {
                JsValue::from_f64(self as f64)
            }
        }
    )*};
}
into_number!(u8, u16, u32, i8, i16, i32, usize, isize, f32, f64);

impl FromJs for bool {
    const TS: &'static str = "boolean";
    fn from_js(value: &JsValue) -> Result<Self, String> {
        value.as_bool().ok_or_else(|| "a boolean".to_owned())
    }
}

impl IntoJs for bool {
    const TS: &'static str = "boolean";
    fn into_js(self) -> JsValue {
        JsValue::from_bool(self)
    }
}

impl FromJs for char {
    const TS: &'static str = "string";
    fn from_js(value: &JsValue) -> Result<Self, String> {
        let expected = || "a string of one character (char)".to_owned();
        // A lone surrogate would silently become U+FFFD.
        let valid = value
            .dyn_ref::<js_sys::JsString>()
            .is_some_and(js_sys::JsString::is_valid_utf16);
        if !valid {
            return Err(expected());
        }
        let s = value.as_string().ok_or_else(expected)?;
        let mut chars = s.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) => Ok(c),
            _ => Err(expected()),
        }
    }
}

impl IntoJs for char {
    const TS: &'static str = "string";
    fn into_js(self) -> JsValue {
        JsValue::from_str(self.encode_utf8(&mut [0; 4]))
    }
}

impl IntoJs for () {
    const TS: &'static str = "undefined";
    fn into_js(self) -> JsValue {
        JsValue::UNDEFINED
    }
}

impl<T: IntoJs> IntoJs for Option<T> {
    // TypeScript of `T | null` needs a const concatenation; `unknown` keeps it honest.
    const TS: &'static str = "unknown";
    fn into_js(self) -> JsValue {
        self.map_or(JsValue::NULL, IntoJs::into_js)
    }
}

impl<T: IntoJs, const N: usize> IntoJs for [T; N] {
    const TS: &'static str = "unknown[]";
    fn into_js(self) -> JsValue {
        self.into_iter()
            .map(IntoJs::into_js)
            .collect::<js_sys::Array>()
            .into()
    }
}

macro_rules! tuple {
    ($($name:ident),+) => {
        impl<$($name: IntoJs),+> IntoJs for ($($name,)+) {
            const TS: &'static str = "unknown[]";
            #[allow(non_snake_case)]
            fn into_js(self) -> JsValue {
                let ($($name,)+) = self;
                let array = js_sys::Array::new();
                $(array.push(&$name.into_js());)+
                array.into()
            }
        }
    };
}
tuple!(A);
tuple!(A, B);
tuple!(A, B, C);
tuple!(A, B, C, D);
tuple!(A, B, C, D, E);
tuple!(A, B, C, D, E, F);
