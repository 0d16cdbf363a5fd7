// Penny's worker glue: starts a pool's workers (module Web Workers in browsers,
// worker_threads in Node), each instantiating the same wasm module on the same shared
// memory, and carries the few messages the thread that started them needs back.
//
// wasm-bindgen copies this file into the package's `snippets/` and the package's main JS
// imports it; the functions it exports are what the Rust runtime calls
// (`penny-runtime/src/web/glue.rs`). A worker's script is `penny-worker.js` at the package's
// root (`cargo xtask web` writes it; by hand it is two lines):
//
//     import * as glue from './my_kernels.js';
//     globalThis.__pennyGlue = glue;
//
// It loads the package's main JS (and with it this file) in the worker and hands over the
// glue; this file then waits for the start message, instantiates the module on the shared
// memory and runs the worker loop until the pool shuts down. Workers are started with
// `new Worker(new URL('../../../penny-worker.js', import.meta.url), { type: 'module' })`,
// the pattern bundlers understand (Vite bundles the worker with its own copy of the glue).
//
// Messages from a worker to the thread that started it: `ready` (instantiated), `exit`
// (the worker loop returned: the pool shut down), `died` (the worker's wasm trapped: a
// panic aborts the worker that raised it), `wake` (a task completion, for threads without
// `Atomics.waitAsync`).

const isNode =
  typeof process === 'object' && process !== null && process.versions != null &&
  process.versions.node != null;

// The name every Penny worker gets; a worker checks it before acting on messages, so a
// user's own worker that imports the package is left alone.
const WORKER_NAME = 'penny-worker';

// ---- the thread that starts workers --------------------------------------------------------

// Node's `worker_threads` and `os` modules, loaded by `prepare()` (a dynamic import is async,
// and Rust starts workers synchronously) or at once where `process.getBuiltinModule` exists
// (Node >= 20.16), so a pool built from Rust needs no `prepare()` there. Bundlers for the
// browser may still see through the variable specifiers and stub these modules out (Vite 8
// warns): harmless, only Node takes these branches.
let node = null;

function nodeNow() {
  if (isNode && node === null && typeof process.getBuiltinModule === 'function') {
    node = {
      threads: process.getBuiltinModule('node:worker_threads'),
      os: process.getBuiltinModule('node:os'),
    };
  }
  return node;
}

/** Loads what starting workers needs on this platform; call (and await) before a pool starts. */
export async function prepare() {
  nodeNow();
  if (isNode && node === null) {
    const threads = 'node:worker_threads';
    const os = 'node:os';
    node = { threads: await import(threads), os: await import(os) };
  }
}

/**
 * Why a pool can't start here, or null: SharedArrayBuffer needs a cross-origin isolated
 * page, and Penny needs module workers.
 */
export function cannotStart() {
  if (isNode) return null;
  if (globalThis.crossOriginIsolated !== true) {
    return (
      'Penny needs a cross-origin isolated page for shared wasm memory (SharedArrayBuffer), ' +
      'and this page is not: serve it with the headers ' +
      '`Cross-Origin-Opener-Policy: same-origin` and ' +
      '`Cross-Origin-Embedder-Policy: require-corp` (or `credentialless`)'
    );
  }
  if (typeof Worker !== 'function') {
    return 'Penny needs Web Workers, and this context has none';
  }
  return null;
}

/** How many workers a pool gets by default: one per logical core. */
export function defaultWorkers() {
  if (isNode) {
    const os = nodeNow() && node.os;
    if (os && typeof os.availableParallelism === 'function') return os.availableParallelism();
    if (os) return os.cpus().length || 1;
    return 1;
  }
  return (globalThis.navigator && navigator.hardwareConcurrency) || 1;
}

/** Whether `Atomics.waitAsync` exists (checked at every spawn, so a test can remove it). */
export function hasWaitAsync() {
  return typeof Atomics.waitAsync === 'function';
}

// Callbacks into Rust on this thread, set once by `setHandlers`.
let onWake = null;
let onDied = null;
let onUnstarted = null;

/** Registers Rust's callbacks: `wake(token)`, `died(pool, index, message)`,
 *  `unstarted(pool, entry)`. */
export function setHandlers(wake, died, unstarted) {
  onWake = wake;
  onDied = died;
  onUnstarted = unstarted;
}

