//! `penny::Buffer` and its views end to end: kernels over `View`/`Stripes` equal their plain
//! functions (driven with random budgets and splits, and on pools), the owner can't touch a
//! buffer a task writes, a second writer is refused, a stale view can't be opened, a write
//! outside a chunk's stripes fails the task, and buffers are freed when the last holder
//! goes.

mod support;

use penny::{Buffer, BufferBusy, Pool, Stripes, TaskError, View};
use penny_examples::parallel::{blur, blur_view, floats, jacobi_1d_slices, BlurView, Jacobi1d};
use proptest::prelude::*;
use std::time::Duration;

fn blur_reference(img: &[f32], w: usize) -> Vec<f32> {
    let dst = penny::Out::leak_filled(img.len(), 0.0f32);
    blur(penny::In::new(Vec::leak(img.to_vec())), dst, w as u32);
    dst.to_vec()
}

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn view_kernels_equal_their_plain_functions_under_random_splits(
        budgets in support::budgets(),
        choices in prop::collection::vec(any::<u32>(), 1..16),
        w in 1usize..40,
        h in 1usize..30,
    ) {
        let img = floats(w * h, 9);
        let src = Buffer::from_vec(img.clone());
        let mut dst = Buffer::zeroed(w * h);
        let task = BlurView::new(src.view(), dst.stripes(w), w as u32);
        support::run_with_splits(task, &budgets, &choices);
        prop_assert_eq!(bits(&dst.to_vec()), bits(&blur_reference(&img, w)));
        // The plain function over the same views.
        let mut plain = Buffer::zeroed(w * h);
        blur_view(src.view(), plain.stripes(w), w as u32);
        prop_assert_eq!(bits(&plain.to_vec()), bits(&dst.to_vec()));

        let a = Buffer::from_vec(floats(w * h, 10));
        let mut b = Buffer::zeroed(w * h);
        support::run_with_splits(Jacobi1d::new(a.view(), b.stripes(1)), &budgets, &choices);
        let mut want = vec![0.0; w * h];
        jacobi_1d_slices(&a.to_vec(), &mut want);
        prop_assert_eq!(bits(&b.to_vec()), bits(&want));
        let mut plain = Buffer::zeroed(w * h);
        penny_examples::parallel::jacobi_1d(a.view(), plain.stripes(1));
        prop_assert_eq!(bits(&plain.to_vec()), bits(&want));
    }
}

#[test]
fn view_kernels_on_pools_of_every_size() {
    let (w, h) = (301, 207);
    let img = floats(w * h, 11);
    let want = blur_reference(&img, w);
    let src = Buffer::from_vec(img);
    for workers in [1, 2, 3, 4, 8] {
        let pool = Pool::builder().workers(workers).build();
        let mut dst = Buffer::zeroed(w * h);
        pool.spawn(BlurView::new(src.view(), dst.stripes(w), w as u32))
            .join()
            .unwrap();
        assert_eq!(bits(&dst.to_vec()), bits(&want), "{workers} workers");
        let mut b = Buffer::zeroed(w * h);
        pool.spawn(Jacobi1d::new(src.view(), b.stripes(1)))
            .join()
            .unwrap();
        let mut j = vec![0.0; w * h];
        jacobi_1d_slices(&src.to_vec(), &mut j);
        assert_eq!(bits(&b.to_vec()), bits(&j));
    }
}

/// A long kernel writing a buffer, one element per iteration.
#[penny::task]
fn slow_fill(out: Stripes<u64>, rounds: u32) {
    #[penny::split]
    for i in 0..out.len() {
        let mut h = i as u64;
        for _ in 0..rounds {
            h = h.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(7);
        }
        out[i] = h;
    }
}

