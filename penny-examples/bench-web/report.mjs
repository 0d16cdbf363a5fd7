// Turns the JSON figures of the native bench, the Node run and the Chromium run into markdown
// tables (what `cargo xtask bench web` prints and BENCHMARKS.md quotes):
//   node penny-examples/bench-web/report.mjs [--markdown PATH] FILE.json..
// Each file is one run's JSON (its `platform` says which); several runs of one platform are
// merged figure by figure (the median across runs). Throughput results are compared with the
// native ones: a check that differs is flagged (it would mean different work).

import { readFile, writeFile } from 'node:fs/promises';

const args = process.argv.slice(2);
let markdown = '';
const files = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--markdown') markdown = args[++i];
  else files.push(args[i]);
}
// A file is a run's figures, or what the bench page left (`{ done, result }`).
const all = await Promise.all(
  files.map(async (f) => {
    const json = JSON.parse(await readFile(f, 'utf8'));
    return json.result ?? json;
  }),
);

/** The median of numbers (the mean of the middle two for an even count). */
function medianOf(values) {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Runs of one platform merged figure by figure: numbers by their median across the runs. */
function merge(values) {
  const first = values[0];
  if (typeof first === 'number') return medianOf(values);
  if (Array.isArray(first)) return first.map((_, i) => merge(values.map((v) => v?.[i])));
  if (first && typeof first === 'object') {
    return Object.fromEntries(Object.keys(first).map((k) => [k, merge(values.map((v) => v?.[k]))]));
  }
  const distinct = [...new Set(values.map(String))];
  return distinct.length === 1 ? first : distinct.join(' | ');
}

const platforms = [...new Set(all.map((r) => r.platform))];
const runs = platforms.map((p) => {
  const list = all.filter((r) => r.platform === p);
  for (const r of list) for (const t of [...(r.throughput ?? []), ...(r.suite ?? [])]) delete t.samples;
  return { ...merge(list), runs: list.length };
});
const native = runs.find((r) => r.platform === 'native');

const ms = (x) => (x === undefined ? '—' : x >= 100 ? x.toFixed(0) : x.toFixed(1));
const ratio = (a, b) => (a === undefined || b === undefined ? '—' : (a / b).toFixed(2));
const us = (x) => (x >= 1000 ? `${(x / 1000).toFixed(2)} ms` : `${x.toFixed(x < 10 ? 2 : 0)} µs`);
const label = (r) => (r.platform === 'native' ? 'native' : r.platform);
const lines = [];
/** A caption and its table; nothing when there are no rows (a scenario that didn't run). */
const table = (caption, head, rows) => {
  if (!rows.length) return;
  lines.push(caption, '', `| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`);
  for (const row of rows) lines.push(`| ${row.join(' | ')} |`);
  lines.push('');
};

const cores = [...new Set(runs.map((r) => r.workers))].join('/');
const each = (r) => `${label(r)} (${r.runs > 1 ? `median of ${r.runs} runs of ` : ''}${r.rounds} rounds)`;
lines.push(`Figures from ${runs.map(each).join(', ')}; W = ${cores} workers.`, '');

// Throughput: each platform's row; times as "median (min)", ratios of medians.
const rows = [];
const cell = (t, way) => (t.ms[way] === undefined ? '—' : `${ms(t.ms[way])} (${ms(t.min?.[way])})`);
for (const c of native?.throughput ?? runs.find((r) => r.throughput)?.throughput ?? []) {
  const nat = native?.throughput.find((x) => x.kernel === c.kernel && x.parts === c.parts);
  for (const r of runs) {
    const t = r.throughput?.find((x) => x.kernel === c.kernel && x.parts === c.parts);
    if (!t) continue;
    const single = t.ms.plain ?? t.ms.pool1;
    rows.push([
      `${c.kernel}, K = ${c.parts}`,
      label(r),
      cell(t, 'plain'),
      cell(t, 'pool1'),
      cell(t, 'poolW'),
      ratio(single, t.ms.poolW),
      t.cores?.poolW === undefined ? '—' : t.cores.poolW.toFixed(2),
      cell(t, 'rayon'),
      ratio(t.ms.rayon, t.ms.poolW),
      r === native ? '1.00' : ratio(t.ms.poolW, nat?.ms.poolW),
      !native || t.check === c.check ? '✓' : `✗ ${t.check}`,
    ]);
  }
}
table(
  'Throughput: ms, median (minimum) of the interleaved rounds; ratios of medians. "Cores used": ' +
    'process CPU time ÷ wall time of the penny W rounds (median; not measurable in a page).',
  [
    'work (K tasks)',
    'platform',
    'plain, 1 thread',
    'penny, 1 worker',
    'penny, W workers',
    'speed-up (1 thread ÷ penny W)',
    'cores used (penny W)',
    'rayon, W threads',
    'rayon ÷ penny W',
    'penny W ÷ native penny W',
    'result',
  ],
  rows,
);

// The parallel suite: one split task per kernel; penny ÷ rayon per kernel and its median.
const suiteRuns = runs.filter((r) => r.suite);
if (suiteRuns.length) {
  const suiteRows = [];
  for (const r of suiteRuns) {
    const vsRayon = [];
    const vsInWorker = [];
    for (const t of r.suite) {
      const single = t.ms.plain ?? t.ms.pool1;
      if (t.ms.rayon !== undefined) vsRayon.push(t.ms.poolW / t.ms.rayon);
      if (t.ms.rayonInWorker !== undefined) vsInWorker.push(t.ms.poolW / t.ms.rayonInWorker);
      suiteRows.push([
        t.kernel,
        label(r),
        cell(t, 'plain'),
        cell(t, 'pool1'),
        cell(t, 'poolW'),
        ratio(single, t.ms.poolW),
        cell(t, 'rayon'),
        ratio(single, t.ms.rayon),
        ratio(t.ms.poolW, t.ms.rayon),
        cell(t, 'rayonInWorker'),
        ratio(t.ms.poolW, t.ms.rayonInWorker),
      ]);
    }
    if (vsRayon.length) {
      const inWorker = vsInWorker.length ? `**${medianOf(vsInWorker).toFixed(2)}**` : '';
      suiteRows.push(['**median**', label(r), '', '', '', '', '', '', `**${medianOf(vsRayon).toFixed(2)}**`, '', inWorker]);
    }
  }
  table(
    'Parallel suite: each kernel as one task with a `#[penny::split]` loop; ms, median (minimum) ' +
      'of the interleaved rounds; ratios of medians; every output checked (see suite.mjs). ' +
      'penny and "rayon, W threads" are timed alike, on the calling thread from the call to the ' +
      'result (rayon runs in a Worker, as a page must call it); "rayon in its Worker" is the ' +
      'time around the parallel call alone, inside that Worker.',
    [
      'kernel',
      'platform',
      'sequential, 1 thread',
      'penny, 1 worker',
      'penny, W workers',
      'speed-up (sequential ÷ penny W)',
      'rayon, W threads',
      'speed-up (sequential ÷ rayon)',
      'penny W ÷ rayon',
      'rayon in its Worker',
      'penny W ÷ rayon in its Worker',
    ],
    suiteRows,
  );
}

table(
  'Spawn → result round trip of a trivial task, one at a time, idle pool of W workers:',
  ['platform', 'p50', 'p99', 'max', 'mean of the batch'],
  runs
    .filter((r) => r.roundTrip)
    .map((r) => {
      const t = r.roundTrip.us ?? r.roundTrip;
      return [label(r), us(t.p50), us(t.p99), us(t.max), us(r.roundTrip.batchUs ?? t.mean ?? NaN)];
    }),
);

table(
  'Bursts of 1,024 trivial tasks spawned in a loop, then awaited in order (medians of 15 bursts):',
  ['platform', 'per spawn() call', 'per task, first spawn to last result'],
  runs.filter((r) => r.spawnBurst).map((r) => [label(r), us(r.spawnBurst.spawnUs), us(r.spawnBurst.taskUs)]),
);

table(
  "Urgent-task latency: 'user-blocking' spawn → result while 'background' spins hold every worker " +
    '(goal: p99 ≤ 2 ms):',
  ['platform', 'workers', 'p50', 'p99', 'max', 'samples with every worker busy', 'p99 ≤ 2 ms'],
  runs.flatMap((r) =>
    (r.urgent ?? []).map((u) => [
      label(r),
      u.workers,
      us(u.us.p50),
      us(u.us.p99),
      us(u.us.max),
      `${(u.allBusy * 100).toFixed(1)} %`,
      u.us.p99 <= 2000 ? 'yes' : 'no',
    ]),
  ),
);

const lt = runs.filter((r) => r.longTasks);
if (lt.length) {
  const row = (r, what, l) =>
    l.supported
      ? [label(r), what, l.workers, `${l.seconds} s`, l.longTasks, `${l.longTaskMs} ms`, `${l.longestMs} ms`,
         `${l.frames} (${l.fps})`, `${l.maxFrameGapMs} ms`, l.tasks ?? '—', `${l.controlMs} ms`]
      : [label(r), what, l.workers, '—', 'unsupported', '', '', '', '', '', ''];
  table(
    'Main-thread long tasks (> 50 ms) while the pool is saturated, rAF loop running (goal: 0); ' +
      'control: as many plain Workers spinning a JS loop instead of the pool:',
    ['platform', 'load', 'workers', 'window', 'long tasks', 'their total', 'longest', 'frames (fps)',
     'longest frame gap', 'tasks done', 'an 80 ms block seen as'],
    lt.flatMap((r) =>
      r.longTasks.flatMap((l, i) => {
        const control = r.longTasksControl?.[i];
        return [row(r, 'penny pool', l), ...(control ? [row(r, 'plain spinning Workers', control)] : [])];
      }),
    ),
  );
}

const text = lines.join('\n');
console.log(text);
if (markdown) await writeFile(markdown, `${text}\n`);
