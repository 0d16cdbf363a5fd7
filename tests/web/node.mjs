// Runs wasm test files in Node:
//   node tests/web/node.mjs --pkg penny-examples/pkg/penny_examples.js [--timeout MS]
//        [--filter TEXT] [FILES..]        (default: every tests/web/*.test.mjs)
// Prints a line per test and a `test result:` line; exits nonzero if any test failed.

import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { failure, printResults, run, setFile, summarize } from './harness.mjs';

const usage = 'usage: node tests/web/node.mjs --pkg <lib>.js [--timeout MS] [--filter TEXT] [FILES..]';
const args = process.argv.slice(2);
const files = [];
let timeout = 30_000;
let filter = '';
for (let i = 0; i < args.length; i++) {
  const arg = args[i];
  const value = () => args[++i] ?? fail(`${arg} needs a value`);
  if (arg === '--pkg') process.env.PENNY_PKG = pathToFileURL(path.resolve(value())).href;
  else if (arg === '--timeout') timeout = Number(value());
  else if (arg === '--filter') filter = value();
  else if (arg.startsWith('--')) fail(`unknown option ${arg}`);
  else files.push(path.resolve(arg));
}
if (!process.env.PENNY_PKG) fail('--pkg is required (or set PENNY_PKG)');

function fail(message) {
  console.error(`error: ${message}\n${usage}`);
  process.exit(2);
}

if (files.length === 0) {
  const dir = path.dirname(fileURLToPath(import.meta.url));
  for (const name of (await readdir(dir)).sort()) {
    if (name.endsWith('.test.mjs')) files.push(path.join(dir, name));
  }
}

// A file that fails to import is a failed test, not a crash: the other files still run.
const broken = [];
for (const file of files) {
  setFile(path.basename(file));
  try {
    await import(pathToFileURL(file).href);
  } catch (error) {
    broken.push(failure(`${path.basename(file)} (import)`, error));
  }
}
const summary = await run({ timeout, filter });
const all = summarize([...broken, ...summary.results]);
printResults(all, `node ${process.version}`);
// Exit now: a test may leave workers or timers behind that would keep Node alive.
process.exit(all.failed ? 1 : 0);
