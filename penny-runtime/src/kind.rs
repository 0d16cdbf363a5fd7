//! Type erasure: the table of per-task-type functions a worker uses to step a task's state
//! through a raw pointer.
//!
//! A slot stores only a task-kind index. The first time a task type is spawned on a pool its
//! [`Kind`] (monomorphized `step`, `progress` and `release` functions plus sizes) is
//! registered in the pool's [`Kinds`] table, which is append-only; workers look kinds up by
//! index. Every function here that dereferences a raw pointer states what its caller
//! guarantees; [`crate::owned`] is the one caller.

use crate::completion::{CellHeader, Completion};
use crate::lock::SpinLock;
use crate::sync::{AtomicU32, Ordering::*};
use crate::{Progress, SplitState, Step, Task};
use core::any::TypeId;
use core::sync::atomic::AtomicPtr;

/// The functions and sizes of one task type.
pub(crate) struct Kind {
    pub type_id: TypeId,
    pub name: &'static str,
    pub size: usize,
    pub align: usize,
    pub output_align: usize,
    /// Steps the task at `task` with `budget`; on `Done` writes the output into the
    /// completion cell `cell` and returns true.
    pub step: unsafe fn(task: *mut u8, budget: u32, cell: *const CellHeader) -> bool,
    /// Reads the progress of the task at `task`.
    pub progress: unsafe fn(task: *const u8) -> Progress,
    /// Drops one strong reference to the completion cell `cell`.
    pub release: unsafe fn(cell: *const CellHeader),
    /// Takes one more strong reference to the completion cell `cell` (for a split half).
    pub retain: unsafe fn(cell: *const CellHeader),
    /// Splits the task at `task`, writing the half into `half`; false (nothing written,
    /// nothing changed) when it can't split.
    pub split: unsafe fn(task: *mut u8, min_iterations: u64, half: *mut u8) -> bool,
    /// Where the task at `task` stands with its halves.
    pub split_state: unsafe fn(task: *const u8) -> SplitState,
    /// Joins the half at `half` into the task at `task`.
    pub join: unsafe fn(task: *mut u8, half: *const u8),
    /// The budget the last task of this kind converged to: where the next one starts.
    pub budget_hint: AtomicU32,
    /// Set once a task of this kind split: the first chunk of the next ones is one
    /// iteration, so they split (and idle workers join in) right away.
    pub splits: core::sync::atomic::AtomicBool,
}

impl core::fmt::Debug for Kind {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Kind")
            .field("name", &self.name)
            .field("size", &self.size)
            .finish()
    }
}

/// # Safety
/// `task` points to a valid, suitably aligned `T` that the caller owns exclusively (the
/// slot is RUNNING and owned by the calling worker); `cell` is the live
/// `Completion<T::Output>` of that task, not complete yet, whose only completer is the
/// caller.
unsafe fn step_erased<T: Task>(task: *mut u8, budget: u32, cell: *const CellHeader) -> bool {
    // SAFETY: guaranteed by the caller (see above).
    let task = unsafe { &mut *task.cast::<T>() };
    match task.step(budget) {
        Step::Yielded => false,
        Step::Done(output) => {
            // Null for a split half: the cell is the root's, and several halves may run at
            // once; a half that returns broke the contract (the caller fails the task), and
            // its output is dropped instead of racing on the root's.
            if !cell.is_null() {
                // SAFETY: `cell` is the task's live cell, not complete, and the caller is its
                // only completer (guaranteed by the caller, see above).
                unsafe { Completion::write_output(cell, output) };
            }
            true
        }
    }
}

/// # Safety
/// `task` points to a valid `T` that no one writes during the call.
unsafe fn progress_erased<T: Task>(task: *const u8) -> Progress {
    // SAFETY: guaranteed by the caller.
    unsafe { &*task.cast::<T>() }.progress()
}

/// # Safety
/// `cell` came from `Arc::into_raw` of an `Arc<Completion<T::Output>>` whose reference the
/// caller gives up.
unsafe fn release_erased<T: Task>(cell: *const CellHeader) {
    // SAFETY: guaranteed by the caller.
    unsafe { Completion::<T::Output>::release(cell) }
}

