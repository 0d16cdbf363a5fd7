//! The Mandelbrot escape-time loop, shared by the benchmark and demo kernels. It is the short
//! inner loop that stays inside one iteration of a task's resumable loop.

/// Iterations until `z = z^2 + c` leaves the radius-2 disc, at most `max_iter`.
#[inline]
pub fn escape_time(cx: f64, cy: f64, max_iter: u32) -> u32 {
    let (mut x, mut y, mut iter) = (0.0f64, 0.0f64, 0u32);
    while x * x + y * y <= 4.0 && iter < max_iter {
        let xt = x * x - y * y + cx;
        y = 2.0 * x * y + cy;
        x = xt;
        iter += 1;
    }
    iter
}
