// After `pool.close()` Node can exit: no worker, port or timer keeps the process alive, even
// with tasks still running at close (they are cancelled). Each case runs in a child process,
// which must exit by itself, with code 0, within the time limit.

import { assertEqual, skip, test } from './harness.mjs';
import { isNode, packageUrl } from './platform.mjs';

async function runChild(body, ms = 20000, url = packageUrl().href) {
  const { spawn } = await import('node:child_process');
  const script = `
    import init, * as pkg from ${JSON.stringify(url)};
    import { readFile } from 'node:fs/promises';
    await init({ module_or_path: await readFile(new URL(${JSON.stringify(url)}.replace(/\\.js$/, '_bg.wasm'))) });
    ${body}
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), ms);
  const [code, signal] = await new Promise((resolve) =>
    child.on('exit', (code, signal) => resolve([code, signal])),
  );
  clearTimeout(timer);
  return { code, signal, output };
}

test('Node exits after pool.close()', async () => {
  if (!isNode) skip('Node only');
  const { code, signal, output } = await runChild(`
    const pool = await pkg.Pool.start({ workers: 2 });
    const v = await pkg.SumSquares.spawn(pool, 1000).result;
    if (v !== 332833500) throw new Error('wrong result ' + v);
    await pool.close();
  `);
  assertEqual(signal, null, `killed (still alive after 20 s); output: ${output}`);
  assertEqual(code, 0, output);
});

test('Node exits after closing a pool with tasks still running', async () => {
  if (!isNode) skip('Node only');
  const { code, signal, output } = await runChild(`
    const pool = await pkg.Pool.start({ workers: 2 });
    const running = [0, 1, 2, 3].map(() => pkg.Spin.spawn(pool, 10n ** 12n));
    await new Promise((r) => setTimeout(r, 50));
    await pool.close();
    for (const h of running) {
      try { await h.result; throw new Error('a running task resolved'); }
      catch (e) { if (e.name !== 'AbortError') throw e; }
    }
  `);
  assertEqual(signal, null, `killed (still alive after 20 s); output: ${output}`);
  assertEqual(code, 0, output);
});

test('a pool whose workers cannot start rejects, says why, and lets Node exit', async () => {
  if (!isNode) skip('Node only');
  // A copy of the package without penny-worker.js, each worker's script.
  const { cp, mkdtemp, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const path = await import('node:path');
  const { fileURLToPath, pathToFileURL } = await import('node:url');
  const source = path.dirname(fileURLToPath(packageUrl()));
  const copy = await mkdtemp(path.join(tmpdir(), 'penny-pkg-'));
  try {
    await cp(source, copy, { recursive: true, filter: (f) => !f.endsWith('penny-worker.js') });
    const url = pathToFileURL(path.join(copy, path.basename(fileURLToPath(packageUrl())))).href;
    const { code, signal, output } = await runChild(`
      try {
        await pkg.Pool.start({ workers: 2 });
        throw new Error('Pool.start resolved without worker scripts');
      } catch (e) {
        if (!String(e.message).includes('penny-worker.js')) throw e;
        console.log('rejected: ' + e.message);
      }
    `, 20000, url);
    assertEqual(signal, null, `killed (still alive after 20 s); output: ${output}`);
    assertEqual(code, 0, output);
  } finally {
    await rm(copy, { recursive: true, force: true });
  }
});