#[test]
fn the_owner_waits_for_the_task_that_writes_its_buffer() {
    let pool = Pool::builder().workers(2).build();
    let mut buf = Buffer::<u64>::zeroed(400_000);
    let h = pool.spawn(SlowFill::new(buf.stripes(1), 200));
    // While it runs: no reading, no writing, no second writer.
    assert_eq!(buf.try_read().err(), Some(BufferBusy::Written));
    assert_eq!(buf.try_write().err(), Some(BufferBusy::Written));
    let second = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        pool.spawn(SlowFill::new(buf.stripes(1), 1))
    }));
    let message = second
        .err()
        .and_then(|p| p.downcast::<String>().ok())
        .unwrap();
    assert!(message.contains("being written"), "{message}");
    h.join().unwrap();
    // Joined: the owner has it back, every element written once by the right iteration.
    let got = buf.to_vec();
    for (i, v) in got.iter().enumerate().step_by(997) {
        let mut x = i as u64;
        for _ in 0..200 {
            x = x.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(7);
        }
        assert_eq!(*v, x);
    }
    buf.write()[0] = 7;
    assert_eq!(buf.read()[0], 7);
}

#[test]
fn readers_share_and_keep_writers_out() {
    let pool = Pool::builder().workers(2).build();
    let src = Buffer::from_vec(floats(500_000, 1));
    let mut a = Buffer::zeroed(500_000);
    let mut b = Buffer::zeroed(500_000);
    // Two tasks read `src` at once.
    let ha = pool.spawn(Jacobi1d::new(src.view(), a.stripes(1)));
    let hb = pool.spawn(Jacobi1d::new(src.view(), b.stripes(1)));
    let read_while = src.try_read().map(|r| r.len());
    ha.join().unwrap();
    hb.join().unwrap();
    assert_eq!(read_while, Ok(500_000), "the owner may read beside readers");
    assert_eq!(bits(&a.to_vec()), bits(&b.to_vec()));
    // (A task can't be handed a writable view while the owner reads: `stripes` takes
    // `&mut self`, so that doesn't compile.)
}

/// One task handed a view and a writable view of the same buffer: the spawn is refused with a
/// message that says so (it blamed "a task holding a view of it, or its owner"), and takes
/// nothing: the buffer works for the next task.
#[test]
fn a_task_given_two_views_of_one_buffer_is_refused_saying_so() {
    let pool = Pool::builder().workers(1).build();
    let w = 16;
    let mut buf = Buffer::from_vec(floats(w * 8, 3));
    let view = buf.view();
    let refused = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        pool.spawn(BlurView::new(view, buf.stripes(w), w as u32))
    }));
    let message = match refused {
        Err(payload) => payload.downcast::<String>().map(|m| *m).unwrap_or_default(),
        Ok(_) => panic!("the spawn was accepted"),
    };
    assert!(
        message.contains("two of its views are of the same buffer"),
        "{message}"
    );
    let mut out = Buffer::zeroed(w * 8);
    pool.spawn(BlurView::new(buf.view(), out.stripes(w), w as u32))
        .join()
        .unwrap();
    assert!(buf.try_write().is_ok(), "no lease was left behind");
}

#[test]
fn a_stale_view_cannot_be_opened() {
    let buf = Buffer::from_vec(vec![1u32, 2, 3]);
    let view: View<u32> = buf.view();
    assert_eq!(
        view.try_open().map(|g| g.to_vec()).ok(),
        Some(vec![1, 2, 3])
    );
    drop(buf);
    assert_eq!(view.try_open().err(), Some(BufferBusy::Freed));
    // A new buffer reuses the header; the old view stays stale.
    let again = Buffer::from_vec(vec![9u32]);
    assert_eq!(view.try_open().err(), Some(BufferBusy::Freed));
    assert_eq!(again.view().open()[0], 9);
}

#[test]
fn a_task_keeps_its_buffer_alive_after_the_owner_drops_it() {
    let pool = Pool::builder().workers(2).build();
    let src = Buffer::from_vec(floats(300_000, 2));
    let mut dst = Buffer::zeroed(300_000);
    let view = src.view();
    let h = pool.spawn(Jacobi1d::new(view, dst.stripes(1)));
    drop(src);
    h.join().unwrap();
    assert_eq!(
        view.try_open().err(),
        Some(BufferBusy::Freed),
        "freed once the task ended"
    );
    assert_eq!(dst.read().len(), 300_000);
}