/// # Safety
/// `cell` came from `Arc::into_raw` of a live `Arc<Completion<T::Output>>` that the caller
/// holds a reference to.
unsafe fn retain_erased<T: Task>(cell: *const CellHeader) {
    // SAFETY: guaranteed by the caller.
    unsafe { Completion::<T::Output>::retain(cell) }
}

/// # Safety
/// `task` points to a valid `T` the caller owns exclusively; `half` to memory for a `T`
/// (size and alignment) that the caller owns exclusively and that holds no live value.
unsafe fn split_erased<T: Task>(task: *mut u8, min_iterations: u64, half: *mut u8) -> bool {
    // SAFETY: guaranteed by the caller.
    let task = unsafe { &mut *task.cast::<T>() };
    let Some(split) = task.split(min_iterations) else {
        return false;
    };
    // SAFETY: guaranteed by the caller.
    unsafe { write_task(half, split) };
    true
}

/// # Safety
/// `task` points to a valid `T` that no one writes during the call.
unsafe fn split_state_erased<T: Task>(task: *const u8) -> SplitState {
    // SAFETY: guaranteed by the caller.
    unsafe { &*task.cast::<T>() }.split_state()
}

/// # Safety
/// `task` and `half` point to valid, distinct `T`s; the caller owns `task` exclusively and
/// no one writes `half` during the call.
unsafe fn join_erased<T: Task>(task: *mut u8, half: *const u8) {
    // SAFETY: guaranteed by the caller.
    let (task, half) = unsafe { (&mut *task.cast::<T>(), &*half.cast::<T>()) };
    task.join(half)
}

impl Kind {
    fn of<T: Task>() -> Kind {
        Kind {
            type_id: TypeId::of::<T>(),
            name: core::any::type_name::<T>(),
            size: size_of::<T>(),
            align: align_of::<T>(),
            output_align: align_of::<T::Output>(),
            step: step_erased::<T>,
            progress: progress_erased::<T>,
            release: release_erased::<T>,
            retain: retain_erased::<T>,
            split: split_erased::<T>,
            split_state: split_state_erased::<T>,
            join: join_erased::<T>,
            budget_hint: AtomicU32::new(crate::budget::INITIAL),
            splits: core::sync::atomic::AtomicBool::new(false),
        }
    }
}

/// Writes `task` into a slot's payload.
///
/// # Safety
/// `dst` points to at least `size_of::<T>()` bytes aligned for `T` that the caller owns
/// exclusively (a slot it popped from the free list and has not published yet).
pub(crate) unsafe fn write_task<T: Task>(dst: *mut u8, task: T) {
    // SAFETY: guaranteed by the caller.
    unsafe { dst.cast::<T>().write(task) }
}

/// A task on its way into a slot: writes itself into a slot's payload. It remembers the
/// task's type, so the slot code can check it against the kind it installs.
pub(crate) struct Writer<F = Box<dyn FnOnce(*mut u8) + Send>> {
    type_id: TypeId,
    write: F,
}

/// Boxes `task` so it can wait for a slot.
pub(crate) fn writer<T: Task>(task: T) -> Writer {
    Writer {
        type_id: TypeId::of::<T>(),
        write: Box::new(move |dst: *mut u8| {
            // SAFETY: this closure is only called by `Writer::write`, whose caller guarantees
            // what `write_task::<T>` needs.
            unsafe { write_task(dst, task) }
        }),
    }
}

/// `task` as a writer that needs no allocation.
pub(crate) fn writer_in_place<T: Task>(task: T) -> Writer<impl FnOnce(*mut u8)> {
    Writer {
        type_id: TypeId::of::<T>(),
        write: move |dst: *mut u8| {
            // SAFETY: as in `writer`.
            unsafe { write_task(dst, task) }
        },
    }
}

impl<F: FnOnce(*mut u8)> Writer<F> {
    /// The type of the task this writer holds.
    pub(crate) fn type_id(&self) -> TypeId {
        self.type_id
    }

