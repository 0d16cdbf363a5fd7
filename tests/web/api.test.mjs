// The JS API end to end, the same file in Node and in headless Chromium: results equal to
// the native plain functions, argument checking, priorities and preemption, cancellation
// (cancel() and AbortSignal), more spawns than slots, a panicking task failing alone with
// its worker replaced, close(), the waitAsync fallback, dropped handles and freed objects.

import { assert, assertEqual, assertRejects, assertThrows, test } from './harness.mjs';
import { isBrowser, loadPackage } from './platform.mjs';
import { expected } from './expected.mjs';
import { pennyCase } from '../../penny-examples/bench-web/suite.mjs';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `condition` every few ms until it holds (or fails after `ms`). */
async function until(condition, what, ms = 10000) {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

let shared;
/** One pool for the tests that don't need their own. */
async function pool() {
  const { pkg } = await loadPackage();
  shared ??= await pkg.Pool.start({ workers: 2 });
  return { pkg, pool: shared };
}

/** Converts the JSON form of the reference file ("5n" is a BigInt) to JS values. */
function value(v) {
  if (typeof v === 'string' && /^-?\d+n$/.test(v)) return BigInt(v.slice(0, -1));
  if (Array.isArray(v)) return v.map(value);
  return v;
}

const classes = {
  checksum: 'Checksum',
  sum_squares: 'SumSquares',
  spin: 'Spin',
  mix: 'Mix',
  split_hash: 'SplitHash',
  tree_sum: 'TreeSum',
  wide_mix: 'WideMix',
};

test('results equal the native plain functions', async () => {
  const { pkg, pool: p } = await pool();
  const cases = (await expected()).filter((c) => classes[c.kernel]);
  assert(cases.length >= 10, `only ${cases.length} reference cases`);
  const handles = cases.map((c) => pkg[classes[c.kernel]].spawn(p, ...c.args.map(value)));
  for (const [i, c] of cases.entries()) {
    assertEqual(await handles[i].result, value(c.result), `${c.kernel}(${c.args})`);
  }
});

test('one split task spreads over the workers: results equal native, progress reaches the total', async () => {
  const { pkg, pool: p } = await pool();
  const cases = (await expected()).filter((c) => c.kernel === 'split_hash' || c.kernel === 'tree_sum');
  assertEqual(cases.length, 8);
  for (const c of cases) {
    const h = pkg[classes[c.kernel]].spawn(p, ...c.args.map(value));
    assertEqual(await h.result, value(c.result), `${c.kernel}(${c.args})`);
    const done = h.progress();
    assertEqual(done.done, done.total, `${c.kernel} progress`);
  }
});

test('the parallel suite over SharedBuffers equals the native kernels, on 2 workers and on 1', async () => {
  const { pkg, pool: p } = await pool();
  const one = await pkg.Pool.start({ workers: 1 });
  try {
    const cases = (await expected()).filter((c) => c.kernel === 'parallel_suite');
    assertEqual(cases.length, 8);
    for (const c of cases) {
      const [kernel, ...params] = c.args;
      const run = await pennyCase(pkg, p, { kernel, params });
      for (const [workers, q] of [[2, p], [1, one]]) {
        await run.run(q);
        const check = kernel === 'sum_squares' ? Number(run.check()) : run.check();
        assertEqual(check, c.result, `${kernel}(${params}) on ${workers} workers`);
      }
      if (run.reference !== undefined) assertEqual(Number(run.reference), c.result, `${kernel} reference task`);
      run.free();
    }
  } finally {
    await one.close();
  }
});

test('SharedBuffer: JS fills the input, a split kernel writes the output, JS reads it', async () => {
  const { pkg, pool: p } = await pool();
  const reference = (await expected()).find((c) => c.kernel === 'blur_rows');
  const [w, h] = reference.args;
  const src = pkg.SharedBuffer.f32(w * h);
  const dst = pkg.SharedBuffer.f32(w * h);
  assertEqual(src.length, w * h);
  const input = src.view();
  assert(input instanceof Float32Array, 'a Float32Array');
  for (let i = 0; i < input.length; i++) input[i] = ((i * 7) % 13) * 0.25;
  await pkg.BlurRows.spawn(p, src, dst.stripes(w), w).result;
  const out = dst.view();
  const bits = new Uint32Array(out.buffer, out.byteOffset, out.length);
  let hash = 0xcbf29ce484222325n;
  for (const v of bits) hash = BigInt.asUintN(64, (hash ^ BigInt(v)) * 0x100000001b3n);
  assertEqual(hash, value(reference.result), 'blur vs native');
  // Wrong kinds of buffer arguments are TypeErrors.
  assertThrows(() => pkg.BlurRows.spawn(p, dst.stripes(w), src, w), TypeError);
  assertThrows(() => pkg.BlurRows.spawn(p, pkg.SharedBuffer.u32(4), dst.stripes(w), w), TypeError);
  assertThrows(() => pkg.SharedBuffer.f32(-1), TypeError);
  // A flat buffer passes for `View<[f32; 4]>` (NbodyView's bodies) when 4 divides its length.
  const accel = pkg.SharedBuffer.f32(3 * 2);
  assertThrows(() => pkg.NbodyView.spawn(p, pkg.SharedBuffer.f32(7), accel.stripes(3)), TypeError);
  assertThrows(() => pkg.NbodyView.spawn(p, pkg.SharedBuffer.u32(8), accel.stripes(3)), TypeError);
  const bodies = pkg.SharedBuffer.f32(4 * 2);
  bodies.view().set([0, 0, 0, 1, 1, 0, 0, 1]);
  await pkg.NbodyView.spawn(p, bodies, accel.stripes(3)).result;
  const a = accel.view();
  assert(a[0] > 0 && a[3] < 0 && a[0] === -a[3], `two bodies pull each other: ${a}`);
  for (const b of [src, dst, accel, bodies]) b.free();
});

test('the README example: progress, status, result', async () => {
  const { pkg, pool: p } = await pool();
  const ctrl = new AbortController();
  const h = pkg.Checksum.spawn(p, 200000n, 7n, { priority: 'user-blocking', signal: ctrl.signal });
  const progress = h.progress();
  assertEqual(typeof progress.done, 'number');
  assertEqual(progress.total, 200000);
  assert(['queued', 'running', 'done'].includes(h.status()), h.status());
  assert(h.result === h.result, 'result is the same Promise on every access');
  const v = await h.result;
  const reference = (await expected()).find((c) => c.kernel === 'checksum' && c.args[0] === '200000n');
  assertEqual(v, value(reference.result));
  assertEqual(h.status(), 'done');
  assertEqual(h.progress(), { done: 200000, total: 200000 });
});

test('bad arguments throw a TypeError and leave the pool untouched', async () => {
  const { pkg, pool: p } = await pool();
  const free = p.freeSlots;
  const bad = [
    () => pkg.Checksum.spawn(p, 5, 7n), // number for u64
    () => pkg.Checksum.spawn(p, '5', 7n), // string
    () => pkg.Checksum.spawn(p, -1n, 7n), // out of range
    () => pkg.Checksum.spawn(p, 1n << 64n, 7n), // out of range
    () => pkg.Checksum.spawn(p, 5n), // too few
    () => pkg.Checksum.spawn(p, 5n, 7n, {}, 1), // too many
    () => pkg.Checksum.spawn(p, 5n, 7n, 3), // options not an object
    () => pkg.Checksum.spawn(p, 5n, 7n, { priority: 'urgent' }),
    () => pkg.Checksum.spawn(p, 5n, 7n, { signal: {} }),
    () => pkg.Checksum.spawn(p, 5n, 7n, { prority: 'background' }), // typo
    () => pkg.Checksum.spawn({}, 5n, 7n), // not a pool
    () => pkg.SumSquares.spawn(p, 3.7), // not integral
    () => pkg.SumSquares.spawn(p, 2 ** 32), // out of u32
    () => pkg.SumSquares.spawn(p, 5n), // BigInt for u32
    () => pkg.Mix.spawn(p, 256, -2, 3, 4n, -5n, 0.5, 0.25, true, 'x'), // u8 overflow
    () => pkg.Mix.spawn(p, 1, -2, 3, 4n, -5n, 0.5, 0.25, 1, 'x'), // number for bool
    () => pkg.Mix.spawn(p, 1, -2, 3, 4n, -5n, 0.5, 0.25, true, 'xy'), // two chars
  ];
  for (const [i, f] of bad.entries()) {
    const error = assertThrows(f, TypeError);
    assert(error.message.length > 10, `case ${i}: message "${error.message}"`);
  }
  assertEqual(p.freeSlots, free, 'free slots after rejected spawns');
  assertThrows(() => pkg.Checksum.spawn(p, 5n, 7n, { prority: 'x' }), TypeError);
});

test('a user-blocking task finishes while background tasks hold every worker', async () => {
  const { pkg } = await loadPackage();
  const p = await pkg.Pool.start({ workers: 2 });
  try {
    const background = [];
    for (let i = 0; i < 4; i++) background.push(pkg.Spin.spawn(p, 10n ** 12n, { priority: 'background' }));
    await until(() => background.filter((h) => h.status() === 'running').length === 2, 'workers busy');
    const started = performance.now();
    const urgent = pkg.Checksum.spawn(p, 100000n, 1n, { priority: 'user-blocking' });
    await urgent.result;
    const ms = performance.now() - started;
    // The background tasks are still going: they were preempted, not finished.
    assert(background.every((h) => h.status() !== 'done'), 'background finished first');
    assert(ms < 2000, `urgent task took ${ms} ms`);
    for (const h of background) h.cancel();
    for (const h of background) await assertRejects(h.result, 'AbortError');
  } finally {
    await p.close();
  }
});

test('cancel() and AbortSignal reject with an AbortError', async () => {
  const { pkg, pool: p } = await pool();
  const running = pkg.Spin.spawn(p, 10n ** 12n);
  await until(() => running.progress().done > 0, 'progress');
  running.cancel();
  const e1 = await assertRejects(running.result, 'AbortError');
  assert(e1 instanceof Error, 'cancel() rejects with an Error');
  await until(() => running.status() === 'cancelled', 'cancelled status');

  const ctrl = new AbortController();
  const aborted = pkg.Spin.spawn(p, 10n ** 12n, { signal: ctrl.signal });
  ctrl.abort();
  const e2 = await assertRejects(aborted.result, 'AbortError');
  assertEqual(e2, ctrl.signal.reason, 'rejects with signal.reason');

  const custom = new AbortController();
  const withReason = pkg.Spin.spawn(p, 10n ** 12n, { signal: custom.signal });
  const reason = new Error('user gave up');
  custom.abort(reason);
  assertEqual(await assertRejects(withReason.result), reason);

  const already = AbortSignal.abort();
  const never = pkg.Spin.spawn(p, 10n ** 12n, { signal: already });
  assertEqual(await assertRejects(never.result, 'AbortError'), already.reason);

  // A task that finished stays resolved after a late cancel or abort.
  const late = new AbortController();
  const done = pkg.SumSquares.spawn(p, 10, { signal: late.signal });
  assertEqual(await done.result, 285);
  done.cancel();
  late.abort();
  assertEqual(await done.result, 285);
});

test('a cancel while queued ends the task at once', async () => {
  const { pkg } = await loadPackage();
  const p = await pkg.Pool.start({ workers: 1, slots: 2 });
  try {
    const hog = pkg.Spin.spawn(p, 10n ** 12n);
    const queued = [];
    for (let i = 0; i < 6; i++) queued.push(pkg.Spin.spawn(p, 10n ** 12n));
    assert(queued.every((h) => h.status() === 'queued'), queued.map((h) => h.status()).join());
    for (const h of queued) h.cancel();
    for (const h of queued) await assertRejects(h.result, 'AbortError');
    hog.cancel();
    await assertRejects(hog.result, 'AbortError');
  } finally {
    await p.close();
  }
});

test('more spawns than slots all complete; spawn never blocks', async () => {
  const { pkg } = await loadPackage();
  const p = await pkg.Pool.start({ workers: 2, slots: 4 });
  try {
    // Two long tasks hold both workers (and two slots) until cancelled below.
    const hogs = [pkg.Spin.spawn(p, 10n ** 12n), pkg.Spin.spawn(p, 10n ** 12n)];
    await until(() => hogs.every((h) => h.status() === 'running'), 'hogs running');
    const n = 2000;
    const started = performance.now();
    const handles = [];
    for (let i = 0; i < n; i++) handles.push(pkg.SumSquares.spawn(p, i % 300));
    const spawnMs = performance.now() - started;
    const queued = handles.filter((h) => h.status() === 'queued').length;
    assertEqual(queued, n, 'every task waits while both workers are held');
    for (const h of hogs) h.cancel();
    const results = await Promise.all(handles.map((h) => h.result));
    for (let i = 0; i < n; i++) {
      const m = i % 300;
      let acc = 0;
      for (let k = 0; k < m; k++) acc = (acc + k * k) >>> 0;
      assertEqual(results[i], acc, `task ${i}`);
    }
    await until(() => p.freeSlots === 4, 'every slot free again');
    assert(spawnMs < 5000, `spawning took ${spawnMs} ms`);
  } finally {
    await p.close();
  }
});

test('a panicking task fails alone; its worker is replaced', async () => {
  const { pkg } = await loadPackage();
  const p = await pkg.Pool.start({ workers: 2, slots: 8 });
  try {
    // Work queued everywhere, including behind the task that will panic.
    const before = [];
    for (let i = 0; i < 12; i++) before.push(pkg.Checksum.spawn(p, 300000n, BigInt(i)));
    const boom = pkg.PanicAfter.spawn(p, 1000, true);
    const after = [];
    for (let i = 0; i < 12; i++) after.push(pkg.Checksum.spawn(p, 300000n, BigInt(100 + i)));
    const error = await assertRejects(boom.result, 'Error');
    assert(error.message.includes('panic_after: failed at iteration 1000'), error.message);
    assertEqual(boom.status(), 'failed');
    const all = await Promise.all([...before, ...after].map((h) => h.result));
    assert(all.every((v) => typeof v === 'bigint'), 'every other task completed');
    // Both workers work again: two long tasks run at once.
    const a = pkg.Spin.spawn(p, 10n ** 12n);
    const b = pkg.Spin.spawn(p, 10n ** 12n);
    await until(() => a.status() === 'running' && b.status() === 'running', 'two running tasks');
    assertEqual(p.workers, 2);
    a.cancel();
    b.cancel();
    // And a second panic is survived the same way.
    await assertRejects(pkg.PanicAfter.spawn(p, 5, true).result, 'Error');
    assertEqual(await pkg.PanicAfter.spawn(p, 5, false).result, 15);
  } finally {
    await p.close();
  }
});

test('close() cancels what is unfinished; spawn after close throws', async () => {
  const { pkg } = await loadPackage();
  const p = await pkg.Pool.start({ workers: 2, slots: 16 });
  const handles = [];
  for (let i = 0; i < 10; i++) handles.push(pkg.Spin.spawn(p, 10n ** 12n));
  const quick = pkg.SumSquares.spawn(p, 3, { priority: 'user-blocking' });
  assertEqual(await quick.result, 5);
  await p.close();
  assert(p.closed, 'closed');
  for (const h of handles) await assertRejects(h.result, 'AbortError');
  assertThrows(() => pkg.Checksum.spawn(p, 1n, 1n), TypeError);
  await p.close(); // twice is fine
});

test('results arrive without Atomics.waitAsync (a message from the worker)', async () => {
  const { pkg } = await loadPackage();
  const original = Atomics.waitAsync;
  delete Atomics.waitAsync;
  try {
    assertEqual(typeof Atomics.waitAsync, 'undefined');
    const p = await pkg.Pool.start({ workers: 2 });
    try {
      const handles = [];
      for (let i = 0; i < 50; i++) handles.push(pkg.SumSquares.spawn(p, 1000 + i));
      const slow = pkg.Spin.spawn(p, 3000000n);
      const results = await Promise.all(handles.map((h) => h.result));
      assertEqual(results[0], 332833500);
      assertEqual(typeof (await slow.result), 'bigint');
      const cancelled = pkg.Spin.spawn(p, 10n ** 12n);
      cancelled.cancel();
      await assertRejects(cancelled.result, 'AbortError');
    } finally {
      await p.close();
    }
  } finally {
    Atomics.waitAsync = original;
  }
});

test('dropped handles leak neither slots nor memory', async () => {
  const { pkg, memory } = await loadPackage();
  const p = await pkg.Pool.start({ workers: 2, slots: 16 });
  const perRound = 5000;
  try {
    const round = async () => {
      for (let i = 0; i < perRound; i++) {
        const h = pkg.SumSquares.spawn(p, 100);
        if (i % 2 === 0) h.free(); // dropped explicitly; the others by the GC
      }
      await until(() => p.freeSlots === 16, 'slots free');
      // Let the GC collect the other half and run their finalizers (which free the Rust side).
      for (let k = 0; k < 2; k++) {
        if (globalThis.gc) globalThis.gc();
        await sleep(100);
      }
    };
    await round();
    await round();
    const before = memory.buffer.byteLength;
    const rounds = 4;
    for (let r = 0; r < rounds; r++) await round();
    // Every handle's Rust side was freed (explicitly, or by the GC's finalizers) and every
    // promise settled.
    const stats = pkg.__pennyStats();
    assertEqual(stats.watched, 0, 'tasks still watched');
    // With a GC to call (node --expose-gc, chromium --js-flags=--expose-gc) the handles left
    // to it are finalized too; without, at most those of the last round are still alive.
    const left = globalThis.gc ? perRound / 10 : perRound / 2;
    assert(stats.handles <= left, `${stats.handles} handles still alive after GC`);
    // A handle's Rust side is over 100 bytes: leaking it would grow the memory by 2 MB here.
    // Measured: one step of up to 320 KiB when the executor's table of pending tasks grows
    // to a new peak, then flat; the bound is 1 MiB.
    const grown = memory.buffer.byteLength - before;
    const spawns = rounds * perRound;
    assert(grown <= 1 << 20, `memory grew ${grown} bytes over ${spawns} spawns`);
  } finally {
    await p.close();
  }
});

/** Runs `cycle` once to warm up, then `cycles` times; returns how much the memory grew. */
async function growthOver(memory, cycles, cycle) {
  await cycle();
  const before = memory.buffer.byteLength;
  for (let i = 0; i < cycles; i++) await cycle();
  return memory.buffer.byteLength - before;
}

test('pools started and closed again and again free their workers\' memory', async () => {
  const { pkg, memory } = await loadPackage();
  const cycles = 10;
  const grown = await growthOver(memory, cycles, async () => {
    const p = await pkg.Pool.start({ workers: 2 });
    const h = pkg.SumSquares.spawn(p, 10);
    assertEqual(await h.result, 285);
    // A live handle keeps its pool's memory (slots, deques) until it is freed or collected.
    h.free();
    await p.close();
  });
  // Each worker's wasm stack and thread-locals alone are ~200 KiB: leaked, 20 workers would
  // grow the memory by 4 MB. Measured with the fix: no growth.
  assert(grown <= 1 << 20, `memory grew ${grown} bytes over ${cycles} pools of 2 workers`);
});

test('a panic frees what the dead worker held: pools with a panic each don\'t leak', async () => {
  const { pkg, memory } = await loadPackage();
  const cycles = 8;
  // 2048 slots of 512 B: a region of over 1 MiB, which a leaked pool would keep.
  const grown = await growthOver(memory, cycles, async () => {
    const p = await pkg.Pool.start({ workers: 1, slots: 2048, slotBytes: 512 });
    const h = pkg.PanicAfter.spawn(p, 1, true);
    await assertRejects(h.result, 'Error');
    h.free();
    await p.close();
  });
  // Measured before the fix: 16.5 MiB over 15 such pools; after: no growth.
  assert(grown <= 2 << 20, `memory grew ${grown} bytes over ${cycles} pools with a panic each`);
});

test('an unawaited rejection is no unhandled rejection', async () => {
  const { pkg, pool: p } = await pool();
  let unhandled = 0;
  const count = () => unhandled++;
  if (isBrowser) window.addEventListener('unhandledrejection', count);
  else process.on('unhandledRejection', count);
  try {
    pkg.Spin.spawn(p, 10n ** 12n).cancel();
    pkg.PanicAfter.spawn(p, 1, true);
    const ctrl = new AbortController();
    pkg.Spin.spawn(p, 10n ** 12n, { signal: ctrl.signal });
    ctrl.abort();
    await sleep(300);
    assertEqual(unhandled, 0);
  } finally {
    if (isBrowser) window.removeEventListener('unhandledrejection', count);
    else process.off('unhandledRejection', count);
  }
});

test('Pool.start checks its options', async () => {
  const { pkg } = await loadPackage();
  await assertRejects(pkg.Pool.start({ workers: 0 }), 'TypeError');
  await assertRejects(pkg.Pool.start({ workers: 1.5 }), 'TypeError');
  await assertRejects(pkg.Pool.start({ wrkers: 2 }), 'TypeError');
  await assertRejects(pkg.Pool.start(5), 'TypeError');
  // A time slice too long for a Duration threw a RuntimeError (a trap) instead of rejecting.
  for (const timeSliceMs of [1e23, 1e300, Infinity, NaN, 0, -1, 3600001, '1', 10n]) {
    const e = await assertRejects(pkg.Pool.start({ workers: 1, timeSliceMs }), 'TypeError');
    assert(/timeSliceMs/.test(e.message), e.message);
  }
  // Too large for the memory (on wasm32 the region's size overflowed, and panicked).
  const big = await assertRejects(pkg.Pool.start({ workers: 1, slots: 256, slotBytes: 2 ** 24 }));
  assert(big.message.includes('more memory'), big.message);
  const p = await pkg.Pool.start();
  assert(p.workers >= 1, `default workers ${p.workers}`);
  // close() twice at once: the same promise, resolved once the workers are gone.
  const first = p.close();
  assert(p.close() === first, 'a second close() returns the first one\'s promise');
  await first;
});

test('OutArray: a kernel writes, JS reads the typed array', async () => {
  const { pkg, pool: p } = await pool();
  const [w, h, tile, iters] = [256, 128, 32, 200];
  const out = pkg.OutArray.u32(w * h);
  assertEqual(out.length, w * h);
  const tiles = [];
  for (let y = 0; y < h; y += tile) {
    for (let x = 0; x < w; x += tile) tiles.push(pkg.MandelbrotTile.spawn(p, out, w, h, x, y, tile, tile, iters));
  }
  await Promise.all(tiles.map((t) => t.result));
  let hash = 0xcbf29ce484222325n;
  for (const v of out.view()) hash = BigInt.asUintN(64, (hash ^ BigInt(v)) * 0x100000001b3n);
  const reference = (await expected()).find((c) => c.kernel === 'mandelbrot_image');
  assertEqual(hash, value(reference.result), 'image hash vs native');
  assertThrows(() => pkg.MandelbrotTile.spawn(p, pkg.OutArray.f32(4), 2, 2, 0, 0, 2, 2, 10), TypeError);
});


test('a pool JS no longer references keeps running the tasks whose results are awaited', async () => {
  const { pkg } = await loadPackage();
  const started = (await pkg.Pool.start({ workers: 1 }));
  const h = pkg.Spin.spawn(started, 2000000n);
  // Drop the only reference to the Pool object and collect it, if a GC can be called.
  const result = h.result;
  if (globalThis.gc) {
    globalThis.gc();
    await sleep(20);
    globalThis.gc();
  }
  const reference = (await expected()).find((c) => c.kernel === 'spin' && c.args[0] === '2000000n');
  assertEqual(await result, value(reference.result));
  assertEqual(h.status(), 'done');
  await started.close();
});

test('cancel() and status() agree: a task that finished first keeps its result', async () => {
  const { pkg, pool: p } = await pool();
  let rejected = 0;
  let resolved = 0;
  for (let i = 0; i < 300; i++) {
    const h = pkg.Spin.spawn(p, BigInt(2000 + (i % 7) * 3000));
    // Cancel at varying moments: before it ran, while it runs, after it ended.
    if (i % 3 === 1) await sleep(0);
    h.cancel();
    try {
      await h.result;
      resolved++;
      assertEqual(h.status(), 'done', `task ${i} resolved`);
    } catch (e) {
      rejected++;
      assertEqual(e.name, 'AbortError');
      assertEqual(h.status(), 'cancelled', `task ${i} rejected`);
    }
  }
  assert(rejected > 0, 'no cancel took effect');
});

test('the worker entry point refuses what it did not post', async () => {
  const { pkg } = await loadPackage();
  for (const bogus of [0, 8, 12345678]) {
    assertThrows(() => pkg.__penny_worker_run(bogus), Error);
  }
});

test('bad OutArray/SharedBuffer lengths (no coercion) and out-of-range floats throw TypeErrors', async () => {
  const { pkg, pool: p } = await pool();
  for (const len of [-1, 3.7, 'abc', '10', true, null, 10n, 2 ** 40]) {
    assertThrows(() => pkg.OutArray.u32(len), TypeError);
    assertThrows(() => pkg.SharedBuffer.u32(len), TypeError);
  }
  const buffer = pkg.SharedBuffer.u32(12);
  for (const bad of ['2', true, 0, 2.5]) {
    assertThrows(() => buffer.stripes(bad), TypeError);
    assertThrows(() => buffer.tiles(bad, 1, 1), TypeError);
    assertThrows(() => buffer.tiles(2, bad, 1), TypeError);
  }
  // Each message names the call it came from (and what the numbers were).
  const said = (f) => assertThrows(f, TypeError).message;
  assert(said(() => pkg.SharedBuffer.f32(-1)).startsWith('SharedBuffer.f32(length): length'));
  assert(said(() => buffer.stripes(0)).startsWith('SharedBuffer.stripes(width): width'));
  const rows = said(() => buffer.tiles(5, 1, 1));
  assert(rows.startsWith('SharedBuffer.tiles(rows, tileRows, tileCols): rows must divide'), rows);
  assert(rows.includes('12') && rows.includes('5'), rows);
  buffer.free();
  assertEqual(pkg.OutArray.f64(3).length, 3);
  assertThrows(() => pkg.Mix.spawn(p, 1, -2, 3, 4n, -5n, 1e39, 0.25, true, 'x'), TypeError);
  assertThrows(() => pkg.Mix.spawn(p, 1, -2, 3, 4n, -5n, 0.5, 0.25, true, '\ud800'), TypeError);
  // NaN and infinities are floats like any other.
  const [total] = await pkg.Mix.spawn(p, 1, -2, 3, 4n, -5n, Infinity, 0.25, true, 'x').result;
  assertEqual(total, NaN);
  const throwing = { get priority() { throw new RangeError('from a getter'); } };
  const error = assertThrows(() => pkg.Checksum.spawn(p, 1n, 1n, throwing), RangeError);
  assertEqual(error.message, 'from a getter');
});

test('a signal aborted before the spawn: the task never runs, result rejects with its reason', async () => {
  const { pkg, pool: p } = await pool();
  // One-chunk tasks: spawning and then cancelling would let a worker finish some of them.
  const handles = [];
  for (let i = 0; i < 300; i++) {
    const reason = new Error(`gave up ${i}`);
    handles.push([pkg.SumSquares.spawn(p, 10, { signal: AbortSignal.abort(reason) }), reason]);
  }
  for (const [h, reason] of handles) {
    assertEqual(h.status(), 'cancelled');
    assertEqual(await assertRejects(h.result), reason);
  }
  assertEqual(await pkg.SumSquares.spawn(p, 10).result, 285);
});

test('a view of a busy or freed buffer throws an Error, again and again, and the pool goes on', async () => {
  const { pkg, pool: p } = await pool();
  const w = 64;
  const img = pkg.SharedBuffer.f32(w * 4);
  // The same buffer as the blur's input and its output: the writer's lease is refused.
  // Each refusal used to trap the calling thread (and leak its stack: ~1600 killed it).
  for (let i = 0; i < 2000; i++) {
    const e = assertThrows(() => pkg.BlurRows.spawn(p, img, img.stripes(w), w), Error);
    assert(/BlurRows\.spawn: .*two of its views are of the same buffer/.test(e.message), e.message);
  }
  // A writer in flight (queued behind a hog on one worker): a second writer and a reader
  // of its buffer are refused; once it ended, both run.
  const dst = pkg.SharedBuffer.f32(w * 4);
  const q = await pkg.Pool.start({ workers: 1 });
  try {
    const hog = pkg.Spin.spawn(q, 10n ** 12n);
    const writing = pkg.BlurRows.spawn(q, img, dst.stripes(w), w);
    assertThrows(() => pkg.BlurRows.spawn(q, img, dst.stripes(w), w), Error);
    assertThrows(() => pkg.BlurRows.spawn(p, dst, img.stripes(w), w), Error);
    hog.cancel();
    await assertRejects(hog.result, 'AbortError');
    await writing.result;
    await pkg.BlurRows.spawn(p, dst, img.stripes(w), w).result;
  } finally {
    await q.close();
  }
  img.free();
  dst.free();
  assertEqual(await pkg.SumSquares.spawn(p, 10).result, 285);
});

test('buffers the shared memory can\'t hold throw a RangeError; the module goes on', async () => {
  const { pkg } = await pool();
  for (let i = 0; i < 50; i++) {
    assertThrows(() => pkg.SharedBuffer.f32(2 ** 28), RangeError);
    assertThrows(() => pkg.SharedBuffer.f64(2 ** 28), RangeError);
    assertThrows(() => pkg.OutArray.u32(2 ** 28), RangeError);
  }
  const small = pkg.SharedBuffer.f32(4);
  assertEqual(small.length, 4);
  small.free();
});

test('Pool.start with more workers than the memory holds rejects with a RangeError; pools go on', async () => {
  const { pkg, pool: p } = await pool();
  const e = await assertRejects(pkg.Pool.start({ workers: 600 }), 'RangeError');
  assert(/workers: 600/.test(e.message), e.message);
  const q = await pkg.Pool.start({ workers: 1 });
  assertEqual(await pkg.SumSquares.spawn(q, 10).result, 285);
  await q.close();
  assertEqual(await pkg.SumSquares.spawn(p, 10).result, 285);
});

/** The FNV-1a hash of a Float32Array's bits (what the blur_rows reference holds). */
function bitsHash(out) {
  const bits = new Uint32Array(out.buffer, out.byteOffset, out.length);
  let hash = 0xcbf29ce484222325n;
  for (const v of bits) hash = BigInt.asUintN(64, (hash ^ BigInt(v)) * 0x100000001b3n);
  return hash;
}

test('a spawn with a view of a freed SharedBuffer throws an Error; no slot is taken', async () => {
  const { pkg, pool: p } = await pool();
  const w = 16;
  const src = pkg.SharedBuffer.f32(w * 4);
  const dst = pkg.SharedBuffer.f32(w * 4);
  const stripes = dst.stripes(w);
  dst.free();
  const free = p.freeSlots;
  for (let i = 0; i < 3; i++) {
    const e = assertThrows(() => pkg.BlurRows.spawn(p, src, stripes, w), Error);
    assert(/BlurRows\.spawn: .*`dst`.*was freed/.test(e.message), e.message);
  }
  // A freed input the same way.
  const out = pkg.SharedBuffer.f32(w * 4);
  src.free();
  const e = assertThrows(() => pkg.BlurRows.spawn(p, src, out.stripes(w), w), Error);
  assert(/BlurRows\.spawn: .*`src`.*was freed/.test(e.message), e.message);
  assertEqual(p.freeSlots, free, 'free slots after refused spawns');
  out.free();
  assertEqual(await pkg.SumSquares.spawn(p, 10).result, 285);
});

test('a buffer freed by JS while a queued task reads it lives until the task is done', async () => {
  const { pkg } = await loadPackage();
  const reference = (await expected()).find((c) => c.kernel === 'blur_rows');
  const [w, h] = reference.args;
  const q = await pkg.Pool.start({ workers: 1 });
  try {
    const src = pkg.SharedBuffer.f32(w * h);
    const dst = pkg.SharedBuffer.f32(w * h);
    const input = src.view();
    for (let i = 0; i < input.length; i++) input[i] = ((i * 7) % 13) * 0.25;
    const hog = pkg.Spin.spawn(q, 10n ** 12n);
    await until(() => hog.status() === 'running', 'hog running');
    const blur = pkg.BlurRows.spawn(q, src, dst.stripes(w), w);
    assertEqual(blur.status(), 'queued');
    src.free();
    // Buffers JS allocates now must not take the freed input's memory while the task holds it.
    const others = [];
    for (let i = 0; i < 8; i++) {
      const b = pkg.SharedBuffer.f32(w * h);
      b.view().fill(-1);
      others.push(b);
    }
    hog.cancel();
    await assertRejects(hog.result, 'AbortError');
    await blur.result;
    assertEqual(bitsHash(dst.view()), value(reference.result), 'blur of a freed input vs native');
    for (const b of [dst, ...others]) b.free();
  } finally {
    await q.close();
  }
});

test('128-bit integers are BigInts both ways; out of range is a TypeError', async () => {
  const { pkg, pool: p } = await pool();
  const wide = (n, seed, offset) => {
    let h = seed;
    let s = offset;
    for (let i = 0n; i < BigInt(n); i++) {
      h = BigInt.asUintN(128, h * 0x2360ed051fc65da44385df649fccf645n + (i | 1n));
      s = BigInt.asIntN(128, (s - i) * -3n);
    }
    return [h, s];
  };
  const u128Max = (1n << 128n) - 1n;
  const i128Min = -(1n << 127n);
  const i128Max = (1n << 127n) - 1n;
  for (const [n, seed, offset] of [
    [0, 0n, 0n],
    [1, u128Max, i128Min],
    [5, 1n << 100n, i128Max],
    [300, 0x0123456789abcdeffedcba9876543210n, -12345678901234567890n],
  ]) {
    const [h, s] = await pkg.WideMix.spawn(p, n, seed, offset).result;
    assertEqual(typeof h, 'bigint');
    assertEqual(typeof s, 'bigint');
    const [eh, es] = wide(n, seed, offset);
    assertEqual(h, eh, `wide_mix(${n}, ${seed}, ${offset}).0`);
    assertEqual(s, es, `wide_mix(${n}, ${seed}, ${offset}).1`);
  }
  const free = p.freeSlots;
  for (const args of [
    [1, 1n << 128n, 0n],
    [1, -1n, 0n],
    [1, 5, 0n],
    [1, 0n, 1n << 127n],
    [1, 0n, i128Min - 1n],
    [1, 0n, 3],
  ]) {
    assertThrows(() => pkg.WideMix.spawn(p, ...args), TypeError);
  }
  assertEqual(p.freeSlots, free, 'free slots after rejected spawns');
});

test('Option, array and () outputs: null or a number, an array, undefined', async () => {
  const { pkg, pool: p } = await pool();
  assertEqual(await pkg.FindRoot.spawn(p, 100, 49).result, 7);
  assertEqual(await pkg.FindRoot.spawn(p, 100, 0).result, 0);
  assertEqual(await pkg.FindRoot.spawn(p, 100, 50).result, null);
  assertEqual(await pkg.FindRoot.spawn(p, 0, 0).result, null);
  for (const n of [0, 1, 10, 100003]) {
    const counts = await pkg.Mod4Counts.spawn(p, n).result;
    assert(Array.isArray(counts), `an array: ${counts}`);
    const want = [0, 1, 2, 3].map((r) => (n > r ? Math.floor((n - 1 - r) / 4) + 1 : 0));
    assertEqual(counts, want, `mod4_counts(${n})`);
  }
  const idle = pkg.Idle.spawn(p, 100000);
  assertEqual(await idle.result, undefined);
  assertEqual(idle.status(), 'done');
});

test("the default priority is 'user-visible': between user-blocking and background", async () => {
  const { pkg } = await loadPackage();
  const q = await pkg.Pool.start({ workers: 1 });
  try {
    // A user-blocking hog holds the one worker while the three queue (spawned least urgent
    // first, so the order they finish in is the scheduler's, not the spawns').
    const hog = pkg.Spin.spawn(q, 10n ** 12n, { priority: 'user-blocking' });
    await until(() => hog.status() === 'running', 'hog running');
    const order = [];
    const spawn = (name, options) => {
      const h = pkg.Spin.spawn(q, 3000000n, options);
      return h.result.then(() => order.push(name));
    };
    const done = [
      spawn('background', { priority: 'background' }),
      spawn('default'),
      spawn('user-blocking', { priority: 'user-blocking' }),
    ];
    hog.cancel();
    await assertRejects(hog.result, 'AbortError');
    await Promise.all(done);
    assertEqual(order, ['user-blocking', 'default', 'background'], 'completion order');
  } finally {
    await q.close();
  }
});

test('a panicking task releases the views it opened: the buffers are writable and freed', async () => {
  const { pkg, memory } = await loadPackage();
  const q = await pkg.Pool.start({ workers: 2 });
  try {
    // Width 0: the blur divides by zero after opening its input (a read lock on `src`).
    const src = pkg.SharedBuffer.f32(16);
    const dst = pkg.SharedBuffer.f32(16);
    await assertRejects(pkg.BlurRows.spawn(q, src, dst.stripes(4), 0).result, 'Error');
    // Both writable again at once: the dead worker's locks are gone.
    await pkg.FillFloats.spawn(q, src.stripes(1), 1n).result;
    await pkg.FillFloats.spawn(q, dst.stripes(1), 1n).result;
    // A split blur whose last rows panic (its output has half the rows): each part that
    // panics holds views of both buffers when its worker dies.
    const w = 4;
    const big = pkg.SharedBuffer.f32(w * 256);
    const half = pkg.SharedBuffer.f32(w * 128);
    for (let i = 0; i < 3; i++) {
      await assertRejects(pkg.BlurRows.spawn(q, big, half.stripes(w), w).result, 'Error');
      await pkg.FillFloats.spawn(q, big.stripes(1), 2n).result;
      await pkg.FillFloats.spawn(q, half.stripes(1), 2n).result;
    }
    for (const b of [src, dst, big, half]) b.free();
    // A 16 MiB input read by a task that panics, then freed: its memory is reused. Measured
    // before the fix: 128.5 MiB over 8 rounds (the dead task kept every input alive); after:
    // no growth.
    const grown = await growthOver(memory, 8, async () => {
      const input = pkg.SharedBuffer.f32(1 << 22);
      const out = pkg.SharedBuffer.f32(16);
      await assertRejects(pkg.BlurRows.spawn(q, input, out.stripes(4), 0).result, 'Error');
      input.free();
      out.free();
    });
    assert(grown <= 40 << 20, `memory grew ${grown} bytes over 8 freed 16 MiB inputs`);
    assertEqual(await pkg.SumSquares.spawn(q, 10).result, 285);
  } finally {
    await q.close();
  }
});

test('a full shared memory throws RangeErrors, never traps: buffers, OutArrays, spawns', async () => {
  const { pkg } = await loadPackage();
  // slotBytes 1: every task's state is stored out of line (one more allocation per spawn).
  const q = await pkg.Pool.start({ workers: 1, slotBytes: 1 });
  const held = [];
  const handles = [];
  // The one worker busy: the tasks spawned below wait, holding their memory.
  const hog = pkg.Spin.spawn(q, 10n ** 12n);
  await until(() => hog.status() === 'running', 'hog running');
  /** Calls `f`: true if it returned, false if it threw a RangeError (a trap is a RuntimeError). */
  const fits = (f) => {
    try {
      f();
      return true;
    } catch (e) {
      if (e instanceof RangeError) return false;
      throw e;
    }
  };
  try {
    // Fill the memory: the largest buffers that fit, halving down to a byte. Each used to
    // trap (RuntimeError: unreachable) once the data fit but its header did not.
    for (let size = 1 << 28; size >= 1; ) {
      if (!fits(() => held.push(pkg.SharedBuffer.u8(size)))) size = Math.floor(size / 2);
    }
    // What is left, in OutArrays (never freed: a few KiB at most). OutArray.u8 trapped
    // after ~32 calls (its table grew after the array was made).
    let outs = 0;
    while (outs < 100000 && fits(() => pkg.OutArray.u8(64))) outs++;
    assert(outs < 100000, `${outs} OutArrays of 64 bytes in a full memory`);
    // Full: each is refused or fits, again and again, but never traps.
    for (let i = 0; i < 8; i++) fits(() => held.push(pkg.SharedBuffer.u8(512)));
    for (let i = 0; i < 8; i++) fits(() => pkg.OutArray.u8(64));
    // Spawns until one is refused (they trapped storing the state, or making the cell).
    while (handles.length < 100000 && fits(() => handles.push(pkg.SumSquares.spawn(q, 10))));
    assert(handles.length < 100000, `${handles.length} spawns in a full memory`);
  } finally {
    for (const b of held) b.free();
  }
  try {
    hog.cancel();
    await assertRejects(hog.result, 'AbortError');
    for (const h of handles) assertEqual(await h.result, 285);
    assertEqual(q.freeSlots, q.slots, 'free slots after the spawns in a full memory');
    // Everything works again once the buffers are freed.
    const b = pkg.SharedBuffer.u8(512);
    assertEqual(b.length, 512);
    b.free();
    assertEqual(pkg.OutArray.u8(64).length, 64);
    assertEqual(await pkg.SumSquares.spawn(q, 10).result, 285);
  } finally {
    await q.close();
  }
});

test('Pool.start rethrows a throwing getter and refuses arrays; a freed Pool or OutArray says so', async () => {
  const { pkg, pool: p } = await pool();
  // A throwing getter was read as undefined (the default) by Pool.start; spawn rethrows.
  for (const key of ['workers', 'slots', 'slotBytes', 'timeSliceMs']) {
    const boom = new Error(`${key} getter`);
    const options = Object.defineProperty({}, key, {
      enumerable: true,
      get() {
        throw boom;
      },
    });
    const e = await assertRejects(pkg.Pool.start(options));
    assert(e === boom, `${key}: ${e}`);
  }
  // An array was taken as an object with no options (spawn refuses arrays).
  for (const options of [[], [2]]) {
    const e = await assertRejects(pkg.Pool.start(options), 'TypeError');
    assert(/must be an object/.test(e.message), e.message);
  }
  // A freed Pool: spawn said "must be a Pool", close() and the getters "null pointer passed
  // to rust".
  const q = await pkg.Pool.start({ workers: 1 });
  q.free();
  const e = assertThrows(() => pkg.SumSquares.spawn(q, 10), TypeError);
  assert(/`pool`\) is a Pool that was freed/.test(e.message), e.message);
  for (const [what, f] of [
    ['close', () => q.close()],
    ['workers', () => q.workers],
    ['slots', () => q.slots],
    ['freeSlots', () => q.freeSlots],
    ['closed', () => q.closed],
  ]) {
    const e = assertThrows(f, Error);
    assert(e.message === `Pool.${what}: this Pool was freed (free() was called on it)`, e.message);
  }
  // Other pools are untouched.
  assertEqual(p.workers, 2);
  assertEqual(await pkg.SumSquares.spawn(p, 10).result, 285);
  // A freed OutArray said only "must be an OutArray made by OutArray.u32(length), got object".
  const out = pkg.OutArray.u32(4);
  out.free();
  const o = assertThrows(() => pkg.MandelbrotTile.spawn(p, out, 2, 2, 0, 0, 2, 2, 10), TypeError);
  assert(/but this OutArray was freed/.test(o.message), o.message);
});

