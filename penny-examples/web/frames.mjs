// The main thread's pulse: a requestAnimationFrame loop that moves a ball and plots the
// interval between frames. While the pool is saturated the plot should stay flat at the
// display's refresh interval: the workers compute, the main thread only spawns, polls and
// colours finished tiles. Long tasks (>= 50 ms on the main thread) are counted where the
// browser reports them (PerformanceObserver 'longtask').

const HISTORY = 180; // frames plotted
const PLOT_MS = 50; // the plot's top

export class Frames {
  /** `onFrame(now)` runs first in every frame (the demo colours finished tiles there). */
  constructor(canvas, stats, onFrame) {
    Object.assign(this, { canvas, stats, onFrame, ctx: canvas.getContext('2d') });
    this.intervals = [];
    this.frames = 0;
    this.worst = 0; // the longest interval since `resetWorst`
    this.busiest = 0; // the most time this page's own per-frame work took, since `resetWorst`
    this.longTasks = 0;
    this.longTasksSupported =
      typeof PerformanceObserver === 'function' &&
      (PerformanceObserver.supportedEntryTypes || []).includes('longtask');
    if (this.longTasksSupported) {
      new PerformanceObserver((list) => (this.longTasks += list.getEntries().length)).observe({
        type: 'longtask',
      });
    }
    this.trail = [];
    this.last = null;
    this.lastStats = 0;
    requestAnimationFrame((now) => this.frame(now));
  }

  frame(now) {
    if (this.last !== null) {
      const dt = now - this.last;
      this.intervals.push(dt);
      if (this.intervals.length > HISTORY) this.intervals.shift();
      this.worst = Math.max(this.worst, dt);
    }
    this.last = now;
    this.frames++;
    const t0 = performance.now();
    try {
      this.onFrame(now);
      this.draw(now);
    } catch (error) {
      // Reported, and the loop goes on: one bad frame must not stop the page.
      console.error(error);
    }
    // What the page itself spends per frame (colouring tiles, polling tasks, drawing this):
    // frame intervals also include whatever else the browser and the machine were doing.
    this.busiest = Math.max(this.busiest, performance.now() - t0);
    if (now - this.lastStats > 400) {
      this.lastStats = now;
      this.showStats();
    }
    requestAnimationFrame((t) => this.frame(t));
  }

  resetWorst() {
    this.worst = 0;
    this.busiest = 0;
  }

  draw(now) {
    const { ctx, canvas } = this;
    const { width: w, height: h } = canvas;
    ctx.clearRect(0, 0, w, h);
    // The ball: a jank shows as a gap in its trail.
    const x = 14 + (0.5 + 0.5 * Math.sin(now / 420)) * (w - 28);
    const y = 20 + Math.sin(now / 150) * 6;
    this.trail.push([x, y]);
    if (this.trail.length > 14) this.trail.shift();
    this.trail.forEach(([tx, ty], i) => {
      ctx.fillStyle = `rgba(224, 144, 74, ${((i + 1) / this.trail.length) * 0.5})`;
      ctx.beginPath();
      ctx.arc(tx, ty, 3 + (i / this.trail.length) * 4, 0, 2 * Math.PI);
      ctx.fill();
    });
    // The plot: one bar per frame interval, newest on the right.
    const top = 40;
    const plotH = h - top - 2;
    const yOf = (ms) => top + plotH * (1 - Math.min(ms, PLOT_MS) / PLOT_MS);
    const barW = w / HISTORY;
    this.intervals.forEach((dt, i) => {
      ctx.fillStyle = dt > 34 ? '#f85149' : dt > 20 ? '#d29922' : '#3fb950';
      const bx = w - (this.intervals.length - i) * barW;
      ctx.fillRect(bx, yOf(dt), Math.max(barW - 0.5, 1), top + plotH - yOf(dt));
    });
    ctx.font = '10px ui-monospace, monospace';
    for (const ms of [16.7, 33.3]) {
      ctx.strokeStyle = 'rgba(230, 237, 243, 0.25)';
      ctx.setLineDash([3, 3]);
      ctx.beginPath();
      ctx.moveTo(0, yOf(ms));
      ctx.lineTo(w, yOf(ms));
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = 'rgba(230, 237, 243, 0.55)';
      ctx.fillText(`${ms} ms`, 4, yOf(ms) - 3);
    }
  }

  /** Summary of the plotted window. */
  summary() {
    const sorted = [...this.intervals].sort((a, b) => a - b);
    const pick = (q) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : 0);
    const mean = sorted.reduce((a, b) => a + b, 0) / (sorted.length || 1);
    return {
      frames: this.frames,
      medianFrameMs: +pick(0.5).toFixed(2),
      p95FrameMs: +pick(0.95).toFixed(2),
      worstFrameMs: +this.worst.toFixed(2),
      busiestFrameWorkMs: +this.busiest.toFixed(2),
      fps: mean ? Math.round(1000 / mean) : 0,
      longTasks: this.longTasksSupported ? this.longTasks : null,
    };
  }

  showStats() {
    const s = this.summary();
    const long = s.longTasks === null ? 'long tasks: not reported here' : `long tasks: ${s.longTasks}`;
    this.stats.textContent =
      `${s.fps} fps · median ${s.medianFrameMs} ms · p95 ${s.p95FrameMs} ms · ` +
      `worst ${s.worstFrameMs} ms · ${long}`;
  }
}
