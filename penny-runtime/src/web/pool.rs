//! The JS `Pool` class: `await Pool.start(options?)`, `await pool.close()`.

use super::glue;
use crate::pool::MAX_WORKERS;
use core::time::Duration;
use js_sys::{Error, Promise, Reflect, TypeError};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::{Rc, Weak};
use wasm_bindgen::prelude::*;

thread_local! {
    /// The property name `lookup` reads, made into a JS string once (not at every spawn).
    static POOL_KEY: JsValue = JsValue::from_str("__pennyPool");
    /// The open pools of this thread, by the token their JS object reports.
    static OPEN: RefCell<HashMap<u32, Weak<crate::Pool>>> = RefCell::new(HashMap::new());
    static NEXT_TOKEN: Cell<u32> = const { Cell::new(1) };
}

/// A pool of workers on Web Workers (browsers) or `worker_threads` (Node), sharing this
/// module's memory. Start it with `await Pool.start(options?)`; spawn kernels with their
/// class's `spawn(pool, ...)`; end it with `await pool.close()`.
#[wasm_bindgen(js_name = Pool, skip_typescript)]
pub struct WebPool {
    pool: Option<Rc<crate::Pool>>,
    /// What `close()` returned, for every later call.
    closing: Option<Promise>,
    token: u32,
    workers: u32,
    slots: u32,
}

impl core::fmt::Debug for WebPool {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("WebPool")
            .field("open", &self.pool.is_some())
            .finish()
    }
}

impl Drop for WebPool {
    fn drop(&mut self) {
        // Freed without `close()` (by `free()` or the GC): the pool shuts down the same way.
        OPEN.with(|open| open.borrow_mut().remove(&self.token));
    }
}

/// Whether `value` is a wasm-bindgen class object whose `free()` ran (wasm-bindgen zeroes
/// its pointer; its members then throw "null pointer passed to rust").
pub(crate) fn is_freed(value: &JsValue) -> bool {
    value.is_object()
        && Reflect::get(value, &"__wbg_ptr".into()).is_ok_and(|p| p.as_f64() == Some(0.0))
}

/// The Rust pool of JS object `value`, if it is an open `Pool` of this thread; else why not.
pub(crate) fn lookup(value: &JsValue) -> Result<Rc<crate::Pool>, &'static str> {
    if !value.is_object() {
        return Err("must be a Pool");
    }
    if is_freed(value) {
        return Err("is a Pool that was freed (free() was called on it)");
    }
    let token = POOL_KEY
        .with(|key| Reflect::get(value, key))
        .ok()
        .and_then(|t| t.as_f64())
        .ok_or("must be a Pool")?;
    OPEN.with(|open| open.borrow().get(&(token as u32)).and_then(Weak::upgrade))
        .ok_or("is a closed Pool")
}

/// `Pool.start`'s options, checked.
struct Options {
    workers: Option<usize>,
    slots: Option<usize>,
    slot_bytes: Option<usize>,
    slice: Option<Duration>,
}

impl Options {
    fn into_builder(self) -> crate::PoolBuilder {
        let mut builder = crate::Pool::builder();
        if let Some(slots) = self.slots {
            builder = builder.slots(slots);
        }
        if let Some(bytes) = self.slot_bytes {
            builder = builder.slot_bytes(bytes);
        }
        if let Some(slice) = self.slice {
            builder = builder.time_slice(slice);
        }
        builder
    }
}

/// Checks `Pool.start`'s argument: why the page can't run a pool, or a `TypeError`.
fn builder(options: &JsValue) -> Result<Options, JsValue> {
    // As early as possible: before any panic on this thread could prevent it.
    super::panic::install();
    if let Some(why) = glue::cannot_start() {
        return Err(Error::new(&why).into());
    }
    let options: JsValue = if options.is_undefined() || options.is_null() {
        js_sys::Object::new().into()
    } else if options.is_object() && !js_sys::Array::is_array(options) {
        options.clone()
    } else {
        return Err(TypeError::new(&format!(
            "Pool.start: options must be an object {{ workers?, slots?, slotBytes?, \
             timeSliceMs? }}, got {}",
            if js_sys::Array::is_array(options) {
                "an array".to_owned()
            } else {
                super::convert::describe(options)
            }
        ))
        .into());
    };
    for key in js_sys::Object::keys(options.unchecked_ref::<js_sys::Object>()).iter() {
        let key = key.as_string().unwrap_or_default();
        if !["workers", "slots", "slotBytes", "timeSliceMs"].contains(&key.as_str()) {
            return Err(TypeError::new(&format!(
                "Pool.start: unknown option `{key}` (known: workers, slots, slotBytes, \
                 timeSliceMs)"
            ))
            .into());
        }
    }
    // A getter that throws makes `Pool.start` reject with its error (as `spawn` throws it),
    // not fall back to a default.
    let slice = Reflect::get(&options, &"timeSliceMs".into())?;
    let slice = match slice.as_f64() {
        None if slice.is_undefined() => None,
        // In range, so `from_secs_f64` can't overflow (it panicked: a trap, not a rejection).
        Some(ms) if ms > 0.0 && ms <= MAX_TIME_SLICE_MS => Some(Duration::from_secs_f64(ms / 1e3)),
        _ => {
            return Err(TypeError::new(&format!(
                "Pool.start: `timeSliceMs` must be a number of milliseconds above 0 and at \
                 most {MAX_TIME_SLICE_MS} (an hour), got {}",
                super::convert::describe(&slice)
            ))
            .into())
        }
    };
    Ok(Options {
        workers: option_int(&options, "workers", MAX_WORKERS)?,
        slots: option_int(&options, "slots", crate::MAX_SLOTS)?,
        slot_bytes: option_int(&options, "slotBytes", 1 << 30)?,
        slice,
    })
}

