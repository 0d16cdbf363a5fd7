//! Task slots: the header word's encoding, its state machine, and the free list.
//!
//! # The header word (`u64`, slot offset 0)
//!
//! | bits | what |
//! |---|---|
//! | 0..4 | state: a [`SlotState`] |
//! | 4..8 | priority (0 = `UserBlocking`, 1 = `UserVisible`, 2 = `Background`) |
//! | 8..24 | owner worker while running (`0xFFFF` = none) |
//! | 24 | split: the task has halves not joined yet (a handle can't cancel it while queued) |
//! | 32..64 | generation: bumped every time the slot is freed |
//!
//! # State machine and ownership
//!
//! Exactly one party owns a slot at any time, and only the owner touches its payload and
//! output bytes:
//!
//! ```text
//!  free list ──pop──▶ FREE(g)  installer writes kind/payload/budget, then
//!                       │      stores QUEUED(g) (Release) and pushes the index to a queue
//!                       ▼
//!   ┌──────────── QUEUED(g) ◀──────────── requeue (preempted; owner stores it)
//!   │ cancel (handle,   │ claim (the one worker that popped the index: CAS, AcqRel)
//!   │  CAS)             ▼
//!   ▼              RUNNING(g, owner)
//! CANCELLED(g)          │ finish: DONE / FAILED / CANCELLED(g), output delivered
//!   │ popper reclaims   ▼
//!   └──────────────▶ FREE(g + 1) ──push──▶ free list
//! ```
//!
//! A split (`pool::split`) adds WAITING: RUNNING → WAITING when a task parks at its split
//! loop's end (then the last half to finish stores QUEUED and queues it), or when a half
//! finished (then the task it was split from frees it). While a task has halves its header
//! carries the split bit, and a handle's cancel only raises the flag (the halves share it).
//!
//! A queued index is held by exactly one queue entry, and a Chase–Lev or MPMC pop hands an
//! entry to exactly one thread, so the claim CAS can only lose to a cancel; a handle
//! acts on the slot only while the generation still matches the one it was given, so a stale
//! handle can never cancel or read a later task in the same slot.

// Under loom only the data structures are built, not the pool that uses every field.
#![cfg_attr(loom, allow(dead_code))]

use crate::region::{Region, H_FREE_COUNT, H_FREE_HEAD, S_HEADER, S_NEXT_FREE};
use crate::sync::{AtomicU64, Ordering::*};

/// Where a slot is in its life (bits 0..4 of its header word).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum SlotState {
    /// On the free list, or taken by an installer that has not published it.
    Free = 0,
    /// Its index sits in one queue; the popper claims it.
    Queued = 1,
    /// One worker (the owner field) steps it.
    Running = 2,
    /// Ended; about to be freed by its owner.
    Done = 3,
    /// Cancelled: while queued (the popper frees it), or ended so by its owner.
    Cancelled = 4,
    /// Its code panicked; about to be freed by its owner.
    Failed = 5,
    /// In a split (see `pool::split`): a task parked at the end of its split loop until its
    /// halves finish, or a half that finished and waits to be joined. In no queue; the
    /// split protocol alone hands it on (the last half to finish requeues a parked task, the
    /// task a half was split from frees it).
    Waiting = 6,
}

impl SlotState {
    fn of(bits: u64) -> SlotState {
        match bits {
            0 => SlotState::Free,
            1 => SlotState::Queued,
            2 => SlotState::Running,
            3 => SlotState::Done,
            4 => SlotState::Cancelled,
            5 => SlotState::Failed,
            6 => SlotState::Waiting,
            other => unreachable!("penny: corrupt slot state {other}"),
        }
    }
}

#[cfg(not(loom))]
impl From<crate::completion::Outcome> for SlotState {
    fn from(outcome: crate::completion::Outcome) -> SlotState {
        use crate::completion::Outcome;
        match outcome {
            Outcome::Done => SlotState::Done,
            Outcome::Cancelled => SlotState::Cancelled,
            Outcome::Failed => SlotState::Failed,
        }
    }
}

/// Header bit: the task has halves not joined yet.
const SPLIT_BIT: u64 = 1 << 24;

/// No owner.
pub(crate) const NO_OWNER: u16 = 0xFFFF;
/// End of the free list.
pub(crate) const NIL: u32 = u32::MAX;

/// A decoded header word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header(pub u64);

