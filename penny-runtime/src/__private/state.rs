//! Support for the state struct `#[penny::task]` generates: what a field and the output may
//! hold, the carried variables Penny can't give a starting value, `Debug` that shows what it
//! can, and the size check's message.

use core::fmt;

/// What a task's state may hold: relocation copies the bytes and may resume them on another
/// thread, so `Copy`, `Send` and `'static` are all it takes.
#[diagnostic::on_unimplemented(
    message = "`{Self}` can't be kept in a Penny task's state",
    label = "a task's state must be `Copy`, `Send` and hold no borrows",
    note = "state is copied between workers as bytes; derive `Clone, Copy` for this type, or keep an index or a `penny::In`/`penny::Out` instead of a reference"
)]
pub trait StateValue: Copy + Send + 'static {}

impl<T: Copy + Send + 'static> StateValue for T {}

/// Compile-time check that a state field's type is [`StateValue`]; the call's span is the
/// user's type, so the error points there.
#[inline(always)]
pub const fn assert_state<T: StateValue>() {}

/// What a task's output must be: it is stored in the task's slot and copied out to whoever
/// joins the task.
#[diagnostic::on_unimplemented(
    message = "`{Self}` can't be the output of a Penny task",
    label = "the output must be `Copy`, `Send` and `'static`",
    note = "the output is stored in the task's slot and copied out to whoever joins it: return plain data, or derive `Clone, Copy` for this type"
)]
pub trait TaskOutput: Copy + Send + 'static {}

impl<T: Copy + Send + 'static> TaskOutput for T {}

/// Compile-time check that a kernel's return type can be a task's output.
#[inline(always)]
pub const fn assert_output<T: TaskOutput>() {}

/// The value of a carried variable whose field is an `Option` (its type has no `Pod::ZERO`).
/// The generated code loads it only in arms its `let` ran before, so it is always `Some`.
#[inline(always)]
#[track_caller]
pub fn carried<T>(field: Option<T>) -> T {
    match field {
        Some(value) => value,
        None => unreachable!("a carried variable was read before its `let` ran"),
    }
}

/// A field for the state's `Debug`: shown with `Debug` where its type has it.
#[allow(missing_debug_implementations)] // it is the `Debug` helper
pub struct DebugField<'a, T>(pub &'a T);

/// Picked by method resolution when the field's type is `Debug` (autoref specialization).
pub trait ShowDebug {
    /// The field, formatted with its `Debug`.
    fn penny_debug(&self) -> &dyn fmt::Debug;
}

impl<T: fmt::Debug> ShowDebug for &DebugField<'_, T> {
    fn penny_debug(&self) -> &dyn fmt::Debug {
        self.0
    }
}

/// The fallback for fields whose type isn't `Debug`.
pub trait ShowOpaque {
    /// A placeholder naming nothing.
    fn penny_debug(&self) -> &dyn fmt::Debug;
}

impl<T> ShowOpaque for DebugField<'_, T> {
    fn penny_debug(&self) -> &dyn fmt::Debug {
        &Opaque
    }
}

struct Opaque;

impl fmt::Debug for Opaque {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("..")
    }
}

/// A message built at compile time: the size check states the exact bytes.
#[allow(missing_debug_implementations)] // read through `as_str`
pub struct Message {
    bytes: [u8; 512],
    len: usize,
}

impl Message {
    /// "the state of `kernel` is N bytes, over the limit of L bytes ...".
    pub const fn state_too_big(kernel: &str, size: usize, limit: usize) -> Message {
        let mut m = Message {
            bytes: [0; 512],
            len: 0,
        };
        m = m.push("the state of `").push(kernel).push("` is ");
        m = m.number(size).push(" bytes, over the ").number(limit);
        m = m.push(
            "-byte limit of a task's state: carry less (large data belongs in `penny::In`/`penny::Out` buffers), or raise the limit with `#[penny::task(slot = ",
        );
        m = m.number(size.div_ceil(8) * 8).push(")]`");
        m
    }

    const fn push(mut self, text: &str) -> Message {
        let text = text.as_bytes();
        let mut i = 0;
        while i < text.len() && self.len < self.bytes.len() {
            self.bytes[self.len] = text[i];
            self.len += 1;
            i += 1;
        }
        self
    }

    const fn number(mut self, mut n: usize) -> Message {
        let mut digits = [0u8; 20];
        let mut count = 0;
        loop {
            digits[count] = b'0' + (n % 10) as u8;
            count += 1;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        while count > 0 && self.len < self.bytes.len() {
            count -= 1;
            self.bytes[self.len] = digits[count];
            self.len += 1;
        }
        self
    }

    /// The message.
    pub const fn as_str(&self) -> &str {
        let (text, _) = self.bytes.split_at(self.len);
        match core::str::from_utf8(text) {
            Ok(text) => text,
            Err(_) => "the state of a task is too big",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_size_message_states_the_bytes() {
        const M: Message = Message::state_too_big("matmul", 1048, 256);
        assert_eq!(
            M.as_str(),
            "the state of `matmul` is 1048 bytes, over the 256-byte limit of a task's state: carry less (large data belongs in `penny::In`/`penny::Out` buffers), or raise the limit with `#[penny::task(slot = 1048)]`"
        );
    }

    #[test]
    #[allow(clippy::needless_borrow)] // the two borrows pick the `Debug` impl when there is one
    fn debug_shows_what_it_can() {
        struct NoDebug;
        let shown = format!("{:?}", (&&DebugField(&5u32)).penny_debug());
        let hidden = format!("{:?}", (&&DebugField(&NoDebug)).penny_debug());
        assert_eq!((shown.as_str(), hidden.as_str()), ("5", ".."));
    }
}
