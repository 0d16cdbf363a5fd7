//! Starting workers, the worker entry point, and the callbacks JS makes into Rust on the
//! thread that started a pool's workers: `wake(token)` (a task completed: settle its
//! handle's promise, see `handle`), `died(pool, index, message)` (a worker's wasm trapped:
//! recover, see `pool::lifecycle`) and `unstarted(pool, entry)` (a worker never started).

use super::{glue, handle, panic};
use crate::lock::SpinLock;
use crate::pool::Shared;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::sync::{Arc, Weak};
use wasm_bindgen::prelude::*;

/// A worker's body, boxed twice so a thin pointer to it fits a JS number.
type Body = Box<dyn FnOnce() + Send>;

/// The bodies posted to workers that have not taken them yet, by address: the exported
/// entry point runs only an address from here (any other number JS passes is refused, not
/// undefined behaviour), and a body whose worker never started is freed from here.
static POSTED: SpinLock<Vec<u32>> = SpinLock::new(Vec::new());

/// Takes `entry` out of [`POSTED`]: true if it was there (so it is the caller's now).
fn take_posted(entry: u32) -> bool {
    let mut posted = POSTED.lock();
    match posted.iter().position(|&e| e == entry) {
        Some(at) => {
            posted.swap_remove(at);
            true
        }
        None => false,
    }
}

thread_local! {
    /// The pools whose workers this thread started, by id: where a death is recovered.
    static POOLS: RefCell<HashMap<u32, Weak<Shared>>> = RefCell::new(HashMap::new());
    static HANDLERS_SET: Cell<bool> = const { Cell::new(false) };
}

/// Starts worker `index` of pool `pool` running `body` (the wasm backend's `spawn_worker`).
pub(crate) fn start_worker(pool: usize, index: usize, body: Body) -> Result<(), String> {
    if !cfg!(target_feature = "atomics") {
        return Err(
            "penny: this wasm build has no threads: build it with atomics and a shared \
                    memory (`cargo xtask web`, or the README's manual steps)"
                .to_owned(),
        );
    }
    set_handlers();
    panic::install();
    let entry = Box::into_raw(Box::new(body));
    POSTED.lock().push(entry as u32);
    let started = glue::start_worker(
        &wasm_bindgen::module(),
        &wasm_bindgen::memory(),
        pool as u32,
        index as u32,
        entry as u32,
    );
    started.map_err(|e| {
        if take_posted(entry as u32) {
            // SAFETY: `entry` came from `Box::into_raw` above, no worker received it, and
            // `take_posted` handed it to this thread alone.
            drop(unsafe { Box::from_raw(entry) });
        }
        format!(
            "penny: cannot start worker {index}: {}",
            e.as_string()
                .or_else(|| js_sys::Error::from(e).message().as_string())
                .unwrap_or_default()
        )
    })
}

/// Records `shared` as a pool whose worker deaths this thread recovers.
pub(crate) fn register_pool(shared: &Arc<Shared>) {
    POOLS.with(|p| {
        let mut pools = p.borrow_mut();
        pools.retain(|_, weak| weak.strong_count() > 0);
        pools.insert(shared.id() as u32, Arc::downgrade(shared));
    });
}

/// Runs on a new worker: the body `startWorker` was given (the scheduler loop of one
/// worker), until its pool shuts down. Not part of the API.
#[doc(hidden)]
#[wasm_bindgen(skip_typescript)]
pub fn __penny_worker_run(entry: u32) -> Result<(), JsValue> {
    if !take_posted(entry) {
        return Err(js_sys::Error::new("penny: not a worker entry").into());
    }
    // SAFETY: `entry` is the `Box::into_raw` of `start_worker`, and `take_posted` handed it to
    // this call alone.
    let body = unsafe { Box::from_raw(entry as *mut Body) };
    body();
    Ok(())
}

/// Called by a worker's JS right after its wasm trapped (a panic aborts the worker):
/// releases the leases of the views its tasks had open (their guards were abandoned with the
/// stack, see `buffer::release_abandoned`), then fails the tasks it was running and releases
/// what its abandoned loop held (see `pool::after_trap`). The views first, so that a failed
/// task's buffers are free again by the time its handle rejects. Not part of the API.
#[doc(hidden)]
#[wasm_bindgen(js_name = __pennyWorkerTrapped, skip_typescript)]
pub fn worker_trapped(why: String) {
    crate::buffer::release_abandoned();
    crate::pool::after_trap(&why);
}

/// Registers this thread's `wake` and `died` callbacks with the JS glue, once.
fn set_handlers() {
    if HANDLERS_SET.with(|h| h.replace(true)) {
        return;
    }
    let wake = Closure::<dyn FnMut(u32)>::new(handle::wake);
    let died = Closure::<dyn FnMut(u32, u32, String)>::new(died);
    let unstarted = Closure::<dyn FnMut(u32, u32)>::new(unstarted);
    glue::set_handlers(
        wake.as_ref().unchecked_ref(),
        died.as_ref().unchecked_ref(),
        unstarted.as_ref().unchecked_ref(),
    );
    // They live as long as the thread: the glue may call them at any time.
    wake.forget();
    died.forget();
    unstarted.forget();
}

/// A worker of pool `pool` never started (its script failed to load or to instantiate): frees
/// the body posted to it and stops counting it, so the pool can still shut down and clean up.
fn unstarted(pool: u32, entry: u32) {
    if take_posted(entry) {
        // SAFETY: as in `__penny_worker_run`: the body never ran, and it is this call's alone.
        drop(unsafe { Box::from_raw(entry as *mut Body) });
    }
    let shared = POOLS.with(|p| p.borrow().get(&pool).and_then(Weak::upgrade));
    if let Some(shared) = shared {
        shared.worker_never_started();
    }
}

/// Worker `index` of pool `pool` died: recover (fail its tasks, start a replacement).
fn died(pool: u32, index: u32, message: String) {
    let shared = POOLS.with(|p| p.borrow().get(&pool).and_then(Weak::upgrade));
    let Some(shared) = shared else {
        return;
    };
    if let Err(e) = Shared::recover(&shared, index as u16, &message) {
        glue::console_error(&format!(
            "penny: worker {index} died and no replacement could start: {e}"
        ));
    }
}
