// A dedicated worker for rust-api.test.mjs: loads the package (its own instance and memory),
// then runs the Rust `Pool` API check, which blocks in `join` (allowed in a worker).

const isNode = typeof process === 'object' && !!process.versions?.node;

async function main(pkgUrl) {
  const pkg = await import(pkgUrl);
  if (isNode) {
    const { readFile } = await import('node:fs/promises');
    await pkg.default({ module_or_path: await readFile(new URL(pkgUrl.replace(/\.js$/, '_bg.wasm'))) });
  } else {
    await pkg.default();
  }
  try {
    return { sum: (await pkg.__pennyRustApiCheck(2, 12, 100000)).toString() };
  } catch (e) {
    return { error: String(e && e.message ? e.message : e) };
  }
}

if (isNode) {
  const threads = 'node:worker_threads';
  const { parentPort, workerData } = await import(threads);
  parentPort.postMessage(await main(workerData.pkg));
} else {
  self.addEventListener('message', async (e) => self.postMessage(await main(e.data.pkg)), { once: true });
}