// pool id -> { workers: Map(index -> Worker), starting: Promise[], exits: Map(index -> resolve) }
const pools = new Map();

function poolEntry(pool) {
  let entry = pools.get(pool);
  if (entry === undefined) {
    entry = { workers: new Map(), starting: [] };
    pools.set(pool, entry);
  }
  return entry;
}

/**
 * Starts worker `index` of pool `pool`: `penny-worker.js` loads the package, instantiates
 * `module` on `memory` and runs the worker body boxed at `entry`.
 */
export function startWorker(module, memory, pool, index, entry) {
  if (isNode && nodeNow() === null) {
    throw new Error('penny: on this Node, await Pool.start() (or prepare()) before building a pool');
  }
  const pe = poolEntry(pool);
  const name = `${WORKER_NAME}-${pool}-${index}`;
  let worker;
  if (isNode) {
    const options = { name, workerData: { penny: name } };
    // Workers inherit Node's flags; those about the main script (`node --input-type=module
    // -e ...`) make a worker fail to start. Only then are the flags given explicitly (an
    // explicit list is checked, and rejects V8 flags such as --expose-gc).
    const flags = workerFlags(process.execArgv);
    if (flags.length !== process.execArgv.length) options.execArgv = flags;
    worker = new node.threads.Worker(new URL('../../../penny-worker.js', import.meta.url), options);
  } else {
    worker = new Worker(new URL('../../../penny-worker.js', import.meta.url), {
      type: 'module',
      name,
    });
  }
  let ready, failed;
  const started = new Promise((resolve, reject) => {
    ready = resolve;
    failed = reject;
  });
  // A pool that fails to start rejects through `workersStarted`; nobody else awaits this.
  started.catch(() => {});
  pe.starting.push(started);
  pe.workers.set(index, worker);
  let gone = false;
  let isReady = false;
  const lost = (message) => {
    if (gone) return;
    gone = true;
    pe.workers.delete(index);
    worker.terminate();
    if (!isReady) {
      // Never started: free its body and stop counting it, and fail the pool's start (no
      // replacement: it would fail the same way).
      if (onUnstarted) onUnstarted(pool, entry);
      failed(
        new Error(
          `penny: worker ${index} failed to start: ${message} (is penny-worker.js beside ` +
            "the package's main JS? `cargo xtask web` writes it)",
        ),
      );
    } else if (onDied) {
      onDied(pool, index, message);
    }
  };
  const onMessage = (data) => {
    if (data === null || typeof data !== 'object') return;
    switch (data.penny) {
      case 'ready':
        isReady = true;
        ready();
        break;
      case 'wake':
        if (onWake) onWake(data.token);
        break;
      case 'exit':
        gone = true;
        pe.workers.delete(index);
        worker.terminate();
        // (`workersGone` forgets the pool too; a pool freed without `close()` ends here.)
        if (pe.workers.size === 0 && pe.starting.length === 0) pools.delete(pool);
        break;
      case 'died':
        lost(data.message);
        break;
    }
  };
  const onError = (e) => lost(e && e.message ? e.message : String(e));
  if (isNode) {
    worker.on('message', onMessage);
    worker.on('error', onError);
  } else {
    worker.addEventListener('message', (e) => onMessage(e.data));
    worker.addEventListener('error', (e) => {
      e.preventDefault();
      onError(e);
    });
  }
  worker.postMessage({ penny: 'start', module, memory, index, entry });
}

/** Node's flags minus those about the main script (`--input-type`, `-e`/`-p` and their code). */
function workerFlags(flags) {
  const kept = [];
  for (let i = 0; i < flags.length; i++) {
    const flag = flags[i];
    if (/^(-e|-p|--eval|--print)$/.test(flag)) {
      i++; // and the code after it
    } else if (!/^(--input-type|--eval|--print)=/.test(flag)) {
      kept.push(flag);
    }
  }
  return kept;
}

/** Resolves once every worker started so far for `pool` is instantiated. */
export function workersStarted(pool) {
  const pe = poolEntry(pool);
  const all = Promise.all(pe.starting);
  pe.starting = [];
  return all;
}

