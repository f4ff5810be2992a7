/**
 * Split-model downloads (downloads/parts.ts) against a real HTTP server on 127.0.0.1: the whole
 * model's size is checked before the first byte, and a move into the models folder that fails
 * leaves no orphan parts there. Only the move itself is injected to fail (as Windows antivirus
 * holding a new file does); everything else is the real file system.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DownloadFailure } from '../../../electron/main/core/downloads';
import { runParts, type PartTransferSettings } from '../../../electron/main/core/downloads/parts';
import type { DownloadRecord } from '../../../electron/main/core/downloads/state-store';
import { HttpModelServer } from '../../helpers/http-model-server';

const NAMES = ['m-00001-of-00003.gguf', 'm-00002-of-00003.gguf', 'm-00003-of-00003.gguf'];
const SIZES = [300_000, 200_000, 100_000];
let server: HttpModelServer;
let sources: string;
const shas: string[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  sources = mkdtempSync(path.join(os.tmpdir(), 'mai-parts-src-'));
  const files: Record<string, string> = {};
  NAMES.forEach((name, i) => {
    const bytes = randomBytes(SIZES[i] as number);
    writeFileSync(path.join(sources, name), bytes);
    shas.push(createHash('sha256').update(bytes).digest('hex'));
    files[`/${name}`] = path.join(sources, name);
  });
  server = await HttpModelServer.start({ files });
});
afterAll(async () => {
  await server?.close();
  await rm(sources, { recursive: true, force: true });
});
afterEach(async () => {
  while (dirs.length) await rm(dirs.pop() as string, { recursive: true, force: true });
});

function record(): DownloadRecord {
  const [first, ...rest] = NAMES as [string, ...string[]];
  return {
    id: 'm',
    source: server.url(`/${first}`),
    url: server.url(`/${first}`),
    fileName: first,
    filePath: '',
    sha256: shas[0] as string,
    totalBytes: SIZES.reduce((a, b) => a + b, 0),
    receivedBytes: 0,
    state: 'downloading',
    error: null,
    createdAt: 0,
    updatedAt: 0,
    validator: null,
    resumeOnRestore: false,
    partialOwned: false,
    meta: null,
    moreParts: rest.map((name, i) => ({
      url: server.url(`/${name}`),
      fileName: name,
      sha256: shas[i + 1] as string,
      sizeBytes: SIZES[i + 1] as number,
      validator: null,
      partialOwned: false,
    })),
  };
}

function settings(modelsDir: string, overrides: Partial<PartTransferSettings> = {}): PartTransferSettings {
  return {
    modelsDir,
    signal: new AbortController().signal,
    fetchImpl: (input, init) => fetch(input, init),
    statfs: async () => ({ bavail: 1e9, bsize: 4096 }),
    diskMarginBytes: 0,
    stallTimeoutMs: 10_000,
    maxRetries: 1,
    retryBaseDelayMs: 10,
    onBytes: () => undefined,
    onVerifying: () => undefined,
    persist: () => undefined,
    ...overrides,
  };
}

function modelsDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mai-parts-'));
  dirs.push(dir);
  mkdirSync(path.join(dir, 'models'));
  return path.join(dir, 'models');
}

const visible = (dir: string) =>
  readdirSync(dir)
    .filter((n) => !n.startsWith('.'))
    .sort();

describe('split-model downloads', () => {
  it('refuses a model the disk cannot hold whole before downloading any part', async () => {
    const dir = modelsDir();
    // Room for the biggest part, not for the model.
    const failure = await runParts(record(), settings(dir, { statfs: async () => ({ bavail: 400_000 / 4096, bsize: 4096 }) })).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(DownloadFailure);
    expect((failure as DownloadFailure).code).toBe('disk-full');
    expect((failure as DownloadFailure).message).toMatch(/^Not enough disk space for m-00001-of-00003\.gguf: needs 0\.00 GB, 0\.00 GB free on /);
    expect(server.requests.filter((r) => r.method === 'GET')).toEqual([]);
  });

  it('a move that keeps failing leaves no part among the models; a resume then places all three', async () => {
    const dir = modelsDir();
    const rec = record();
    let refusals = 0;
    // Part 1 (moved last) is held by "antivirus" for longer than the retries last.
    const held = async (from: string, to: string) => {
      if (path.basename(to) === NAMES[0] && path.dirname(to) === dir) {
        refusals++;
        throw Object.assign(new Error(`EPERM: operation not permitted, rename '${from}'`), { code: 'EPERM' });
      }
      await rename(from, to);
    };
    const failure = await runParts(rec, settings(dir, { rename: held })).catch((e: unknown) => e);
    expect((failure as DownloadFailure).code).toBe('io-error');
    expect(refusals).toBeGreaterThan(1); // retried
    expect(visible(dir)).toEqual([]);
    expect(readdirSync(path.join(dir, '.partial')).sort()).toEqual([...NAMES].sort());

    const getsBefore = server.requests.filter((r) => r.method === 'GET').length;
    await runParts(rec, settings(dir));
    expect(visible(dir)).toEqual([...NAMES].sort());
    expect(server.requests.filter((r) => r.method === 'GET').length).toBe(getsBefore); // nothing downloaded again
  });

  it('a part left in the models folder by an earlier run counts as placed when its hash matches', async () => {
    const dir = modelsDir();
    const rec = record();
    // An earlier run moved part 3 and could not undo it.
    await runParts(
      rec,
      settings(dir, {
        rename: async (from, to) => {
          if (path.basename(to) === NAMES[1] && path.dirname(to) === dir) throw Object.assign(new Error('EIO'), { code: 'EIO' });
          await rename(from, to);
        },
      }),
    ).catch(() => undefined);
    await rename(path.join(dir, '.partial', NAMES[2] as string), path.join(dir, NAMES[2] as string));
    await runParts(rec, settings(dir));
    expect(visible(dir)).toEqual([...NAMES].sort());
  });
});
