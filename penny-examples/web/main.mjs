// Penny's browser demo: a Mandelbrot rendered on a pool of Web Workers into shared memory.
//
//   index.html           the big view (1120x640 in 64 px tiles); click to zoom
//   index.html?check=1   exactly the native reference image (256x128, 32 px tiles, 200
//                        iterations, the view `web_expected` renders), for the test
//   &workers=N           pool size (default: hardwareConcurrency - 1, at least 1)
//
// When the first render is done, `window.__pennyDemo` holds `done: true`, the FNV-1a 64 hash
// of the escape counts (as `web_expected` computes it) and frame statistics; if the pool can't
// start, `done: true` and `error`. `cargo xtask demo-check` reads it (tests/web/chromium.mjs
// --wait-for).

import init, * as pkg from '../pkg/penny_examples.js';
import { Frames } from './frames.mjs';
import { Job, JobList } from './jobs.mjs';
import { BIG, Buffers, CHECK, Render, homeView } from './render.mjs';

const params = new URLSearchParams(location.search);
const check = params.has('check');
const size = check ? CHECK : BIG;
const maxIterFor = () => Number($('iters').value);
// Spin iterations per load task: about a second of work (a few ms per million).
const LOAD_ITERATIONS = 300_000_000n;

const $ = (id) => document.getElementById(id);
const image = $('image');
const overlayCanvas = $('overlay');
for (const canvas of [image, overlayCanvas]) [canvas.width, canvas.height] = [size.width, size.height];
document.body.classList.toggle('check', check);
if (check) $('iters').replaceChildren(new Option('200 iterations (check)', '200'));
const ctx = image.getContext('2d');
const overlay = overlayCanvas.getContext('2d');
const jobs = new JobList($('jobs'));
const priority = () => document.querySelector('input[name=priority]:checked').value;

let current = null; // the render on screen
const home = homeView(size);
let view = home;
let lastPoll = 0;
const frames = new Frames($('frames'), $('frame-stats'), (now) => {
  if (!current) return;
  const drew = current.ready.length > 0;
  current.frame();
  // Reading every task's status and progress ten times a second is plenty for the bars.
  if (drew || now - lastPoll > 100) {
    lastPoll = now;
    jobs.update();
    current.paintOverlay();
    showProgress();
  }
});

function fail(message) {
  const banner = $('banner');
  banner.hidden = false;
  banner.textContent = message;
  badge('b-workers', 'no pool', false);
  document.body.classList.add('failed');
  for (const control of document.querySelectorAll('aside button, aside input, aside select')) control.disabled = true;
  window.__pennyDemo = { done: true, error: message, crossOriginIsolated: globalThis.crossOriginIsolated === true };
}

function badge(id, text, ok) {
  const el = $(id);
  el.textContent = text;
  el.className = `badge ${ok ? 'ok' : 'bad'}`;
}

badge('b-isolated', crossOriginIsolated ? 'cross-origin isolated' : 'not cross-origin isolated', crossOriginIsolated);
let wasm;
let pool;
try {
  wasm = await init();
  // One core stays with the main thread (and the browser); the rest compute.
  const workers = Number(params.get('workers')) || Math.max(1, (navigator.hardwareConcurrency || 2) - 1);
  pool = await pkg.Pool.start({ workers });
} catch (error) {
  // On a page without COOP/COEP, Pool.start rejects naming the two headers it needs.
  fail(`${error.message}\n\nRun \`cargo xtask serve\` and open the URL it prints.`);
}

