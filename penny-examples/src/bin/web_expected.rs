//! Prints, as JSON, what the plain (native) functions return for the cases the wasm tests
//! run through the JS API (`tests/web/*.test.mjs`): the independent reference the Node and
//! Chromium results are compared with. `cargo xtask web-test` writes it to
//! `target/web-expected.json`.

use penny_examples::web_kernels::{
    blur_input, blur_rows, checksum, mandelbrot_tile, mix, spin, split_hash, sum_squares,
    tree_sum_reference, wide_mix,
};

fn main() {
    let mut cases = Vec::new();
    for (n, seed) in [
        (0u64, 0u64),
        (1, 7),
        (200_000, 7),
        (1_000_000, 42),
        (12_345, u64::MAX),
    ] {
        cases.push(format!(
            r#"{{"kernel":"checksum","args":["{n}n","{seed}n"],"result":"{}n"}}"#,
            checksum(n, seed)
        ));
    }
    for n in [0u32, 1, 1000, 100_000, 3_000_000] {
        cases.push(format!(
            r#"{{"kernel":"sum_squares","args":[{n}],"result":{}}}"#,
            sum_squares(n)
        ));
    }
    for n in [0u64, 1, 1000, 2_000_000] {
        cases.push(format!(
            r#"{{"kernel":"spin","args":["{n}n"],"result":"{}n"}}"#,
            spin(n)
        ));
    }
    // Split loops: the integer sum equals the plain function, the float one the tree.
    for n in [0u64, 1, 100_000, 3_000_000] {
        cases.push(format!(
            r#"{{"kernel":"split_hash","args":["{n}n"],"result":"{}n"}}"#,
            split_hash(n)
        ));
    }
    for n in [0u32, 7, 100_000, 3_000_000] {
        cases.push(format!(
            r#"{{"kernel":"tree_sum","args":[{n}],"result":{:?}}}"#,
            tree_sum_reference(n) as f64
        ));
    }
    // A blur over SharedBuffers: the FNV-1a hash of the output's f32 bits.
    let (bw, bh) = (123usize, 77usize);
    let src = penny::Buffer::from_vec(blur_input(bw * bh));
    let mut dst = penny::Buffer::<f32>::zeroed(bw * bh);
    blur_rows(src.view(), dst.stripes(bw), bw as u32);
    let mut hash = 0xcbf2_9ce4_8422_2325u64;
    for v in dst.to_vec() {
        hash = (hash ^ v.to_bits() as u64).wrapping_mul(0x100_0000_01b3);
    }
    cases.push(format!(
        r#"{{"kernel":"blur_rows","args":[{bw},{bh}],"result":"{hash}n"}}"#
    ));
    let (t, e, h, k) = mix(1, -2, 3, 4, -5, 0.5, 0.25, true, 'x');
    cases.push(format!(
        r#"{{"kernel":"mix","args":[1,-2,3,"4n","-5n",0.5,0.25,true,"x"],"result":[{t:?},"{e}n",{h},"{k}"]}}"#
    ));
    // The demo's image: a 256 x 128 view in 32 x 32 tiles, 200 iterations; its FNV-1a hash.
    let (w, h, tile, iters) = (256u32, 128u32, 32u32, 200u32);
    let out = penny::Out::<u32>::leak_filled((w * h) as usize, 0);
    for y0 in (0..h).step_by(tile as usize) {
        for x0 in (0..w).step_by(tile as usize) {
            mandelbrot_tile(out, w, h, x0, y0, tile, tile, iters);
        }
    }
    let mut hash = 0xcbf2_9ce4_8422_2325u64;
    for v in out.to_vec() {
        hash = (hash ^ v as u64).wrapping_mul(0x100_0000_01b3);
    }
    cases.push(format!(
        r#"{{"kernel":"mandelbrot_image","args":[{w},{h},{tile},{iters}],"result":"{hash}n"}}"#
    ));
    // 128-bit integers through JS (BigInts), both ways.
    for (n, seed, offset) in [
        (0u32, 0u128, 0i128),
        (1, u128::MAX, i128::MIN),
        (
            1000,
            0x0123_4567_89AB_CDEF_FEDC_BA98_7654_3210,
            -12_345_678_901_234_567_890,
        ),
    ] {
        let (h, s) = wide_mix(n, seed, offset);
        cases.push(format!(
            r#"{{"kernel":"wide_mix","args":[{n},"{seed}n","{offset}n"],"result":["{h}n","{s}n"]}}"#
        ));
    }
    parallel_suite(&mut cases);
    println!("[\n  {}\n]", cases.join(",\n  "));
}

/// The parallel suite over SharedBuffers (`bench-web/suite.mjs`'s cases at small sizes):
/// each check from the native suite's plain functions (`args`: the kernel, then the
/// parameters `suite.mjs` takes).
fn parallel_suite(cases: &mut Vec<String>) {
    use penny::{In, Out};
    use penny_examples::parallel::*;
    let bits = |v: Vec<f32>| fnv32(v.into_iter().map(f32::to_bits));
    let mut case = |args: &str, result: String| {
        cases.push(format!(
            r#"{{"kernel":"parallel_suite","args":[{args}],"result":{result}}}"#
        ))
    };
    let out = Out::leak_filled(64 * 48, 0u32);
    mandelbrot(out, 64, 48, 100);
    case(
        r#""mandelbrot",64,48,100"#,
        format!("{:?}", fnv32(out.to_vec().into_iter())),
    );
    let accel = Out::leak_filled(3 * 100, 0.0f32);
    nbody_accel(In::new(Vec::leak(bodies(100))), accel);
    case(r#""nbody",100"#, format!("{:?}", bits(accel.to_vec())));
    let n = 33;
    let (a, bt) = (floats(n * n, 1), transpose(&floats(n * n, 2), n));
    let c = Out::leak_filled(n * n, 0.0f32);
    matmul(In::new(Vec::leak(a)), In::new(Vec::leak(bt)), c, n as u32);
    case(r#""matmul",33"#, format!("{:?}", bits(c.to_vec())));
    let bins = histogram(100_000).map(|b| b.to_string()).join(",");
    case(r#""histogram",100000"#, format!("{bins:?}"));
    let scan = prefix_sum_reference(&ints(10_007))
        .into_iter()
        .map(|x| x as u32);
    case(r#""prefix_sum",10007,16"#, format!("{:?}", fnv32(scan)));
    let dst = Out::leak_filled(123 * 77, 0.0f32);
    blur(In::new(Vec::leak(floats(123 * 77, 3))), dst, 123);
    case(r#""blur",123,77"#, format!("{:?}", bits(dst.to_vec())));
    let (total, longest) = collatz(5000);
    case(r#""collatz",5000"#, format!(r#""{total}/{longest}""#));
    let sum = sum_squares_reference(&floats(100_003, 4));
    case(r#""sum_squares",100003"#, format!("{:?}", sum as f64));
}
