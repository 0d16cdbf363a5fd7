//! Type erasure: the table of per-task-type functions a worker uses to step the bytes in a
//! slot, and the completion cell a handle waits on.
//!
//! A slot stores only a task-kind index. The first time a task type is spawned on a pool its
//! [`Kind`] (monomorphized `step`, `progress`, `deliver` and `release` functions plus sizes) is
//! registered in the pool's [`Kinds`] table; workers look kinds up by index. This module,
//! [`crate::region`] and [`crate::owned`] are the only ones with `unsafe`: every function here that dereferences a
//! raw pointer states what its caller guarantees; [`crate::owned`] is the one caller.

use crate::sync::{AtomicU32, AtomicU64, Ordering::*};
use crate::{Progress, Step, Task};
use core::any::TypeId;
use core::cell::UnsafeCell;
use core::mem::MaybeUninit;
use core::sync::atomic::AtomicPtr;
use core::task::Waker;
use std::sync::{Arc, Mutex};

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
    /// The budget the last task of this kind converged to: where the next one starts.
    pub budget_hint: AtomicU32,
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
            // SAFETY: `CellHeader` is the first field of the `repr(C)` `Completion<T::Output>`,
            // so the pointer is one to the whole cell; the caller is its only completer and
            // nobody reads `output` before the completer releases COMPLETE.
            unsafe {
                let cell = &*cell.cast::<Completion<T::Output>>();
                (*cell.output.get()).write(output);
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
    unsafe { Arc::decrement_strong_count(cell.cast::<Completion<T::Output>>()) }
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
            budget_hint: AtomicU32::new(crate::budget::INITIAL),
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
/// address of its completion cell, which the slot holds a reference to.
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
    register: Mutex<()>,
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
            register: Mutex::new(()),
        }
    }

    /// The index and kind of `T`, registering it on first use.
    pub(crate) fn index_of<T: Task>(&self) -> (u32, &Kind) {
        let id = TypeId::of::<T>();
        if let Some(found) = self.find(id) {
            return found;
        }
        let _guard = self.register.lock().unwrap_or_else(|e| e.into_inner());
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

/// Completion states.
pub(crate) const PENDING: u32 = 0;
pub(crate) const PENDING_JOINER: u32 = 1;
pub(crate) const COMPLETE: u32 = 2;

// Outcomes use the slot state numbers.
use crate::slot::{DONE as OUT_DONE, FAILED as OUT_FAILED};

/// The type-independent part of a completion cell: where a task's result goes when it ends.
///
/// It lives on the heap of whoever spawned the task (shared memory on wasm); the slot holds
/// its address and one strong reference until the task ends.
#[repr(C)]
pub(crate) struct CellHeader {
    /// [`PENDING`], [`PENDING_JOINER`] (someone blocks in `join`) or [`COMPLETE`]; the word
    /// joiners park on.
    pub state: AtomicU32,
    /// One of the `OUT_*` outcomes, valid once complete.
    pub outcome: AtomicU32,
    /// Set by `cancel()`; workers check it at every chunk boundary.
    pub cancel: AtomicU32,
    /// `slot index << 32 | generation` once the task got a slot, [`NO_SLOT`] before.
    pub slot: AtomicU64,
    /// Progress before the task got a slot, and final progress once complete.
    pub progress_done: AtomicU64,
    pub progress_total: AtomicU64,
    pub waker: Mutex<Option<Waker>>,
    /// Set (SeqCst) once a waker was stored, so a completer with no async waiter skips the
    /// lock.
    pub has_waker: AtomicU32,
    /// The panic message of a failed task; written by the completer before `state` is
    /// released as COMPLETE, read only after.
    panic: UnsafeCell<Option<String>>,
}

pub(crate) const NO_SLOT: u64 = u64::MAX;
pub(crate) const NO_TOTAL: u64 = u64::MAX;

/// A completion cell for outputs of type `O`.
#[repr(C)]
pub(crate) struct Completion<O> {
    pub header: CellHeader,
    output: UnsafeCell<MaybeUninit<O>>,
}

// SAFETY: `output` and `panic` are written once by the single completer before `state` is
// stored COMPLETE with Release, and read only after an Acquire load sees COMPLETE.
unsafe impl<O: Send> Sync for Completion<O> {}
// SAFETY: as above; `O: Send`.
unsafe impl<O: Send> Send for Completion<O> {}

impl<O> core::fmt::Debug for Completion<O> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Completion")
            .field("state", &self.header.state.load(Relaxed))
            .finish()
    }
}

