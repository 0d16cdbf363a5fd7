//! The buffer's unsafe paths under Miri: owner guards, open views, a split task whose
//! halves write disjoint stripes from two workers, stale views, freeing.

use super::*;
use crate::{Pool, Progress, SplitState, Step, Task};

/// Writes `out[i] = 3 * i + 1` over a split loop, the way `#[penny::task]` lowers one: each
/// chunk opens the view and narrows it to its iterations.
#[derive(Clone, Copy)]
struct Fill {
    out: Stripes<u64>,
    next: u64,
    stop: u64,
    halves: u32,
    half: bool,
}

impl Task for Fill {
    type Output = ();
    fn step(&mut self, budget: u32) -> Step<()> {
        let mut out = self.out.open();
        let end = self.stop.min(self.next + u64::from(budget));
        let mut part = out.restrict(self.next, end);
        for i in self.next..end {
            part[i as usize] = 3 * i + 1;
        }
        self.next = end;
        if self.next < self.stop || self.halves > 0 || self.half {
            Step::Yielded
        } else {
            Step::Done(())
        }
    }
    fn progress(&self) -> Progress {
        Progress::default()
    }
    fn split(&mut self, min: u64) -> Option<Fill> {
        let rest = self.stop - self.next;
        if rest < 2 * min.max(1) {
            return None;
        }
        let mid = self.next + rest / 2;
        let half = Fill {
            next: mid,
            halves: 0,
            half: true,
            ..*self
        };
        self.stop = mid;
        self.halves += 1;
        Some(half)
    }
    fn split_state(&self) -> SplitState {
        match (self.next < self.stop, self.halves, self.half) {
            (true, ..) => SplitState::Splittable,
            (false, 0, true) => SplitState::HalfDone,
            (false, 0, false) => SplitState::Sequential,
            _ => SplitState::Joining,
        }
    }
    fn join(&mut self, half: &Fill) {
        self.next = half.stop;
        self.stop = half.stop;
        self.halves -= 1;
    }
    fn views(&self, visit: &mut dyn FnMut(ViewRef)) {
        visit(self.out.view_ref());
    }
}

#[test]
fn halves_write_disjoint_stripes_from_two_workers() {
    let n = if cfg!(miri) { 200 } else { 200_000 };
    let pool = Pool::builder()
        .workers(2)
        .time_slice(core::time::Duration::from_micros(5))
        .build();
    let mut buf = Buffer::<u64>::zeroed(n);
    let stripes = buf.stripes(1);
    let h = pool.spawn(Fill {
        out: stripes,
        next: 0,
        stop: n as u64,
        halves: 0,
        half: false,
    });
    assert_eq!(buf.try_read().err(), Some(BufferBusy::Written));
    h.join().unwrap();
    let got = buf.to_vec();
    assert!(got.iter().enumerate().all(|(i, &v)| v == 3 * i as u64 + 1));
}

#[test]
fn owner_guards_open_views_and_stale_views() {
    let mut buf = Buffer::from_vec(vec![1u8, 2, 3, 4, 5, 6]);
    buf.write()[0] = 9;
    let view = buf.view_2d(3);
    {
        let g = view.open();
        assert_eq!((g[0], g[(1, 2)], &g[1..3]), (9, 6, &[2u8, 3][..]));
        assert_eq!(buf.try_write().err(), Some(BufferBusy::Read));
        let r = buf.read();
        assert_eq!(r[5], 6);
    }
    let stripes = buf.stripes(2);
    {
        let mut w = stripes.open();
        assert_eq!(view.try_open().err(), Some(BufferBusy::Written));
        w[(2, 1)] = 60;
        let mut part = w.restrict(1, 2);
        part[2] += 1;
        assert!(std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| part[4] = 0)).is_err());
    }
    assert_eq!(buf.to_vec(), [9, 2, 4, 4, 5, 60]);
    drop(buf);
    assert_eq!(view.try_open().err(), Some(BufferBusy::Freed));
    assert_eq!(stripes.try_open().err(), Some(BufferBusy::Freed));
}

#[test]
fn stripe_mut_is_one_checked_slice_per_stripe() {
    let mut buf = Buffer::<u32>::zeroed(10);
    let stripes = buf.stripes(4); // 0..4, 4..8, 8..10
    {
        let mut guard = stripes.open();
        let mut chunk = guard.restrict(1, 3); // iterations 1 and 2: elements 4..10
        assert_eq!(chunk.stripe_mut(2).len(), 2);
        chunk.stripe_mut(1).fill(7);
        chunk.stripe_mut(2).copy_from_slice(&[8, 9]);
        for k in [0, 3, usize::MAX] {
            let hit = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                chunk.stripe_mut(k)[0] = 1;
            }));
            assert!(hit.is_err(), "stripe {k} is outside iterations 1..3");
        }
    }
    assert_eq!(buf.to_vec(), [0, 0, 0, 0, 7, 7, 7, 7, 8, 9]);
}

#[test]
fn a_flat_view_reads_as_arrays() {
    let buf = Buffer::from_vec((0..12u32).collect::<Vec<_>>());
    let quads = buf.view().arrays::<4>().expect("4 divides 12");
    assert_eq!(quads.len(), 3);
    {
        let open = quads.open();
        assert_eq!(open[1], [4, 5, 6, 7]);
        assert_eq!(open.iter().map(|q| q[3]).sum::<u32>(), 3 + 7 + 11);
    }
    assert!(buf.view().arrays::<5>().is_none(), "5 doesn't divide 12");
    assert!(buf.view().arrays::<0>().is_none());
    // The arrays' view is a view of the same buffer: it holds the same lease.
    let mut buf = buf;
    let reading = quads.open();
    assert!(
        buf.try_write().is_err(),
        "the owner can't write while a view reads"
    );
    drop(reading);
    buf.write()[0] = 9;
    assert_eq!(quads.open()[0][0], 9);
}

#[test]
fn tiles_restrict_to_their_blocks() {
    let mut buf = Buffer::<u16>::zeroed(6 * 5);
    let tiles = buf.tiles(6, 4, 2);
    assert_eq!((tiles.tile_count(), tiles.tile_rect(5)), (6, (4, 4, 2, 1)));
    {
        let mut guard = tiles.open();
        let mut all = guard.part();
        all[(5, 4)] = 7;
        let mut chunk = all.restrict(1, 2);
        chunk[(0, 2)] = 1;
        chunk[(3, 3)] += 2;
        for outside in [(0, 1), (4, 2), (0, 4)] {
            let hit = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| chunk[outside] = 9));
            assert!(hit.is_err(), "{outside:?} is outside tile 1");
        }
    }
    let got = buf.to_vec();
    assert_eq!((got[2], got[3 * 5 + 3], got[5 * 5 + 4]), (1, 2, 7));
    assert_eq!(got.iter().filter(|&&v| v != 0).count(), 3);
}
