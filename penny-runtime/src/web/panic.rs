//! The panic hook of wasm builds. A panic aborts the worker that raised it (wasm has no
//! unwinding here), so before it does, the hook records which task panicked and why
//! (`pool::join::record_panic`); the thread that started the worker fails that task with the
//! message and starts a replacement (`pool::lifecycle`). The hook then calls the hook that
//! was set before it, so a user's hook (or `console_error_panic_hook`) still runs.

use core::sync::atomic::{AtomicBool, Ordering::SeqCst};

/// Installs the hook once per module instance (the hook is shared by every thread). Never
/// waits (a `Once` would, on a page's main thread, when a first call had trapped inside it),
/// and skips installing on a thread that panicked before: a trap leaves std thinking that
/// thread is still panicking, where `take_hook` would panic again. Then worker panics fail
/// their tasks with a generic message instead of the panic's.
pub(crate) fn install() {
    static INSTALLED: AtomicBool = AtomicBool::new(false);
    if INSTALLED.load(SeqCst) || std::thread::panicking() {
        return;
    }
    if INSTALLED.swap(true, SeqCst) {
        return;
    }
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = crate::pool::payload_text(info.payload());
        if crate::pool::record_panic(message) {
            super::glue::console_error(&format!("penny: a task panicked: {info}"));
        }
        previous(info);
    }));
}
