//! The parallel suite's table: every kernel run sequentially (its plain function), with
//! rayon and with Penny (one task, split loops) on the same inputs, each result checked
//! against the sequential reference. Used by the native demo; the criterion benchmark
//! (`benches/parallel.rs`) runs the same cases.

use std::time::{Duration, Instant};

use penny::{In, Out, Pool};

use crate::parallel::{self as par, *};
use crate::parallel_rayon as ray;

/// One kernel's inputs and its three runners.
#[allow(missing_debug_implementations)] // closures
pub struct Case {
    /// The kernel's name.
    pub name: &'static str,
    /// Runs the plain function once.
    pub sequential: Box<dyn FnMut()>,
    /// Runs the rayon version once.
    pub rayon: Box<dyn FnMut()>,
    /// Spawns the Penny task on the pool and joins it.
    pub penny: Box<dyn FnMut(&Pool)>,
    /// Checks the last results of the three against each other (sequential reference).
    pub check: Box<dyn Fn() -> Result<(), String>>,
}

fn leak<T>(v: Vec<T>) -> In<T> {
    In::new(Vec::leak(v))
}

/// A `Vec` the rayon runner writes and the check reads.
fn cell<T: Clone + Default + 'static>(n: usize) -> std::rc::Rc<std::cell::RefCell<Vec<T>>> {
    std::rc::Rc::new(std::cell::RefCell::new(vec![T::default(); n]))
}

fn same_bits(a: &[f32], b: &[f32]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}

