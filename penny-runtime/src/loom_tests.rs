//! Loom models of the region's concurrent structures: the Chase–Lev deque, the injector,
//! the slot state machine and the free list. Run with
//! `RUSTFLAGS="--cfg loom" cargo test -p penny-runtime --release --lib loom_tests`.
//! Capacities are tiny so the models reach the full/empty/wrap-around edges.

use crate::deque::{Deque, Steal};
use crate::injector::Injector;
use crate::region::{Config, Layout, Region};
use crate::slot::{self, Claim, Header, SlotState, NO_OWNER};
use crate::sync::Ordering::Relaxed;
use loom::sync::Arc;
use loom::thread;

fn region(slots: u32, cap: u32) -> Arc<Region> {
    Arc::new(Region::new(Layout::new(Config {
        slots,
        workers: 1,
        payload_bytes: 0,
        deque_cap: cap,
        injector_cap: cap,
    })))
}

fn steal_until_done(d: Deque, r: &Region) -> Option<u32> {
    loop {
        match d.steal(r) {
            Steal::Success(i) => return Some(i),
            Steal::Empty => return None,
            Steal::Retry => thread::yield_now(),
        }
    }
}

#[test]
fn deque_pop_races_steal_for_the_last_item() {
    loom::model(|| {
        let r = region(1, 2);
        let d = Deque::new(r.layout().deque(0, 0), 2);
        d.push(&r, 7).unwrap();
        let thief = {
            let r = r.clone();
            thread::spawn(move || steal_until_done(d, &r))
        };
        let popped = d.pop(&r);
        let stolen = thief.join().unwrap();
        // Exactly one of them got it.
        assert_eq!(popped.is_some() as u32 + stolen.is_some() as u32, 1);
        assert_eq!(popped.or(stolen), Some(7));
        assert_eq!(d.pop(&r), None);
    });
}

#[test]
fn deque_push_pop_steal_wrap_around() {
    loom::model(|| {
        let r = region(1, 2);
        let d = Deque::new(r.layout().deque(0, 0), 2);
        // Move the indices so the cells wrap during the race.
        d.push(&r, 100).unwrap();
        assert_eq!(d.pop(&r), Some(100));
        d.push(&r, 1).unwrap();
        let thief = {
            let r = r.clone();
            thread::spawn(move || {
                let a = steal_until_done(d, &r);
                let b = steal_until_done(d, &r);
                [a, b]
            })
        };
        let mut owner = Vec::new();
        match d.push(&r, 2) {
            Ok(()) => {}
            Err(_) => unreachable!("capacity 2 holds two"),
        }
        if d.push(&r, 3).is_err() {
            owner.push(3); // full: the owner keeps it
        }
        while let Some(i) = d.pop(&r) {
            owner.push(i);
        }
        let stolen = thief.join().unwrap();
        let mut all: Vec<u32> = owner
            .into_iter()
            .chain(stolen.into_iter().flatten())
            .collect();
        all.sort();
        assert_eq!(all, [1, 2, 3]);
    });
}

#[test]
fn two_thieves_never_take_the_same_item() {
    loom::model(|| {
        let r = region(1, 2);
        let d = Deque::new(r.layout().deque(0, 0), 2);
        d.push(&r, 1).unwrap();
        d.push(&r, 2).unwrap();
        let thieves: Vec<_> = (0..2)
            .map(|_| {
                let r = r.clone();
                thread::spawn(move || steal_until_done(d, &r))
            })
            .collect();
        let mine = d.pop(&r);
        let mut all: Vec<u32> = thieves
            .into_iter()
            .filter_map(|t| t.join().unwrap())
            .collect();
        all.extend(mine);
        all.sort();
        assert_eq!(all, [1, 2]);
    });
}

#[test]
fn injector_producers_and_consumer() {
    loom::model(|| {
        let r = region(1, 2);
        let q = Injector::new(r.layout().injector(0), 2);
        q.init(&r);
        let producers: Vec<_> = (0..2)
            .map(|p| {
                let r = r.clone();
                thread::spawn(move || q.push(&r, p).is_ok())
            })
            .collect();
        let first = q.pop(&r);
        let pushed = producers
            .into_iter()
            .map(|t| t.join().unwrap())
            .filter(|&ok| ok)
            .count();
        assert_eq!(pushed, 2, "capacity 2 takes both");
        let mut got: Vec<u32> = first.into_iter().collect();
        while let Some(i) = q.pop(&r) {
            got.push(i);
        }
        got.sort();
        assert_eq!(got, [0, 1]);
    });
}

#[test]
fn claim_races_cancel() {
    loom::model(|| {
        let r = region(1, 2);
        slot::init_free_list(&r);
        let i = slot::pop_free(&r).unwrap();
        slot::set_owned(&r, i, Header::new(SlotState::Queued, 1, NO_OWNER, 0));
        let canceller = {
            let r = r.clone();
            thread::spawn(move || slot::cancel_queued(&r, i, 0))
        };
        let claim = slot::claim(&r, i, 0);
        let cancelled = canceller.join().unwrap();
        match claim {
            Claim::Run(h) => {
                assert!(!cancelled);
                assert_eq!(h.owner(), 0);
            }
            Claim::Reclaim(h) => {
                assert!(cancelled);
                assert_eq!(h.generation(), 0);
            }
        }
        slot::free(&r, i);
        assert_eq!(slot::pop_free(&r), Some(i));
    });
}

#[test]
fn free_list_concurrent_pop_and_push() {
    loom::model(|| {
        let r = region(2, 2);
        slot::init_free_list(&r);
        let a = slot::pop_free(&r).unwrap();
        let other = {
            let r = r.clone();
            thread::spawn(move || {
                let got = slot::pop_free(&r);
                if let Some(i) = got {
                    slot::push_free(&r, i);
                }
                got
            })
        };
        slot::push_free(&r, a);
        let mine = slot::pop_free(&r);
        let theirs = other.join().unwrap();
        assert!(mine.is_some(), "two slots, at most one held elsewhere");
        assert!(theirs.is_some());
        let mut rest: Vec<u32> = std::iter::from_fn(|| slot::pop_free(&r)).collect();
        rest.extend(mine);
        rest.sort();
        assert_eq!(rest, [0, 1]);
        assert_eq!(r.u32(crate::region::H_FREE_COUNT).load(Relaxed), 0);
    });
}

/// Finding 6: the free count, read while two threads each pop and push the only slot,
/// stays within `0..=slots` (a pop's decrement used to be able to land before the matching
/// push's increment: 0 - 1 read as 4294967295).
#[test]
fn free_count_stays_within_bounds() {
    loom::model(|| {
        let r = region(1, 2);
        slot::init_free_list(&r);
        let churners: Vec<_> = (0..2)
            .map(|_| {
                let r = r.clone();
                thread::spawn(move || {
                    if let Some(i) = slot::pop_free(&r) {
                        slot::push_free(&r, i);
                    }
                })
            })
            .collect();
        let count = r.u32(crate::region::H_FREE_COUNT).load(Relaxed);
        assert!(count <= 1, "free count read as {count}");
        for t in churners {
            t.join().unwrap();
        }
        assert_eq!(r.u32(crate::region::H_FREE_COUNT).load(Relaxed), 1);
    });
}
