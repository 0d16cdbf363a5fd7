// Loads the package under test the same way on both platforms, so test files need not care
// where they run. The package is the `<lib>.js` that `cargo xtask web` wrote:
//   Node:    env PENNY_PKG (a path or file: URL; node.mjs sets it from --pkg)
//   browser: the page's ?pkg= query parameter (a URL relative to the page)

export const isBrowser = typeof window === 'object' && typeof document === 'object';
export const isNode = !isBrowser && typeof process === 'object' && !!process.versions?.node;

/** Where the package's JS entry point is. */
export function packageUrl() {
  if (isNode) {
    const pkg = process.env.PENNY_PKG;
    if (!pkg) throw new Error('PENNY_PKG is not set: run the tests with node.mjs --pkg <lib>.js');
    // A URL, or a path (relative ones from the working directory).
    return new URL(pkg, `file://${process.cwd()}/`);
  }
  const pkg = new URLSearchParams(location.search).get('pkg');
  if (!pkg) throw new Error('the page has no ?pkg=<url of lib.js> parameter');
  return new URL(pkg, location.href);
}

let loaded;

/**
 * Imports and initialises the package once. Resolves to `{ pkg, exports, memory, url }`:
 * the module namespace, what `init()` returned (the wasm exports), and the shared
 * `WebAssembly.Memory` the module runs on.
 */
export function loadPackage() {
  loaded ??= load();
  return loaded;
}

async function load() {
  const url = packageUrl();
  const pkg = await import(url.href);
  const init = pkg.default;
  const exports = await watchMemory(async () => {
    if (isNode) {
      // Node's fetch does not read file: URLs: hand init the bytes.
      const { readFile } = await import('node:fs/promises');
      const wasm = new URL(url.pathname.replace(/\.js$/, '_bg.wasm'), url);
      return init({ module_or_path: await readFile(wasm) });
    }
    return init();
  });
  return { pkg, exports: exports.value, memory: exports.memory, url };
}

// The `--target web` glue creates the shared memory it imports and keeps it to itself, so
// the constructor is watched while init runs. (Once the crate exports
// `wasm_bindgen::memory()`, that is the better source.)
async function watchMemory(fn) {
  const Memory = WebAssembly.Memory;
  let memory;
  WebAssembly.Memory = new Proxy(Memory, {
    construct(target, args) {
      memory = new target(...args);
      return memory;
    },
  });
  try {
    const value = await fn();
    return { value, memory };
  } finally {
    WebAssembly.Memory = Memory;
  }
}
