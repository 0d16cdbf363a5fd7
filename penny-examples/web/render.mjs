// One render of a Mandelbrot view: a task per tile, writing escape counts straight into an
// `OutArray` in the shared wasm memory; tiles are grouped into bands, one job per band. Tiles
// are coloured onto the canvas as they complete (on the next animation frame), and an overlay
// shows every unfinished tile: dim when queued, a progress fill when running, hatched when
// cancelled.

import { Job } from './jobs.mjs';
import { drawTile, fnv1a64, palette } from './pixels.mjs';

/**
 * The image's size and how it is cut: `tile` pixels square (edge tiles may be smaller),
 * `bandRows` rows of tiles per job.
 */
export const CHECK = { width: 256, height: 128, tile: 32, bandRows: 1 };
export const BIG = { width: 1120, height: 640, tile: 64, bandRows: 2 };

/**
 * A view of the complex plane: the point at the image's centre and the distance between two
 * pixels. `home` marks the view `mandelbrot_tile` has built in (x in [-2.5, 1], y in [-1, 1]),
 * which renders with `MandelbrotTile`; zoomed views use `MandelbrotView`.
 */
export function homeView(size) {
  return { cx: -0.75, cy: 0, step: 3.5 / size.width, home: true };
}

/** Shared-memory buffers for the escape counts, reused once no task writes to them any more
 * (an `OutArray` is never freed, so allocating one per zoom would grow the memory). */
export class Buffers {
  constructor(pkg, length) {
    Object.assign(this, { pkg, length, all: [] });
  }

  acquire(render) {
    let buffer = this.all.find((b) => b.owner === null || b.owner.stopped());
    if (!buffer) {
      buffer = { out: this.pkg.OutArray.u32(this.length), owner: null };
      this.all.push(buffer);
    }
    buffer.owner = render;
    return buffer.out;
  }
}

export class Render {
  /**
   * `ctx`, `overlay`: the image's and the overlay's 2D contexts; `size`: CHECK or BIG;
   * `view`: from `homeView` or a zoom; `onJob(job)`: called with each band's job once spawned.
   */
  constructor({ pkg, pool, buffers, ctx, overlay, size, view, maxIter, priority, onJob }) {
    Object.assign(this, { pkg, pool, ctx, overlay, size, view, maxIter, priority });
    Object.assign(this, { onJob, out: buffers.acquire(this), lut: palette(maxIter) });
    this.ready = []; // finished tiles to colour on the next frame
    this.jobs = [];
    this.pending = this.bands(); // bands not spawned yet
    this.allTiles = this.pending.flatMap((band) => band.tiles);
    this.started = performance.now();
    this.spawnMs = 0;
    this.finished = new Promise((resolve) => (this.resolveFinished = resolve));
    this.spawnSome();
  }

  /**
   * Spawns tasks for at most `budgetMs`, a job per band; the demo calls it once a frame
   * until every tile is out. Each spawn is a call into wasm (a lock, the task's state into a
   * slot, an AbortSignal listener, a promise): a whole view of 180 tasks at once would hold
   * the main thread for tens of milliseconds.
   */
  spawnSome(budgetMs = 4) {
    const t0 = performance.now();
    while (this.pending.length && performance.now() - t0 < budgetMs) {
      const band = this.pending[0];
      if (!band.job) {
        band.job = new Job({
          name: band.name,
          priority: this.priority,
          columns: band.columns,
          planned: { tasks: band.tiles.length, work: band.tiles.reduce((n, t) => n + t.w * t.h, 0) },
          onTaskDone: (task) => this.ready.push(task.data),
        });
        this.jobs.push(band.job);
        this.onJob(band.job, this);
      }
      const tile = band.tiles[band.job.tasks.length];
      tile.task = band.job.add(this.spawn(tile, band.job.options), tile.w * tile.h, tile);
      if (band.job.tasks.length === band.tiles.length) {
        band.job.seal();
        this.pending.shift();
      }
    }
    this.spawnMs += performance.now() - t0;
    if (this.pending.length === 0 && !this.allSpawned) this.whenAllSettled();
  }

  /** Sets `allSettled` once every spawned task settled (`frame` then resolves `finished`). */
  whenAllSettled() {
    this.allSpawned = true;
    Promise.all(this.jobs.map((j) => j.finished)).then(() => (this.allSettled = true));
  }

  /** The tiles, in bands of `bandRows` tile rows. */
  bands() {
    const { width, height, tile, bandRows } = this.size;
    const bands = [];
    for (let y0 = 0; y0 < height; y0 += tile * bandRows) {
      const tiles = [];
      const y1 = Math.min(height, y0 + tile * bandRows);
      for (let ty = y0; ty < y1; ty += tile) {
        for (let x0 = 0; x0 < width; x0 += tile) {
          const [w, h] = [Math.min(tile, width - x0), Math.min(tile, y1 - ty)];
          tiles.push({ x0, y0: ty, w, h, label: `tile (${x0}, ${ty}) ${w}×${h}` });
        }
      }
      const columns = Math.ceil(width / tile);
      bands.push({ name: `render · rows ${y0}–${y1 - 1}`, tiles, columns });
    }
    return bands;
  }

