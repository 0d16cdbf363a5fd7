//! The panic hook of wasm builds. A panic aborts the worker that raised it (wasm has no
//! unwinding here), so before it does, the hook records which task panicked and why
//! (`pool::join::record_panic`); the thread that started the worker fails that task with the
//! message and starts a replacement (`pool::lifecycle`). The hook then calls the hook that
//! was set before it, so a user's hook (or `console_error_panic_hook`) still runs.

use std::sync::Once;

/// Installs the hook once per module instance (the hook is shared by every thread).
pub(crate) fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let message = crate::pool::payload_text(info.payload());
            if crate::pool::record_panic(message) {
                super::glue::console_error(&format!("penny: a task panicked: {info}"));
            }
            previous(info);
        }));
    });
}