    /// Writes the task to `dst`.
    ///
    /// # Safety
    /// As for [`write_task`] with the task's type (the one [`Writer::type_id`] names).
    pub(crate) unsafe fn write(self, dst: *mut u8) {
        (self.write)(dst)
    }
}

/// Calls a kind's `step` on a task's state.
///
/// # Safety
/// `kind` is the kind of the task at `task`, and the caller owns its slot (RUNNING, owner is
/// the calling worker); `task` is that task's state (inline or out of line) and `cell` the
/// address of its completion cell, which the slot holds a reference to, or 0 for a split
/// half (its output is not written).
pub(crate) unsafe fn step(kind: &Kind, task: *mut u8, budget: u32, cell: u64) -> bool {
    // SAFETY: guaranteed by the caller; the slot's owner is the cell's only completer.
    unsafe {
        (kind.step)(
            task,
            budget,
            core::ptr::with_exposed_provenance::<CellHeader>(cell as usize),
        )
    }
}

/// Calls a kind's `progress` on a slot's bytes.
///
/// # Safety
/// As for [`step`], or the caller is the installer that has not published the slot yet.
pub(crate) unsafe fn progress(kind: &Kind, task: *const u8) -> Progress {
    // SAFETY: guaranteed by the caller.
    unsafe { (kind.progress)(task) }
}

/// Most task types a pool can register.
pub(crate) const MAX_KINDS: usize = 1024;

/// The pool's table of task kinds: append-only, looked up by `TypeId` on spawn and by index
/// by workers.
pub(crate) struct Kinds {
    table: Box<[AtomicPtr<Kind>]>,
    len: AtomicU32,
    /// Serialises registrations.
    register: SpinLock<()>,
}

impl Drop for Kinds {
    fn drop(&mut self) {
        for entry in &self.table[..self.len.load(Acquire) as usize] {
            // SAFETY: registered entries come from `Box::into_raw` and are freed only here,
            // once, when no worker or handle can reach the table any more (`&mut self`).
            drop(unsafe { Box::from_raw(entry.load(Acquire)) });
        }
    }
}

impl core::fmt::Debug for Kinds {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Kinds")
            .field("len", &self.len.load(Relaxed))
            .finish()
    }
}

impl Kinds {
    pub(crate) fn new() -> Kinds {
        Kinds {
            table: (0..MAX_KINDS)
                .map(|_| AtomicPtr::new(core::ptr::null_mut()))
                .collect(),
            len: AtomicU32::new(0),
            register: SpinLock::new(()),
        }
    }

    /// The index and kind of `T`, registering it on first use.
    pub(crate) fn index_of<T: Task>(&self) -> (u32, &Kind) {
        let id = TypeId::of::<T>();
        if let Some(found) = self.find(id) {
            return found;
        }
        let _guard = self.register.lock();
        if let Some(found) = self.find(id) {
            return found;
        }
        let index = self.len.load(Relaxed);
        assert!(
            (index as usize) < MAX_KINDS,
            "penny: more than {MAX_KINDS} task types spawned on one pool"
        );
        let ptr = Box::into_raw(Box::new(Kind::of::<T>()));
        self.table[index as usize].store(ptr, Release);
        self.len.store(index + 1, Release);
        (index, self.get(index))
    }

    fn find(&self, id: TypeId) -> Option<(u32, &Kind)> {
        let len = self.len.load(Acquire);
        (0..len).find_map(|i| {
            let kind = self.get(i);
            (kind.type_id == id).then_some((i, kind))
        })
    }

    /// The kind at `index`, which was registered before the index was published.
    pub(crate) fn get(&self, index: u32) -> &Kind {
        let ptr = self.table[index as usize].load(Acquire);
        assert!(!ptr.is_null(), "penny: unknown task kind {index}");
        // SAFETY: non-null entries come from `Box::into_raw`, are never mutated, and are
        // freed only when `self` is dropped.
        unsafe { &*ptr }
    }
}
