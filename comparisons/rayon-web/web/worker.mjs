// The dedicated Worker the comparison runs rayon from: rayon's `par_iter` blocks its caller
// (Atomics.wait), which a page's main thread may not do. The page posts
//   { cmd: 'init', threads }       → initThreadPool(threads), answers { ok } (or { error })
//   { cmd: 'run', kernel, args, par } → answers { ms, check }: the call timed in here, so
//                                     the postMessage hops are not counted against rayon.

import init, { initThreadPool, mandelbrot, rng_histogram, sum_sqrt } from '../pkg/rayon_web.js';

const kernels = { sum_sqrt, rng_histogram, mandelbrot };

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
    }
  } catch (error) {
    postMessage({ error: String(error?.stack ?? error) });
  }
};
