// The page's side of the wasm-bindgen-rayon comparison: starts `worker.mjs` and its rayon
// pool, and runs one call at a time in it.
//
//   const rayon = await startRayon(2);          // 2 rayon threads (Web Workers)
//   const { ms, check } = await rayon.run('sum_sqrt', [total, parts], true);
//   await rayon.suite('matmul', [256]); const { ms } = await rayon.runSuite('matmul', true);
//   const { check } = await rayon.checkSuite('matmul');

export async function startRayon(threads, { timeoutMs = 30_000 } = {}) {
  const worker = new Worker(new URL('./worker.mjs', import.meta.url), { type: 'module' });
  const errors = [];
  worker.addEventListener('error', (e) => errors.push(e.message ?? String(e)));
  const call = (message) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`rayon worker: no answer to ${message.cmd} in ${timeoutMs} ms ${errors.join('; ')}`)),
        timeoutMs,
      );
      worker.onmessage = ({ data }) => {
        clearTimeout(timer);
        if (data.error) reject(new Error(`rayon worker: ${data.error}`));
        else resolve(data);
      };
      worker.postMessage(message);
    });
  await call({ cmd: 'init', threads });
  return {
    threads,
    run: (kernel, args, par) => call({ cmd: 'run', kernel, args, par }),
    // the parallel suite (penny-examples/bench-web/suite.mjs): inputs, one timed run, free
    suite: (kernel, params) => call({ cmd: 'suite', kernel, params }),
    runSuite: (kernel, par) => call({ cmd: 'suiteRun', kernel, par }),
    checkSuite: (kernel) => call({ cmd: 'suiteCheck', kernel }),
    dropSuite: (kernel) => call({ cmd: 'suiteDrop', kernel }),
    close: () => worker.terminate(),
  };
}
