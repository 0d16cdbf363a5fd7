//! The JS `TaskHandle` class, and the small executor that settles each handle's `result`.
//!
//! A handle's task completes on a worker. The thread that spawned it (often a browser's
//! main thread, which may not block) learns of it through a [`Waker`] stored in the task's
//! completion cell: waking sets a word and then either `memory.atomic.notify`s it, where
//! this thread watches the word with `Atomics.waitAsync`, or (where there is no `waitAsync`)
//! posts a `wake` message from the worker to this thread. Either way JS calls [`wake`] with
//! the handle's token on this thread, which polls the task and settles the promise.
//!
//! Invariants: a token is in `WATCHED` from spawn until its promise settles through a poll;
//! a wake for a token not there is stale and ignored. The promise is created once per handle
//! (the `result` getter returns the same one) and marked handled, so nobody awaiting it is
//! not an unhandled rejection.

use super::convert::IntoJs;
use super::glue;
use crate::{Progress, TaskError, TaskHandle, TaskStatus};
use core::future::Future;
use core::pin::Pin;
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering::SeqCst};
use core::task::{Context, Poll, Waker};
use js_sys::{Function, Promise};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;
use std::task::Wake;
use wasm_bindgen::prelude::*;

/// A task handle with its output type erased: what the JS class needs of it.
trait ErasedTask {
    fn poll_js(&mut self, cx: &mut Context<'_>) -> Poll<Result<JsValue, TaskError>>;
    fn progress(&self) -> Progress;
    fn status(&self) -> TaskStatus;
    fn cancel(&self);
    fn is_finished(&self) -> bool;
}

impl<O: IntoJs + Copy + Send + 'static> ErasedTask for TaskHandle<O> {
    fn poll_js(&mut self, cx: &mut Context<'_>) -> Poll<Result<JsValue, TaskError>> {
        Pin::new(self).poll(cx).map(|r| r.map(IntoJs::into_js))
    }
    fn progress(&self) -> Progress {
        TaskHandle::progress(self)
    }
    fn status(&self) -> TaskStatus {
        TaskHandle::status(self)
    }
    fn cancel(&self) {
        TaskHandle::cancel(self)
    }
    fn is_finished(&self) -> bool {
        TaskHandle::is_finished(self)
    }
}

/// The waker of one JS handle's task (see the module docs).
struct JsWaker {
    token: u32,
    /// 0 while armed; set to 1 by a wake. Watched with `Atomics.waitAsync`.
    word: AtomicU32,
    /// No `waitAsync` on the spawning thread: the completing worker posts a message.
    by_message: AtomicBool,
}

impl Wake for JsWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref()
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.word.store(1, SeqCst);
        if self.by_message.load(SeqCst) {
            // On a Penny worker: message the thread that started it. Anywhere else this is
            // the spawning thread itself (a cancel completing the task at once).
            if !glue::post_wake(self.token) {
                glue::wake_soon(self.token);
            }
        } else {
            crate::backend::wasm::notify(&self.word, 1);
        }
    }
}

/// A spawned task whose promise has not settled yet.
struct Watch {
    task: Rc<RefCell<Box<dyn ErasedTask>>>,
    /// The pool lives at least until the task's promise settles, even when JS dropped its
    /// `Pool` object (only `close()` ends it before).
    _pool: Rc<crate::Pool>,
    waker: Arc<JsWaker>,
    settle: Rc<Settle>,
}

/// The JS function an `AbortSignal` calls.
type AbortListener = Closure<dyn FnMut(JsValue)>;

/// The promise's resolve and reject, and the abort listener (removed once settled; the
/// closure itself lives as long as this, so it is never dropped while it runs).
struct Settle {
    resolve: Function,
    reject: Function,
    /// Why the task was cancelled (`signal.reason`), to reject with once it stopped.
    reason: RefCell<Option<JsValue>>,
    abort: RefCell<Option<AbortListener>>,
    unlisten: RefCell<Option<Function>>,
}

impl Settle {
    fn resolve(&self, value: &JsValue) {
        let _ = self.resolve.call1(&JsValue::UNDEFINED, value);
        self.done();
    }
    fn reject(&self, error: &JsValue) {
        let _ = self.reject.call1(&JsValue::UNDEFINED, error);
        self.done();
    }
    fn done(&self) {
        if let Some(unlisten) = self.unlisten.borrow_mut().take() {
            let _ = unlisten.call0(&JsValue::UNDEFINED);
        }
    }
}