/// Writes the element after its own: outside its stripe whenever a chunk ends there.
#[penny::task]
fn writes_ahead(out: Stripes<u32>) {
    #[penny::split]
    for i in 0..out.len() - 1 {
        out[i + 1] = i as u32;
    }
}

#[test]
fn a_write_outside_the_chunks_stripes_fails_the_task() {
    let mut buf = Buffer::<u32>::zeroed(1000);
    let mut task = WritesAhead::new(buf.stripes(1));
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        while !penny::Task::step(&mut task, 10).is_done() {}
    }));
    let message = panicked
        .err()
        .and_then(|p| p.downcast::<String>().ok())
        .unwrap();
    assert!(message.contains("outside the stripes"), "{message}");
    // On a pool it fails its handle only, and gives the buffer back.
    let pool = Pool::builder()
        .workers(2)
        .time_slice(Duration::from_micros(20))
        .build();
    let big = 2_000_000;
    let mut buf = Buffer::<u32>::zeroed(big);
    let err = pool
        .spawn(WritesAhead::new(buf.stripes(1)))
        .join()
        .unwrap_err();
    assert!(
        matches!(&err, TaskError::Panicked(m) if m.contains("outside the stripes")),
        "{err:?}"
    );
    assert!(buf.try_write().is_ok());
}

#[test]
fn element_types_bool_and_user_structs() {
    #[derive(Clone, Copy, Debug, PartialEq, Default)]
    struct P {
        x: i16,
        on: bool,
    }
    #[penny::task]
    fn flags(src: View<P>, out: Stripes<bool>) {
        #[penny::split]
        for i in 0..src.len() {
            out[i] = src[i].on && src[i].x > 0;
        }
    }
    let ps: Vec<P> = (0..1000)
        .map(|i| P {
            x: (i % 7) as i16 - 3,
            on: i % 3 == 0,
        })
        .collect();
    let src = Buffer::from_vec(ps.clone());
    let mut out = Buffer::filled(1000, false);
    Pool::builder()
        .workers(2)
        .build()
        .spawn(Flags::new(src.view(), out.stripes(1)))
        .join()
        .unwrap();
    let want: Vec<bool> = ps.iter().map(|p| p.on && p.x > 0).collect();
    assert_eq!(out.to_vec(), want);
}

fn matmul_reference(a: &[f32], b: &[f32], n: usize) -> Vec<f32> {
    let c = penny::Out::leak_filled(n * n, 0.0f32);
    let bt = penny_examples::parallel::transpose(b, n);
    penny_examples::parallel::matmul(
        penny::In::new(Vec::leak(a.to_vec())),
        penny::In::new(Vec::leak(bt)),
        c,
        n as u32,
    );
    c.to_vec()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn tiled_kernels_equal_their_references_under_random_splits(
        budgets in support::budgets(),
        choices in prop::collection::vec(any::<u32>(), 1..16),
        n in 1usize..24,
        tile in 1usize..9,
        w in 1usize..30,
        h in 1usize..20,
    ) {
        use penny_examples::parallel::{blur_tiled, BlurTiled, MatmulTiled, transpose};
        let (a, b) = (floats(n * n, 1), floats(n * n, 2));
        let av = Buffer::from_vec(a.clone());
        let btv = Buffer::from_vec(transpose(&b, n));
        let mut c = Buffer::zeroed(n * n);
        let tiles = c.tiles(n, tile, tile + 1);
        support::run_with_splits(MatmulTiled::new(av.view(), btv.view(), tiles), &budgets, &choices);
        prop_assert_eq!(bits(&c.to_vec()), bits(&matmul_reference(&a, &b, n)));

        let img = floats(w * h, 12);
        let src = Buffer::from_vec(img.clone());
        let mut dst = Buffer::zeroed(w * h);
        let tiles = dst.tiles(h, tile, tile + 2);
        support::run_with_splits(BlurTiled::new(src.view(), tiles), &budgets, &choices);
        prop_assert_eq!(bits(&dst.to_vec()), bits(&blur_reference(&img, w)));
        let mut plain = Buffer::zeroed(w * h);
        blur_tiled(src.view(), plain.tiles(h, tile, tile + 2));
        prop_assert_eq!(bits(&plain.to_vec()), bits(&dst.to_vec()));
    }
}

