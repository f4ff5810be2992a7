/** An AppCore for Hub tests: real folders, real downloads, no engine (the Hub needs none), logs kept. */
import { mkdtempSync, readdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AppCore, type AppCoreOptions } from '../../electron/main/core/app-core';
import type { DownloadInfo } from '../../electron/main/core/downloads';

export interface HubCore {
  core: AppCore;
  /** The folder holding models/ and data/ (give it to the next core to restart on the same files). */
  root: string;
  modelsDir: string;
  dataDir: string;
  /** Every line the core logged. */
  logs: string[];
  /** Stops downloads (paused, resumed by the next core on the same folders) and, unless `keepFiles`, deletes the folders. */
  dispose(options?: { keepFiles?: boolean }): Promise<void>;
}

/** A core whose engine is never started; `env` stands for the process environment (HF_ENDPOINT, HF_TOKEN). */
export function hubCore(env: NodeJS.ProcessEnv, options: Partial<AppCoreOptions> = {}, root = mkdtempSync(path.join(os.tmpdir(), 'mai-hub-'))): HubCore {
  const modelsDir = path.join(root, 'models');
  const dataDir = path.join(root, 'data');
  const logs: string[] = [];
  const core = new AppCore({
    mode: 'web',
    launcher: {
      launch: () => {
        throw new Error('the engine is not started in Hub tests');
      },
    },
    modelsDir,
    dataDir,
    settingsFile: path.join(dataDir, 'settings.json'),
    createDemoModels: false,
    discoverOtherApps: false,
    env,
    log: (level, message) => logs.push(`${level}: ${message}`),
    ...options,
  });
  return {
    core,
    root,
    modelsDir,
    dataDir,
    logs,
    dispose: async ({ keepFiles = false } = {}) => {
      await core.downloads?.shutdown();
      core.models.library.unwatch();
      if (!keepFiles) await rm(root, { recursive: true, force: true });
    },
  };
}

/** Resolves with the download once it is done, failed or cancelled. */
export function settle(core: AppCore, id: string, timeoutMs = 60_000): Promise<DownloadInfo> {
  const downloads = core.downloads;
  if (!downloads) throw new Error('no download manager');
  return new Promise((resolve, reject) => {
    const check = (info: DownloadInfo | undefined): boolean => {
      if (!info || !['done', 'failed', 'cancelled'].includes(info.state)) return false;
      off();
      clearTimeout(timer);
      resolve(info);
      return true;
    };
    const off = downloads.on('state', (info) => void (info.id === id && check(info)));
    const timer = setTimeout(() => {
      off();
      reject(new Error(`download ${id} did not settle in ${timeoutMs} ms (state ${downloads.get(id)?.state})`));
    }, timeoutMs);
    check(downloads.get(id));
  });
}

/** Files left in the models folder's hidden `.partial` folder (half downloads). */
export function partialFiles(modelsDir: string): string[] {
  return modelFiles(path.join(modelsDir, '.partial')).concat(readdirSafe(path.join(modelsDir, '.partial')).filter((n) => n.startsWith('.')));
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** The files a user sees in the models folder (hidden ones left out), sorted. */
export function modelFiles(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((name) => !name.startsWith('.'))
      .sort();
  } catch {
    return [];
  }
}