pub(crate) fn encode_progress(p: Progress) -> (u64, u64) {
    (p.done, p.total.unwrap_or(NO_TOTAL))
}

pub(crate) fn decode_progress(done: u64, total: u64) -> Progress {
    Progress {
        done,
        total: (total != NO_TOTAL).then_some(total),
    }
}

impl<O: Copy + Send + 'static> Completion<O> {
    pub(crate) fn new(initial: Progress) -> Completion<O> {
        let (done, total) = encode_progress(initial);
        Completion {
            header: CellHeader {
                state: AtomicU32::new(PENDING),
                outcome: AtomicU32::new(0),
                cancel: AtomicU32::new(0),
                slot: AtomicU64::new(NO_SLOT),
                progress_done: AtomicU64::new(done),
                progress_total: AtomicU64::new(total),
                waker: Mutex::new(None),
                has_waker: AtomicU32::new(0),
                panic: UnsafeCell::new(None),
            },
            output: UnsafeCell::new(MaybeUninit::uninit()),
        }
    }

    /// The result, once [`CellHeader::is_complete`].
    pub(crate) fn result(&self) -> Result<O, crate::TaskError> {
        assert!(self.header.is_complete());
        match self.header.outcome.load(Relaxed) as u64 {
            // SAFETY: outcome DONE means `step` wrote the output before COMPLETE was
            // released, and our Acquire load of COMPLETE (in `is_complete`) saw it; `O: Copy`.
            OUT_DONE => Ok(unsafe { (*self.output.get()).assume_init() }),
            OUT_FAILED => Err(crate::TaskError::Panicked(
                // SAFETY: written before COMPLETE was released, never written after.
                unsafe { (*self.header.panic.get()).clone() }.unwrap_or_default(),
            )),
            _ => Err(crate::TaskError::Cancelled),
        }
    }
}

impl CellHeader {
    /// Stores a task's final progress. The completer calls it before it frees the task's
    /// slot: a handle that finds the slot gone reads this progress, so it never sees the one
    /// from spawn again.
    pub(crate) fn store_progress(&self, p: Progress) {
        let (done, total) = encode_progress(p);
        self.progress_done.store(done, Release);
        self.progress_total.store(total, Release);
    }

    /// Whether the result is there (Acquire).
    pub(crate) fn is_complete(&self) -> bool {
        self.state.load(Acquire) == COMPLETE
    }

    /// Stores the result and wakes whoever waits. `backend_wake` wakes threads blocked on
    /// `state`.
    ///
    /// # Safety
    /// The caller is the one and only completer of this cell (it owns the task's slot, or
    /// won the cancel of a queued task, or removed it from the spawner-side queue), and for
    /// `OUT_DONE` the task's `step` wrote the output first.
    pub(crate) unsafe fn complete(
        &self,
        outcome: u64,
        panic: Option<String>,
        final_progress: Option<Progress>,
        wake_all: impl FnOnce(&AtomicU32),
    ) {
        if let Some(p) = final_progress {
            self.store_progress(p);
        }
        // SAFETY: the caller is the only completer and nobody reads `panic` before COMPLETE.
        unsafe { *self.panic.get() = panic };
        self.outcome.store(outcome as u32, Relaxed);
        // SeqCst, paired with `poll`'s SeqCst store of `has_waker` and load of `state`:
        // either this load sees the flag, or that load sees COMPLETE.
        let before = self.state.swap(COMPLETE, SeqCst);
        assert_ne!(before, COMPLETE, "penny: a task completed twice");
        if before == PENDING_JOINER {
            wake_all(&self.state);
        }
        if self.has_waker.load(SeqCst) != 0 {
            let waker = self.waker.lock().unwrap_or_else(|e| e.into_inner()).take();
            if let Some(waker) = waker {
                waker.wake();
            }
        }
    }
}

/// Turns an `Arc` cell into the address stored in a slot (one strong reference).
pub(crate) fn into_addr<O>(cell: Arc<Completion<O>>) -> u64 {
    Arc::into_raw(cell).expose_provenance() as u64
}

/// The cell header at an address stored in a slot.
///
/// # Safety
/// `addr` came from [`into_addr`] and that reference has not been released yet.
pub(crate) unsafe fn cell_at<'a>(addr: u64) -> &'a CellHeader {
    // SAFETY: guaranteed by the caller; the header is the first field of the `repr(C)` cell.
    unsafe { &*core::ptr::with_exposed_provenance::<CellHeader>(addr as usize) }
}
