// Browser only: main-thread long tasks (> 50 ms, as a `longtask` PerformanceObserver counts
// them) while a pool is saturated for a few seconds and a requestAnimationFrame loop runs.

import { partRange } from './throughput.mjs';
import { sleep, until } from './stats.mjs';

/**
 * Saturates a fresh pool of `workers` for `seconds`: 2 x `workers` 'background' spins, and on
 * top a stream of 'user-visible' batches (64 sum_sqrt tasks over 0..2^22, awaited, then the
 * next) whose results the main thread takes in as they come: every worker always has work
 * (the spins never end), and the background iterations done in the window show the spins
 * ran between the batches. Meanwhile a rAF loop counts frames. Reports the long tasks that started in the window, the frames and the longest gap
 * between two frames.
 *
 * First a control: the main thread blocks itself for 80 ms, and the observer must report it
 * (otherwise a count of 0 would mean nothing).
 */
export async function longTasks(pkg, workers, { seconds = 5 } = {}) {
  if (!PerformanceObserver.supportedEntryTypes?.includes('longtask')) {
    return { workers, supported: false };
  }
  const entries = [];
  const observer = new PerformanceObserver((list) => entries.push(...list.getEntries()));
  observer.observe({ type: 'longtask' });
  try {
    const blockStart = performance.now();
    while (performance.now() - blockStart < 80) {
      // the control long task
    }
    await until(() => entries.length > 0, 'the control long task to be observed', 5000);
    const control = Math.round(entries[0].duration);

    const pool = await pkg.Pool.start({ workers });
    const background = [];
    for (let i = 0; i < 2 * workers; i++) {
      background.push(pkg.Spin.spawn(pool, 2n ** 62n, { priority: 'background' }));
    }
    const running = () => background.filter((h) => h.status() === 'running').length;
    await until(() => running() === workers, `${workers} background tasks running`);

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

    const progress = () => background.reduce((acc, h) => acc + h.progress().done, 0);
    const before = progress();
    const start = performance.now();
    let tasks = 0;
    while (performance.now() - start < seconds * 1000) {
      const handles = [];
      for (let k = 0; k < 64; k++) {
        handles.push(pkg.SumSqrtRange.spawn(pool, ...partRange(2 ** 22, 64, k)));
      }
      for (const h of handles) {
        await h.result;
        h.free();
      }
      tasks += handles.length;
    }
    const end = performance.now();
    animate = false;
    const backgroundIterations = progress() - before;
    if (background.some((h) => h.status() === 'done')) throw new Error('a background task finished');
    for (const h of background) h.cancel();
    await pool.close();
    await sleep(200); // the observer reports a task after it ends
    const inWindow = entries.filter((e) => e.startTime >= start && e.startTime < end);
    const durations = inWindow.map((e) => e.duration);
    const seconds_ = (end - start) / 1000;
    return {
      workers,
      supported: true,
      seconds: Math.round(seconds_ * 100) / 100,
      longTasks: inWindow.length,
      longTaskMs: Math.round(durations.reduce((a, b) => a + b, 0)),
      longestMs: Math.round(Math.max(0, ...durations)),
      frames,
      fps: Math.round((frames / seconds_) * 10) / 10,
      maxFrameGapMs: Math.round(maxGap * 10) / 10,
      tasks,
      backgroundIterations,
      controlMs: control,
    };
  } finally {
    observer.disconnect();
  }
}
