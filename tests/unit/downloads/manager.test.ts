import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DownloadFailure, DownloadManager, formatGigabytes, isSafeFileName } from '../../../electron/main/core/downloads';
import { httpFailure, networkFailure } from '../../../electron/main/core/downloads/errors';
import { parseContentRange } from '../../../electron/main/core/downloads/support';

const SHA = 'c'.repeat(64);
const dirs: string[] = [];
const managers: DownloadManager[] = [];
afterEach(async () => {
  while (managers.length) await managers.pop()?.shutdown();
  while (dirs.length) await rm(dirs.pop() as string, { recursive: true, force: true });
});

function manager(): DownloadManager {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mai-dl-unit-'));
  dirs.push(dir);
  // A fetch that never answers: downloads stay 'downloading' and nothing touches the network.
  const m = new DownloadManager({ modelsDir: path.join(dir, 'models'), stateFile: path.join(dir, 's.json'), fetchImpl: () => new Promise(() => {}) });
  managers.push(m);
  return m;
}

function refusal(fn: () => unknown): DownloadFailure {
  try {
    fn();
  } catch (error) {
    if (error instanceof DownloadFailure) return error;
    throw error;
  }
  throw new Error('expected a DownloadFailure');
}

describe('DownloadManager.enqueue validation', () => {
  it('refuses unsafe file names, bad hashes and sizes with sentences', () => {
    const m = manager();
    const base = { id: 'x', url: 'https://example.com/m.gguf', fileName: 'm.gguf', sha256: SHA };
    expect(refusal(() => m.enqueue({ ...base, fileName: '../m.gguf' })).message).toMatch(/cannot be used as a model file name/);
    expect(refusal(() => m.enqueue({ ...base, fileName: '.partial' })).code).toBe('invalid-request');
    expect(refusal(() => m.enqueue({ ...base, sha256: 'xyz' })).message).toBe('The SHA-256 for m.gguf must be 64 hexadecimal characters.');
    expect(refusal(() => m.enqueue({ ...base, sizeBytes: -1 })).message).toMatch(/whole number of bytes/);
    expect(refusal(() => m.enqueue({ ...base, url: 'ftp://x/m.gguf' })).message).toMatch(/not a valid model address/);
    expect(m.list()).toEqual([]);
  });

  it('is idempotent for an active id, and refuses a second download of the same file name', () => {
    const m = manager();
    const first = m.enqueue({ id: 'a', url: 'hf:o/r/m.gguf', fileName: 'm.gguf', sha256: SHA.toUpperCase(), sizeBytes: 10 });
    expect(first).toMatchObject({ id: 'a', url: 'https://huggingface.co/o/r/resolve/main/m.gguf', source: 'hf:o/r/m.gguf', sha256: SHA, totalBytes: 10 });
    expect(m.enqueue({ id: 'a', url: 'hf:o/r/m.gguf', fileName: 'm.gguf', sha256: SHA }).id).toBe('a');
    expect(refusal(() => m.enqueue({ id: 'b', url: 'hf:o/r/m.gguf', fileName: 'm.gguf', sha256: SHA })).message).toBe('m.gguf is already being downloaded.');
    expect(m.list()).toHaveLength(1);
  });

  it('pauses a queued download without starting it, and cancel ends it', async () => {
    const m = manager();
    m.enqueue({ id: 'a', url: 'https://example.com/a.gguf', fileName: 'a.gguf', sha256: SHA });
    m.enqueue({ id: 'b', url: 'https://example.com/b.gguf', fileName: 'b.gguf', sha256: SHA });
    expect(m.list().map((d) => d.state)).toEqual(['downloading', 'queued']);
    expect((await m.pause('b')).state).toBe('paused');
    expect(await m.cancel('a')).toMatchObject({ state: 'cancelled', error: { code: 'cancelled', message: 'The download was cancelled.' } });
    // The slot freed by the cancel does not start the paused one.
    expect(m.get('b')?.state).toBe('paused');
    expect((await m.resume('b')).state).toBe('downloading');
  });
});

describe('download error sentences', () => {
  it('names network failures by their cause', () => {
    const refused = Object.assign(new TypeError('fetch failed'), {
      cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }),
    });
    expect(networkFailure('http://127.0.0.1:9/m', refused).toData()).toEqual({
      code: 'offline',
      message: 'Could not reach 127.0.0.1:9: the connection was refused.',
    });
    const dns = Object.assign(new TypeError('fetch failed'), {
      cause: Object.assign(new Error('getaddrinfo ENOTFOUND nowhere.invalid'), { code: 'ENOTFOUND' }),
    });
    expect(networkFailure('https://nowhere.invalid/m', dns).message).toBe('Could not reach nowhere.invalid: the host name could not be resolved (DNS).');
  });

  it('names HTTP statuses', () => {
    expect(httpFailure('https://h.example/x', 404, 'm.gguf').toData()).toEqual({
      code: 'not-found',
      message: "m.gguf was not found at h.example (HTTP 404); check the model's address.",
    });
    expect(httpFailure('https://h.example/x', 403, 'm.gguf').message).toBe(
      'h.example answered HTTP 403 Forbidden for m.gguf. The model may be gated or need a sign-in.',
    );
    expect(httpFailure('https://h.example/x', 503, 'm.gguf')).toMatchObject({ code: 'server-error', retryable: true });
    expect(httpFailure('https://h.example/x', 429, 'm.gguf', '7')).toMatchObject({ code: 'rate-limited', retryable: true, retryAfterMs: 7000 });
    expect(httpFailure('https://h.example/x', 400, 'm.gguf').retryable).toBe(false);
  });

  it('formats sizes in GB and parses Content-Range', () => {
    expect(formatGigabytes(4.1 * 1024 ** 3)).toBe('4.10 GB');
    expect(formatGigabytes(30 * 1024 ** 2)).toBe('0.03 GB');
    expect(formatGigabytes(250 * 1024 ** 3)).toBe('250 GB');
    expect(parseContentRange('bytes 100-199/1000')).toEqual({ start: 100, end: 199, total: 1000 });
    expect(parseContentRange('bytes */1000')).toEqual({ start: null, end: null, total: 1000 });
    expect(parseContentRange('bytes 0-9/*')).toEqual({ start: 0, end: 9, total: null });
    expect(parseContentRange('items 0-9/10')).toBeNull();
  });

  it('accepts only bare, portable file names', () => {
    expect(['model.gguf', 'Qwen2.5-7B-Q4_K_M.gguf', 'a b.gguf'].every(isSafeFileName)).toBe(true);
    expect(['', '.hidden', 'a/b.gguf', 'a\\b.gguf', 'c:x.gguf', 'x.gguf.', 'nul\u0000.gguf', 'x'.repeat(300)].some(isSafeFileName)).toBe(false);
  });
});
