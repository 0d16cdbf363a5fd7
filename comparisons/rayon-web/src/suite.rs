//! The parallel suite for the browser benchmark (`penny-examples/bench-web/suite.mjs`):
//! each kernel's inputs built once (`new Suite(kernel, params)`, not timed), then run as the
//! rayon version a rayon user writes (`penny-examples/src/parallel_rayon.rs`, included by
//! path, as are the per-element functions in `parallel/plain.rs`) or sequentially (`par =
//! false`: the same loops without rayon, the plain single-thread baseline). `check()` gives
//! the string the penny side must print too: a hash of the output's bits, or the result.

use wasm_bindgen::prelude::*;

use crate::parallel::{self as plain, body_accel, fnv32 as hash, rng};
use crate::parallel_rayon as ray;

/// One kernel's inputs and output.
enum Case {
    Mandelbrot {
        out: Vec<u32>,
        width: u32,
        height: u32,
        max_iter: u32,
    },
    Nbody {
        bodies: Vec<[f32; 4]>,
        accel: Vec<f32>,
    },
    Matmul {
        a: Vec<f32>,
        bt: Vec<f32>,
        c: Vec<f32>,
        n: usize,
    },
    Histogram {
        n: u64,
        bins: [u32; 16],
    },
    PrefixSum {
        xs: Vec<u32>,
        out: Vec<u32>,
        blocks: usize,
    },
    Blur {
        src: Vec<f32>,
        dst: Vec<f32>,
        width: usize,
    },
    Collatz {
        n: u64,
        result: (u64, u64),
    },
    SumSquares {
        xs: Vec<f32>,
        sum: f32,
    },
}

/// A suite kernel ready to run.
#[wasm_bindgen]
pub struct Suite {
    case: Case,
}

fn param(params: &[f64], i: usize, kernel: &str) -> Result<f64, JsError> {
    params
        .get(i)
        .copied()
        .ok_or_else(|| JsError::new(&format!("{kernel}: parameter {i} missing")))
}

#[wasm_bindgen]
impl Suite {
    /// The inputs of `kernel` at the harness's sizes (`params`, as `suite.mjs` lists them).
    #[wasm_bindgen(constructor)]
    pub fn new(kernel: &str, params: Vec<f64>) -> Result<Suite, JsError> {
        let p = |i| param(&params, i, kernel);
        let case = match kernel {
            "mandelbrot" => {
                let (width, height, max_iter) = (p(0)? as u32, p(1)? as u32, p(2)? as u32);
                let out = vec![0; (width * height) as usize];
                Case::Mandelbrot {
                    out,
                    width,
                    height,
                    max_iter,
                }
            }
            "nbody" => {
                let n = p(0)? as usize;
                Case::Nbody {
                    bodies: plain::bodies(n),
                    accel: vec![0.0; 3 * n],
                }
            }
            "matmul" => {
                let n = p(0)? as usize;
                let (a, b) = (plain::floats(n * n, 1), plain::floats(n * n, 2));
                Case::Matmul {
                    a,
                    bt: plain::transpose(&b, n),
                    c: vec![0.0; n * n],
                    n,
                }
            }
            "histogram" => Case::Histogram {
                n: p(0)? as u64,
                bins: [0; 16],
            },
            "prefix_sum" => {
                let n = p(0)? as usize;
                Case::PrefixSum {
                    xs: plain::ints(n),
                    out: vec![0; n],
                    blocks: p(1)? as usize,
                }
            }
            "blur" => {
                let (width, height) = (p(0)? as usize, p(1)? as usize);
                let src = plain::floats(width * height, 3);
                Case::Blur {
                    src,
                    dst: vec![0.0; width * height],
                    width,
                }
            }
            "collatz" => Case::Collatz {
                n: p(0)? as u64,
                result: (0, 0),
            },
            "sum_squares" => Case::SumSquares {
                xs: plain::floats(p(0)? as usize, 4),
                sum: 0.0,
            },
            _ => return Err(JsError::new(&format!("unknown suite kernel {kernel}"))),
        };
        Ok(Suite { case })
    }

    /// Runs the kernel once: the rayon version (`par`) or the sequential loops.
    pub fn run(&mut self, par: bool) {
        match &mut self.case {
            Case::Mandelbrot {
                out,
                width,
                height,
                max_iter,
            } => {
                let (w, h, m) = (*width, *height, *max_iter);
                if par {
                    ray::mandelbrot(out, w, h, m);
                } else {
                    for (row, line) in out.chunks_mut(w as usize).enumerate() {
                        plain::mandel_row(line, row as u32, w, h, m);
                    }
                }
            }
            Case::Nbody { bodies, accel } => {
                if par {
                    ray::nbody_accel(bodies, accel);
                } else {
                    for (i, out) in accel.chunks_mut(3).enumerate() {
                        out.copy_from_slice(&body_accel(bodies, bodies[i]));
                    }
                }
            }
            Case::Matmul { a, bt, c, n } => {
                let n = *n;
                if par {
                    ray::matmul(a, bt, c, n);
                } else {
                    for (i, out) in c.chunks_mut(n).enumerate() {
                        plain::matmul_row(a, bt, n, i, out);
                    }
                }
            }
            Case::Histogram { n, bins } => {
                *bins = if par {
                    ray::histogram(*n)
                } else {
                    let mut b = [0u32; 16];
                    for i in 0..*n {
                        b[(rng(i) >> 60) as usize] += 1;
                    }
                    b
                };
            }
            Case::PrefixSum { xs, out, blocks } => {
                if par {
                    ray::prefix_sum(xs, out, *blocks);
                } else {
                    plain::prefix_sum_into(xs, out);
                }
            }
            Case::Blur { src, dst, width } => {
                let w = *width;
                if par {
                    ray::blur(src, dst, w);
                } else {
                    for (y, out) in dst.chunks_mut(w).enumerate() {
                        plain::blur_row(src, w, y, out);
                    }
                }
            }
            Case::Collatz { n, result } => {
                *result = if par {
                    ray::collatz(*n)
                } else {
                    let (mut total, mut longest) = (0u64, 0u64);
                    for start in 1..*n {
                        let steps = plain::collatz_steps(start);
                        total += steps;
                        longest = longest.max(steps);
                    }
                    (total, longest)
                };
            }
            Case::SumSquares { xs, sum } => {
                *sum = if par {
                    ray::sum_squares(xs)
                } else {
                    xs.iter().map(|x| x * x).sum()
                };
            }
        }
    }

    /// The last run's check: `len:fnv` of an output buffer's bits, the bins, `total/longest`,
    /// or the float sum (which the harness compares within a tolerance: rayon's sum isn't
    /// reproducible).
    pub fn check(&self) -> String {
        match &self.case {
            Case::Mandelbrot { out, .. } | Case::PrefixSum { out, .. } => hash(out.iter().copied()),
            Case::Nbody { accel: v, .. }
            | Case::Matmul { c: v, .. }
            | Case::Blur { dst: v, .. } => hash(v.iter().map(|x| x.to_bits())),
            Case::Histogram { bins, .. } => bins
                .iter()
                .map(|b| b.to_string())
                .collect::<Vec<_>>()
                .join(","),
            Case::Collatz { result, .. } => format!("{}/{}", result.0, result.1),
            Case::SumSquares { sum, .. } => format!("{sum}"),
        }
    }
}
