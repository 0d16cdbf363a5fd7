// Jobs: groups of Penny tasks spawned together (a band of tiles, a batch of background load)
// that share one AbortController, and the list that shows them. Each job is a row with a
// progress bar, its priority, a cancel button for the whole job, and one cell per task laid
// out like the tasks (a band's cells mirror its tiles): a small progress heat map whose cells
// are buttons that cancel that task alone.

const SETTLED = new Set(['done', 'cancelled', 'failed']);

/** One task of a job: its handle and what the page last read from it. */
class Task {
  constructor(job, handle, total, data) {
    Object.assign(this, { job, handle, total, data, done: 0, state: 'queued', value: undefined });
    handle.result.then(
      (value) => {
        Object.assign(this, { state: 'done', done: this.total, value });
        job.onTaskDone(this);
      },
      (error) => {
        // AbortError: the job's signal (DOMException) or the task's own cancel() (Error).
        this.state = error && error.name === 'AbortError' ? 'cancelled' : 'failed';
        if (this.state === 'failed') console.error(`${job.name}: ${error && error.message}`);
        job.onTaskSettled(this);
      },
    );
  }

  get settled() {
    return SETTLED.has(this.state);
  }

  /** Reads status and progress from the task's slot (cheap calls into wasm). */
  poll() {
    if (this.settled) return;
    const status = this.handle.status();
    if (status === 'queued' || status === 'running') this.state = status;
    if (status !== 'queued') this.done = this.handle.progress().done;
  }

  /** Whether no worker runs it any more: a cancelled task stops at its next chunk boundary,
   * after its promise already rejected, and may write its output until then. */
  stopped() {
    return SETTLED.has(this.handle.status());
  }
}

export class Job {
  /**
   * `name`: the row's title; `priority`: what its tasks were spawned with; `columns`: how
   * many cells per row of the heat map; `planned`: `{ tasks, work }` when tasks are added
   * over several frames (so the bar doesn't fill up with the first few); `onTaskDone(task)`:
   * called as each task finishes.
   */
  constructor({ name, priority, columns, planned = { tasks: 0, work: 0 }, onTaskDone = () => {} }) {
    Object.assign(this, { name, priority, columns, planned, tasks: [], started: performance.now() });
    this.ended = null;
    this.controller = new AbortController();
    this.taskDone = onTaskDone;
    this.settledCount = 0;
    this.sealed = false; // no more tasks to come
    let resolve;
    this.finished = new Promise((r) => (resolve = r));
    this.resolveFinished = resolve;
  }

  /** The options every task of this job is spawned with. */
  get options() {
    return { priority: this.priority, signal: this.controller.signal };
  }

  /** Adds a spawned task: `total` is its known amount of work, `data` what the caller needs. */
  add(handle, total, data) {
    const task = new Task(this, handle, total, data);
    this.tasks.push(task);
    return task;
  }

  onTaskDone(task) {
    this.taskDone(task);
    this.onTaskSettled(task);
  }

  onTaskSettled() {
    this.settledCount++;
    this.checkFinished();
  }

  /** Says every task was added: the job ends once they have all settled. */
  seal() {
    this.sealed = true;
    this.checkFinished();
  }

  checkFinished() {
    if (this.sealed && this.ended === null && this.settledCount === this.tasks.length) {
      this.ended = performance.now();
      this.resolveFinished(this);
    }
  }

  cancel() {
    this.controller.abort();
  }

  poll() {
    for (const task of this.tasks) task.poll();
  }

  stopped() {
    return this.tasks.every((task) => task.stopped());
  }

  /** One word for the whole job. */
  get state() {
    const count = (state) => this.tasks.filter((t) => t.state === state).length;
    if (this.ended === null) {
      if (this.controller.signal.aborted) return 'cancelling';
      if (!this.sealed) return 'spawning';
      return count('running') ? 'running' : count('done') ? 'running' : 'queued';
    }
    if (count('failed')) return 'failed';
    return count('cancelled') ? 'cancelled' : 'done';
  }

  get fraction() {
    let done = 0;
    let total = 0;
    for (const t of this.tasks) {
      done += t.done;
      total += t.total;
    }
    total = Math.max(total, this.sealed ? 0 : this.planned.work);
    return total ? done / total : 0;
  }