/** Resolves once no worker of `pool` is left (each posted `exit` or died). */
export function workersGone(pool) {
  const pe = poolEntry(pool);
  return new Promise((resolve) => {
    const check = () => {
      if (pe.workers.size === 0) {
        pools.delete(pool);
        resolve();
      } else {
        setTimeout(check, 1);
      }
    };
    check();
  });
}

/**
 * Ends the workers of `pool`, a pool that failed to start and was shut down: waits up to
 * `graceMs` for them to leave (one still instantiating leaves once ready; terminating it
 * mid-instantiation could leave the allocator's lock held for every thread), then terminates
 * what is left. Resolves when none is.
 */
export function endWorkers(pool, graceMs) {
  const pe = pools.get(pool);
  if (pe === undefined) return Promise.resolve();
  let timer;
  const late = new Promise((resolve) => {
    timer = setTimeout(resolve, graceMs);
  });
  return Promise.race([workersGone(pool), late]).then(() => {
    clearTimeout(timer);
    for (const worker of pe.workers.values()) worker.terminate();
    pe.workers.clear();
    pools.delete(pool);
  });
}

// An Int32Array over the shared memory, made again only when the memory grew (one per
// watch was a measurable part of a spawn from JS).
let words = null;

function wordsOf(memory) {
  const buffer = memory.buffer;
  if (words === null || words.buffer !== buffer) words = new Int32Array(buffer);
  return words;
}

/**
 * Calls Rust's `wake(token)` once the i32 at byte address `addr` of `memory` is no longer 0,
 * through `Atomics.waitAsync`. Returns false (and does nothing) where there is no waitAsync.
 */
export function watchWord(memory, addr, token) {
  if (typeof Atomics.waitAsync !== 'function') return false;
  const waited = Atomics.waitAsync(wordsOf(memory), addr >>> 2, 0);
  if (waited.async) {
    waited.value.then(() => onWake && onWake(token));
  } else {
    queueMicrotask(() => onWake && onWake(token));
  }
  return true;
}

/** Calls Rust's `wake(token)` on this thread soon (not re-entrantly). */
export function wakeSoon(token) {
  queueMicrotask(() => onWake && onWake(token));
}

const guardedClasses = new WeakSet();

/**
 * Makes the methods and getters of `object`'s class (a wasm-bindgen class; once per class)
 * throw `Error('<name>.<member>: this <name> was freed ...')` when called on an object whose
 * `free()` ran, instead of wasm-bindgen's "null pointer passed to rust"; `free()` (and
 * `[Symbol.dispose]()`, the same function) on such an object does nothing, where it threw
 * that too. The hidden `__penny*` getters the runtime reads are guarded as well (Rust reads
 * them with `Reflect.get`, which returns the throw as an error); the constructor and
 * wasm-bindgen's own `__*` members are left as they are. A freed object's `__wbg_ptr` is 0
 * (wasm-bindgen zeroes it); a live object's calls only gain the check.
 */
export function guardFreed(object, name) {
  const proto = Object.getPrototypeOf(object);
  if (proto === null || guardedClasses.has(proto)) return;
  guardedClasses.add(proto);
  const freed = (self) => self !== null && typeof self === 'object' && self.__wbg_ptr === 0;
  for (const key of Reflect.ownKeys(proto)) {
    if (typeof key !== 'string' || key === 'constructor') continue;
    if (key.startsWith('__') && !key.startsWith('__penny')) continue;
    const d = Object.getOwnPropertyDescriptor(proto, key);
    if (key === 'free') {
      if (typeof d.value !== 'function') continue;
      const free = d.value;
      d.value = {
        free() {
          if (!freed(this)) free.call(this);
        },
      }.free;
      Object.defineProperty(proto, key, d);
      // wasm-bindgen set `[Symbol.dispose]` to the same `free` (where Symbol.dispose exists).
      const dispose = typeof Symbol.dispose === 'symbol' ? Symbol.dispose : null;
      const dd = dispose === null ? undefined : Object.getOwnPropertyDescriptor(proto, dispose);
      if (dd !== undefined && dd.value === free) {
        dd.value = d.value;
        Object.defineProperty(proto, dispose, dd);
      }
      continue;
    }
    const check = (self) => {
      if (freed(self)) {
        throw new Error(`${name}.${key}: this ${name} was freed (free() was called on it)`);
      }
    };
    if (typeof d.value === 'function') {
      const method = d.value;
      d.value = {
        [key](...args) {
          check(this);
          return method.apply(this, args);
        },
      }[key];
    } else if (typeof d.get === 'function') {
      const get = d.get;
      d.get = function () {
        check(this);
        return get.call(this);
      };
    } else {
      continue;
    }
    Object.defineProperty(proto, key, d);
  }
}

