// The native plain functions' results (`cargo run -p penny-examples --bin web_expected`,
// written by the test runner to target/web-expected.json): what every JS result is compared
// with. Node reads PENNY_EXPECTED (a path); the browser fetches the page's ?expected= URL.

import { isNode } from './platform.mjs';

let cached;

export function expected() {
  cached ??= load();
  return cached;
}

async function load() {
  if (isNode) {
    const path = process.env.PENNY_EXPECTED;
    if (!path) throw new Error('PENNY_EXPECTED is not set (the native reference results)');
    const { readFile } = await import('node:fs/promises');
    return JSON.parse(await readFile(path, 'utf8'));
  }
  const url = new URLSearchParams(location.search).get('expected');
  if (!url) throw new Error('the page has no ?expected= parameter (the native reference results)');
  const response = await fetch(url);
  if (!response.ok) throw new Error(`fetching ${url}: ${response.status}`);
  return response.json();
}
