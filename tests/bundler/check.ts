// Type-checked only (`tsc --noEmit`, cargo xtask bundler-test), never run: the package's
// .d.ts must type what the README shows, and must reject what is wrong. Each
// `@ts-expect-error` line must be an error, or tsc fails ("Unused '@ts-expect-error'").

import init, {
  Checksum,
  MandelbrotTile,
  OutArray,
  Pool,
  type PoolOptions,
  type SpawnOptions,
  type TaskHandle,
  type TaskProgress,
  type TaskStatus,
} from '../../penny-examples/pkg/penny_examples.js';

export async function readme(): Promise<bigint> {
  await init();
  const options: PoolOptions = { workers: 4, slots: 64, slotBytes: 256, timeSliceMs: 0.5 };
  const pool: Pool = await Pool.start(options);
  // Options are optional.
  const plain: Pool = await Pool.start();
  await plain.close();
  const workers: number = pool.workers;
  const ctrl = new AbortController();
  const spawnOptions: SpawnOptions = { priority: 'user-blocking', signal: ctrl.signal };
  const h: TaskHandle<bigint> = Checksum.spawn(pool, 200_000n, 7n, spawnOptions);
  const progress: TaskProgress = h.progress();
  const done: number = progress.done;
  const total: number | null = progress.total;
  const status: TaskStatus = h.status();
  const out = OutArray.u32(64);
  const escaped: number = await MandelbrotTile.spawn(pool, out, 8, 8, 0, 0, 8, 8, 50).result;
  const view = out.view();
  const value: bigint = await h.result;
  h.cancel();
  await pool.close();
  console.log(workers, done, total, status, escaped, view, value);
  return value;
}

export async function mistakes(pool: Pool): Promise<void> {
  // @ts-expect-error u64 arguments are BigInts, not numbers
  Checksum.spawn(pool, 5, 7n);
  // @ts-expect-error a missing argument
  Checksum.spawn(pool, 5n);
  // @ts-expect-error not one of scheduler.postTask's priorities
  Checksum.spawn(pool, 5n, 7n, { priority: 'urgent' });
  // @ts-expect-error a u64 result is a bigint
  const n: number = await Checksum.spawn(pool, 5n, 7n).result;
  // @ts-expect-error an Out<u32> argument is an OutArray
  MandelbrotTile.spawn(pool, new Uint32Array(4), 2, 2, 0, 0, 2, 2, 10);
  // @ts-expect-error no such option
  await Pool.start({ threads: 4 });
  console.log(n);
}
