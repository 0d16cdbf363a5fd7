// The demo page's script (scaffold): initialises the package and reports what threads on the
// web need. `window.__pennyDemo` is set when it is done, for `tests/web/chromium.mjs
// --wait-for window.__pennyDemo --screenshot PATH`.

import init from '../pkg/penny_examples.js';

const checks = document.getElementById('checks');
function show(name, ok, detail) {
  const dt = document.createElement('dt');
  dt.textContent = name;
  const dd = document.createElement('dd');
  dd.className = ok ? 'ok' : 'bad';
  dd.textContent = detail;
  checks.append(dt, dd);
}

const state = { crossOriginIsolated: globalThis.crossOriginIsolated === true, init: null };
show(
  'cross-origin isolated',
  state.crossOriginIsolated,
  state.crossOriginIsolated
    ? 'yes'
    : 'no: serve the page with COOP: same-origin and COEP: require-corp (cargo xtask serve)',
);
try {
  await init();
  state.init = 'ok';
  show('wasm package', true, 'initialised (threaded build, shared memory)');
} catch (error) {
  state.init = String(error);
  show('wasm package', false, `init() failed: ${error}`);
}
window.__pennyDemo = state;
