// The browser side of the JS benchmark (loaded by index.html): reads the page's query, runs
// bench.mjs, shows the progress and leaves `window.__pennyBench = { done, result | error }`.

import { runBench, SCENARIOS } from './bench.mjs';
import { loadPackage } from '../../tests/web/platform.mjs';

const params = new URLSearchParams(location.search);
const out = document.getElementById('out');
const log = (line) => {
  out.textContent += `${line}\n`;
  console.log(line);
};

async function main() {
  const { pkg } = await loadPackage(); // from ?pkg=
  let plain = null;
  if (params.get('plain')) {
    plain = await import(new URL(params.get('plain'), location.href).href);
    await plain.default();
  }
  let startRayon = null;
  if (params.get('rayon')) {
    ({ startRayon } = await import(new URL(params.get('rayon'), location.href).href));
  }
  const chromium = navigator.userAgent.match(/(?:Headless)?Chrome\/(\d+)/);
  return runBench({
    pkg,
    plain,
    startRayon,
    platform: chromium ? `Chromium ${chromium[1]}` : navigator.userAgent,
    cores: Number(params.get('workers') ?? navigator.hardwareConcurrency),
    isBrowser: true,
    rounds: Number(params.get('rounds') ?? 7),
    scenarios: params.get('scenarios')?.split(',') ?? SCENARIOS,
    log,
  });
}

const status = document.getElementById('status');
try {
  const result = await main();
  result.visibility = document.visibilityState;
  result.crossOriginIsolated = globalThis.crossOriginIsolated;
  window.__pennyBench = { done: true, result };
  status.textContent = 'done';
} catch (error) {
  window.__pennyBench = { done: true, error: String(error?.stack ?? error) };
  status.textContent = `failed: ${error}`;
}