/// The longest `timeSliceMs` (an hour): a chunk that long already never yields in practice.
const MAX_TIME_SLICE_MS: f64 = 3_600_000.0;

/// The shared memory a worker takes when it starts: its stack (wasm-bindgen's default of
/// 2 MiB) and its thread-local storage, with room to spare.
const WORKER_MEMORY: usize = (2 << 20) + (256 << 10);

/// How long a pool that failed to start waits for its other workers to leave before it
/// terminates them (see `start`).
const END_GRACE_MS: f64 = 5_000.0;

/// Whether the shared memory can hold `workers` more workers: allocates their memory (and
/// frees it, for their stacks to reuse), so that a start the memory can't hold rejects with
/// a `RangeError` here instead of trapping in a worker that can't allocate its stack.
fn room_for_workers(workers: usize) -> Result<(), JsValue> {
    let refuse = || {
        super::buffer::out_of_memory(
            format_args!("Pool.start({{ workers: {workers} }})"),
            workers * WORKER_MEMORY,
        )
    };
    // More than the whole memory: no need to grow it to find out.
    if workers.saturating_mul(WORKER_MEMORY) > super::buffer::MAX_MEMORY {
        return Err(refuse());
    }
    let mut held: Vec<Vec<u8>> = Vec::new();
    held.try_reserve_exact(workers).map_err(|_| refuse())?;
    for _ in 0..workers {
        let mut block = Vec::new();
        block
            .try_reserve_exact(WORKER_MEMORY)
            .map_err(|_| refuse())?;
        held.push(block);
    }
    Ok(())
}

/// Reads an optional positive integer option.
fn option_int(options: &JsValue, key: &str, max: usize) -> Result<Option<usize>, JsValue> {
    let value = Reflect::get(options, &key.into())?;
    if value.is_undefined() {
        return Ok(None);
    }
    match value.as_f64() {
        Some(n) if n.fract() == 0.0 && n >= 1.0 && n <= max as f64 => Ok(Some(n as usize)),
        _ => Err(TypeError::new(&format!(
            "Pool.start: `{key}` must be an integer in 1..={max}, got {}",
            super::convert::describe(&value)
        ))
        .into()),
    }
}

#[wasm_bindgen(typescript_custom_section)]
const POOL_TYPES: &'static str = r#"
/** A pool of workers (Web Workers, or Node worker_threads) sharing this module's memory. */
export class Pool {
  private constructor();
  /** Drops the pool object now: the pool ends once no task of it is awaited (tasks in
   *  flight finish and settle); `close()` ends it early. Its members then throw an Error
   *  saying it was freed; freeing again does nothing. */
  free(): void;
  [Symbol.dispose](): void;
  /** Starts a pool; resolves once every worker is ready. Rejects on a page that is not
   *  cross-origin isolated (naming the two headers it needs), with a TypeError for bad
   *  options. */
  static start(options?: PoolOptions): Promise<Pool>;
  /** Cancels what is unfinished (those results reject with an AbortError), ends the workers
   *  and resolves once they are gone. Spawning on a closed pool throws. */
  close(): Promise<void>;
  /** Whether `close` was called. */
  readonly closed: boolean;
  /** Number of workers. */
  readonly workers: number;
  /** Number of task slots. */
  readonly slots: number;
  /** Slots free right now. */
  readonly freeSlots: number;
}
"#;