thread_local! {
    static WATCHED: RefCell<HashMap<u32, Watch>> = RefCell::new(HashMap::new());
    static NEXT_TOKEN: Cell<u32> = const { Cell::new(1) };
    /// Handles whose Rust side is alive (the JS object not yet freed or finalized).
    static LIVE: Cell<usize> = const { Cell::new(0) };
}

/// `{ handles, watched }`: this thread's live `TaskHandle`s and tasks whose promise is not
/// settled yet. For leak tests; not part of the API.
#[doc(hidden)]
#[wasm_bindgen(js_name = __pennyStats, skip_typescript)]
pub fn stats() -> JsValue {
    let object = js_sys::Object::new();
    let handles = LIVE.with(Cell::get) as f64;
    let watched = WATCHED.with(|w| w.borrow().len()) as f64;
    let _ = js_sys::Reflect::set(&object, &"handles".into(), &handles.into());
    let _ = js_sys::Reflect::set(&object, &"watched".into(), &watched.into());
    object.into()
}

impl Drop for WebHandle {
    fn drop(&mut self) {
        LIVE.with(|l| l.set(l.get() - 1));
    }
}

/// The handle of a task spawned from JS: `result` (a promise of the output), `progress()`,
/// `status()`, `cancel()`.
#[wasm_bindgen(js_name = TaskHandle, skip_typescript)]
pub struct WebHandle {
    task: Rc<RefCell<Box<dyn ErasedTask>>>,
    result: Promise,
    settle: Rc<Settle>,
}

impl core::fmt::Debug for WebHandle {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("WebHandle").finish_non_exhaustive()
    }
}

#[wasm_bindgen(typescript_custom_section)]
const HANDLE_TYPES: &'static str = r#"
/** A task spawned from JS. */
export class TaskHandle<T = unknown> {
  private constructor();
  /** Frees the handle now (the task runs on; otherwise the garbage collector frees it).
   *  Its members then throw an Error saying it was freed; freeing again does nothing. */
  free(): void;
  /** The task's output; rejects with an Error named 'AbortError' when cancelled (or with the
   *  signal's reason), with an Error holding the panic message when the task panicked. The
   *  same Promise on every access. */
  readonly result: Promise<T>;
  /** How far the task got. */
  progress(): TaskProgress;
  /** Where the task is now. */
  status(): TaskStatus;
  /** Asks the task to stop: once it did (at its next chunk boundary at the latest),
   *  `result` rejects with an Error named 'AbortError'; a task that finished first keeps its
   *  result, so `result` and `status()` always agree. */
  cancel(): void;
}
"#;

#[wasm_bindgen(js_class = TaskHandle)]
impl WebHandle {
    /// The task's output, as a promise (the same one on every access).
    #[wasm_bindgen(getter)]
    pub fn result(&self) -> Promise {
        self.result.clone()
    }

    /// `{ done, total }`, `total` null when unknown.
    pub fn progress(&self) -> JsValue {
        let p = self.task.borrow().progress();
        let object = js_sys::Object::new();
        let total = p.total.map_or(JsValue::NULL, |t| JsValue::from(t as f64));
        let _ = js_sys::Reflect::set(&object, &"done".into(), &JsValue::from(p.done as f64));
        let _ = js_sys::Reflect::set(&object, &"total".into(), &total);
        object.into()
    }

    /// `'queued' | 'running' | 'done' | 'cancelled' | 'failed'`.
    pub fn status(&self) -> String {
        match self.task.borrow().status() {
            TaskStatus::Queued => "queued",
            TaskStatus::Running => "running",
            TaskStatus::Done => "done",
            TaskStatus::Cancelled => "cancelled",
            TaskStatus::Failed => "failed",
        }
        .to_owned()
    }

    /// Cancels the task; once it stopped (at its next chunk boundary at the latest), `result`
    /// rejects with an Error named `AbortError`. A task that finished first keeps its
    /// result.
    pub fn cancel(&self) {
        cancel(&self.task, &self.settle, || {
            glue::abort_error("penny: the task was cancelled")
        });
    }
}

/// Asks the task to stop; `result` rejects with `reason` once it did. A task that finishes
/// its chunk first resolves instead: `result` and `status()` always agree.
fn cancel(
    task: &Rc<RefCell<Box<dyn ErasedTask>>>,
    settle: &Settle,
    reason: impl FnOnce() -> JsValue,
) {
    let task = task.borrow();
    if task.is_finished() {
        return;
    }
    settle.reason.borrow_mut().get_or_insert_with(reason);
    task.cancel();
}