test('every member of a freed TaskHandle or buffer says so; free() again does nothing', async () => {
  const { pkg, pool: p } = await pool();
  // They threw wasm-bindgen's bare "null pointer passed to rust" (Pool's members said so
  // already), and so did a second free() or [Symbol.dispose]() on every class.
  const h = pkg.SumSquares.spawn(p, 10);
  assertEqual(await h.result, 285);
  const buffer = pkg.SharedBuffer.f32(16);
  const stripes = buffer.stripes(4);
  const tiles = buffer.tiles(4, 2, 2);
  const out = pkg.OutArray.u32(4);
  const q = await pkg.Pool.start({ workers: 1 });
  await q.close();
  // A class made by `new` (a hidden one: the API's objects come from Rust functions).
  const made = new pkg.__PennyConstructed(21);
  // Live, each member works as before (the guard only adds a check).
  assertEqual([h.status(), h.progress(), h.cancel()], ['done', { done: 10, total: 10 }, undefined]);
  assertEqual([buffer.length, buffer.view().length, out.length, out.view().length], [16, 16, 4, 4]);
  assertEqual([stripes.__pennyStripes.length, tiles.__pennyTiles.length], [3, 5]);
  assertEqual([made.value, made.doubled()], [21, 42]);
  // Each class, with its members (hidden `__penny*` getters included) and a call of each.
  const classes = [
    ['TaskHandle', h, {
      result: (o) => o.result,
      progress: (o) => o.progress(),
      status: (o) => o.status(),
      cancel: (o) => o.cancel(),
    }],
    ['SharedBuffer', buffer, {
      length: (o) => o.length,
      view: (o) => o.view(),
      stripes: (o) => o.stripes(4),
      tiles: (o) => o.tiles(4, 2, 2),
      __pennyBuffer: (o) => o.__pennyBuffer,
    }],
    ['BufferStripes', stripes, { __pennyStripes: (o) => o.__pennyStripes }],
    ['BufferTiles', tiles, { __pennyTiles: (o) => o.__pennyTiles }],
    ['OutArray', out, { length: (o) => o.length, view: (o) => o.view(), __pennyOut: (o) => o.__pennyOut }],
    ['Pool', q, {
      close: (o) => o.close(),
      closed: (o) => o.closed,
      workers: (o) => o.workers,
      slots: (o) => o.slots,
      freeSlots: (o) => o.freeSlots,
      __pennyPool: (o) => o.__pennyPool,
    }],
    ['__PennyConstructed', made, { value: (o) => o.value, doubled: (o) => o.doubled() }],
  ];
  for (const [name, object, members] of classes) {
    // Every member the class has is listed (wasm-bindgen's own `__*` are not members).
    const proto = Object.getPrototypeOf(object);
    const listed = Reflect.ownKeys(proto)
      .filter((k) => typeof k === 'string' && k !== 'constructor' && k !== 'free')
      .filter((k) => !k.startsWith('__') || k.startsWith('__penny'))
      .sort();
    assertEqual(listed, Object.keys(members).sort(), `${name}'s members`);
    object.free();
    for (const [member, call] of Object.entries(members)) {
      const e = assertThrows(() => call(object), Error);
      assertEqual(e.message, `${name}.${member}: this ${name} was freed (free() was called on it)`);
    }
    // Freeing again does nothing, by free() or by [Symbol.dispose]() (`using` calls it).
    assertEqual(object.free(), undefined, `${name}: a second free()`);
    if (typeof Symbol.dispose === 'symbol') {
      assert(proto[Symbol.dispose] === proto.free, `${name}: [Symbol.dispose] is free`);
      assertEqual(object[Symbol.dispose](), undefined, `${name}: [Symbol.dispose]() after free()`);
    }
  }
  // As spawn arguments, the freed objects say what was freed.
  const src = pkg.SharedBuffer.f32(16);
  const e = assertThrows(() => pkg.BlurRows.spawn(p, src, stripes, 4), TypeError);
  assert(/`dst`\) must be buffer\.stripes\(width\) .*, but this BufferStripes was/.test(e.message), e.message);
  const b = assertThrows(() => pkg.BlurRows.spawn(p, buffer, src.stripes(4), 4), TypeError);
  assert(/`src`\) must be a SharedBuffer .*, but this SharedBuffer was freed/.test(b.message), b.message);
  src.free();
  // Objects made after the frees work, and their classes' guards hold for them too.
  const h2 = pkg.SumSquares.spawn(p, 3);
  assertEqual([await h2.result, h2.status()], [5, 'done']);
  h2.free();
  const s = assertThrows(() => h2.status(), Error);
  assertEqual(s.message, 'TaskHandle.status: this TaskHandle was freed (free() was called on it)');
  const again = new pkg.__PennyConstructed(2);
  assertEqual(again.doubled(), 4);
  again.free();
  const v = assertThrows(() => again.value, Error);
  assertEqual(v.message, '__PennyConstructed.value: this __PennyConstructed was freed (free() was called on it)');
});

test('last: close the shared pool', async () => {
  if (shared) await shared.close();
  shared = undefined;
});