/// The suite at its benchmark sizes (`scale` 1: each sequential run takes tens of ms on
/// a current x86 core; smaller scales for quick runs).
pub fn cases(scale: f64) -> Vec<Case> {
    let s = |n: f64| ((n * scale) as usize).max(2);
    let mut cases = Vec::new();

    // mandelbrot
    {
        let (w, h, it) = (s(640.0) as u32, s(480.0) as u32, 256u32);
        let seq = Out::leak_filled((w * h) as usize, 0u32);
        let pen = Out::leak_filled((w * h) as usize, 0u32);
        let r = cell::<u32>((w * h) as usize);
        let r2 = r.clone();
        cases.push(Case {
            name: "mandelbrot",
            sequential: Box::new(move || par::mandelbrot(seq, w, h, it)),
            rayon: Box::new(move || ray::mandelbrot(&mut r.borrow_mut(), w, h, it)),
            penny: Box::new(move |pool| pool.spawn(Mandelbrot::new(pen, w, h, it)).join().unwrap()),
            check: Box::new(move || {
                let want = seq.to_vec();
                (pen.to_vec() == want && *r2.borrow() == want)
                    .then_some(())
                    .ok_or_else(|| "images differ".to_owned())
            }),
        });
    }
    // n-body
    {
        let n = s(2000.0);
        let b = bodies(n);
        let bodies = leak(b.clone());
        let seq = Out::leak_filled(3 * n, 0.0f32);
        let pen = Out::leak_filled(3 * n, 0.0f32);
        let r = cell::<f32>(3 * n);
        let r2 = r.clone();
        cases.push(Case {
            name: "n-body",
            sequential: Box::new(move || nbody_accel(bodies, seq)),
            rayon: Box::new(move || ray::nbody_accel(&b, &mut r.borrow_mut())),
            penny: Box::new(move |pool| pool.spawn(NbodyAccel::new(bodies, pen)).join().unwrap()),
            check: Box::new(move || {
                let want = seq.to_vec();
                (same_bits(&pen.to_vec(), &want) && same_bits(&r2.borrow(), &want))
                    .then_some(())
                    .ok_or_else(|| "accelerations differ".to_owned())
            }),
        });
    }
    // matmul
    {
        let n = s(256.0);
        let (a, b) = (floats(n * n, 1), floats(n * n, 2));
        let bt = transpose(&b, n);
        let (ai, bti) = (leak(a.clone()), leak(bt.clone()));
        let seq = Out::leak_filled(n * n, 0.0f32);
        let pen = Out::leak_filled(n * n, 0.0f32);
        let r = cell::<f32>(n * n);
        let r2 = r.clone();
        cases.push(Case {
            name: "matmul",
            sequential: Box::new(move || matmul(ai, bti, seq, n as u32)),
            rayon: Box::new(move || ray::matmul(&a, &bt, &mut r.borrow_mut(), n)),
            penny: Box::new(move |pool| {
                pool.spawn(Matmul::new(ai, bti, pen, n as u32))
                    .join()
                    .unwrap()
            }),
            check: Box::new(move || {
                let want = seq.to_vec();
                (same_bits(&pen.to_vec(), &want) && same_bits(&r2.borrow(), &want))
                    .then_some(())
                    .ok_or_else(|| "products differ".to_owned())
            }),
        });
    }
    // histogram
    {
        let n = s(20_000_000.0) as u64;
        let out = std::rc::Rc::new(std::cell::Cell::new([[0u32; 16]; 3]));
        let (o1, o2, o3, o4) = (out.clone(), out.clone(), out.clone(), out);
        cases.push(Case {
            name: "histogram",
            sequential: Box::new(move || {
                let mut v = o1.get();
                v[0] = histogram(n);
                o1.set(v)
            }),
            rayon: Box::new(move || {
                let mut v = o2.get();
                v[1] = ray::histogram(n);
                o2.set(v)
            }),
            penny: Box::new(move |pool| {
                let mut v = o3.get();
                v[2] = pool.spawn(Histogram::new(n)).join().unwrap();
                o3.set(v)
            }),
            check: Box::new(move || {
                let v = o4.get();
                (v[1] == v[0] && v[2] == v[0])
                    .then_some(())
                    .ok_or_else(|| "histograms differ".to_owned())
            }),
        });
    }
    // prefix sum
    {
        let n = s(20_000_000.0);
        let xs = ints(n);
        let xi = leak(xs.clone());
        let seq = cell::<u64>(n);
        let pen = Out::leak_filled(n, 0u64);
        let sums = Out::leak_filled(64, 0u64);
        let r = cell::<u64>(n);
        let (r2, seq2) = (r.clone(), seq.clone());
        let xs2 = xs.clone();
        cases.push(Case {
            name: "prefix sum",
            sequential: Box::new(move || prefix_sum_into(&xs2, &mut seq.borrow_mut())),
            rayon: Box::new(move || ray::prefix_sum(&xs, &mut r.borrow_mut(), 64)),
            penny: Box::new(move |pool| {
                pool.spawn(PrefixSum::new(xi, pen, sums, 64))
                    .join()
                    .unwrap()
            }),
            check: Box::new(move || {
                let want = seq2.borrow();
                (pen.to_vec() == *want && *r2.borrow() == *want)
                    .then_some(())
                    .ok_or_else(|| "scans differ".to_owned())
            }),
        });
    }
    // blur
    {
        let (w, h) = (s(2048.0), s(1536.0));
        let img = floats(w * h, 3);
        let src = leak(img.clone());
        let seq = Out::leak_filled(w * h, 0.0f32);
        let pen = Out::leak_filled(w * h, 0.0f32);
        let r = cell::<f32>(w * h);
        let r2 = r.clone();
        cases.push(Case {
            name: "blur",
            sequential: Box::new(move || blur(src, seq, w as u32)),
            rayon: Box::new(move || ray::blur(&img, &mut r.borrow_mut(), w)),
            penny: Box::new(move |pool| pool.spawn(Blur::new(src, pen, w as u32)).join().unwrap()),
            check: Box::new(move || {
                let want = seq.to_vec();
                (same_bits(&pen.to_vec(), &want) && same_bits(&r2.borrow(), &want))
                    .then_some(())
                    .ok_or_else(|| "images differ".to_owned())
            }),
        });
    }
    // blur over buffer views (plain stores)
    {
        let (w, h) = (s(2048.0), s(1536.0));
        let img = floats(w * h, 3);
        let src = penny::Buffer::from_vec(img.clone());
        let seq = std::rc::Rc::new(std::cell::RefCell::new(penny::Buffer::<f32>::zeroed(w * h)));
        let pen = std::rc::Rc::new(std::cell::RefCell::new(penny::Buffer::<f32>::zeroed(w * h)));
        let r = cell::<f32>(w * h);
        let (r2, seq2, pen2) = (r.clone(), seq.clone(), pen.clone());
        let (v1, v2) = (src.view(), src.view());
        let keep = std::rc::Rc::new(src);
        cases.push(Case {
            name: "blur (View/Stripes)",
            sequential: Box::new(move || {
                let _ = &keep;
                let stripes = seq.borrow_mut().stripes(w);
                blur_view(v1, stripes, w as u32)
            }),
            rayon: Box::new(move || ray::blur(&img, &mut r.borrow_mut(), w)),
            penny: Box::new(move |pool| {
                let stripes = pen.borrow_mut().stripes(w);
                pool.spawn(BlurView::new(v2, stripes, w as u32))
                    .join()
                    .unwrap()
            }),
            check: Box::new(move || {
                let want = seq2.borrow().to_vec();
                (same_bits(&pen2.borrow().to_vec(), &want) && same_bits(&r2.borrow(), &want))
                    .then_some(())
                    .ok_or_else(|| "images differ".to_owned())
            }),
        });
    }
    // collatz
    {
        let n = s(300_000.0) as u64;
        let out = std::rc::Rc::new(std::cell::Cell::new([(0u64, 0u64); 3]));
        let (o1, o2, o3, o4) = (out.clone(), out.clone(), out.clone(), out);
        cases.push(Case {
            name: "collatz",
            sequential: Box::new(move || {
                let mut v = o1.get();
                v[0] = collatz(n);
                o1.set(v)
            }),
            rayon: Box::new(move || {
                let mut v = o2.get();
                v[1] = ray::collatz(n);
                o2.set(v)
            }),
            penny: Box::new(move |pool| {
                let mut v = o3.get();
                v[2] = pool.spawn(Collatz::new(n)).join().unwrap();
                o3.set(v)
            }),
            check: Box::new(move || {
                let v = o4.get();
                (v[1] == v[0] && v[2] == v[0])
                    .then_some(())
                    .ok_or_else(|| "collatz results differ".to_owned())
            }),
        });
    }
    // sum of squares
    {
        let n = s(20_000_000.0);
        let xs = floats(n, 4);
        let xi = leak(xs.clone());
        let out = std::rc::Rc::new(std::cell::Cell::new([0.0f32; 3]));
        let (o1, o2, o3, o4) = (out.clone(), out.clone(), out.clone(), out);
        let reference = sum_squares_reference(&xs);
        let exact: f64 = xs.iter().map(|&x| f64::from(x) * f64::from(x)).sum();
        cases.push(Case {
            name: "sum of squares",
            sequential: Box::new(move || {
                let mut v = o1.get();
                v[0] = sum_squares(xi);
                o1.set(v)
            }),
            rayon: Box::new(move || {
                let mut v = o2.get();
                v[1] = ray::sum_squares(&xs);
                o2.set(v)
            }),
            penny: Box::new(move |pool| {
                let mut v = o3.get();
                v[2] = pool.spawn(SumSquares::new(xi)).join().unwrap();
                o3.set(v)
            }),
            check: Box::new(move || {
                let v = o4.get();
                let error = |x: f32| (f64::from(x) - exact).abs() / exact;
                // Penny's is the tree, bit for bit, within 1e-5 of the f64 sum; a linear f32
                // sum of 20 M terms drifts by percents (the plain function's: 2.5 %).
                (v[2].to_bits() == reference.to_bits()
                    && error(v[2]) < 1e-5
                    && error(v[0]) < 0.05
                    && error(v[1]) < 0.05)
                    .then_some(())
                    .ok_or_else(|| format!("sums differ: {v:?} vs tree {reference}, f64 {exact}"))
            }),
        });
    }
    cases
}

