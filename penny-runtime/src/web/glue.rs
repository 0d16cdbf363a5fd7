//! The JS functions the runtime calls, from `penny-runtime/js/workers.js` (copied by
//! wasm-bindgen into the package's `snippets/`).

use js_sys::{Function, Promise};
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
    /// was freed (named `name`) when called after its `free()`.
    #[wasm_bindgen(js_name = guardFreed)]
    pub(crate) fn guard_freed(object: &JsValue, name: &str);
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