#[wasm_bindgen(js_class = Pool)]
impl WebPool {
    /// Starts a pool and resolves once every worker is ready. Rejects on a page that is not
    /// cross-origin isolated (naming the two headers it needs), and with a `TypeError` for
    /// bad options.
    ///
    /// (Promises are chained by hand, not through an async executor: wasm-bindgen-futures'
    /// executor on threaded builds waits with `Atomics.waitAsync`, or a polyfill that needs
    /// Web Workers, which Node lacks.)
    #[wasm_bindgen(unchecked_return_type = "Promise<Pool>")]
    pub fn start(options: JsValue) -> Promise {
        let builder = match builder(&options) {
            Ok(builder) => builder,
            Err(e) => return Promise::reject(&e),
        };
        let build = Closure::once_into_js(move |_: JsValue| -> Result<JsValue, JsValue> {
            let workers = builder
                .workers
                .unwrap_or_else(|| glue::default_workers().max(1) as usize);
            room_for_workers(workers)?;
            let pool = builder
                .into_builder()
                .workers(workers)
                .try_build()
                .map_err(|why| JsValue::from(Error::new(&why)))?;
            let id = pool.id() as u32;
            // Shared by the two continuations: whichever runs takes the pool (a closure made
            // by `once_into_js` that never runs is never freed, so neither may own it).
            let pool = Rc::new(RefCell::new(Some(pool)));
            let on_failure = pool.clone();
            let ready = Closure::once_into_js(move |_: JsValue| -> JsValue {
                let pool = pool.borrow_mut().take().expect("called once");
                let token = NEXT_TOKEN.with(|n| {
                    let t = n.get();
                    n.set(t + 1);
                    t
                });
                let (workers, slots) = (pool.workers() as u32, pool.slots() as u32);
                let pool = Rc::new(pool);
                OPEN.with(|open| open.borrow_mut().insert(token, Rc::downgrade(&pool)));
                let object: JsValue = WebPool {
                    pool: Some(pool),
                    closing: None,
                    token,
                    workers,
                    slots,
                }
                .into();
                glue::guard_object(&object, glue::Class::Pool);
                object
            });
            let failed = Closure::once_into_js(move |e: JsValue| -> JsValue {
                // Shut the pool down: the workers that started leave their loops, and those
                // still instantiating leave once they are ready. Ending a worker in the middle
                // of that could leave the allocator's lock held for good (every later
                // allocation, on any thread, would spin), so `endWorkers` waits for them
                // (a while) before it terminates what is left; then `start` rejects.
                drop(on_failure.borrow_mut().take());
                let reject =
                    Closure::once_into_js(move |_: JsValue| -> Result<JsValue, JsValue> { Err(e) });
                glue::chain(
                    &glue::end_workers(id, END_GRACE_MS),
                    &reject,
                    &JsValue::UNDEFINED,
                )
                .into()
            });
            Ok(glue::chain(&glue::workers_started(id), &ready, &failed).into())
        });
        glue::chain(&glue::prepare(), &build, &JsValue::UNDEFINED)
    }

    /// Cancels what is unfinished (those results reject with an `AbortError`), ends the
    /// workers and resolves once they are gone. `spawn` on a closed pool throws.
    pub fn close(&mut self) -> Promise {
        OPEN.with(|open| open.borrow_mut().remove(&self.token));
        if let Some(closing) = &self.closing {
            return closing.clone();
        }
        let Some(pool) = self.pool.take() else {
            return Promise::resolve(&JsValue::UNDEFINED);
        };
        let id = pool.id() as u32;
        // Tasks whose promises are pending hold the pool too: shut it down now (workers leave
        // their loops; the last one cancels what is still queued; see `pool::lifecycle`).
        pool.shut_down_now();
        drop(pool);
        let closing = glue::workers_gone(id);
        self.closing = Some(closing.clone());
        closing
    }

    /// Whether `close` was called.
    #[wasm_bindgen(getter)]
    pub fn closed(&self) -> bool {
        self.pool.is_none()
    }

    /// Number of workers.
    #[wasm_bindgen(getter)]
    pub fn workers(&self) -> u32 {
        self.workers
    }

    /// Number of task slots.
    #[wasm_bindgen(getter)]
    pub fn slots(&self) -> u32 {
        self.slots
    }

    /// Slots free right now.
    #[wasm_bindgen(getter, js_name = freeSlots)]
    pub fn free_slots(&self) -> u32 {
        self.pool.as_ref().map_or(0, |p| p.free_slots() as u32)
    }

    /// Identifies an open pool to the kernel classes' `spawn` (not part of the API).
    #[doc(hidden)]
    #[wasm_bindgen(getter, js_name = __pennyPool, skip_typescript)]
    pub fn registry_token(&self) -> u32 {
        self.token
    }
}
