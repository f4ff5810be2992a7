// Builds every bundle with Vite: the renderer (browser), main + engine + web host (Node ESM), and the
// preload (CommonJS, self-contained: a sandboxed preload can require nothing but electron).
import react from '@vitejs/plugin-react';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'dist');
const started = performance.now();
rmSync(out, { recursive: true, force: true });

const nodeCommon = {
  configFile: false,
  root,
  logLevel: 'warn',
  build: { ssr: true, outDir: out, emptyOutDir: false, target: 'node20', sourcemap: true, minify: false, reportCompressedSize: false },
};

await Promise.all([
  build({
    configFile: false,
    root: path.join(root, 'renderer'),
    base: './',
    logLevel: 'warn',
    plugins: [react()],
    build: { outDir: path.join(out, 'renderer'), emptyOutDir: true, target: 'es2022', sourcemap: true, reportCompressedSize: false },
  }),
  build({
    ...nodeCommon,
    build: {
      ...nodeCommon.build,
      rollupOptions: {
        input: {
          'main/index': 'electron/main/electron/main.ts',
          'engine/index': 'electron/engine/index.ts',
          'web/index': 'electron/main/web/index.ts',
        },
        output: { format: 'es', entryFileNames: '[name].js', chunkFileNames: 'chunks/[name]-[hash].js' },
      },
    },
  }),
  build({
    ...nodeCommon,
    ssr: { noExternal: true, external: ['electron'] },
    build: {
      ...nodeCommon.build,
      rollupOptions: {
        input: { 'preload/index': 'electron/preload/index.ts' },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  }),
]);
console.log(`built dist/ in ${((performance.now() - started) / 1000).toFixed(1)} s`);
