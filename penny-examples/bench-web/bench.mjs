// Penny's JS benchmark, the same code in Node (node.mjs) and in a browser page (index.html):
//
//   throughput  K independent tasks on W workers vs 1 worker vs the plain single-thread wasm
//               functions vs wasm-bindgen-rayon (browser), interleaved rounds, medians
//   roundTrip   spawn → await of a trivial task, one at a time, on an idle pool (µs); and
//               bursts of 1,024 spawns (µs per spawn() call, per task to the last result)
//   urgent      a 'user-blocking' task's spawn → result while 'background' spins hold every
//               worker, on W and on W - 1 workers (µs; the goal is p99 ≤ 2 ms)
//   suite       the parallel suite: each kernel as one split task on W workers and on 1, vs
//               wasm-bindgen-rayon (browser) and sequential loops (comparisons/rayon-web)
//   longTasks   browser only: main-thread long tasks while the pool (W - 1 workers, and W)
//               is saturated and a rAF loop runs (the goal is 0); the same with as many
//               plain spinning Workers instead (what the OS alone leaves the main thread)
//
// W is the platform's core count (navigator.hardwareConcurrency, os.availableParallelism()).
// Figures, not tests: nothing here fails on a missed goal; a wrong result does fail.

import { throughput, ways } from './throughput.mjs';
import { roundTrip, spawnBurst, urgent } from './latency.mjs';
import { longTasks, spinningWorkers } from './longtasks.mjs';
import { parallelSuite } from './suite.mjs';

export const SCENARIOS = ['throughput', 'suite', 'roundTrip', 'urgent', 'longTasks'];

/**
 * Runs the scenarios and returns their figures.
 * - `pkg`: the penny-examples package, initialised;
 * - `plain`: comparisons/rayon-web's package, initialised (its `par = false` exports are the
 *   plain single-thread baseline), or null;
 * - `startRayon`: `(threads) => client` of comparisons/rayon-web/web/client.mjs, or null;
 * - `platform`: a label ("node v20.1.0", "Chromium 156"); `cores`: W;
 * - `isBrowser`: runs the long-task scenario.
 */
export async function runBench({
  pkg,
  plain = null,
  startRayon = null,
  platform,
  cores,
  isBrowser,
  rounds = 7,
  scenarios = SCENARIOS,
  log = console.log,
}) {
  const W = cores;
  const out = { platform, cores, workers: W, rounds, started: new Date().toISOString() };
  const fewer = W > 1 ? [W - 1, W] : [W];

  if (scenarios.includes('throughput')) {
    const pool1 = await pkg.Pool.start({ workers: 1 });
    const poolW = await pkg.Pool.start({ workers: W });
    const rayon = startRayon ? await startRayon(W) : null;
    try {
      const runs = ways({ pkg, pool1, poolW, plain, rayon });
      log(`throughput (${rounds} rounds): ${Object.keys(runs).join(', ')}`);
      out.throughput = await throughput(runs, { rounds, log });
    } finally {
      rayon?.close();
      await pool1.close();
      await poolW.close();
    }
  }
  if (scenarios.includes('suite')) {
    const rayon = startRayon ? await startRayon(W) : null;
    try {
      out.suite = await parallelSuite({ pkg, plain, rayon, workers: W, rounds, log });
    } finally {
      rayon?.close();
    }
  }
  if (scenarios.includes('roundTrip')) {
    const pool = await pkg.Pool.start({ workers: W });
    try {
      out.roundTrip = await roundTrip(pkg, pool);
      log(`round trip µs: ${JSON.stringify(out.roundTrip)}`);
      out.spawnBurst = await spawnBurst(pkg, pool);
      log(`spawn burst µs: ${JSON.stringify(out.spawnBurst)}`);
    } finally {
      await pool.close();
    }
  }
  if (scenarios.includes('urgent')) {
    out.urgent = [];
    for (const workers of [...fewer].reverse()) {
      const u = await urgent(pkg, workers);
      log(`urgent (${workers} workers) µs: ${JSON.stringify(u)}`);
      out.urgent.push(u);
    }
  }
  if (isBrowser && scenarios.includes('longTasks')) {
    out.longTasks = [];
    out.longTasksControl = [];
    for (const workers of fewer) {
      const l = await longTasks(pkg, workers);
      log(`long tasks (${workers} workers): ${JSON.stringify(l)}`);
      out.longTasks.push(l);
      const c = await spinningWorkers(workers);
      log(`long tasks, control (${workers} plain spinning workers): ${JSON.stringify(c)}`);
      out.longTasksControl.push(c);
    }
  }
  return out;
}
