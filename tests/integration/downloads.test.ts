/**
 * The download manager against a real HTTP server on loopback, with the synthetic GGUF models as
 * payload: progress, a cut connection resumed by Range, a restart of Mai, checksum, 404, a full
 * disk (a real 8 MB tmpfs), a refused connection, cancel and the queue.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DownloadManager, type DownloadInfo, type DownloadManagerOptions, type DownloadProgress, type DownloadState } from '../../electron/main/core/downloads';
import { saveDownloadState } from '../../electron/main/core/downloads/state-store';
import { writeSyntheticModels } from '../fixtures/synthetic-models';
import { HttpModelServer } from '../helpers/http-model-server';
import { testModelsDir } from '../helpers/models';

const MB = 1024 * 1024;

interface Model {
  file: string;
  fileName: string;
  size: number;
  sha256: string;
  urlPath: string;
}

let small: Model; // ~1 MB
let big: Model; // ~30 MB
let server: HttpModelServer;
const cleanup: (() => Promise<void>)[] = [];

function describeModel(file: string): Model {
  const fileName = path.basename(file);
  return { file, fileName, size: statSync(file).size, sha256: createHash('sha256').update(readFileSync(file)).digest('hex'), urlPath: `/models/${fileName}` };
}

beforeAll(async () => {
  const [tiny, thirty] = await writeSyntheticModels(testModelsDir, ['mai-demo-1mb', 'mai-demo-30mb']);
  small = describeModel(tiny as string);
  big = describeModel(thirty as string);
  server = await HttpModelServer.start({
    files: {
      [small.urlPath]: small.file,
      [big.urlPath]: big.file,
      '/models/a.gguf': small.file,
      '/models/b.gguf': small.file,
      '/models/c.gguf': small.file,
      '/cdn/mai-demo-1mb.gguf': small.file,
    },
    // Like the Hub: /<owner>/<repo>/resolve/<rev>/<file> redirects to a CDN.
    redirects: { '/mai/demo/resolve/main/mai-demo-1mb.gguf': '/cdn/mai-demo-1mb.gguf' },
  });
});

afterEach(async () => {
  server.reset();
  while (cleanup.length) await cleanup.pop()?.();
});

afterAll(async () => {
  await server?.close();
});

/** A manager on fresh temp folders (or the given ones); shut down after the test. */
function createManager(options: Partial<DownloadManagerOptions> = {}): { manager: DownloadManager; modelsDir: string; stateFile: string } {
  const root = mkdtempSync(path.join(os.tmpdir(), 'mai-dl-'));
  const modelsDir = options.modelsDir ?? path.join(root, 'models');
  const stateFile = options.stateFile ?? path.join(root, 'downloads.json');
  const manager = new DownloadManager({ diskMarginBytes: 0, retryBaseDelayMs: 50, ...options, modelsDir, stateFile });
  cleanup.push(async () => {
    await manager.shutdown();
    await rm(root, { recursive: true, force: true });
  });
  return { manager, modelsDir, stateFile };
}