impl WebHandle {
    /// Wraps a freshly spawned task: creates its promise and starts watching it. `signal`:
    /// an `AbortSignal` whose abort cancels the task; `aborted`: its reason when it was
    /// aborted before the spawn (the task was spawned cancelled).
    pub(crate) fn new<O: IntoJs + Copy + Send + 'static>(
        pool: Rc<crate::Pool>,
        handle: TaskHandle<O>,
        signal: Option<JsValue>,
        aborted: Option<JsValue>,
    ) -> WebHandle {
        let mut resolve = None;
        let mut reject = None;
        let result = Promise::new(&mut |res, rej| {
            resolve = Some(res);
            reject = Some(rej);
        });
        glue::mark_handled(&result);
        let settle = Rc::new(Settle {
            resolve: resolve.expect("the Promise executor runs at once"),
            reject: reject.expect("the Promise executor runs at once"),
            reason: RefCell::new(None),
            abort: RefCell::new(None),
            unlisten: RefCell::new(None),
        });
        let task: Rc<RefCell<Box<dyn ErasedTask>>> = Rc::new(RefCell::new(Box::new(handle)));
        if let Some(reason) = aborted {
            *settle.reason.borrow_mut() = Some(reason);
        } else if let Some(signal) = signal {
            // Not aborted at the spawn (`aborted` says so): cancel when it aborts. Weak:
            // the closure lives in `settle`, which must not keep itself alive.
            let (t, s) = (Rc::downgrade(&task), Rc::downgrade(&settle));
            let on_abort = Closure::<dyn FnMut(JsValue)>::new(move |reason: JsValue| {
                if let (Some(t), Some(s)) = (t.upgrade(), s.upgrade()) {
                    cancel(&t, &s, || reason);
                }
            });
            let unlisten = glue::on_abort(&signal, on_abort.as_ref().unchecked_ref());
            *settle.abort.borrow_mut() = Some(on_abort);
            *settle.unlisten.borrow_mut() = Some(unlisten);
        }
        let token = NEXT_TOKEN.with(|n| {
            let t = n.get();
            n.set(t.wrapping_add(1).max(1));
            t
        });
        let waker = Arc::new(JsWaker {
            token,
            word: AtomicU32::new(0),
            by_message: AtomicBool::new(!glue::has_wait_async()),
        });
        let watch = Watch {
            task: task.clone(),
            _pool: pool,
            waker,
            settle: settle.clone(),
        };
        WATCHED.with(|w| w.borrow_mut().insert(token, watch));
        // The first poll runs from a microtask, never inside the caller's `spawn`.
        glue::wake_soon(token);
        LIVE.with(|l| l.set(l.get() + 1));
        let handle = WebHandle {
            task,
            result,
            settle,
        };
        glue::guarded(handle, glue::Class::TaskHandle)
    }
}

/// JS's callback: the task of `token` may have completed. Polls it; settles the promise or
/// watches again.
pub(crate) fn wake(token: u32) {
    let Some(watch) = WATCHED.with(|w| w.borrow_mut().remove(&token)) else {
        return;
    };
    watch.waker.word.store(0, SeqCst);
    let waker = Waker::from(watch.waker.clone());
    let polled = watch
        .task
        .borrow_mut()
        .poll_js(&mut Context::from_waker(&waker));
    match polled {
        Poll::Ready(Ok(value)) => watch.settle.resolve(&value),
        Poll::Ready(Err(TaskError::Cancelled)) => {
            let reason = watch.settle.reason.borrow_mut().take();
            let reason =
                reason.unwrap_or_else(|| glue::abort_error("penny: the task was cancelled"));
            watch.settle.reject(&reason);
        }
        Poll::Ready(Err(TaskError::Panicked(message))) => {
            watch.settle.reject(&js_sys::Error::new(&message).into());
        }
        Poll::Pending => {
            let waker = watch.waker.clone();
            WATCHED.with(|w| w.borrow_mut().insert(token, watch));
            if waker.by_message.load(SeqCst) {
                return;
            }
            let word = waker.word.as_ptr() as u32;
            if !glue::watch_word(&wasm_bindgen::memory(), word, token) {
                // `waitAsync` went away since the spawn: from now on the waker posts a
                // message; a wake that came before this switch left the word set.
                waker.by_message.store(true, SeqCst);
                if waker.word.load(SeqCst) != 0 {
                    glue::wake_soon(token);
                }
            }
        }
    }
}
