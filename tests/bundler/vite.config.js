// Vite's build of the smoke test: two pages from the repository, bundled into dist/ with
// Penny's package and its worker: this directory's index.html (Checksum tasks) and the demo
// page itself (penny-examples/web/index.html). The root is the repository so that both are
// inside it; dist/ mirrors their paths.
//
// `worker.format: 'es'`: Penny's workers are module workers (the worker imports the
// package's main JS), which the default 'iife' can't express. `build.target: 'es2022'`: the
// pages await at top level.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const repo = fileURLToPath(new URL('../..', import.meta.url));

export default defineConfig({
  root: repo,
  base: './',
  publicDir: false,
  build: {
    target: 'es2022',
    outDir: fileURLToPath(new URL('dist', import.meta.url)),
    emptyOutDir: true,
    rollupOptions: {
      input: {
        smoke: `${repo}tests/bundler/index.html`,
        demo: `${repo}penny-examples/web/index.html`,
      },
    },
  },
  worker: { format: 'es' },
  // `vite` / `vite preview` by hand: shared memory needs cross-origin isolation.
  server: { headers: isolation() },
  preview: { headers: isolation() },
});

function isolation() {
  return {
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Embedder-Policy': 'require-corp',
  };
}