impl Header {
    #[inline]
    pub(crate) fn new(state: SlotState, priority: u8, owner: u16, generation: u32) -> Header {
        Header(
            state as u64 | (priority as u64) << 4 | (owner as u64) << 8 | (generation as u64) << 32,
        )
    }
    #[inline]
    pub(crate) fn state(self) -> SlotState {
        SlotState::of(self.0 & 0xF)
    }
    #[inline]
    pub(crate) fn priority(self) -> u8 {
        (self.0 >> 4 & 0xF) as u8
    }
    #[inline]
    #[cfg_attr(not(any(test, loom)), allow(dead_code))]
    pub(crate) fn owner(self) -> u16 {
        (self.0 >> 8) as u16
    }
    #[inline]
    pub(crate) fn generation(self) -> u32 {
        (self.0 >> 32) as u32
    }
    #[inline]
    pub(crate) fn with_state(self, state: SlotState, owner: u16) -> Header {
        Header(Header::new(state, self.priority(), owner, self.generation()).0 | self.0 & SPLIT_BIT)
    }
    /// Whether the task has halves not joined yet.
    #[inline]
    pub(crate) fn split(self) -> bool {
        self.0 & SPLIT_BIT != 0
    }
    /// This header with the split bit set or cleared.
    #[inline]
    pub(crate) fn with_split(self, split: bool) -> Header {
        Header(self.0 & !SPLIT_BIT | if split { SPLIT_BIT } else { 0 })
    }
}

#[inline]
pub(crate) fn header(r: &Region, index: u32) -> &AtomicU64 {
    r.u64(r.layout().slot(index) + S_HEADER)
}

/// What the worker that popped an index may do with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Claim {
    /// It now runs the task; the header as it is now (RUNNING, owned).
    Run(Header),
    /// The task was cancelled while queued: the popper frees the slot.
    Reclaim(Header),
}

/// The worker that popped `index` from a queue takes it.
pub(crate) fn claim(r: &Region, index: u32, worker: u16) -> Claim {
    let word = header(r, index);
    let mut current = Header(word.load(Acquire));
    loop {
        match current.state() {
            SlotState::Queued => {
                let running = current.with_state(SlotState::Running, worker);
                match word.compare_exchange(current.0, running.0, AcqRel, Acquire) {
                    Ok(_) => return Claim::Run(running),
                    Err(now) => current = Header(now),
                }
            }
            SlotState::Cancelled => return Claim::Reclaim(current),
            state => unreachable!("popped slot {index} in state {state:?}"),
        }
    }
}

/// A handle cancels a task that is still queued: true when it won (the task will never
/// run; whoever pops the index frees the slot).
pub(crate) fn cancel_queued(r: &Region, index: u32, generation: u32) -> bool {
    let word = header(r, index);
    let current = Header(word.load(Acquire));
    if current.state() != SlotState::Queued || current.generation() != generation || current.split()
    {
        return false;
    }
    let cancelled = current.with_state(SlotState::Cancelled, NO_OWNER);
    word.compare_exchange(current.0, cancelled.0, AcqRel, Relaxed)
        .is_ok()
}

/// The owner publishes a new state for a slot it owns (requeue or finish).
#[inline]
pub(crate) fn set_owned(r: &Region, index: u32, to: Header) {
    header(r, index).store(to.0, Release);
}

/// The owner frees a slot: bumps the generation and returns it to the free list.
pub(crate) fn free(r: &Region, index: u32) {
    let word = header(r, index);
    let current = Header(word.load(Relaxed));
    let freed = Header::new(
        SlotState::Free,
        0,
        NO_OWNER,
        current.generation().wrapping_add(1),
    );
    word.store(freed.0, Release);
    push_free(r, index);
}

/// Treiber stack of free slot indices; the head packs a tag that every successful update
/// bumps, so a pop that read a stale `next` (ABA) fails its CAS.
///
/// The free count is raised *before* the index is linked and lowered *after* a pop unlinked
/// one, so every slot is counted at most once and the count never goes below the number of
/// linked indices: it stays within `0..=slots` at every instant (a slot is linked, being
/// pushed, being popped or in use; only the first three can be counted).
pub(crate) fn push_free(r: &Region, index: u32) {
    let head = r.u64(H_FREE_HEAD);
    let next = r.u32(r.layout().slot(index) + S_NEXT_FREE);
    r.u32(H_FREE_COUNT).fetch_add(1, Release);
    let mut h = head.load(Relaxed);
    loop {
        next.store(h as u32, Relaxed);
        let tag = (h >> 32).wrapping_add(1);
        match head.compare_exchange_weak(h, tag << 32 | index as u64, AcqRel, Relaxed) {
            Ok(_) => break,
            Err(now) => h = now,
        }
    }
}

/// Whether the free list holds a slot now. SeqCst, for `park`'s protocol: a spawner that
/// found no slot and then read the freed epoch sees here any slot freed before the bump it
/// read (a `push_free` is ordered before the freer's bump of that epoch).
pub(crate) fn any_free(r: &Region) -> bool {
    r.u64(H_FREE_HEAD).load(SeqCst) as u32 != NIL
}