/// One row of the table: medians of `reps` runs.
#[derive(Debug, Clone)]
pub struct Row {
    /// Kernel name.
    pub name: &'static str,
    /// Median sequential time.
    pub sequential: Duration,
    /// Median rayon time.
    pub rayon: Duration,
    /// Median Penny time.
    pub penny: Duration,
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Runs every case `reps` times each way (interleaved), checks the results, and returns
/// the medians.
pub fn measure(pool: &Pool, scale: f64, reps: usize) -> Result<Vec<Row>, String> {
    let mut rows = Vec::new();
    for mut case in cases(scale) {
        let (mut s, mut r, mut p) = (Vec::new(), Vec::new(), Vec::new());
        // A pause before each run lets the threads of the run before (rayon's or Penny's,
        // spinning a little before they sleep) settle, so one doesn't slow the other.
        let settle = || std::thread::sleep(Duration::from_millis(5));
        for _ in 0..reps {
            settle();
            let t = Instant::now();
            (case.sequential)();
            s.push(t.elapsed());
            settle();
            let t = Instant::now();
            (case.rayon)();
            r.push(t.elapsed());
            settle();
            let t = Instant::now();
            (case.penny)(pool);
            p.push(t.elapsed());
            (case.check)().map_err(|e| format!("{}: {e}", case.name))?;
        }
        rows.push(Row {
            name: case.name,
            sequential: median(s),
            rayon: median(r),
            penny: median(p),
        });
    }
    Ok(rows)
}

/// The rows as a Markdown table with speed-ups and Penny ÷ rayon.
pub fn markdown(rows: &[Row]) -> String {
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let mut out = String::from(
        "| kernel | sequential ms | rayon ms | Penny ms | rayon speed-up | Penny speed-up | Penny ÷ rayon |\n|---|---|---|---|---|---|---|\n",
    );
    for r in rows {
        out += &format!(
            "| {} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} |\n",
            r.name,
            ms(r.sequential),
            ms(r.rayon),
            ms(r.penny),
            ms(r.sequential) / ms(r.rayon),
            ms(r.sequential) / ms(r.penny),
            ms(r.penny) / ms(r.rayon),
        );
    }
    out
}
