//! A check of the Rust `Pool` API on wasm, for the JS tests: called from a dedicated Worker
//! (where blocking is allowed), it builds a pool with `Pool::builder()`, spawns tasks at every
//! priority, cancels one, `join`s the others (blocking) and a panicking one, and returns what
//! they summed.
//!
//! In browsers a pool's workers start only once the thread that built the pool is back in its
//! event loop (the new Workers' start-up runs tasks there), so blocking in the same turn as the
//! build would wait forever: the check builds the pool, lets the event loop run until the
//! workers are up, and only then blocks.

use super::glue;
use crate::test_tasks::Sum;
use crate::{Pool, Priority, Progress, Step, Task, TaskError};
use js_sys::Promise;
use wasm_bindgen::prelude::*;

/// Panics in its first chunk.
#[derive(Clone, Copy)]
struct Boom;

impl Task for Boom {
    type Output = u64;
    fn step(&mut self, _budget: u32) -> Step<u64> {
        panic!("boom from a dedicated worker's pool")
    }
    fn progress(&self) -> Progress {
        Progress::default()
    }
}

/// Sums `0..n` in `tasks` tasks on a `workers`-worker Rust pool and joins them; one more,
/// endless task is cancelled. Resolves to the sum. Blocks once the workers are up: call it
/// from a dedicated Worker, never a page's main thread. Not part of the API.
#[doc(hidden)]
#[wasm_bindgen(js_name = __pennyRustApiCheck, skip_typescript)]
pub fn rust_api_check(workers: u32, tasks: u32, n: u32) -> Promise {
    let pool = match Pool::builder().workers(workers as usize).try_build() {
        Ok(pool) => pool,
        Err(e) => return Promise::reject(&js_sys::Error::new(&e).into()),
    };
    let started = glue::workers_started(pool.id() as u32);
    let check = Closure::once_into_js(move |_: JsValue| -> Result<JsValue, JsValue> {
        sum_on(&pool, tasks, n).map(JsValue::from)
    });
    glue::chain(&started, &check, &JsValue::UNDEFINED)
}

fn sum_on(pool: &Pool, tasks: u32, n: u32) -> Result<u64, JsValue> {
    let endless = pool
        .task(Sum::new(0, u64::MAX))
        .priority(Priority::Background)
        .spawn();
    let per = u64::from(n) / u64::from(tasks.max(1));
    let priorities = [
        Priority::UserBlocking,
        Priority::UserVisible,
        Priority::Background,
    ];
    let handles: Vec<_> = (0..u64::from(tasks))
        .map(|t| {
            let end = if t + 1 == u64::from(tasks) {
                u64::from(n)
            } else {
                (t + 1) * per
            };
            pool.task(Sum::new(t * per, end))
                .priority(priorities[t as usize % priorities.len()])
                .spawn()
        })
        .collect();
    let mut total = 0u64;
    for handle in handles {
        total += handle
            .join()
            .map_err(|e| JsValue::from(js_sys::Error::new(&format!("{e:?}"))))?;
    }
    endless.cancel();
    if endless.join() != Err(TaskError::Cancelled) {
        return Err(js_sys::Error::new("the endless task was not cancelled").into());
    }
    // A panic kills its worker (wasm aborts); the blocked `join` still returns, because the
    // dying worker fails its task itself, and a later task still runs.
    let boom = pool.spawn(Boom).join();
    if boom
        != Err(TaskError::Panicked(
            "boom from a dedicated worker's pool".into(),
        ))
    {
        return Err(js_sys::Error::new(&format!("the panicking task gave {boom:?}")).into());
    }
    let after = pool.spawn(Sum::new(0, 10)).join();
    if after != Ok(45) {
        return Err(js_sys::Error::new(&format!("after the panic: {after:?}")).into());
    }
    Ok(total)
}