/// Takes a free slot, if any.
pub(crate) fn pop_free(r: &Region) -> Option<u32> {
    let head = r.u64(H_FREE_HEAD);
    let mut h = head.load(Acquire);
    loop {
        let index = h as u32;
        if index == NIL {
            return None;
        }
        let next = r.u32(r.layout().slot(index) + S_NEXT_FREE).load(Relaxed);
        let tag = (h >> 32).wrapping_add(1);
        match head.compare_exchange_weak(h, tag << 32 | next as u64, AcqRel, Acquire) {
            Ok(_) => {
                r.u32(H_FREE_COUNT).fetch_sub(1, Relaxed);
                return Some(index);
            }
            Err(now) => h = now,
        }
    }
}

/// Puts every slot on the free list (generation 0); call once on a fresh region.
pub(crate) fn init_free_list(r: &Region) {
    r.u64(H_FREE_HEAD).store(NIL as u64, Relaxed);
    for index in (0..r.layout().config.slots).rev() {
        push_free(r, index);
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::region::{Config, Layout};

    fn region(slots: u32) -> Region {
        let r = Region::new(Layout::new(Config {
            slots,
            workers: 1,
            payload_bytes: 16,
            deque_cap: 2,
            injector_cap: 2,
        }));
        init_free_list(&r);
        r
    }

    #[test]
    fn header_round_trips() {
        let h = Header::new(SlotState::Running, 2, 7, 0xDEAD_BEEF);
        assert_eq!(
            (h.state(), h.priority(), h.owner(), h.generation()),
            (SlotState::Running, 2, 7, 0xDEAD_BEEF)
        );
        assert_eq!(h.with_state(SlotState::Queued, NO_OWNER).owner(), NO_OWNER);
    }

    #[test]
    fn free_list_hands_out_each_slot_once() {
        let r = region(3);
        let mut got: Vec<u32> = std::iter::from_fn(|| pop_free(&r)).collect();
        got.sort();
        assert_eq!(got, [0, 1, 2]);
        assert_eq!(r.u32(H_FREE_COUNT).load(Relaxed), 0);
        push_free(&r, 1);
        assert_eq!(pop_free(&r), Some(1));
        assert_eq!(pop_free(&r), None);
    }

    #[test]
    fn life_cycle_and_stale_handles() {
        let r = region(1);
        let i = pop_free(&r).unwrap();
        set_owned(&r, i, Header::new(SlotState::Queued, 1, NO_OWNER, 0));
        assert_eq!(
            claim(&r, i, 3),
            Claim::Run(Header::new(SlotState::Running, 1, 3, 0))
        );
        assert!(
            !cancel_queued(&r, i, 0),
            "running tasks are cancelled at a boundary"
        );
        set_owned(&r, i, Header::new(SlotState::Done, 1, NO_OWNER, 0));
        free(&r, i);
        let i = pop_free(&r).unwrap();
        set_owned(&r, i, Header::new(SlotState::Queued, 0, NO_OWNER, 1));
        assert!(
            !cancel_queued(&r, i, 0),
            "a stale handle cannot cancel the next task"
        );
        assert!(cancel_queued(&r, i, 1));
        assert_eq!(
            claim(&r, i, 0),
            Claim::Reclaim(Header::new(SlotState::Cancelled, 0, NO_OWNER, 1))
        );
        free(&r, i);
        assert_eq!(Header(header(&r, i).load(Relaxed)).generation(), 2);
    }

    /// Finding 6: the free count is read while other threads pop and push; it must never
    /// leave `0..=slots` (a pop's decrement used to land before the matching push's
    /// increment, and the `u32` wrapped to 4294967295).
    #[test]
    fn free_count_stays_within_bounds_under_concurrent_pop_and_push() {
        let r = std::sync::Arc::new(region(2));
        let rounds: u32 = if cfg!(miri) { 50 } else { 2_000_000 };
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let churners: Vec<_> = (0..3)
            .map(|_| {
                let r = r.clone();
                std::thread::spawn(move || {
                    for _ in 0..rounds {
                        if let Some(i) = pop_free(&r) {
                            push_free(&r, i);
                        }
                    }
                })
            })
            .collect();
        let reader = {
            let (r, stop) = (r.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut worst = 0;
                while !stop.load(Relaxed) {
                    worst = worst.max(r.u32(H_FREE_COUNT).load(Relaxed));
                }
                worst
            })
        };
        for t in churners {
            t.join().unwrap();
        }
        stop.store(true, Relaxed);
        let worst = reader.join().unwrap();
        assert!(worst <= 2, "free count read as {worst} with 2 slots");
        assert_eq!(r.u32(H_FREE_COUNT).load(Relaxed), 2);
    }
}
