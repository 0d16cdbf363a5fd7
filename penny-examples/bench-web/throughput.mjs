// Throughput: one fixed total of work split into K independent tasks, run on a penny pool of
// W workers and of 1 worker, as the plain functions on the calling thread (single-thread wasm,
// from comparisons/rayon-web) and as a wasm-bindgen-rayon par_iter (browser only).
//
// Each way returns a check string; every way, round and platform must print the same one for a
// case (the native bench prints it too): a mismatch means different work, and the run fails.

import { median } from './stats.mjs';

// The same totals as penny-examples/src/web_bench_kernels.rs (SUM_SQRT_TOTAL, ...).
export const SUM_SQRT_TOTAL = 2 ** 26;
export const HISTOGRAM_TOTAL = 2 ** 26;
export const HISTOGRAM_SEED = 0x5eed;
export const MANDELBROT = [1024, 768, 256]; // width, height (the rows are split), max_iter

/** The cases: kernel and number of parts (tasks). The native bench has the same list. */
export const CASES = [
  { kernel: 'sum_sqrt', parts: 64 },
  { kernel: 'sum_sqrt', parts: 1024 },
  { kernel: 'rng_histogram', parts: 64 },
  { kernel: 'mandelbrot', parts: 64 },
];

/** `part_range` of web_bench_kernels.rs: the k-th of `parts` shares of 0..total. */
export function partRange(total, parts, k) {
  const at = (k) => Math.floor((total * k) / parts); // exact: total * parts < 2^53
  return [at(k), at(k + 1)];
}

/** The check string of merged histogram bins (as the Rust sides print it). */
export function histogramCheck(bins) {
  const weighted = bins.reduce((acc, count, i) => acc + (i + 1) * count, 0);
  return `${weighted}/${bins[0]}/${bins[255]}`;
}

/** Awaits each handle's result in spawn order (as the native bench joins), freeing it. */
async function results(handles) {
  const out = [];
  for (const h of handles) {
    out.push(await h.result);
    h.free();
  }
  return out;
}

/** Spawns the case's K tasks on a penny pool and combines their outputs in part order. */
export async function onPenny(pkg, pool, { kernel, parts }) {
  const spawnAll = (total, spawn) => {
    const handles = [];
    for (let k = 0; k < parts; k++) handles.push(spawn(k, ...partRange(total, parts, k)));
    return results(handles);
  };
  if (kernel === 'sum_sqrt') {
    const sums = await spawnAll(SUM_SQRT_TOTAL, (k, a, b) => pkg.SumSqrtRange.spawn(pool, a, b));
    return String(sums.reduce((acc, s) => acc + s, 0));
  }
  if (kernel === 'rng_histogram') {
    const spawn = (k, a, b) => pkg.RngHistogramPart.spawn(pool, HISTOGRAM_SEED, k, b - a);
    const bins = new Array(256).fill(0);
    for (const part of await spawnAll(HISTOGRAM_TOTAL, spawn)) {
      for (let i = 0; i < 256; i++) bins[i] += part[i];
    }
    return histogramCheck(bins);
  }
  const [w, h, m] = MANDELBROT;
  const sums = await spawnAll(h, (k, a, b) => pkg.MandelbrotRowsSum.spawn(pool, w, h, a, b, m));
  return String(sums.reduce((acc, s) => acc + s, 0n));
}

/** The arguments of comparisons/rayon-web's export for the case (before `par`). */
export function rayonArgs({ kernel, parts }) {
  if (kernel === 'sum_sqrt') return [SUM_SQRT_TOTAL, parts];
  if (kernel === 'rng_histogram') return [HISTOGRAM_SEED, HISTOGRAM_TOTAL, parts];
  return [...MANDELBROT, parts];
}

/**
 * The ways to run a case on this platform: `{ name: async (case) => { ms, check } }`.
 * `plain` is comparisons/rayon-web's module (or null), `rayon` its worker client (or null).
 */
export function ways({ pkg, pool1, poolW, plain, rayon }) {
  // In Node also the process's CPU time (every thread): ÷ the wall time, how many cores the
  // run really had (on a shared machine other processes take some). Pages can't see it.
  const cpu = globalThis.process?.cpuUsage?.bind(process);
  const timed = (run) => async (c) => {
    const cpu0 = cpu?.();
    const start = performance.now();
    const check = await run(c);
    const ms = performance.now() - start;
    if (!cpu0) return { ms, check };
    const used = cpu(cpu0);
    return { ms, check, cores: (used.user + used.system) / 1e3 / ms };
  };
  const all = {
    poolW: timed((c) => onPenny(pkg, poolW, c)),
    pool1: timed((c) => onPenny(pkg, pool1, c)),
  };
  if (plain) all.plain = timed(async (c) => plain[c.kernel](...rayonArgs(c), false));
  if (rayon) all.rayon = (c) => rayon.run(c.kernel, rayonArgs(c), true);
  return all;
}

/**
 * Every case: `warmup` untimed rounds (V8 starts wasm in its baseline tier), then `rounds`
 * rounds in which each way runs once, in an order that rotates every round. Returns per case
 * the check and each way's samples, median and minimum (ms), and in Node the cores each way
 * really had (median).
 */
export async function throughput(runs, { rounds, warmup = 2, log }) {
  const names = Object.keys(runs);
  const out = [];
  for (const c of CASES) {
    const samples = Object.fromEntries(names.map((n) => [n, []]));
    const cores = Object.fromEntries(names.map((n) => [n, []]));
    let check = null;
    for (let round = -warmup; round < rounds; round++) {
      for (let j = 0; j < names.length; j++) {
        const name = names[(j + round + warmup) % names.length];
        const r = await runs[name](c);
        check ??= r.check;
        if (r.check !== check) {
          throw new Error(`${c.kernel} K=${c.parts}: ${name} gave ${r.check}, another way ${check}`);
        }
        if (round >= 0) {
          samples[name].push(r.ms);
          if (r.cores !== undefined) cores[name].push(r.cores);
        }
      }
    }
    const of = (f, from) => Object.fromEntries(names.filter((n) => from[n].length).map((n) => [n, f(from[n])]));
    const medians = of(median, samples);
    const used = of(median, cores);
    log(
      `${c.kernel} K=${c.parts}: ${names.map((n) => `${n} ${medians[n].toFixed(1)} ms`).join(', ')}` +
        (Object.keys(used).length ? ` (cores used: ${JSON.stringify(used)})` : ''),
    );
    const min = of((v) => Math.min(...v), samples);
    out.push({ kernel: c.kernel, parts: c.parts, check, ms: medians, min, cores: used, samples });
  }
  return out;
}
