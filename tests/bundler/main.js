// The bundled app: imports Penny's examples package the way an app imports any ES module
// (here by path; from node_modules it would be the same file), starts a pool, which starts
// the bundled worker, runs Checksum tasks and leaves what they returned on
// `window.__pennyBundle`. The xtask compares the results with the native ones
// (target/web-expected.json, kernel `checksum`): equal results mean the workers Vite bundled
// instantiated the same module on the shared memory and ran the tasks.

import init, { Checksum, Pool } from '../../penny-examples/pkg/penny_examples.js';

// The same (n, seed) cases as penny-examples' web_expected.
const CASES = [
  [0n, 0n],
  [1n, 7n],
  [200_000n, 7n],
  [1_000_000n, 42n],
  [12_345n, 18446744073709551615n],
];

function report(value) {
  window.__pennyBundle = { done: true, ...value };
  document.getElementById('out').textContent = JSON.stringify(window.__pennyBundle, null, 2);
}

try {
  await init();
  // Two workers even on one core: more than one bundled worker must start.
  const pool = await Pool.start({ workers: 2 });
  const handles = CASES.map(([n, seed]) => Checksum.spawn(pool, n, seed));
  const values = await Promise.all(handles.map((h) => h.result));
  report({
    workers: pool.workers,
    crossOriginIsolated,
    results: CASES.map(([n, seed], i) => ({ args: [`${n}n`, `${seed}n`], result: `${values[i]}n` })),
  });
  await pool.close();
} catch (error) {
  report({ error: String((error && error.stack) || error) });
}
