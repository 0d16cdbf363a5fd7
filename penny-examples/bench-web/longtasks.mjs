// Browser only: main-thread long tasks (> 50 ms, as a `longtask` PerformanceObserver counts
// them) while a pool is saturated for a few seconds and a requestAnimationFrame loop runs;
// and the same window with plain spinning Web Workers instead of the pool, which tells what
// the OS alone leaves the main thread when that many threads compete with it for the cores.

import { partRange } from './throughput.mjs';
import { saturate } from './latency.mjs';
import { sleep, until } from './stats.mjs';

/** Whether this browser reports long tasks (Chromium does). */
export const supported = () => PerformanceObserver.supportedEntryTypes?.includes('longtask') ?? false;

/**
 * Runs `step` (an async function, called again and again) for `seconds` with a long-task
 * observer and a rAF loop; returns the long tasks that started in the window, the frames and
 * the longest gap between two frames. First a control: the main thread blocks itself for
 * 80 ms, and the observer must report it (otherwise a count of 0 would mean nothing).
 */
async function observe(seconds, step) {
  const entries = [];
  const observer = new PerformanceObserver((list) => entries.push(...list.getEntries()));
  observer.observe({ type: 'longtask' });
  try {
    const blockStart = performance.now();
    while (performance.now() - blockStart < 80) {
      // the control long task
    }
    await until(() => entries.length > 0, 'the control long task to be observed', 5000);
    const controlMs = Math.round(entries[0].duration);

    let frames = 0;
    let maxGap = 0;
    let last = null;
    let animate = true;
    const frame = (t) => {
      if (last !== null) maxGap = Math.max(maxGap, t - last);
      last = t;
      frames++;
      if (animate) requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
    const start = performance.now();
    while (performance.now() - start < seconds * 1000) await step();
    const end = performance.now();
    animate = false;
    await sleep(200); // the observer reports a task after it ends
    const durations = entries.filter((e) => e.startTime >= start && e.startTime < end).map((e) => e.duration);
    const window = (end - start) / 1000;
    return {
      seconds: Math.round(window * 100) / 100,
      longTasks: durations.length,
      longTaskMs: Math.round(durations.reduce((a, b) => a + b, 0)),
      longestMs: Math.round(Math.max(0, ...durations)),
      frames,
      fps: Math.round((frames / window) * 10) / 10,
      maxFrameGapMs: Math.round(maxGap * 10) / 10,
      controlMs,
    };
  } finally {
    observer.disconnect();
  }
}

/**
 * Saturates a fresh pool of `workers` for `seconds`: 2 x `workers` 'background' spins, and on
 * top a stream of 'user-visible' batches (64 sum_sqrt tasks over 0..2^22, awaited, then the
 * next) whose results the main thread takes in as they come: every worker always has work
 * (the spins never end), and the background iterations done in the window show the spins
 * ran between the batches.
 */
export async function longTasks(pkg, workers, { seconds = 5 } = {}) {
  if (!supported()) return { workers, supported: false };
  const pool = await pkg.Pool.start({ workers });
  try {
    const load = await saturate(pkg, pool, workers);
    let tasks = 0;
    const figures = await observe(seconds, async () => {
      const handles = [];
      for (let k = 0; k < 64; k++) handles.push(pkg.SumSqrtRange.spawn(pool, ...partRange(2 ** 22, 64, k)));
      for (const h of handles) {
        await h.result;
        h.free();
      }
      tasks += handles.length;
    });
    const backgroundIterations = load.end();
    return { workers, supported: true, ...figures, tasks, backgroundIterations };
  } finally {
    await pool.close();
  }
}

/**
 * The control: `threads` plain module Workers spinning in a JS loop (no wasm, no penny) for
 * the same window, while the main thread yields through a 0 ms timer again and again.
 */
export async function spinningWorkers(threads, { seconds = 5 } = {}) {
  if (!supported()) return { workers: threads, supported: false };
  const source = 'onmessage = () => { for (;;) {} };';
  const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
  const spinners = Array.from({ length: threads }, () => new Worker(url, { type: 'module' }));
  try {
    for (const w of spinners) w.postMessage('spin');
    await sleep(100); // let them start
    const figures = await observe(seconds, () => sleep(0));
    return { workers: threads, supported: true, ...figures };
  } finally {
    for (const w of spinners) w.terminate();
    URL.revokeObjectURL(url);
  }
}
