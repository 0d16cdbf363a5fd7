// Small statistics and timing helpers the benchmark scenarios share.

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The value at quantile `q` (0..1) of `values` (nearest rank, on a sorted copy). */
export function quantile(values, q) {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(sorted.length * q)));
  return sorted[rank - 1];
}

export const median = (values) => quantile(values, 0.5);

/** `{ n, p50, p99, max, mean }` of latency samples, rounded to 0.01 (µs). */
export function latencyStats(samples) {
  const round = (x) => Math.round(x * 100) / 100;
  const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
  return {
    n: samples.length,
    p50: round(quantile(samples, 0.5)),
    p99: round(quantile(samples, 0.99)),
    max: round(Math.max(...samples)),
    mean: round(mean),
  };
}

/** Polls `condition` every ms until it holds; throws after `ms`. */
export async function until(condition, what, ms = 10_000) {
  const end = performance.now() + ms;
  while (!condition()) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(1);
  }
}

/** A deterministic xorshift32 in [0, 1), so runs draw the same gaps. */
export function rng(seed = 0x9e3779b9) {
  let s = seed | 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}
