import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DownloadManager } from '../../../electron/main/core/downloads';
import { loadDownloadState, saveDownloadState, type DownloadRecord } from '../../../electron/main/core/downloads/state-store';

const dirs: string[] = [];
afterEach(async () => {
  while (dirs.length) await rm(dirs.pop() as string, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mai-dl-state-'));
  dirs.push(dir);
  return dir;
}

function record(overrides: Partial<DownloadRecord> = {}): DownloadRecord {
  return {
    id: 'qwen',
    source: 'hf:Qwen/repo/q.gguf#main',
    url: 'https://huggingface.co/Qwen/repo/resolve/main/q.gguf',
    fileName: 'q.gguf',
    filePath: '/models/q.gguf',
    sha256: 'a'.repeat(64),
    totalBytes: 1234,
    receivedBytes: 99,
    state: 'paused',
    error: null,
    createdAt: 1,
    updatedAt: 2,
    validator: { etag: '"abc"', lastModified: null },
    resumeOnRestore: true,
    partialOwned: true,
    moreParts: [],
    meta: null,
    ...overrides,
  };
}

/** A manager that must never touch the network. */
function offlineManager(dir: string, stateFile: string): DownloadManager {
  return new DownloadManager({
    modelsDir: path.join(dir, 'models'),
    stateFile,
    fetchImpl: () => Promise.reject(new Error('no network in unit tests')),
  });
}

describe('download state persistence', () => {
  it('round-trips records through the file', async () => {
    const file = path.join(tempDir(), 'nested', 'downloads.json');
    const records = [
      record(),
      record({ id: 'b', fileName: 'b.gguf', state: 'failed', error: { code: 'offline', message: 'Could not reach x: y.' }, validator: null }),
    ];
    await saveDownloadState(file, records);
    expect(await loadDownloadState(file)).toEqual({ downloads: records, movedAsideTo: null });
  });

  it('writes atomically: no temp file is left next to the state file', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'downloads.json');
    await saveDownloadState(file, [record()]);
    await saveDownloadState(file, [record({ receivedBytes: 500 })]);
    expect(readdirSync(dir)).toEqual(['downloads.json']);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ version: 1, downloads: [{ receivedBytes: 500 }] });
  });

  it('treats a missing file as an empty queue', async () => {
    expect(await loadDownloadState(path.join(tempDir(), 'none.json'))).toEqual({ downloads: [], movedAsideTo: null });
  });

  it.each([
    ['truncated JSON', '{"version":1,"downloads":[{"id":'],
    ['the wrong shape', '{"version":1,"downloads":[{"id":"x"}]}'],
    ['an unknown version', '{"version":99,"downloads":[]}'],
  ])('moves a file with %s aside, and the manager starts empty', async (_label, content) => {
    const dir = tempDir();
    const file = path.join(dir, 'downloads.json');
    writeFileSync(file, content);
    const manager = offlineManager(dir, file);
    const summary = await manager.restore();
    expect(summary).toEqual({ restored: 0, resumed: 0, movedAsideTo: `${file}.corrupt-${summary.movedAsideTo?.split('.corrupt-')[1]}` });
    expect(readFileSync(summary.movedAsideTo as string, 'utf8')).toBe(content); // kept for a bug report
    expect(manager.list()).toEqual([]);
    await manager.shutdown();
    // The fresh, valid queue replaced it.
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ version: 1, downloads: [] });
  });

  it('restore(): running and shutdown-paused downloads are queued again, user-paused and finished ones stay', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'downloads.json');
    const modelsDir = path.join(dir, 'models');
    await saveDownloadState(file, [
      record({ id: 'running', fileName: 'r.gguf', state: 'downloading', resumeOnRestore: false }),
      record({ id: 'quit', fileName: 'q.gguf', state: 'paused', resumeOnRestore: true }),
      record({ id: 'user', fileName: 'u.gguf', state: 'paused', resumeOnRestore: false }),
      record({ id: 'done', fileName: 'd.gguf', state: 'done', receivedBytes: 1234 }),
      record({ id: 'evil', fileName: '../../etc/passwd', state: 'paused' }),
      record({
        id: 'evil-part',
        fileName: 'e-00001-of-00002.gguf',
        state: 'paused',
        moreParts: [
          {
            url: 'https://huggingface.co/x/y/resolve/main/e-00002-of-00002.gguf',
            fileName: '../../../home/victim/.bashrc',
            sha256: 'b'.repeat(64),
            sizeBytes: 10,
            validator: null,
            partialOwned: true,
          },
        ],
      }),
    ]);
    // A manager with no slots free would start the queued ones; keep them queued by giving none a network.
    const manager = new DownloadManager({ modelsDir, stateFile: file, concurrency: 1, fetchImpl: () => new Promise(() => {}) });
    const summary = await manager.restore();
    expect(summary).toEqual({ restored: 4, resumed: 2, movedAsideTo: null });
    const states = Object.fromEntries(manager.list().map((d) => [d.id, d.state]));
    expect(states).toEqual({ running: 'downloading', quit: 'queued', user: 'paused', done: 'done' });
    // No partial on disk: the byte count follows the disk, not the saved number.
    expect(manager.get('user')).toMatchObject({ receivedBytes: 0, filePath: path.join(modelsDir, 'u.gguf') });
    expect(manager.get('done')?.receivedBytes).toBe(1234);
    await manager.shutdown();
    const saved = (await loadDownloadState(file)).downloads;
    expect(saved.find((d) => d.id === 'running')).toMatchObject({ state: 'paused', resumeOnRestore: true });
    expect(existsSync(path.join(modelsDir, 'r.gguf'))).toBe(false);
    // The records with a name leaving the models folder were not restored (nor saved again).
    expect(saved.map((d) => d.id).sort()).toEqual(['done', 'quit', 'running', 'user']);
  });
});
