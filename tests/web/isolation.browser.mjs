// Run by the Chromium stage on a page served WITHOUT the cross-origin isolation headers
// (the test server's /no-isolation/ prefix): the package still loads, and Pool.start rejects
// with one clear error naming the two headers (not a failure deep inside instantiation).

import { assert, skip, test } from './harness.mjs';
import { isBrowser, loadPackage } from './platform.mjs';

test('Pool.start on a page that is not cross-origin isolated names the two headers', async () => {
  if (!isBrowser) skip('only a browser page can lack cross-origin isolation');
  assert(globalThis.crossOriginIsolated === false, 'this page must be served without COOP/COEP');
  const { pkg } = await loadPackage();
  let error;
  try {
    const pool = await pkg.Pool.start({ workers: 1 });
    await pool.close();
  } catch (e) {
    error = e;
  }
  assert(error instanceof Error, 'Pool.start resolved on a page without isolation');
  for (const header of ['Cross-Origin-Opener-Policy: same-origin', 'Cross-Origin-Embedder-Policy: require-corp']) {
    assert(error.message.includes(header), `the error doesn't name \`${header}\`: ${error.message}`);
  }
});