#[test]
fn tiled_kernels_on_pools_of_every_size() {
    use penny_examples::parallel::{transpose, BlurTiled, MatmulTiled};
    let n = 96;
    let (a, b) = (floats(n * n, 3), floats(n * n, 4));
    let want = matmul_reference(&a, &b, n);
    let (w, h) = (257, 131);
    let img = floats(w * h, 13);
    let want_blur = blur_reference(&img, w);
    let (av, btv, src) = (
        Buffer::from_vec(a),
        Buffer::from_vec(transpose(&b, n)),
        Buffer::from_vec(img),
    );
    for workers in [1, 2, 3, 4, 8] {
        let pool = Pool::builder().workers(workers).build();
        let mut c = Buffer::zeroed(n * n);
        pool.spawn(MatmulTiled::new(av.view(), btv.view(), c.tiles(n, 16, 16)))
            .join()
            .unwrap();
        assert_eq!(bits(&c.to_vec()), bits(&want), "{workers} workers");
        let mut dst = Buffer::zeroed(w * h);
        pool.spawn(BlurTiled::new(src.view(), dst.tiles(h, 32, 64)))
            .join()
            .unwrap();
        assert_eq!(bits(&dst.to_vec()), bits(&want_blur), "{workers} workers");
    }
}

/// Writes one element past its tile: outside it whenever the chunk ends at that tile.
#[penny::task]
fn tile_overflow(out: penny::Tiles<u8>) {
    #[penny::split]
    for t in 0..out.tile_count() {
        let (r0, c0, rows, cols) = out.tile_rect(t);
        let last_col = out.dims().1 - 1;
        out[(r0 + rows - 1, (c0 + cols).min(last_col))] = 1;
    }
}

#[test]
fn a_write_outside_the_chunks_tiles_fails_the_task() {
    let mut buf = Buffer::<u8>::zeroed(64 * 64);
    let mut task = TileOverflow::new(buf.tiles(64, 8, 8));
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        while !penny::Task::step(&mut task, 1).is_done() {}
    }));
    let message = panicked
        .err()
        .and_then(|p| p.downcast::<String>().ok())
        .unwrap();
    assert!(message.contains("outside the tiles"), "{message}");
}

/// A copy of the task's own writable view, carried in another argument.
#[derive(Clone, Copy)]
struct Alias(Stripes<u32>);

#[penny::task]
fn write_through_a_copy(out: Stripes<u32>, alias: Alias) {
    #[penny::split]
    for k in 0..out.len() {
        let mut all = alias.0.open();
        all[0] += 1;
        out[k] = 1;
    }
}

/// Inside a split loop the task's writable views open only through its own view arguments
/// (narrowed to the part): a copy elsewhere gave every part the whole buffer, and on a pool
/// the parts raced on element 0 (lost updates: 199 457 to 199 873 of 200 000). Now opening
/// it fails the task, on any pool and when stepped by hand, and the buffer is left as it
/// was before the loop.
#[test]
fn a_copy_of_a_writable_view_does_not_open_inside_a_split_loop() {
    let n = 200_000;
    for workers in [1, 2, 4] {
        let pool = Pool::builder().workers(workers).build();
        let mut buf = Buffer::<u32>::zeroed(n);
        let stripes = buf.stripes(1);
        let err = pool
            .spawn(WriteThroughACopy::new(stripes, Alias(stripes)))
            .join()
            .expect_err("a copy of the task's own view opened inside its split loop");
        assert!(
            matches!(&err, TaskError::Panicked(m) if m.contains(&BufferBusy::SplitPart.to_string())),
            "{workers} workers: {err:?}"
        );
        assert_eq!(buf.to_vec()[0], 0, "{workers} workers");
    }
    let mut buf = Buffer::<u32>::zeroed(10);
    let stripes = buf.stripes(1);
    let stepped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        penny::run_to_completion(WriteThroughACopy::new(stripes, Alias(stripes)))
    }));
    assert!(stepped.is_err(), "stepped by hand, the copy opened too");
}
