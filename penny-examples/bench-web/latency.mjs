// Latency: the spawn→result round trip of a trivial task from JS on an idle pool, the cost of
// a burst of spawns, and the round trip of a 'user-blocking' task while every worker runs
// 'background' work.

import { latencyStats, median, rng, sleep, until } from './stats.mjs';

/**
 * `n` round trips, one at a time (after `warm` untimed ones): `Tiny.spawn` → `await result`.
 * Per-sample times are µs; `batchUs` is the mean of one timed run of all `n` (the clock of a
 * cross-origin isolated page is coarsened to 5 µs, the batch mean is not).
 */
export async function roundTrip(pkg, pool, { n = 2000, warm = 200 } = {}) {
  const one = async (i) => {
    const h = pkg.Tiny.spawn(pool, i);
    if ((await h.result) !== i + 1) throw new Error('round trip: wrong result');
    h.free();
  };
  for (let i = 0; i < warm; i++) await one(i);
  const samples = [];
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await one(i);
    samples.push((performance.now() - t) * 1e3);
  }
  const batchUs = ((performance.now() - start) * 1e3) / n;
  return { us: latencyStats(samples), batchUs: Math.round(batchUs * 100) / 100 };
}

/**
 * The cost of spawning from JS: bursts of `n` Tiny tasks spawned in a loop, then awaited in
 * order; medians over `rounds` bursts (after `warm`) of the µs per `spawn()` call and per task
 * from the first spawn to the last result. (The K = 1024 throughput case pays this per task.)
 */
export async function spawnBurst(pkg, pool, { n = 1024, rounds = 15, warm = 3 } = {}) {
  const spawnUs = [];
  const taskUs = [];
  for (let r = -warm; r < rounds; r++) {
    const start = performance.now();
    const handles = [];
    for (let i = 0; i < n; i++) handles.push(pkg.Tiny.spawn(pool, i));
    const spawned = performance.now();
    for (const [i, h] of handles.entries()) {
      if ((await h.result) !== i + 1) throw new Error('spawn burst: wrong result');
      h.free();
    }
    if (r < 0) continue;
    spawnUs.push(((spawned - start) * 1e3) / n);
    taskUs.push(((performance.now() - start) * 1e3) / n);
  }
  const round = (x) => Math.round(x * 100) / 100;
  return { n, spawnUs: round(median(spawnUs)), taskUs: round(median(taskUs)) };
}

/**
 * Urgent-task latency under full background load, on a fresh pool of `workers`:
 * 2 x `workers` 'background' spins (so `workers` run and as many wait behind them), then
 * `samples` 'user-blocking' Tiny tasks, one at a time after a random pause of 0–2 ms (the
 * browser clamps nested timers to ≥ 4 ms), each timed from spawn to result.
 *
 * What shows the load was real: `allBusy`, the share of samples spawned while every worker
 * was running a background task (from `status()`; a sample waits up to 50 ms for that), and the background iterations done
 * during the samples (`progress()`); the background tasks must still be unfinished at the
 * end (they were preempted, not done).
 */
export async function urgent(pkg, workers, { samples = 1000 } = {}) {
  const pool = await pkg.Pool.start({ workers });
  try {
    const load = await saturate(pkg, pool, workers);
    const gap = rng();
    let busy = 0;
    const us = [];
    for (let i = 0; i < samples; i++) {
      await sleep(gap() * 2);
      // Spawn only while every worker runs a background task (the one the last urgent task
      // preempted is taken up again within microseconds, unless the OS has descheduled that
      // worker): wait up to 50 ms for it, and count the samples that had to go without.
      const waitUntil = performance.now() + 50;
      while (load.running() !== workers && performance.now() < waitUntil) await sleep(0);
      busy += load.running() === workers ? 1 : 0;
      const t = performance.now();
      const h = pkg.Tiny.spawn(pool, i, { priority: 'user-blocking' });
      if ((await h.result) !== i + 1) throw new Error('urgent: wrong result');
      us.push((performance.now() - t) * 1e3);
      h.free();
    }
    return {
      workers,
      us: latencyStats(us),
      allBusy: busy / samples,
      backgroundIterations: load.end(),
    };
  } finally {
    await pool.close();
  }
}

/**
 * Full background load on `pool` of `workers`: 2 x `workers` endless 'background' spins, once
 * `workers` of them run. `running()` counts those running now; `end()` checks none finished
 * (they were preempted, never done), cancels them and returns the iterations they did since.
 */
export async function saturate(pkg, pool, workers) {
  const background = [];
  for (let i = 0; i < 2 * workers; i++) {
    background.push(pkg.Spin.spawn(pool, 2n ** 62n, { priority: 'background' }));
  }
  const running = () => background.filter((h) => h.status() === 'running').length;
  await until(() => running() === workers, `${workers} background tasks running`);
  const progress = () => background.reduce((acc, h) => acc + h.progress().done, 0);
  const before = progress();
  const end = () => {
    const advanced = progress() - before;
    if (background.some((h) => h.status() === 'done')) throw new Error('a background task finished');
    for (const h of background) h.cancel();
    return advanced;
  };
  return { running, end };
}