/** Marks a promise as handled, so an unawaited rejection never crashes Node. */
export function markHandled(promise) {
  promise.catch(() => {});
}

/** An Error named 'AbortError' with `message`. */
export function abortError(message) {
  const error = new Error(message);
  error.name = 'AbortError';
  return error;
}

/** `signal.reason` if `signal` is aborted, else undefined. */
export function abortedReason(signal) {
  return signal.aborted ? signal.reason : undefined;
}

/** Calls `callback(signal.reason)` once when `signal` aborts; returns the unsubscribe. */
export function onAbort(signal, callback) {
  const listener = () => callback(signal.reason);
  signal.addEventListener('abort', listener, { once: true });
  return () => signal.removeEventListener('abort', listener);
}

/** Milliseconds since the Unix epoch, sub-millisecond, on one scale for every thread. */
export function nowMs() {
  return performance.timeOrigin + performance.now();
}

/** `promise.then(onFulfilled, onRejected)`, for Rust closures made into functions. (Not
 * named `then`: a module exporting `then` is a thenable, and `await import()` of it breaks.) */
export function chain(promise, onFulfilled, onRejected) {
  return promise.then(onFulfilled, onRejected);
}

/** Reports a panic message where developers look. */
export function consoleError(message) {
  console.error(message);
}

// ---- the worker ---------------------------------------------------------------------------

// How this worker posts to the thread that started it (set once it is a Penny worker).
let post = null;

/** From a worker: asks the starting thread to wake `token`. False if this isn't a worker. */
export function postWake(token) {
  if (post === null) return false;
  post({ penny: 'wake', token });
  return true;
}

function runWorker(data) {
  let exports = null;
  try {
    const glue = globalThis.__pennyGlue;
    if (glue === undefined) {
      throw new Error('penny-worker.js did not set globalThis.__pennyGlue');
    }
    exports = glue.initSync({ module: data.module, memory: data.memory });
    post({ penny: 'ready' });
    // Runs the scheduler loop; returns when the pool shuts down.
    glue.__penny_worker_run(data.entry);
    freeThread(exports);
    post({ penny: 'exit' });
  } catch (e) {
    // A panic aborts this worker's wasm (a trap); so does any other fatal error. First the
    // worker fails the tasks it was running (a thread blocked in `join` on them learns now,
    // not when the starting thread handles `died`); then, as the trap unwound every frame on
    // this thread's stack, its stack and TLS can go too.
    const message = e && e.message ? e.message : String(e);
    if (exports !== null) {
      try {
        globalThis.__pennyGlue.__pennyWorkerTrapped(message);
      } catch (_) {
        // The starting thread's `died` handler fails the tasks instead.
      }
    }
    freeThread(exports);
    post({ penny: 'died', message });
  }
}

// Frees this thread's wasm stack and thread-locals in the shared memory (wasm-bindgen
// allocates them when a thread instantiates the module, and nothing frees them when a
// Worker ends): otherwise every pool started and closed would leak its workers' stacks.
function freeThread(exports) {
  try {
    if (exports && typeof exports.__wbindgen_thread_destroy === 'function') {
      exports.__wbindgen_thread_destroy();
    }
  } catch (_) {
    // Nothing more can be done for this thread's memory.
  }
}

if (isNode) {
  const threads = 'node:worker_threads';
  import(threads).then((wt) => {
    if (wt.isMainThread || !wt.workerData || typeof wt.workerData.penny !== 'string') return;
    post = (message) => wt.parentPort.postMessage(message);
    wt.parentPort.once('message', runWorker);
  });
} else if (
  typeof WorkerGlobalScope === 'function' && self instanceof WorkerGlobalScope &&
  typeof self.name === 'string' && self.name.startsWith(WORKER_NAME)
) {
  post = (message) => self.postMessage(message);
  self.addEventListener('message', (e) => runWorker(e.data), { once: true });
}