/** Resolves when the download is in one of `states` (checking the current state first). */
function waitForState(manager: DownloadManager, id: string, states: DownloadState[], timeoutMs = 30_000): Promise<DownloadInfo> {
  const current = manager.get(id);
  if (current && states.includes(current.state)) return Promise.resolve(current);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out waiting for ${id} to be ${states.join('/')}; it is ${manager.get(id)?.state}`));
    }, timeoutMs);
    const off = manager.on('state', (info) => {
      if (info.id !== id || !states.includes(info.state)) return;
      clearTimeout(timer);
      off();
      resolve(info);
    });
  });
}

const settled = (m: DownloadManager, id: string) => waitForState(m, id, ['done', 'failed', 'cancelled']);

function waitForBytes(manager: DownloadManager, id: string, bytes: number): Promise<DownloadProgress> {
  return manager.once('progress', (p) => p.id === id && p.receivedBytes >= bytes);
}

function sha256Of(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** Files in the models folder and in its .partial folder (a missing .partial counts as empty). */
function leftovers(modelsDir: string): { models: string[]; partial: string[] } {
  const list = (dir: string) => (existsSync(dir) ? readdirSync(dir) : []);
  return { models: list(modelsDir).filter((n) => n !== '.partial'), partial: list(path.join(modelsDir, '.partial')) };
}

describe('DownloadManager over real HTTP', () => {
  it('reports progress (increasing, with speed and time left) and lands a verified file', async () => {
    const { manager, modelsDir } = createManager();
    const progress: DownloadProgress[] = [];
    manager.on('progress', (p) => progress.push(p));
    server.throttleBytesPerSecond = 20 * MB; // ~1.5 s, so there is something to report
    manager.enqueue({ id: 'big', url: server.url(big.urlPath), fileName: big.fileName, sha256: big.sha256 });
    const info = await settled(manager, 'big');

    expect(info).toMatchObject({ state: 'done', error: null, receivedBytes: big.size, totalBytes: big.size, filePath: path.join(modelsDir, big.fileName) });
    expect(sha256Of(info.filePath)).toBe(big.sha256);
    expect(leftovers(modelsDir)).toEqual({ models: [big.fileName], partial: [] });
    expect(progress.length).toBeGreaterThanOrEqual(4);
    for (let i = 1; i < progress.length; i++) expect(progress[i]!.receivedBytes).toBeGreaterThanOrEqual(progress[i - 1]!.receivedBytes);
    const midway = progress.filter((p) => p.receivedBytes > 0 && p.receivedBytes < big.size);
    expect(midway.some((p) => p.bytesPerSecond > 5 * MB && p.bytesPerSecond < 40 * MB)).toBe(true);
    expect(midway.some((p) => p.secondsLeft !== null && p.secondsLeft > 0 && p.secondsLeft < 10)).toBe(true);
    expect(progress.at(-1)).toMatchObject({ receivedBytes: big.size, totalBytes: big.size, secondsLeft: 0 });
    // At most one event per 250 ms (plus the first and the last).
    expect(progress.length).toBeLessThanOrEqual(Math.ceil(big.size / (20 * MB) / 0.25) + 3);
  });

  it('downloads at loopback speed without throttle', async () => {
    const { manager } = createManager();
    const started = performance.now();
    manager.enqueue({ id: 'fast', url: server.url(big.urlPath), fileName: big.fileName, sha256: big.sha256 });
    expect((await settled(manager, 'fast')).state).toBe('done');
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `[downloads] loopback: ${(big.size / MB).toFixed(1)} MB in ${seconds.toFixed(2)} s = ${(big.size / MB / seconds).toFixed(0)} MB/s (incl. fsync + verify)`,
    );
  });

  it('resumes with a Range request after the server cuts the connection mid-file', async () => {
    const { manager, modelsDir } = createManager();
    const cutAt = 10 * MB;
    server.cutAfterBytes(cutAt);
    manager.enqueue({ id: 'cut', url: server.url(big.urlPath), fileName: big.fileName, sha256: big.sha256, sizeBytes: big.size });
    const info = await settled(manager, 'cut');

    expect(info.state).toBe('done');
    expect(sha256Of(info.filePath)).toBe(big.sha256);
    expect(server.requests).toHaveLength(2);
    expect(server.requests[0]).toMatchObject({ range: null, status: 200, bytesSent: cutAt });
    const resumedFrom = Number(/^bytes=(\d+)-$/.exec(server.requests[1]!.range ?? '')?.[1]);
    // Bytes the client had not yet taken from the socket when it broke are fetched again, nothing more.
    expect(resumedFrom).toBeGreaterThan(cutAt - 2 * MB);
    expect(resumedFrom).toBeLessThanOrEqual(cutAt);
    expect(server.requests[1]).toMatchObject({ status: 206, ifRange: expect.stringMatching(/^"/) });
    const overhead = server.bytesSent - big.size;
    console.log(
      `[downloads] cut at ${cutAt} B, resumed from ${resumedFrom} B: ${overhead} B transferred twice (${((overhead / big.size) * 100).toFixed(2)} % of the file)`,
    );
    expect(server.bytesSent).toBeLessThan(big.size * 1.1);
    expect(leftovers(modelsDir)).toEqual({ models: [big.fileName], partial: [] });
  });

  it('restarts from zero when the server answers a Range request with 200', async () => {
    const { manager } = createManager();
    server.cutAfterBytes(5 * MB);
    server.ignoreRange = true;
    manager.enqueue({ id: 'norange', url: server.url(big.urlPath), fileName: big.fileName, sha256: big.sha256 });
    const info = await settled(manager, 'norange');
    expect(info.state).toBe('done');
    expect(sha256Of(info.filePath)).toBe(big.sha256);
    expect(server.requests.map((r) => r.status)).toEqual([200, 200]);
    expect(server.requests[1]!.range).toMatch(/^bytes=\d+-$/);
  });

  it('finishes from the partial file after a pause and a restart of Mai', async () => {
    const first = createManager();
    server.throttleBytesPerSecond = 20 * MB;
    first.manager.enqueue({ id: 'restart', url: server.url(big.urlPath), fileName: big.fileName, sha256: big.sha256 });
    await waitForBytes(first.manager, 'restart', 8 * MB);
    const paused = await first.manager.pause('restart');
    expect(paused.state).toBe('paused');
    await first.manager.shutdown(); // Mai quits
    const partialFile = path.join(first.modelsDir, '.partial', `${big.fileName}.part`);
    const partialSize = statSync(partialFile).size;
    expect(partialSize).toBeGreaterThanOrEqual(8 * MB);
    expect(partialSize).toBeLessThan(big.size);

    server.reset();
    const second = createManager({ modelsDir: first.modelsDir, stateFile: first.stateFile });
    expect(await second.manager.restore()).toEqual({ restored: 1, resumed: 0, movedAsideTo: null });
    // Paused by the user stays paused across the restart, with the bytes it had.
    expect(second.manager.get('restart')).toMatchObject({ state: 'paused', receivedBytes: partialSize, totalBytes: big.size });
    await second.manager.resume('restart');
    const info = await settled(second.manager, 'restart');
    expect(info.state).toBe('done');
    expect(sha256Of(info.filePath)).toBe(big.sha256);
    expect(server.requests).toHaveLength(1);
    // If-Range carries the ETag saved by the first run: "the rest, if the file is still the same".
    expect(server.requests[0]).toMatchObject({
      range: `bytes=${partialSize}-`,
      ifRange: expect.stringMatching(/^"[0-9a-f]+-[0-9a-f]+"$/),
      status: 206,
      bytesSent: big.size - partialSize,
    });
  });

  it('verifies a partial that was already complete (416 on the Range request) without downloading again', async () => {
    const { manager, modelsDir, stateFile } = createManager();
    // As if Mai had quit right after the last byte: a complete partial and a queued record.
    mkdirSync(path.join(modelsDir, '.partial'), { recursive: true });
    copyFileSync(small.file, path.join(modelsDir, '.partial', `${small.fileName}.part`));
    const t = Date.now();
    await saveDownloadState(stateFile, [
      {
        id: 'complete',
        source: server.url(small.urlPath),
        url: server.url(small.urlPath),
        fileName: small.fileName,
        filePath: path.join(modelsDir, small.fileName),
        sha256: small.sha256,
        totalBytes: small.size,
        receivedBytes: small.size,
        state: 'downloading',
        error: null,
        createdAt: t,
        updatedAt: t,
        validator: null,
        resumeOnRestore: false,
        partialOwned: true,
        moreParts: [],
        meta: null,
      },
    ]);
    expect(await manager.restore()).toEqual({ restored: 1, resumed: 1, movedAsideTo: null });
    const info = await settled(manager, 'complete');
    expect(info.state).toBe('done');
    expect(server.requests).toEqual([expect.objectContaining({ range: `bytes=${small.size}-`, status: 416, bytesSent: 0 })]);
    expect(leftovers(modelsDir)).toEqual({ models: [small.fileName], partial: [] });
  });

  it('resumes by itself after Mai quit mid-download (shutdown, then restore)', async () => {
    const first = createManager();
    server.throttleBytesPerSecond = 20 * MB;
    first.manager.enqueue({ id: 'quit', url: server.url(big.urlPath), fileName: big.fileName, sha256: big.sha256 });
    await waitForBytes(first.manager, 'quit', 5 * MB);
    await first.manager.shutdown();
    expect(first.manager.get('quit')?.state).toBe('paused');

    server.reset();
    const second = createManager({ modelsDir: first.modelsDir, stateFile: first.stateFile });
    expect(await second.manager.restore()).toMatchObject({ restored: 1, resumed: 1 });
    const info = await settled(second.manager, 'quit');
    expect(info.state).toBe('done');
    expect(sha256Of(info.filePath)).toBe(big.sha256);
    expect(server.requests[0]?.range).toMatch(/^bytes=[1-9]\d*-$/);
    expect(server.bytesSent).toBeLessThan(big.size);
  });

  it('refuses a wrong SHA-256 with checksum-mismatch and leaves no file', async () => {
    const { manager, modelsDir } = createManager();
    const wrong = 'ab'.repeat(32);
    manager.enqueue({ id: 'bad', url: server.url(small.urlPath), fileName: small.fileName, sha256: wrong });
    const info = await settled(manager, 'bad');
    expect(info.state).toBe('failed');
    expect(info.error?.code).toBe('checksum-mismatch');
    expect(info.error?.message).toContain(wrong.slice(0, 12));
    expect(info.error?.message).toContain(small.sha256.slice(0, 12));
    expect(leftovers(modelsDir)).toEqual({ models: [], partial: [] });
  });

  it('never overwrites a different file of the same name; adopts an identical one without downloading', async () => {
    const { manager, modelsDir } = createManager();
    mkdirSync(modelsDir, { recursive: true });
    writeFileSync(path.join(modelsDir, small.fileName), 'my own notes, not a model');
    manager.enqueue({ id: 'clash', url: server.url(small.urlPath), fileName: small.fileName, sha256: small.sha256 });
    const refused = await settled(manager, 'clash');
    expect(refused.error).toEqual({
      code: 'file-exists',
      message: `A different file named ${small.fileName} is already in ${modelsDir}; Mai will not overwrite it. Rename or remove it, then try again.`,
    });
    expect(readFileSync(path.join(modelsDir, small.fileName), 'utf8')).toBe('my own notes, not a model');

    copyFileSync(small.file, path.join(modelsDir, small.fileName));
    await manager.resume('clash');
    expect(await settled(manager, 'clash')).toMatchObject({ state: 'done', receivedBytes: small.size });
    expect(server.requests).toEqual([]);
  });

  it('reports a 404 as not-found with a sentence and leaves nothing behind', async () => {
    const { manager, modelsDir } = createManager();
    manager.enqueue({ id: 'missing', url: server.url('/models/nope.gguf'), fileName: 'nope.gguf', sha256: small.sha256 });
    const info = await settled(manager, 'missing');
    expect(info.error).toEqual({ code: 'not-found', message: `nope.gguf was not found at 127.0.0.1:${server.port} (HTTP 404); check the model's address.` });
    expect(leftovers(modelsDir)).toEqual({ models: [], partial: [] });
  });

  it('reports a refused connection as offline', async () => {
    const port = await freePort();
    const { manager, modelsDir } = createManager();
    manager.enqueue({ id: 'refused', url: `http://127.0.0.1:${port}/m.gguf`, fileName: 'm.gguf', sha256: small.sha256 });
    const info = await settled(manager, 'refused');
    expect(info.error).toEqual({ code: 'offline', message: `Could not reach 127.0.0.1:${port}: the connection was refused.` });
    expect(leftovers(modelsDir)).toEqual({ models: [], partial: [] });
  });

  it('retries a stalled transfer and gives up with stalled when it stays silent', async () => {
    const { manager } = createManager({ stallTimeoutMs: 300, maxRetries: 0 });
    server.stallAfterBytes(MB);
    manager.enqueue({ id: 'stall', url: server.url(big.urlPath), fileName: big.fileName, sha256: big.sha256 });
    const info = await settled(manager, 'stall');
    expect(info.error?.code).toBe('stalled');
    expect(info.error?.message).toMatch(/^No data arrived from 127\.0\.0\.1:\d+ for 0\.3 s; the download stalled \(gave up after 0 retries\)\.$/);

    server.stallAfterBytes(256 * 1024);
    const retrying = createManager({ stallTimeoutMs: 300, maxRetries: 2 }).manager;
    retrying.enqueue({ id: 'stall2', url: server.url(small.urlPath), fileName: small.fileName, sha256: small.sha256 });
    expect((await settled(retrying, 'stall2')).state).toBe('done');
  });

  it('cancel deletes the partial; a queue with concurrency 1 runs one download after another', async () => {
    const { manager, modelsDir } = createManager();
    server.throttleBytesPerSecond = 10 * MB;
    manager.enqueue({ id: 'doomed', url: server.url(big.urlPath), fileName: big.fileName, sha256: big.sha256 });
    await waitForBytes(manager, 'doomed', 2 * MB);
    expect(leftovers(modelsDir).partial).toEqual([`${big.fileName}.part`]);
    const cancelled = await manager.cancel('doomed');
    expect(cancelled).toMatchObject({ state: 'cancelled', receivedBytes: 0, error: { code: 'cancelled' } });
    expect(leftovers(modelsDir)).toEqual({ models: [], partial: [] });

    server.throttleBytesPerSecond = 4 * MB; // ~0.25 s each
    const log: string[] = [];
    manager.on('state', (s) => log.push(`${s.id}:${s.state}`));
    for (const name of ['a', 'b', 'c']) manager.enqueue({ id: name, url: server.url(`/models/${name}.gguf`), fileName: `${name}.gguf`, sha256: small.sha256 });
    expect(manager.list().map((d) => `${d.id}:${d.state}`)).toEqual(['doomed:cancelled', 'a:downloading', 'b:queued', 'c:queued']);
    await settled(manager, 'c');
    const starts = log.filter((e) => e.endsWith(':downloading') || e.endsWith(':done'));
    expect(starts).toEqual(['a:downloading', 'a:done', 'b:downloading', 'b:done', 'c:downloading', 'c:done']);
    expect(leftovers(modelsDir).models.sort()).toEqual(['a.gguf', 'b.gguf', 'c.gguf']);
  });

  it('resolves an hf: URI (through a redirect, like the Hub) and downloads it', async () => {
    const { manager } = createManager({ huggingFaceBaseUrl: server.baseUrl });
    const info = manager.enqueue({ id: 'hf', url: 'hf:mai/demo/mai-demo-1mb.gguf', fileName: small.fileName, sha256: small.sha256 });
    expect(info.url).toBe(`${server.baseUrl}/mai/demo/resolve/main/mai-demo-1mb.gguf`);
    expect((await settled(manager, 'hf')).state).toBe('done');
    expect(server.requests.map((r) => r.status)).toEqual([302, 200]);
  });
});

