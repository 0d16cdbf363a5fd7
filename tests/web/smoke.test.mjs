// What exists before the JS API does: the package loads, its memory is shared, and the
// platform has what threads on the web need.

import { assert, assertEqual, skip, test } from './harness.mjs';
import { isBrowser, loadPackage } from './platform.mjs';

test('init() succeeds', async () => {
  const { exports } = await loadPackage();
  // The threaded glue's start function: each thread (instance) runs it once.
  assertEqual(typeof exports.__wbindgen_start, 'function');
});

test('the page is cross-origin isolated', () => {
  if (!isBrowser) skip('Node has no cross-origin isolation to check');
  assertEqual(
    globalThis.crossOriginIsolated,
    true,
    'SharedArrayBuffer needs COOP: same-origin + COEP: require-corp (serve with cargo xtask serve)',
  );
});

test('the wasm memory is a SharedArrayBuffer', async () => {
  const { memory } = await loadPackage();
  assert(memory instanceof WebAssembly.Memory, 'init() created no WebAssembly.Memory');
  assert(
    memory.buffer instanceof SharedArrayBuffer,
    `the memory is backed by a ${memory.buffer?.constructor?.name}, not a SharedArrayBuffer`,
  );
  // Atomics work on it (they throw on an unshared buffer for wait/notify).
  const word = new Int32Array(memory.buffer, 0, 1);
  assertEqual(Atomics.notify(word, 0, 1), 0);
});

test('Atomics.waitAsync is available', () => {
  // How the page's main thread, which may never block, waits for the pool.
  assertEqual(typeof Atomics.waitAsync, 'function');
});
