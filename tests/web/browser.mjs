// The browser side of the harness (loaded by runner.html): imports the test files named by
// the page's `file=` query parameters, runs them, shows the results and leaves them on
// `window.__pennyResults` (with `done: true`) for chromium.mjs to collect.

import { failure, run, setFile, summarize } from './harness.mjs';

const params = new URLSearchParams(location.search);
const files = params.getAll('file');
const timeout = Number(params.get('timeout') ?? 30_000);

// Console output goes into the results too: chromedriver's log misses what workers print.
const consoleLines = [];
for (const level of ['log', 'info', 'warn', 'error']) {
  const original = console[level].bind(console);
  console[level] = (...args) => {
    consoleLines.push(`${level}: ${args.map(String).join(' ')}`);
    original(...args);
  };
}

const broken = [];
if (files.length === 0) broken.push(failure('runner.html', 'no ?file= test files given'));
for (const file of files) {
  const name = file.split('/').pop();
  setFile(name);
  try {
    await import(new URL(file, location.href).href);
  } catch (error) {
    broken.push(failure(`${name} (import)`, error));
  }
}
const summary = await run({ timeout, filter: params.get('filter') ?? '' });
const results = summarize([...broken, ...summary.results]);
results.errors = window.__pennyErrors ?? [];
results.console = consoleLines;
results.userAgent = navigator.userAgent;
results.done = true;
window.__pennyResults = results;

const status = document.getElementById('status');
status.textContent = `${results.passed} passed, ${results.failed} failed, ${results.skipped} skipped`;
status.className = results.failed ? 'failed' : 'ok';
const out = document.getElementById('out');
for (const r of results.results) {
  const line = document.createElement('div');
  line.className = !r.ok ? 'failed' : r.skipped !== null ? 'skipped' : 'ok';
  const verdict = !r.ok ? 'FAILED' : r.skipped !== null ? `skipped (${r.skipped})` : 'ok';
  line.textContent = `${r.name} ... ${verdict} (${r.ms} ms)${r.ok ? '' : `\n${r.error}`}`;
  out.append(line);
}
