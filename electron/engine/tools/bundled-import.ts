/**
 * Imports a TypeScript module at run time by bundling it with esbuild into the project's
 * node_modules/.cache (where its package imports resolve) — for code that must load a module
 * that may be missing or broken without failing itself (bench/run.ts loads bench/scaler-bench.ts
 * this way). Only Node built-ins are imported here, on purpose: it has to load anywhere.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as Esbuild from 'esbuild';

/** A module loaded from a temporary bundle; `dispose` removes the bundle. */
export interface BundledModule<T> {
  module: T;
  dispose(): void;
}

/** Bundles `entryPath` (absolute, or relative to the working directory) and imports it. */
export async function importBundled<T>(entryPath: string, projectRoot = process.cwd()): Promise<BundledModule<T>> {
  const projectRequire = createRequire(path.join(projectRoot, 'package.json'));
  const esbuild = projectRequire('esbuild') as typeof Esbuild;
  const cacheRoot = path.join(path.dirname(projectRequire.resolve('esbuild/package.json')), '..', '.cache');
  mkdirSync(cacheRoot, { recursive: true });
  const outDir = mkdtempSync(path.join(cacheRoot, 'mai-bundle-'));
  const dispose = (): void => rmSync(outDir, { recursive: true, force: true });
  try {
    const outfile = path.join(outDir, `${path.basename(entryPath, '.ts')}.mjs`);
    await esbuild.build({
      entryPoints: [path.resolve(projectRoot, entryPath)],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      logLevel: 'error',
    });
    return { module: (await import(pathToFileURL(outfile).href)) as T, dispose };
  } catch (error) {
    dispose();
    throw error;
  }
}