describe('DownloadManager on a full disk (8 MB tmpfs)', () => {
  let mountDir: string | null = null;
  let mountError: string | null = null;

  beforeAll(() => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mai-tmpfs-'));
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', dir], { stdio: 'pipe' });
      mountDir = dir;
    } catch (error) {
      mountError = String((error as { stderr?: Buffer }).stderr ?? error).trim();
      console.warn(`[downloads] tmpfs mount not permitted (${mountError}); the real-disk tests are skipped`);
    }
  });

  afterAll(async () => {
    if (!mountDir) return;
    execFileSync('umount', [mountDir]);
    await rm(mountDir, { recursive: true, force: true });
  });

  it('refuses before starting when the free space is too small', async (ctx) => {
    if (!mountDir) return ctx.skip();
    const modelsDir = path.join(mountDir, 'precheck');
    const { manager } = createManager({ modelsDir });
    manager.enqueue({ id: 'full', url: server.url(big.urlPath), fileName: big.fileName, sha256: big.sha256 });
    const info = await settled(manager, 'full');
    expect(info.error?.code).toBe('disk-full');
    expect(info.error?.message).toMatch(new RegExp(`^Not enough disk space for ${big.fileName}: needs 0\\.0\\d GB, 0\\.0\\d GB free on ${modelsDir}\\.$`));
    expect(leftovers(modelsDir)).toEqual({ models: [], partial: [] });
  });

  it('fails with disk-full on ENOSPC mid-file and deletes the partial', async (ctx) => {
    if (!mountDir) return ctx.skip();
    const modelsDir = path.join(mountDir, 'enospc');
    // statfs claims plenty of room, so the write itself has to hit the real ENOSPC.
    const { manager } = createManager({ modelsDir, statfs: async () => ({ bavail: 1e6, bsize: 4096 }) });
    manager.enqueue({ id: 'enospc', url: server.url(big.urlPath), fileName: big.fileName, sha256: big.sha256 });
    const info = await settled(manager, 'enospc');
    expect(info.error?.code).toBe('disk-full');
    expect(info.error?.message).toMatch(/^Not enough disk space for mai-demo-30mb\.gguf: needs .* GB, .* GB free on /);
    expect(leftovers(modelsDir)).toEqual({ models: [], partial: [] });
  });
});

/** A port nobody listens on (bound, then released). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}
