// The parallel suite in wasm: each kernel as ONE penny task whose main loop is a
// `#[penny::split]` loop (penny-examples/src/parallel_web.rs: SharedBuffer views in, stripes
// out), on a pool of W workers and of 1 worker, against the same kernel as a rayon user writes
// it on wasm-bindgen-rayon with W threads (browser only) and as sequential loops on the calling
// thread (the plain single-thread baseline) — both from comparisons/rayon-web's `Suite`, which
// compiles penny-examples' own per-element functions and rayon versions.
//
// Inputs are built once per kernel and side (not timed): penny's by fill tasks on the pool,
// rayon-web's by the same generators in Rust. Every run's output must match: buffers by an
// FNV-1a hash of their bits (`len:hash`, computed here for penny's typed arrays and in Rust for
// rayon-web's), scalars exactly; a float sum of squares exactly between penny's pools and
// penny's one-worker reference task (the tree: bit-reproducible); rayon's and the sequential
// linear sum within 5 % of it (neither is reproducible, and a linear f32 sum of 20 M squares
// drifts by percents: natively the sequential one is off by 2.5 %).

import { median } from './stats.mjs';

/** The kernels and their sizes (rayon-web's `new Suite(kernel, params)` takes the same). */
export const SUITE = [
  { kernel: 'mandelbrot', params: [640, 480, 256] },
  { kernel: 'nbody', params: [2000] },
  { kernel: 'matmul', params: [256] },
  { kernel: 'histogram', params: [20_000_000] },
  { kernel: 'prefix_sum', params: [4_000_000, 64] },
  { kernel: 'blur', params: [2048, 1536] },
  { kernel: 'collatz', params: [300_000] },
  { kernel: 'sum_squares', params: [20_000_000] },
];

/** FNV-1a over 32-bit words, as comparisons/rayon-web's `hash`: `len:hex`. */
export function hashWords(typed) {
  const words = new Uint32Array(typed.buffer, typed.byteOffset, typed.length);
  let h = 0x811c9dc5;
  for (let i = 0; i < words.length; i++) h = Math.imul(h ^ words[i], 16777619) >>> 0;
  return `${words.length}:${h.toString(16).padStart(8, '0')}`;
}

/** Awaits a penny handle's result and frees the handle. */
async function done(handle) {
  try {
    return await handle.result;
  } finally {
    handle.free();
  }
}

/**
 * Builds the case's inputs on penny's side (on `pool`) and returns
 * `{ run(pool) → Promise, check() → string (of the last run), reference?, free() }`: the check
 * (hashing a buffer in JS takes milliseconds) is not part of the timed run.
 */
export async function pennyCase(pkg, pool, { kernel, params }) {
  const B = pkg.SharedBuffer;
  const buffers = [];
  const buffer = (make) => {
    const b = make();
    buffers.push(b);
    return b;
  };
  const floats = async (n, salt) => {
    const b = buffer(() => B.f32(n));
    await done(pkg.FillFloats.spawn(pool, b.stripes(1), BigInt(salt)));
    return b;
  };
  // Each kernel: `spawn(pool)` → a handle, `check(output)` → the check string.
  let spawn;
  let check;
  let reference;
  const hashOf = (buffer) => () => hashWords(buffer.view());
  if (kernel === 'mandelbrot') {
    const [w, h, m] = params;
    const out = buffer(() => B.u32(w * h));
    spawn = (p) => pkg.MandelbrotStripes.spawn(p, out.stripes(w), w, h, m);
    check = hashOf(out);
  } else if (kernel === 'nbody') {
    const [n] = params;
    const bodies = buffer(() => B.f32(4 * n));
    await done(pkg.FillBodies.spawn(pool, bodies.stripes(4)));
    const accel = buffer(() => B.f32(3 * n));
    spawn = (p) => pkg.NbodyView.spawn(p, bodies, accel.stripes(3));
    check = hashOf(accel);
  } else if (kernel === 'matmul') {
    const [n] = params;
    const a = await floats(n * n, 1);
    const b = await floats(n * n, 2);
    // bt = b transposed, as the native suite passes it
    const bt = buffer(() => B.f32(n * n));
    const [bv, btv] = [b.view(), bt.view()];
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) btv[j * n + i] = bv[i * n + j];
    const out = buffer(() => B.f32(n * n));
    spawn = (p) => pkg.MatmulRows.spawn(p, a, bt, out.stripes(n));
    check = hashOf(out);
  } else if (kernel === 'histogram') {
    const [n] = params;
    spawn = (p) => pkg.Histogram.spawn(p, BigInt(n));
    check = (bins) => bins.join(',');
  } else if (kernel === 'prefix_sum') {
    const [n, blocks] = params;
    const xs = buffer(() => B.u32(n));
    await done(pkg.FillInts.spawn(pool, xs.stripes(1)));
    const out = buffer(() => B.u32(n));
    const sums = buffer(() => B.u32(blocks));
    const size = Math.max(1, Math.ceil(n / blocks));
    spawn = (p) => pkg.PrefixSumStripes.spawn(p, xs, out.stripes(size), sums.stripes(1));
    check = hashOf(out);
  } else if (kernel === 'blur') {
    const [w, h] = params;
    const src = await floats(w * h, 3);
    const dst = buffer(() => B.f32(w * h));
    spawn = (p) => pkg.BlurRows.spawn(p, src, dst.stripes(w), w);
    check = hashOf(dst);
  } else if (kernel === 'collatz') {
    const [n] = params;
    spawn = (p) => pkg.Collatz.spawn(p, BigInt(n));
    check = (result) => result.join('/');
  } else if (kernel === 'sum_squares') {
    const [n] = params;
    const xs = await floats(n, 4);
    spawn = (p) => pkg.SumSquaresView.spawn(p, xs);
    check = String;
    reference = String(await done(pkg.SumSquaresReferenceView.spawn(pool, xs)));
  } else {
    throw new Error(`unknown suite kernel ${kernel}`);
  }
  let output;
  return {
    run: async (p) => {
      output = await done(spawn(p));
    },
    check: () => check(output),
    reference,
    free: () => buffers.forEach((b) => b.free()),
  };
}

