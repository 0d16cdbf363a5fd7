// Drives headless Chromium through chromedriver (W3C WebDriver over Node's global fetch; no
// npm packages):
//
//   node tests/web/chromium.mjs --url URL [--timeout S] [--screenshot PATH]
//        [--wait-for JS_EXPR] [--flag CHROMIUM_FLAG].. [--chromedriver PATH] [--chromium PATH]
//
// Opens URL (served by `cargo xtask serve`, which sends the cross-origin isolation headers)
// and waits until the page is done:
//   - by default URL is tests/web/runner.html: waits for `window.__pennyResults.done`, prints
//     a line per test and a `test result:` line, exits 1 if any failed;
//   - with --wait-for, until JS_EXPR is truthy, and prints its value (e.g. a demo page).
// Prints the browser console, takes a screenshot if asked, then always ends the session and
// chromedriver (and so Chromium), whatever happened.

import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { printResults } from './harness.mjs';

const usage =
  'usage: node tests/web/chromium.mjs --url URL [--timeout S] [--screenshot PATH] ' +
  '[--wait-for JS_EXPR] [--flag FLAG].. [--chromedriver PATH] [--chromium PATH]';
const opts = { url: '', timeout: 120, screenshot: '', waitFor: '', flags: [] };
opts.chromedriver = '/usr/bin/chromedriver';
opts.chromium = '/usr/bin/chromium';
{
  const args = process.argv.slice(2);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const value = () => args[++i] ?? usageError(`${arg} needs a value`);
    if (arg === '--url') opts.url = value();
    else if (arg === '--timeout') opts.timeout = Number(value());
    else if (arg === '--screenshot') opts.screenshot = path.resolve(value());
    else if (arg === '--wait-for') opts.waitFor = value();
    else if (arg === '--flag') opts.flags.push(value());
    else if (arg === '--chromedriver') opts.chromedriver = value();
    else if (arg === '--chromium') opts.chromium = value();
    else usageError(`unknown argument ${arg}`);
  }
  if (!opts.url) usageError('--url is required');
}

function usageError(message) {
  console.error(`error: ${message}\n${usage}`);
  process.exit(2);
}

const deadline = Date.now() + opts.timeout * 1000;
let driver; // the chromedriver child process
let driverExited; // resolves when it has exited
let base; // http://127.0.0.1:PORT/session/ID
let profile; // Chromium's throwaway --user-data-dir

/** Any free local port, for chromedriver. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** One WebDriver command; returns its `value`, throws its error. */
async function webdriver(method, url, body) {
  const response = await fetch(url, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(Math.max(1000, Math.min(60_000, deadline - Date.now()))),
  });
  const json = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = json.value ?? {};
    throw new Error(`${method} ${url}: ${error.error ?? response.status}: ${error.message ?? ''}`);
  }
  return json.value;
}

