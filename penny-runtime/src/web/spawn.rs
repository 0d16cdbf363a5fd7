//! `spawn(pool, ...args, options?)` of the classes `#[penny::task(js)]` generates: every
//! argument is checked before anything reaches the pool, so a bad call throws a `TypeError`
//! and leaves the pool untouched.

use super::convert::{describe, FromJs, IntoJs};
use super::handle::WebHandle;
use super::pool;
use crate::{Priority, Task};
use js_sys::{Reflect, TypeError};
use wasm_bindgen::JsValue;

/// The kernel arguments of one `spawn` call, for the generated code to convert.
#[derive(Debug)]
pub struct Args<'a> {
    kernel: &'static str,
    params: &'static [&'static str],
    values: &'a [JsValue],
}

impl Args<'_> {
    /// Argument `i` (0-based, after the pool) as a `T`, or a `TypeError` naming it.
    pub fn arg<T: FromJs>(&self, i: usize) -> Result<T, JsValue> {
        let value = &self.values[i];
        T::from_js(value).map_err(|expected| {
            type_error(format!(
                "{}.spawn: argument {} (`{}`) must be {expected}, got {}",
                self.kernel,
                i + 2,
                self.params[i],
                describe(value)
            ))
        })
    }
}

fn type_error(message: String) -> JsValue {
    TypeError::new(&message).into()
}

/// Spawns the task `build` makes from the checked arguments on the pool `values[0]`.
/// `kernel` is the class name, `params` the kernel's parameter names.
pub fn spawn<T, F>(
    kernel: &'static str,
    params: &'static [&'static str],
    values: Vec<JsValue>,
    build: F,
) -> Result<WebHandle, JsValue>
where
    T: Task,
    T::Output: IntoJs,
    F: FnOnce(&Args<'_>) -> Result<T, JsValue>,
{
    let n = params.len();
    if values.len() < n + 1 || values.len() > n + 2 {
        let list: Vec<&str> = params.to_vec();
        return Err(type_error(format!(
            "{kernel}.spawn(pool{}{}, options?) takes {} or {} arguments, got {}",
            if n == 0 { "" } else { ", " },
            list.join(", "),
            n + 1,
            n + 2,
            values.len()
        )));
    }
    let pool = pool::lookup(&values[0])
        .map_err(|why| type_error(format!("{kernel}.spawn: argument 1 (`pool`) {why}")))?;
    let (priority, signal) = options(kernel, values.get(n + 1))?;
    let args = Args {
        kernel,
        params,
        values: &values[1..=n],
    };
    let task = build(&args)?;
    // A signal aborted already: the task never runs (spawning and then cancelling would
    // race a worker that finishes it first), and `result` rejects with the signal's reason.
    let aborted = signal
        .as_ref()
        .map(super::glue::aborted_reason)
        .filter(|reason| !reason.is_undefined());
    // What the spawn allocates (the task's state out of line, its cell, a queue entry, the
    // handle's promise and callbacks) must fit: an allocation that failed would trap this
    // thread. The pool's allocations are infallible, so this checks that the memory holds
    // the state and some more, then gives it back for them (no guarantee against another
    // thread taking it meanwhile, but a full memory throws a RangeError, not a trap).
    let room =
        super::buffer::Headroom::take(core::mem::size_of::<T>() + (16 << 10)).ok_or_else(|| {
            super::buffer::out_of_memory(
                format_args!("{kernel}.spawn"),
                core::mem::size_of::<T>() + (16 << 10),
            )
        })?;
    drop(room);
    // A view whose buffer is busy or freed is refused with an `Error`: a panic here would
    // trap this thread (often the page's main thread).
    let handle = pool
        .task(task)
        .priority(priority)
        .spawn_checked(aborted.is_some())
        .map_err(|why| JsValue::from(js_sys::Error::new(&format!("{kernel}.spawn: {why}"))))?;
    Ok(WebHandle::new(pool, handle, signal, aborted))
}

/// The `options` argument: `{ priority?, signal? }`.
fn options(kernel: &str, value: Option<&JsValue>) -> Result<(Priority, Option<JsValue>), JsValue> {
    let Some(value) = value.filter(|v| !v.is_undefined() && !v.is_null()) else {
        return Ok((Priority::UserVisible, None));
    };
    let bad = |what: String| type_error(format!("{kernel}.spawn: options {what}"));
    if !value.is_object() || js_sys::Array::is_array(value) {
        return Err(bad(format!(
            "must be an object {{ priority?, signal? }}, got {}",
            describe(value)
        )));
    }
    for key in js_sys::Object::keys(value.unchecked_ref::<js_sys::Object>()).iter() {
        let key = key.as_string().unwrap_or_default();
        if key != "priority" && key != "signal" {
            return Err(bad(format!(
                "has an unknown field `{key}` (known: priority, signal)"
            )));
        }
    }
    // A getter that throws makes `spawn` throw the same (not fall back to a default).
    let get = |key: &str| Reflect::get(value, &JsValue::from_str(key));
    let priority = match get("priority")? {
        p if p.is_undefined() => Priority::UserVisible,
        p => match p.as_string().as_deref() {
            Some("user-blocking") => Priority::UserBlocking,
            Some("user-visible") => Priority::UserVisible,
            Some("background") => Priority::Background,
            _ => {
                return Err(bad(format!(
                    "`priority` must be 'user-blocking', 'user-visible' or 'background', got {}",
                    describe(&p)
                )))
            }
        },
    };
    let signal = match get("signal")? {
        s if s.is_undefined() || s.is_null() => None,
        s => {
            let looks_like_signal = s.is_object()
                && Reflect::get(&s, &"aborted".into()).is_ok_and(|a| a.as_bool().is_some())
                && Reflect::get(&s, &"addEventListener".into()).is_ok_and(|f| f.is_function());
            if !looks_like_signal {
                return Err(bad(format!(
                    "`signal` must be an AbortSignal, got {}",
                    describe(&s)
                )));
            }
            Some(s)
        }
    };
    Ok((priority, signal))
}

use wasm_bindgen::JsCast as _;
