// Penny's wasm test harness: one tiny test API that runs the same *.test.mjs files in Node
// (node.mjs) and in a browser page (runner.html + browser.mjs). No dependencies.
//
//   import { test, assert, assertEqual, skip } from './harness.mjs';
//   test('adds', async () => { assertEqual(1 + 1, 2); });

// On globalThis, not in this module: a page may reach this file under two URLs (say with and
// without the server's /no-isolation/ prefix), and then there are two module instances that
// must still share one list of tests.
const state = (globalThis.__pennyHarness ??= { tests: [], file: '' });

export class AssertionError extends Error {
  name = 'AssertionError';
}

class Skip extends Error {
  name = 'Skip';
}

/** Registers a test; `fn` may be async. `timeout` (ms) overrides run()'s per-test default. */
export function test(name, fn, { timeout } = {}) {
  const full = state.file ? `${state.file} > ${name}` : name;
  state.tests.push({ name: full, fn, timeout });
}

/** Names the file whose tests are registered next (the runners call it before each import). */
export function setFile(name) {
  state.file = name;
}

/** Ends the current test as skipped (e.g. a browser-only check in Node), not failed. */
export function skip(reason) {
  throw new Skip(reason);
}

export function assert(condition, message = 'assertion failed') {
  if (!condition) throw new AssertionError(message);
}

export function assertEqual(actual, expected, message) {
  if (!equal(actual, expected)) {
    const detail = `expected ${show(expected)}, got ${show(actual)}`;
    throw new AssertionError(message ? `${message}: ${detail}` : detail);
  }
}

/** Awaits `promise`, which must reject; with `name`, the error's name must be `name`. */
export async function assertRejects(promise, name) {
  try {
    await promise;
  } catch (error) {
    if (name !== undefined && error?.name !== name) {
      throw new AssertionError(`expected a rejection with a ${name}, got ${describe(error)}`);
    }
    return error;
  }
  throw new AssertionError(`expected a rejection${name ? ` with a ${name}` : ''}, but it resolved`);
}

/** Calls `fn`, which must throw; with `ErrorCtor`, an instance of it. */
export function assertThrows(fn, ErrorCtor) {
  try {
    fn();
  } catch (error) {
    if (ErrorCtor !== undefined && !(error instanceof ErrorCtor)) {
      throw new AssertionError(`expected a ${ErrorCtor.name}, got ${describe(error)}`);
    }
    return error;
  }
  throw new AssertionError(`expected a throw${ErrorCtor ? ` of a ${ErrorCtor.name}` : ''}`);
}

/** Deep equality for what tests compare: primitives, arrays, typed arrays, plain objects. */
function equal(a, b) {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  if (Array.isArray(a) || ArrayBuffer.isView(a)) {
    return a.length === b.length && Array.prototype.every.call(a, (x, i) => equal(x, b[i]));
  }
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => equal(a[k], b[k]));
}

function show(value) {
  try {
    return typeof value === 'bigint' ? `${value}n` : JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function describe(error) {
  return error instanceof Error ? `${error.name}: ${error.message}` : show(error);
}

/**
 * Runs every registered test, one after another, each under a timeout. Returns
 * `{passed, failed, skipped, results: [{name, ok, error, skipped, ms}]}`.
 */
export async function run({ timeout = 30_000, filter = '' } = {}) {
  const results = [];
  for (const t of state.tests.filter((t) => t.name.includes(filter))) {
    const limit = t.timeout ?? timeout;
    const start = performance.now();
    let timer;
    const result = { name: t.name, ok: true, error: null, skipped: null, ms: 0 };
    try {
      await Promise.race([
        (async () => t.fn())(),
        new Promise((_, reject) => {
          timer = setTimeout(() => {
            const error = new Error(`timed out after ${limit} ms`);
            error.stack = `Error: ${error.message}`; // where the timer fired says nothing
            reject(error);
          }, limit);
        }),
      ]);
    } catch (error) {
      if (error instanceof Skip || error?.name === 'Skip') {
        result.skipped = error.message;
      } else {
        result.ok = false;
        result.error = error instanceof Error ? (error.stack ?? describe(error)) : show(error);
        if (error instanceof Error && !result.error.includes(error.message)) {
          result.error = `${describe(error)}\n${result.error}`;
        }
      }
    } finally {
      clearTimeout(timer);
    }
    result.ms = Math.round(performance.now() - start);
    results.push(result);
  }
  return summarize(results);
}

/** A failed pseudo-test, for a file that could not even be imported. */
export function failure(name, error) {
  return { name, ok: false, error: String(error?.stack ?? error), skipped: null, ms: 0 };
}

export function summarize(results) {
  const skipped = results.filter((r) => r.skipped !== null).length;
  const failed = results.filter((r) => !r.ok).length;
  return { passed: results.length - failed - skipped, failed, skipped, results };
}

/**
 * Prints one line per test and a libtest-style `test result:` line (which `cargo xtask`
 * counts). `where` says what ran them ("node v20.1.0", "Chromium 156").
 */
export function printResults(summary, where) {
  for (const r of summary.results) {
    const status = !r.ok ? 'FAILED' : r.skipped !== null ? `skipped (${r.skipped})` : 'ok';
    console.log(`test ${r.name} ... ${status} (${r.ms} ms)`);
    if (!r.ok) console.log(indent(r.error));
  }
  const verdict = summary.failed ? 'FAILED' : 'ok';
  console.log(
    `test result: ${verdict}. ${summary.passed} passed; ${summary.failed} failed; ` +
      `${summary.skipped} ignored; in ${where}`,
  );
}

function indent(text) {
  return String(text)
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
}
