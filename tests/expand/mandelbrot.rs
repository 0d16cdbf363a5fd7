/// Mandelbrot rows into a shared output: the short escape loop stays inside one iteration.
#[penny::task]
fn mandelbrot(out: penny::Out<u32>, width: u32, height: u32, max_iter: u32) {
    for px in 0..width * height {
        let cx = (px % width) as f64 / width as f64 * 3.5 - 2.5;
        let cy = (px / width) as f64 / height as f64 * 2.0 - 1.0;
        let (mut x, mut y, mut iter) = (0.0f64, 0.0f64, 0u32);
        while x * x + y * y <= 4.0 && iter < max_iter {
            let xt = x * x - y * y + cx;
            y = 2.0 * x * y + cy;
            x = xt;
            iter += 1;
        }
        out.set(px as usize, iter);
    }
}
