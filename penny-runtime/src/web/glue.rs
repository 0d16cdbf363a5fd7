//! The JS functions the runtime calls, from `penny-runtime/js/workers.js` (copied by
//! wasm-bindgen into the package's `snippets/`), and [`guarded`], which installs
//! `guardFreed` on each JS class the first time this thread makes one of its objects.

use js_sys::{Function, Promise};
use std::cell::Cell;
use wasm_bindgen::convert::TryFromJsValue;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/js/workers.js")]
extern "C" {
    /// Loads what starting workers needs (Node's `worker_threads`); await before a pool starts.
    pub(crate) fn prepare() -> Promise;
    /// Why no pool can start on this page (not cross-origin isolated, no workers), or `None`.
    #[wasm_bindgen(js_name = cannotStart)]
    pub(crate) fn cannot_start() -> Option<String>;
    /// `navigator.hardwareConcurrency` / `os.availableParallelism()`.
    #[wasm_bindgen(js_name = defaultWorkers)]
    pub(crate) fn default_workers() -> u32;
    /// Whether `Atomics.waitAsync` exists.
    #[wasm_bindgen(js_name = hasWaitAsync)]
    pub(crate) fn has_wait_async() -> bool;
    /// Registers the thread's callbacks: `wake(token)`, `died(pool, index, message)` and
    /// `unstarted(pool, entry)`.
    #[wasm_bindgen(js_name = setHandlers)]
    pub(crate) fn set_handlers(wake: &Function, died: &Function, unstarted: &Function);
    /// Starts worker `index` of pool `pool` running the boxed body at `entry`.
    #[wasm_bindgen(js_name = startWorker, catch)]
    pub(crate) fn start_worker(
        module: &JsValue,
        memory: &JsValue,
        pool: u32,
        index: u32,
        entry: u32,
    ) -> Result<(), JsValue>;
    /// Resolves once every worker of `pool` started so far is instantiated.
    #[wasm_bindgen(js_name = workersStarted)]
    pub(crate) fn workers_started(pool: u32) -> Promise;
    /// Resolves once every worker of `pool` has exited or died.
    #[wasm_bindgen(js_name = workersGone)]
    pub(crate) fn workers_gone(pool: u32) -> Promise;
    /// Ends the workers of a pool that failed to start: waits up to `grace_ms` for them to
    /// leave, then terminates what is left; resolves when none is.
    #[wasm_bindgen(js_name = endWorkers)]
    pub(crate) fn end_workers(pool: u32, grace_ms: f64) -> Promise;
    /// Calls `wake(token)` once the word at `addr` is nonzero (`Atomics.waitAsync`); false
    /// where there is no waitAsync.
    #[wasm_bindgen(js_name = watchWord)]
    pub(crate) fn watch_word(memory: &JsValue, addr: u32, token: u32) -> bool;
    /// From a Penny worker: posts `wake(token)` to the thread that started it; false elsewhere.
    #[wasm_bindgen(js_name = postWake)]
    pub(crate) fn post_wake(token: u32) -> bool;
    /// Calls `wake(token)` on this thread from a microtask.
    #[wasm_bindgen(js_name = wakeSoon)]
    pub(crate) fn wake_soon(token: u32);
    /// Makes the methods and getters of `object`'s class throw an Error saying the object
    /// was freed (named `name`) when called after its `free()`, and a second `free()` do
    /// nothing. Use [`guarded`] or [`guard_object`], which call it once per class.
    #[wasm_bindgen(js_name = guardFreed)]
    fn guard_freed(object: &JsValue, name: &str);
    /// Marks `promise` handled so an unawaited rejection is not reported as a crash.
    #[wasm_bindgen(js_name = markHandled)]
    pub(crate) fn mark_handled(promise: &Promise);
    /// `new Error(message)` named `AbortError`.
    #[wasm_bindgen(js_name = abortError)]
    pub(crate) fn abort_error(message: &str) -> JsValue;
    /// `signal.reason` when `signal` is aborted, else `undefined`.
    #[wasm_bindgen(js_name = abortedReason)]
    pub(crate) fn aborted_reason(signal: &JsValue) -> JsValue;
    /// Calls `callback(reason)` once when `signal` aborts; returns the unsubscribe function.
    #[wasm_bindgen(js_name = onAbort)]
    pub(crate) fn on_abort(signal: &JsValue, callback: &Function) -> Function;
    /// `performance.timeOrigin + performance.now()`.
    #[wasm_bindgen(js_name = nowMs)]
    pub(crate) fn now_ms() -> f64;
    /// `promise.then(on_fulfilled, on_rejected)` with plain JS functions (`undefined` for
    /// none), as `Closure::once_into_js` makes them.
    #[wasm_bindgen(js_name = chain)]
    pub(crate) fn chain(
        promise: &Promise,
        on_fulfilled: &JsValue,
        on_rejected: &JsValue,
    ) -> Promise;
    /// `console.error(message)`.
    #[wasm_bindgen(js_name = consoleError)]
    pub(crate) fn console_error(message: &str);
}

/// The JS classes of the API whose objects JS frees: [`guarded`] installs `guardFreed` on
/// each once per thread (each thread has its own JS classes).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Class {
    Pool,
    TaskHandle,
    OutArray,
    SharedBuffer,
    BufferStripes,
    BufferTiles,
    /// The tests' class made by `new` (`guard_check`).
    #[cfg(feature = "web-checks")]
    Constructed,
}

impl Class {
    /// The JS name, for the messages (a bundler may rename the class itself).
    fn name(self) -> &'static str {
        match self {
            Class::Pool => "Pool",
            Class::TaskHandle => "TaskHandle",
            Class::OutArray => "OutArray",
            Class::SharedBuffer => "SharedBuffer",
            Class::BufferStripes => "BufferStripes",
            Class::BufferTiles => "BufferTiles",
            #[cfg(feature = "web-checks")]
            Class::Constructed => "__PennyConstructed",
        }
    }
}

thread_local! {
    /// The classes guarded on this thread, one bit each.
    static GUARDED: Cell<u32> = const { Cell::new(0) };
}

/// Whether `class` still needs its guard on this thread (then marks it guarded).
fn first_of(class: Class) -> bool {
    let bit = 1 << class as u32;
    GUARDED.with(|g| {
        let first = g.get() & bit == 0;
        g.set(g.get() | bit);
        first
    })
}

/// Guards the class of the JS object `object` (an object of `class`) once per thread.
pub(crate) fn guard_object(object: &JsValue, class: Class) {
    if first_of(class) {
        guard_freed(object, class.name());
    }
}

/// `value`, an object of `class` that a Rust function is about to return to JS (a static
/// factory, a method, a constructor), after its JS class was guarded: the first time on
/// this thread, `value` becomes a JS object for `guardFreed` to find the class's prototype,
/// and is taken back out of it (that object is left freed; the one JS gets shares the
/// prototype). Every object of the class, however made, shares that prototype, so guarding
/// on the first one any path makes covers them all; after that this only reads a bit.
pub(crate) fn guarded<T: Into<JsValue> + TryFromJsValue>(value: T, class: Class) -> T {
    if !first_of(class) {
        return value;
    }
    let object: JsValue = value.into();
    guard_freed(&object, class.name());
    match T::try_from_js_value(object) {
        Ok(value) => value,
        // The object was made just above, by wasm-bindgen, of this very class.
        Err(_) => unreachable!("a {} object made from Rust unwraps", class.name()),
    }
}
