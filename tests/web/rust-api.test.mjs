// The Rust `Pool` API on wasm, from a dedicated Worker (where blocking `join` is allowed):
// `Pool::builder().build()`, spawns at every priority, blocking joins, a cancel
// (penny-runtime/src/web/rust_api.rs). The pool's own workers are started from that worker.

import { assertEqual, test } from './harness.mjs';
import { isNode, packageUrl } from './platform.mjs';

test('the Rust Pool API works from a dedicated worker', async () => {
  const pkg = packageUrl().href;
  const script = new URL('./rust-api.worker.mjs', import.meta.url);
  let reply;
  if (isNode) {
    const threads = 'node:worker_threads';
    const { Worker } = await import(threads);
    const worker = new Worker(script, { workerData: { pkg } });
    reply = await new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
  } else {
    const worker = new Worker(script, { type: 'module' });
    reply = await new Promise((resolve, reject) => {
      worker.addEventListener('message', (e) => resolve(e.data), { once: true });
      worker.addEventListener('error', (e) => reject(new Error(e.message)), { once: true });
      worker.postMessage({ pkg });
    });
    worker.terminate();
  }
  assertEqual(reply.error, undefined, 'the check threw');
  assertEqual(BigInt(reply.sum), (100000n * 99999n) / 2n);
});