/** The ways to run the suite on this platform: `{ name: { prepare(c), run(c) → {ms, check} } }`. */
function ways({ pkg, pool1, poolW, plain, rayon }) {
  const all = {};
  const penny = (pool) => {
    const cases = new Map();
    return {
      // inputs built on the W pool either way (the same bits)
      prepare: async (c) => cases.set(c.kernel, await pennyCase(pkg, poolW, c)),
      run: async (c) => {
        const pc = cases.get(c.kernel);
        const start = performance.now();
        await pc.run(pool);
        const ms = performance.now() - start;
        return { ms, check: pc.check() };
      },
      reference: (c) => cases.get(c.kernel).reference,
      free: (c) => cases.get(c.kernel).free(),
    };
  };
  all.poolW = penny(poolW);
  all.pool1 = penny(pool1);
  if (plain) {
    const cases = new Map();
    all.plain = {
      prepare: async (c) => cases.set(c.kernel, new plain.Suite(c.kernel, new Float64Array(c.params))),
      run: async (c) => {
        const s = cases.get(c.kernel);
        const start = performance.now();
        s.run(false);
        const ms = performance.now() - start;
        return { ms, check: s.check() };
      },
      free: (c) => cases.get(c.kernel).free(),
    };
  }
  if (rayon) {
    // Timed as penny is: on this thread, from the call to the result in hand (a page can't
    // block on rayon, so it calls it in a Worker). Rayon's own figure, taken inside that
    // Worker around the parallel call alone, comes back as `rayonInWorker`.
    all.rayon = {
      prepare: (c) => rayon.suite(c.kernel, c.params),
      run: async (c) => {
        const start = performance.now();
        const r = await rayon.runSuite(c.kernel, true);
        const ms = performance.now() - start;
        const { check } = await rayon.checkSuite(c.kernel);
        return { ms, check, also: { rayonInWorker: r.ms } };
      },
      free: (c) => rayon.dropSuite(c.kernel),
    };
  }
  return all;
}

/** Is `check` what `c` must give? Sums of squares: see the file's comment. */
function agree(c, name, check, exact, reference) {
  if (c.kernel !== 'sum_squares') return check === exact;
  if (name === 'poolW' || name === 'pool1') return check === reference;
  return Math.abs(Number(check) - Number(reference)) <= 0.05 * Math.abs(Number(reference));
}

/**
 * Every suite kernel: inputs built, `warmup` untimed rounds, then `rounds` rounds in which
 * each way runs once, in an order that rotates every round. Returns per kernel the check, each
 * way's samples, median and minimum (ms).
 */
export async function parallelSuite({ pkg, plain, rayon, workers, rounds, warmup = 2, log }) {
  const pool1 = await pkg.Pool.start({ workers: 1 });
  const poolW = await pkg.Pool.start({ workers });
  try {
    const runs = ways({ pkg, pool1, poolW, plain, rayon });
    const names = Object.keys(runs);
    log(`suite (${rounds} rounds, W = ${workers}): ${names.join(', ')}`);
    const out = [];
    for (const c of SUITE) {
      for (const n of names) await runs[n].prepare(c);
      const reference = runs.poolW.reference(c);
      const samples = Object.fromEntries(names.map((n) => [n, []]));
      let exact = null;
      for (let round = -warmup; round < rounds; round++) {
        for (let j = 0; j < names.length; j++) {
          const name = names[(j + round + warmup) % names.length];
          const r = await runs[name].run(c);
          // the exact kernels: every way gives the first way's check
          if (c.kernel !== 'sum_squares') exact ??= r.check;
          if (!agree(c, name, r.check, exact, reference)) {
            throw new Error(`suite ${c.kernel}: ${name} gave ${r.check}, expected ${exact ?? reference}`);
          }
          if (round >= 0) {
            samples[name].push(r.ms);
            for (const [k, ms] of Object.entries(r.also ?? {})) (samples[k] ??= []).push(ms);
          }
        }
      }
      for (const n of names) runs[n].free(c);
      const series = Object.keys(samples);
      const ms = Object.fromEntries(series.map((n) => [n, median(samples[n])]));
      const min = Object.fromEntries(series.map((n) => [n, Math.min(...samples[n])]));
      log(`suite ${c.kernel}: ${names.map((n) => `${n} ${ms[n].toFixed(1)} ms`).join(', ')}`);
      out.push({ kernel: c.kernel, params: c.params, check: exact ?? reference, ms, min, samples });
    }
    return out;
  } finally {
    await pool1.close();
    await poolW.close();
  }
}