  /** One tile's task: `MandelbrotTile` for the home view (the one the native reference
   * renders), `MandelbrotView` for zoomed ones. */
  spawn(tile, options) {
    const { pkg, pool, out, size, view, maxIter } = this;
    const { x0, y0, w, h } = tile;
    if (view.home) {
      return pkg.MandelbrotTile.spawn(pool, out, size.width, size.height, x0, y0, w, h, maxIter, options);
    }
    const left = view.cx - (size.width / 2) * view.step;
    const top = view.cy - (size.height / 2) * view.step;
    return pkg.MandelbrotView.spawn(pool, out, size.width, x0, y0, w, h, left, top, view.step, maxIter, options);
  }

  cancel() {
    this.cancelled = true;
    // Tiles not spawned yet never will be; a band cut short ends with what it has.
    if (this.pending.length && this.pending[0].job) this.pending[0].job.seal();
    this.pending = [];
    for (const job of this.jobs) job.cancel();
    if (!this.allSpawned) this.whenAllSettled();
  }

  /** Whether no task of this render is still on a worker (its buffer can be reused). */
  stopped() {
    return this.jobs.every((job) => job.stopped());
  }

  /** Once a frame: spawns the next band, colours the tiles that finished since the last
   * frame, and settles `finished` once all is drawn. */
  frame() {
    this.spawnSome();
    if (this.ready.length) {
      // A fresh view each time: an old one has length 0 once the memory grew.
      const counts = this.out.view();
      for (const tile of this.ready.splice(0)) drawTile(this.ctx, counts, this.size.width, this.lut, tile);
    }
    if (this.allSettled && this.ms === undefined) {
      this.ms = performance.now() - this.started;
      this.resolveFinished(this);
    }
  }

  /** Redraws the overlay over the unfinished tiles. */
  paintOverlay() {
    const g = this.overlay;
    g.clearRect(0, 0, this.size.width, this.size.height);
    for (const { x0, y0, w, h, task } of this.allTiles) {
      // A tile not spawned yet is queued, or cancelled with its render.
      const state = task ? task.state : this.cancelled ? 'cancelled' : 'queued';
      if (state === 'done') continue;
      g.fillStyle = state === 'running' ? 'rgba(8, 10, 18, 0.35)' : 'rgba(8, 10, 18, 0.62)';
      g.fillRect(x0, y0, w, h);
      if (state === 'running') {
        const p = task.done / task.total;
        g.fillStyle = 'rgba(224, 144, 74, 0.35)';
        g.fillRect(x0, y0 + h * (1 - p), w, h * p);
        g.strokeStyle = 'rgba(240, 170, 100, 0.95)';
        g.lineWidth = 2;
        g.strokeRect(x0 + 1, y0 + 1, w - 2, h - 2);
      } else if (state === 'cancelled' || state === 'failed') {
        g.strokeStyle = state === 'failed' ? 'rgba(255, 60, 60, 0.8)' : 'rgba(248, 81, 73, 0.45)';
        g.lineWidth = 1;
        g.beginPath();
        for (let d = -h; d < w; d += 8) {
          g.moveTo(x0 + Math.max(d, 0), y0 + Math.max(-d, 0));
          g.lineTo(x0 + Math.min(d + h, w), y0 + Math.min(w - d, h));
        }
        g.stroke();
      } else {
        g.strokeStyle = 'rgba(255, 255, 255, 0.06)';
        g.lineWidth = 1;
        g.strokeRect(x0 + 0.5, y0 + 0.5, w - 1, h - 1);
      }
    }
  }

  /** Summary for `window.__pennyDemo`: the FNV-1a 64 of every escape count. */
  async summary() {
    // One view for all slices: a shared memory that grows meanwhile leaves it valid. (A new
    // render started within these few ms could reuse the buffer; the demo hashes only its
    // first render, which the test doesn't interrupt.)
    const hash = await fnv1a64(this.out.view());
    const done = this.allTiles.filter((t) => t.task && t.task.state === 'done').length;
    return {
      hash,
      width: this.size.width,
      height: this.size.height,
      tile: this.size.tile,
      tiles: this.allTiles.length,
      tilesDone: done,
      jobs: this.jobs.length,
      maxIter: this.maxIter,
      kernel: this.view.home ? 'MandelbrotTile' : 'MandelbrotView',
      ms: Math.round(this.ms),
      spawnMs: +this.spawnMs.toFixed(2),
    };
  }
}