async function startDriver() {
  const port = await freePort();
  let output = '';
  // Its own process group: the group is killed at the end, Chromium included.
  driver = spawn(opts.chromedriver, [`--port=${port}`], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  driver.stdout.on('data', (d) => (output += d));
  driver.stderr.on('data', (d) => (output += d));
  const exited = new Promise((resolve) => driver.on('exit', resolve));
  driverExited = exited;
  const spawnFailed = new Promise((_, reject) => driver.on('error', reject));
  const url = `http://127.0.0.1:${port}`;
  while (Date.now() < deadline) {
    const ready = await Promise.race([
      fetch(`${url}/status`)
        .then((r) => r.json())
        .then((j) => j.value?.ready === true)
        .catch(() => false),
      spawnFailed,
      exited.then((code) => {
        throw new Error(`chromedriver exited (${code}):\n${output}`);
      }),
    ]);
    if (ready) return url;
    await sleep(100);
  }
  throw new Error(`chromedriver did not become ready:\n${output}`);
}

async function newSession(driverUrl) {
  profile = await mkdtemp(path.join(tmpdir(), 'penny-chromium-'));
  const args = [
    '--headless=new',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-dev-shm-usage',
    // Without these Chromium keeps trying the (closed) network and floods the log.
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    `--user-data-dir=${profile}`,
    ...opts.flags,
  ];
  const capabilities = {
    alwaysMatch: {
      browserName: 'chrome',
      'goog:chromeOptions': { binary: opts.chromium, args },
      'goog:loggingPrefs': { browser: 'ALL' },
    },
  };
  const session = await webdriver('POST', `${driverUrl}/session`, { capabilities });
  const version = session.capabilities?.browserVersion ?? '?';
  return { url: `${driverUrl}/session/${session.sessionId}`, version };
}

function execute(script) {
  return webdriver('POST', `${base}/execute/sync`, { script, args: [] });
}

/** Polls `expr` in the page until it is truthy; returns its value. */
async function waitFor(expr) {
  let lastError;
  while (Date.now() < deadline) {
    try {
      const value = await execute(`return (${expr}) || null;`);
      if (value) return value;
    } catch (error) {
      lastError = error; // e.g. the page is still navigating
    }
    await sleep(200);
  }
  let page = '';
  try {
    const state = await execute(
      'return { text: document.body ? document.body.innerText : "", errors: window.__pennyErrors || [] };',
    );
    page = `\npage text:\n${state.text}\npage errors:\n${state.errors.join('\n')}`;
  } catch {}
  throw new Error(
    `timed out after ${opts.timeout} s waiting for ${expr}` +
      (lastError ? ` (last error: ${lastError.message})` : '') +
      page,
  );
}

/** The browser console so far, via chromedriver's log endpoint; empty if it has none. */
async function consoleLog() {
  try {
    const entries = await webdriver('POST', `${base}/se/log`, { type: 'browser' });
    return entries.map((e) => `${e.level}: ${e.message}`);
  } catch {
    return [];
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function cleanup() {
  if (base) {
    const session = base;
    base = undefined;
    await webdriver('DELETE', session).catch(() => {});
  }
  if (driver) {
    // Ending the session above has chromedriver quit Chromium; now chromedriver itself, and
    // then whatever is left of its process group (a Chromium that would not quit).
    if (driver.exitCode === null && driver.signalCode === null) {
      driver.kill('SIGTERM');
      await Promise.race([driverExited, sleep(5000)]);
    }
    try {
      process.kill(-driver.pid, 'SIGKILL');
    } catch {} // ESRCH: nothing left
  }
  if (profile) await rm(profile, { recursive: true, force: true }).catch(() => {});
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, async () => {
    await cleanup();
    process.exit(130);
  });
}

let code = 1;
try {
  const driverUrl = await startDriver();
  const session = await newSession(driverUrl);
  base = session.url;
  console.log(`chromium ${session.version}: ${opts.url}`);
  await webdriver('POST', `${base}/url`, { url: opts.url });
  const value = await waitFor(opts.waitFor || 'window.__pennyResults && window.__pennyResults.done && window.__pennyResults');
  // chromedriver's log when it has one; else what the runner page captured itself.
  let log = await consoleLog();
  if (!log.length && Array.isArray(value.console)) log = value.console;
  if (log.length) console.log(`browser console:\n${log.map((l) => `  ${l}`).join('\n')}`);
  if (opts.screenshot) {
    const png = await webdriver('GET', `${base}/screenshot`);
    await writeFile(opts.screenshot, Buffer.from(png, 'base64'));
    console.log(`screenshot: ${opts.screenshot}`);
  }
  if (opts.waitFor) {
    console.log(`${opts.waitFor} = ${JSON.stringify(value)}`);
    code = 0;
  } else {
    for (const error of value.errors ?? []) console.log(`page error: ${error}`);
    printResults(value, `Chromium ${session.version}`);
    code = value.failed ? 1 : 0;
  }
} catch (error) {
  console.error(`error: ${error.message}`);
  for (const line of await consoleLog()) console.error(`  ${line}`);
} finally {
  await cleanup();
}
process.exit(code);
