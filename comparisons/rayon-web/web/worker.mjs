// The dedicated Worker the comparison runs rayon from: rayon's `par_iter` blocks its caller
// (Atomics.wait), which a page's main thread may not do. The page posts
//   { cmd: 'init', threads }       → initThreadPool(threads), answers { ok } (or { error })
//   { cmd: 'run', kernel, args, par } → answers { ms, check }: the call timed in here, so
//                                     the postMessage hops are not counted against rayon.
//   { cmd: 'suite', kernel, params }  → builds a parallel-suite kernel's inputs (`Suite`)
//   { cmd: 'suiteRun', kernel, par }  → runs it once: { ms }, timed in here (the page times
//                                     the whole round trip as well)
//   { cmd: 'suiteCheck', kernel }     → { check } of its last run (hashing an output takes
//                                     milliseconds: kept out of the timed round trip)
//   { cmd: 'suiteDrop', kernel }      → frees it

import init, { initThreadPool, mandelbrot, rng_histogram, sum_sqrt, Suite } from '../pkg/rayon_web.js';

const kernels = { sum_sqrt, rng_histogram, mandelbrot };
const suites = new Map();

onmessage = async ({ data }) => {
  try {
    if (data.cmd === 'init') {
      await init();
      if (data.threads > 0) await initThreadPool(data.threads);
      postMessage({ ok: true });
    } else if (data.cmd === 'run') {
      const start = performance.now();
      const check = kernels[data.kernel](...data.args, data.par);
      postMessage({ ms: performance.now() - start, check });
    } else if (data.cmd === 'suite') {
      suites.set(data.kernel, new Suite(data.kernel, new Float64Array(data.params)));
      postMessage({ ok: true });
    } else if (data.cmd === 'suiteRun') {
      const suite = suites.get(data.kernel);
      const start = performance.now();
      suite.run(data.par);
      postMessage({ ms: performance.now() - start });
    } else if (data.cmd === 'suiteCheck') {
      postMessage({ check: suites.get(data.kernel).check() });
    } else if (data.cmd === 'suiteDrop') {
      suites.get(data.kernel)?.free();
      suites.delete(data.kernel);
      postMessage({ ok: true });
    }
  } catch (error) {
    postMessage({ error: String(error?.stack ?? error) });
  }
};