  /** How many tasks the job has, or will have once spawned. */
  get size() {
    return Math.max(this.tasks.length, this.sealed ? 0 : this.planned.tasks);
  }
}

/** The job list: a row per job, newest first, the oldest finished ones dropped past `max`. */
export class JobList {
  constructor(list, max = 14) {
    Object.assign(this, { list, max, rows: new Map(), lastOf: new WeakMap() });
  }

  /** Adds a row on top, or right after the last row of the same `group` (a render's bands
   * stay in order, top band first). */
  add(job, group = job) {
    const row = document.createElement('li');
    row.className = 'job';
    row.innerHTML = `
      <div class="job-head">
        <span class="job-name"></span>
        <span class="chip"></span>
        <button class="cancel" title="Cancel every task of this job">✕</button>
      </div>
      <div class="bar"><div class="fill"></div></div>
      <div class="cells"></div>
      <div class="job-foot"></div>`;
    row.querySelector('.job-name').textContent = job.name;
    const chip = row.querySelector('.chip');
    chip.textContent = job.priority;
    chip.classList.add(`prio-${job.priority}`);
    row.querySelector('.cancel').addEventListener('click', () => job.cancel());
    row.querySelector('.cells').style.gridTemplateColumns = `repeat(${job.columns}, 1fr)`;
    const previous = this.lastOf.get(group);
    if (previous && previous.isConnected) previous.after(row);
    else this.list.prepend(row);
    this.lastOf.set(group, row);
    const parts = {
      fill: row.querySelector('.fill'),
      cancel: row.querySelector('.cancel'),
      grid: row.querySelector('.cells'),
      foot: row.querySelector('.job-foot'),
    };
    this.rows.set(job, { row, parts, fresh: true });
    this.prune();
  }

  /** Cancels every unfinished job in the list. */
  cancelAll() {
    for (const job of this.rows.keys()) if (job.ended === null) job.cancel();
  }

  prune() {
    const finished = [...this.rows.keys()].filter((job) => job.ended !== null);
    while (this.rows.size > this.max && finished.length) {
      const job = finished.shift(); // the oldest finished job (rows are added in order)
      this.rows.get(job).row.remove();
      this.rows.delete(job);
    }
  }

  /** Reads every unfinished job's tasks and redraws their rows (a finished row once more). */
  update() {
    for (const [job, entry] of this.rows) {
      if (job.ended !== null && !entry.fresh) continue;
      entry.fresh = job.ended === null;
      job.poll();
      const { row, parts } = entry;
      const { grid } = parts;
      const state = job.state;
      row.dataset.state = state;
      parts.fill.style.width = `${(job.fraction * 100).toFixed(1)}%`;
      parts.cancel.disabled = job.ended !== null || state === 'cancelling';
      const done = job.tasks.filter((t) => t.state === 'done').length;
      const ms = (job.ended ?? performance.now()) - job.started;
      parts.foot.textContent =
        `${state} · ${done}/${job.size} tasks · ${Math.round(job.fraction * 100)}% · ` +
        `${(ms / 1000).toFixed(2)} s`;
      // A cell per task, added as tasks are (a job may be spawned over several frames).
      for (const task of job.tasks.slice(grid.children.length)) {
        const cell = document.createElement('button');
        cell.className = 'cell';
        // The task's own cancel(): the rest of its job runs on.
        cell.addEventListener('click', () => task.handle.cancel());
        grid.append(cell);
      }
      job.tasks.forEach((task, i) => {
        const cell = grid.children[i];
        const percent = Math.round((task.done / task.total) * 100);
        const key = `${task.state} ${percent}`;
        if (cell.dataset.key === key) return; // touch the DOM only for what changed
        cell.dataset.key = key;
        cell.dataset.state = task.state;
        cell.style.setProperty('--p', `${percent}%`);
        cell.disabled = task.settled;
        cell.title = `${task.data.label}: ${task.state}` +
          (task.state === 'running' ? ` ${percent}%` : '') +
          (task.settled ? '' : ' (click to cancel this task)');
      });
    }
    this.prune();
  }
}
