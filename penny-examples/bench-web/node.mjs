// Runs the JS benchmark in Node:
//   node penny-examples/bench-web/node.mjs --pkg penny-examples/pkg/penny_examples.js
//        [--plain comparisons/rayon-web/pkg/rayon_web.js] [--rounds N] [--workers W]
//        [--scenarios throughput,roundTrip,urgent] [--json PATH]
// Progress goes to stderr; the figures (JSON) to PATH, or to stdout.

import { readFile, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { runBench, SCENARIOS } from './bench.mjs';
import { loadPackage } from '../../tests/web/platform.mjs';

const usage =
  'usage: node penny-examples/bench-web/node.mjs --pkg <lib>.js [--plain <rayon_web>.js] ' +
  '[--rounds N] [--workers W] [--scenarios a,b] [--json PATH]';
const opts = { plain: '', rounds: 7, workers: availableParallelism(), scenarios: SCENARIOS, json: '' };
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  const arg = args[i];
  const value = () => args[++i] ?? fail(`${arg} needs a value`);
  if (arg === '--pkg') process.env.PENNY_PKG = pathToFileURL(path.resolve(value())).href;
  else if (arg === '--plain') opts.plain = path.resolve(value());
  else if (arg === '--rounds') opts.rounds = Number(value());
  else if (arg === '--workers') opts.workers = Number(value());
  else if (arg === '--scenarios') opts.scenarios = value().split(',');
  else if (arg === '--json') opts.json = path.resolve(value());
  else fail(`unknown argument ${arg}`);
}
if (!process.env.PENNY_PKG) fail('--pkg is required');

function fail(message) {
  console.error(`error: ${message}\n${usage}`);
  process.exit(2);
}

/** comparisons/rayon-web's package, for its plain (`par = false`) exports. */
async function loadPlain(js) {
  // Its worker glue (wasm-bindgen-rayon's no-bundler helpers) listens on `self` when
  // imported; Node has no `self`. Nothing here starts its workers (Node can't).
  globalThis.self ??= new EventTarget();
  const plain = await import(pathToFileURL(js).href);
  await plain.default({ module_or_path: await readFile(js.replace(/\.js$/, '_bg.wasm')) });
  return plain;
}

const { pkg } = await loadPackage();
const result = await runBench({
  pkg,
  plain: opts.plain ? await loadPlain(opts.plain) : null,
  platform: `node ${process.version}`,
  cores: opts.workers,
  isBrowser: false,
  rounds: opts.rounds,
  scenarios: opts.scenarios,
  log: (line) => console.error(line),
});
const json = JSON.stringify(result);
if (opts.json) await writeFile(opts.json, json);
else console.log(json);
// Pools are closed; exit anyway, in case a timer or worker would keep Node alive.
process.exit(0);