if (pool) {
  badge('b-workers', `${pool.workers} worker${pool.workers === 1 ? '' : 's'} + main thread`, true);
  const showMemory = () =>
    badge('b-memory', `shared memory ${(wasm.memory.buffer.byteLength / 2 ** 20).toFixed(0)} MiB`, true);
  showMemory();
  setInterval(showMemory, 1000);
  const buffers = new Buffers(pkg, size.width * size.height);
  let first = true;

  const start = (next, preview) => {
    if (current) current.cancel();
    if (preview) ctx.drawImage(image, ...preview, 0, 0, size.width, size.height);
    view = next;
    frames.resetWorst();
    const render = new Render({
      pkg, pool, buffers, ctx, overlay, size, view, maxIter: maxIterFor(), priority: priority(),
      onJob: (job, group) => jobs.add(job, group),
    });
    current = render;
    render.finished.then(async () => {
      if (first) {
        first = false;
        const frameStats = frames.summary(); // before hashing, which is not the render's
        window.__pennyDemo = {
          done: true,
          mode: check ? 'check' : 'view',
          ...(await render.summary()),
          workers: pool.workers,
          priority: render.priority,
          ...frameStats,
          crossOriginIsolated,
        };
      }
      showProgress();
    });
  };

  // Click: zoom in 4x around the point; shift-click or right-click: zoom out.
  const zoom = (event, factor) => {
    if (check || !pkg.MandelbrotView) return;
    event.preventDefault();
    const rect = image.getBoundingClientRect();
    const px = ((event.clientX - rect.left) / rect.width) * size.width;
    const py = ((event.clientY - rect.top) / rect.height) * size.height;
    const cx = view.cx + (px - size.width / 2) * view.step;
    const cy = view.cy + (py - size.height / 2) * view.step;
    const step = view.step * factor;
    // Past ~1e-15 per pixel, f64 can't tell neighbouring pixels apart.
    if (step < 4e-15 * Math.max(1, Math.abs(view.cx), Math.abs(view.cy))) {
      $('zoom-hint').textContent = 'That is as deep as 64-bit floats go: shift-click to zoom out.';
      return;
    }
    const next = step >= home.step * 0.999 ? home : { cx, cy, step, home: false };
    // Until the tiles come in, the old image scaled to the new view.
    const scale = next.step / view.step;
    const sx = (next.cx - view.cx) / view.step + size.width / 2 - (size.width / 2) * scale;
    const sy = (next.cy - view.cy) / view.step + size.height / 2 - (size.height / 2) * scale;
    start(next, [sx, sy, size.width * scale, size.height * scale]);
  };
  image.addEventListener('click', (e) => zoom(e, e.shiftKey ? 4 : 1 / 4));
  image.addEventListener('contextmenu', (e) => zoom(e, 4));
  if (check || !pkg.MandelbrotView) $('zoom-hint').textContent = 'Zoom is off in this mode.';

  $('rerender').addEventListener('click', () => start(view));
  $('home').addEventListener('click', () => start(home));
  $('iters').addEventListener('change', () => start(view));
  $('cancel-all').addEventListener('click', () => jobs.cancelAll());
  $('load').addEventListener('click', () => {
    const n = pool.workers * 2;
    const job = new Job({ name: `load · Spin × ${n}`, priority: priority(), columns: n });
    for (let i = 0; i < n; i++) {
      const handle = pkg.Spin.spawn(pool, LOAD_ITERATIONS, job.options);
      job.add(handle, Number(LOAD_ITERATIONS), { label: `Spin task ${i + 1}` });
    }
    job.seal();
    jobs.add(job);
  });

  start(home);
}

/** The line under the image: the view, and how far its render got. */
function showProgress() {
  if (!current) return;
  const { allTiles: tiles, view } = current;
  const done = tiles.filter((t) => t.task && t.task.state === 'done').length;
  const where = view.home
    ? 'home view'
    : `centre ${view.cx.toPrecision(10)} ${view.cy < 0 ? '−' : '+'} ${Math.abs(view.cy).toPrecision(10)}i · ` +
      `×${thousands(Math.round(home.step / view.step))}`;
  const ms = current.ms ?? performance.now() - current.started;
  $('view-info').textContent =
    `${where} · ${thousands(current.maxIter)} iterations · ${done}/${tiles.length} tiles · ` +
    `${current.priority} · ${(ms / 1000).toFixed(2)} s`;
}

/** 12345678 → '12 345 678' (toLocaleString's first call loads locale data: a long frame). */
function thousands(n) {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
}
