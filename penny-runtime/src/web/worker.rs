//! Starting workers, the worker entry point, and the callbacks JS makes into Rust on the
//! thread that started a pool's workers: `wake(token)` (a task completed: settle its
//! handle's promise, see `handle`) and `died(pool, index, message)` (a worker's wasm trapped:
//! recover, see `pool::lifecycle`).

use super::{glue, handle, panic};
use crate::pool::Shared;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::sync::{Arc, Weak};
use wasm_bindgen::prelude::*;

/// A worker's body, boxed twice so a thin pointer to it fits a JS number.
type Body = Box<dyn FnOnce() + Send>;

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
    let started = glue::start_worker(
        &wasm_bindgen::module(),
        &wasm_bindgen::memory(),
        pool as u32,
        index as u32,
        entry as u32,
    );
    started.map_err(|e| {
        // SAFETY: `entry` came from `Box::into_raw` above and no worker received it.
        drop(unsafe { Box::from_raw(entry) });
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
/// worker), until its pool shuts down.
#[doc(hidden)]
#[wasm_bindgen]
pub fn __penny_worker_run(entry: u32) {
    // SAFETY: `entry` is the `Box::into_raw` of `start_worker`, posted to exactly this
    // worker, which calls this once.
    let body = unsafe { Box::from_raw(entry as *mut Body) };
    body();
}

/// Registers this thread's `wake` and `died` callbacks with the JS glue, once.
fn set_handlers() {
    if HANDLERS_SET.with(|h| h.replace(true)) {
        return;
    }
    let wake = Closure::<dyn FnMut(u32)>::new(handle::wake);
    let died = Closure::<dyn FnMut(u32, u32, String)>::new(died);
    glue::set_handlers(wake.as_ref().unchecked_ref(), died.as_ref().unchecked_ref());
    // They live as long as the thread: the glue may call them at any time.
    wake.forget();
    died.forget();
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
