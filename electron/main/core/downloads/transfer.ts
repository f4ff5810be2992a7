/**
 * One download, from the first request to the verified file in the models folder: HTTP with Range
 * resume, streaming to `<modelsDir>/.partial/<fileName>.part`, incremental SHA-256, retries, stall
 * detection, the disk-space check and the final checked rename. The manager owns scheduling and
 * state; this file owns bytes.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { DownloadFailure, checksumFailure, diskFullFailure, hostOf, httpFailure, ioFailure, isDiskFullError, networkFailure, stallFailure } from './errors';
import type { Validator } from './state-store';
import { fsyncDir } from './state-store';
import { abortable, byteLength, parseContentRange, parseLength, sha256OfFile, sizeIfFile, sleep, writevFully } from './support';
import type { StatFsLike } from './types';

/** Write to disk in batches: fewer syscalls than one per network chunk (~16-64 KB) ... */
const FLUSH_BYTES = 1024 * 1024;
/** ... but often enough that progress moves smoothly on slow links. */
const FLUSH_MS = 100;
const MAX_RETRY_DELAY_MS = 30_000;
/** The longest `Retry-After` Mai waits for by itself; a longer one fails the download with the wait named. */
const MAX_RETRY_AFTER_MS = 5 * 60_000;

export interface TransferHooks {
  /** The partial path now belongs to this download (a leftover there was deleted). */
  onPartialOwned(): void;
  /** Bytes safely written so far (and the total, once known). Called often; throttle downstream. */
  onBytes(receivedBytes: number, totalBytes: number | null): void;
  /** The server identified the file version (persist it for If-Range after a restart). */
  onValidator(validator: Validator): void;
  onVerifying(): void;
}

export interface TransferOptions {
  url: string;
  fileName: string;
  sha256: string;
  modelsDir: string;
  partialPath: string;
  finalPath: string;
  expectedSize: number | null;
  validator: Validator | null;
  partialOwned: boolean;
  signal: AbortSignal;
  fetchImpl: typeof fetch;
  statfs: (dir: string) => Promise<StatFsLike>;
  diskMarginBytes: number;
  stallTimeoutMs: number;
  maxRetries: number;
  retryBaseDelayMs: number;
  hooks: TransferHooks;
}

/** 'already-present': the models folder already held a file with the expected hash. */
export type TransferResult = 'downloaded' | 'already-present';

/** Runs one download to completion. Throws a DownloadFailure, or `signal.reason` when aborted. */
export function runTransfer(options: TransferOptions): Promise<TransferResult> {
  return new Transfer(options).run();
}

/** The partial file of `fileName` (same file system as the target, so the final rename is atomic). */
export function partialPathFor(modelsDir: string, fileName: string): string {
  return path.join(modelsDir, '.partial', `${fileName}.part`);
}

class Transfer {
  private hash: Hash = createHash('sha256');
  /** Bytes written to the partial file, all of them fed to `hash` (see write()). */
  private offset = 0;
  private total: number | null;
  private validator: Validator | null;
  private fh: FileHandle | null = null;
  /** Remaining bytes the last disk-space check covered (null: not checked yet). */
  private diskCheckedFor: number | null = null;

  constructor(private readonly o: TransferOptions) {
    this.total = o.expectedSize;
    this.validator = o.validator;
  }

  async run(): Promise<TransferResult> {
    const o = this.o;
    try {
      await this.fsStep('create the downloads folder', () => mkdir(path.dirname(o.partialPath), { recursive: true }));
      if ((await sizeIfFile(o.finalPath)) !== null) return await this.adoptExisting();
      if (!o.partialOwned) {
        await this.fsStep('clear an old partial file', () => rm(o.partialPath, { force: true }));
        o.hooks.onPartialOwned();
      }
      this.offset = (await sizeIfFile(o.partialPath)) ?? 0;
      // The hash must cover the whole file, so the bytes of an earlier session are read back first.
      if (this.offset > 0) await this.rehashPartial();
      o.hooks.onBytes(this.offset, this.total);
      if (this.total !== null) await this.checkDiskSpace(this.total - this.offset);
      await this.downloadWithRetries();
      return await this.verifyAndPlace();
    } catch (error) {
      // A 404 or a redirect loop means the partial can never be finished: leave nothing behind.
      if (error instanceof DownloadFailure && (error.code === 'not-found' || error.code === 'redirect-loop')) await this.discardPartial();
      throw error;
    } finally {
      await this.closeFile();
      // An empty partial holds nothing worth resuming; don't leave it lying around.
      if ((await sizeIfFile(o.partialPath)) === 0) await rm(o.partialPath, { force: true }).catch(() => undefined);
    }
  }

  /** A file with the target name exists: fine if it is this very file, refused otherwise. */
  private async adoptExisting(): Promise<TransferResult> {
    const o = this.o;
    o.hooks.onVerifying();
    const digest = await this.hashWholeFile(o.finalPath);
    if (digest !== o.sha256) {
      throw new DownloadFailure(
        'file-exists',
        `A different file named ${o.fileName} is already in ${o.modelsDir}; Mai will not overwrite it. Rename or remove it, then try again.`,
      );
    }
    await rm(o.partialPath, { force: true }).catch(() => undefined);
    const size = (await sizeIfFile(o.finalPath)) ?? 0;
    o.hooks.onBytes(size, size);
    return 'already-present';
  }

  private async downloadWithRetries(): Promise<void> {
    const o = this.o;
    let failures = 0;
    let connected = false;
    for (;;) {
      o.signal.throwIfAborted();
      const before = this.offset;
      try {
        const outcome = await this.attempt(() => (connected = true));
        if (outcome === 'complete') return;
        continue; // restarted from zero after a 416: not a failure
      } catch (error) {
        if (o.signal.aborted) throw o.signal.reason;
        if (!(error instanceof DownloadFailure) || !error.retryable) throw error;
        // A server that was never reached is reported at once: retrying a refused connection only
        // delays the message. Once it answered, a drop is a hiccup worth retrying.
        if (error.code === 'offline' && !connected) throw error;
        // Count only attempts that made no progress: a flaky link that drops every few hundred MB
        // still finishes, while a dead one gives up after maxRetries.
        failures = this.offset > before ? 1 : failures + 1;
        if (failures > o.maxRetries) {
          throw new DownloadFailure(error.code, `${error.message.replace(/\.$/, '')} (gave up after ${o.maxRetries} retries).`);
        }
        // A server that says how long to wait is obeyed (up to MAX_RETRY_AFTER_MS, else given up on).
        const backoff = Math.min(MAX_RETRY_DELAY_MS, o.retryBaseDelayMs * 2 ** (failures - 1));
        if (error.retryAfterMs !== null && error.retryAfterMs > MAX_RETRY_AFTER_MS) {
          throw new DownloadFailure(
            error.code,
            `${error.message.replace(/\.$/, '')}; it asks to wait ${Math.ceil(error.retryAfterMs / 60_000)} min, so try again later.`,
          );
        }
        await sleep(Math.max(backoff, error.retryAfterMs ?? 0), o.signal);
      }
    }
  }

  /** One HTTP request. 'complete': every byte is on disk; 'again': start a new request at once. */
  private async attempt(onConnected: () => void): Promise<'complete' | 'again'> {
    const o = this.o;
    // One controller per request: aborted by the caller's signal (pause/cancel) or by the stall timer.
    const request = new AbortController();
    const forward = (): void => request.abort(o.signal.reason);
    o.signal.addEventListener('abort', forward, { once: true });
    let timer: NodeJS.Timeout | undefined;
    const armStallTimer = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => request.abort(new Error('stalled')), o.stallTimeoutMs);
    };
    const rethrow = (error: unknown): never => {
      if (o.signal.aborted) throw o.signal.reason;
      if (request.signal.aborted) throw stallFailure(o.url, o.stallTimeoutMs);
      // The fetch already said what went wrong (the Hub's errors, a redirect loop).
      if (error instanceof DownloadFailure) throw error;
      throw networkFailure(o.url, error);
    };
    let reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
    let finished = false;
    try {
      armStallTimer();
      let response: Response;
      try {
        response = await abortable(o.fetchImpl(o.url, { headers: this.requestHeaders(), signal: request.signal, redirect: 'follow' }), request.signal);
      } catch (error) {
        return rethrow(error);
      }
      onConnected();
      let body: Awaited<ReturnType<Transfer['acceptResponse']>>;
      try {
        body = await this.acceptResponse(response);
      } catch (error) {
        await response.body?.cancel().catch(() => undefined); // refused after the headers: drop the connection
        throw error;
      }
      if (body === 'complete' || body === 'again') return body;
      reader = body.getReader();
      const activeReader = reader;
      // undici ends the body when its signal aborts; an injected fetch might not, so cancel it too.
      request.signal.addEventListener('abort', () => void activeReader.cancel().catch(() => undefined), { once: true });
      let pending: Uint8Array[] = [];
      let pendingBytes = 0;
      let lastFlush = Date.now();
      for (;;) {
        let chunk: ReadableStreamReadResult<Uint8Array>;
        try {
          chunk = await reader.read();
        } catch (error) {
          // Bytes that arrived before the cut are good: keep them so the resume starts after them.
          await this.write(pending);
          return rethrow(error);
        }
        if (chunk.done) break;
        pending.push(chunk.value);
        pendingBytes += chunk.value.byteLength;
        if (pendingBytes >= FLUSH_BYTES || Date.now() - lastFlush >= FLUSH_MS) {
          clearTimeout(timer); // a slow disk is not a stalled server
          await this.write(pending);
          pending = [];
          pendingBytes = 0;
          lastFlush = Date.now();
        }
        armStallTimer();
      }
      finished = true;
      await this.write(pending);
      if (request.signal.aborted) return rethrow(request.signal.reason);
      if (this.total !== null && this.offset < this.total) {
        throw new DownloadFailure('offline', `Could not reach ${hostOf(o.url)}: the connection closed after ${this.offset} of ${this.total} bytes.`, true);
      }
      return 'complete';
    } finally {
      clearTimeout(timer);
      o.signal.removeEventListener('abort', forward);
      // Free the connection when we stop early (disk full, pause); harmless on an errored stream.
      if (reader && !finished) await reader.cancel().catch(() => undefined);
    }
  }

  private requestHeaders(): Record<string, string> {
    // identity: byte offsets must be offsets in the file, not in a compressed stream.
    const headers: Record<string, string> = { 'accept-encoding': 'identity' };
    if (this.offset > 0) {
      headers.range = `bytes=${this.offset}-`;
      // If-Range: "only the rest if the file is still the same version, otherwise all of it".
      // A weak ETag is not allowed there, so fall back to Last-Modified.
      const etag = this.validator?.etag;
      const ifRange = etag && !etag.startsWith('W/') ? etag : this.validator?.lastModified;
      if (ifRange) headers['if-range'] = ifRange;
    }
    return headers;
  }

  /** Checks status and headers; returns the body to read, or what to do instead. */
  private async acceptResponse(response: Response): Promise<ReadableStream<Uint8Array> | 'complete' | 'again'> {
    const o = this.o;
    const status = response.status;
    if (status === 416 && this.offset > 0) {
      await response.body?.cancel().catch(() => undefined);
      const total = parseContentRange(response.headers.get('content-range'))?.total ?? this.total;
      if (total === this.offset) return 'complete'; // everything was already here: go verify
      await this.restartFromZero(); // the partial is longer than the file: it cannot be trusted
      return 'again';
    }
    if (status !== 200 && status !== 206) throw httpFailure(response.url || o.url, status, o.fileName, response.headers.get('retry-after'));
    const length = parseLength(response.headers.get('content-length'));
    if (status === 206) {
      const range = parseContentRange(response.headers.get('content-range'));
      if (!range || range.start !== this.offset) {
        throw new DownloadFailure(
          'http-error',
          `${hostOf(o.url)} sent the wrong part of ${o.fileName} (asked for bytes from ${this.offset}, got ${response.headers.get('content-range') ?? 'no range'}).`,
        );
      }
      this.total = range.total ?? (length !== null ? this.offset + length : this.total);
    } else {
      // 200 to a Range request: the server cannot resume, or If-Range saw a new version of the file.
      if (this.offset > 0) await this.restartFromZero();
      this.total = length ?? this.total;
    }
    this.rememberValidator(response, status === 200);
    o.hooks.onBytes(this.offset, this.total);
    const remaining = this.remainingBytes();
    if (this.diskCheckedFor === null || remaining > this.diskCheckedFor) await this.checkDiskSpace(remaining);
    if (!response.body) throw new DownloadFailure('http-error', `${hostOf(o.url)} answered without a body for ${o.fileName}.`);
    return response.body as ReadableStream<Uint8Array>;
  }

  private rememberValidator(response: Response, fullBody: boolean): void {
    const next: Validator = { etag: response.headers.get('etag'), lastModified: response.headers.get('last-modified') };
    if (!next.etag && !next.lastModified) return;
    const same = this.validator && this.validator.etag === next.etag && this.validator.lastModified === next.lastModified;
    if (same || (!fullBody && this.validator)) return;
    this.validator = next;
    this.o.hooks.onValidator(next);
  }

  /** Appends received bytes; only bytes that reached the file are hashed and counted. */
  private async write(chunks: Uint8Array[]): Promise<void> {
    const bytes = byteLength(chunks);
    if (bytes === 0) return;
    try {
      const fh = (this.fh ??= await open(this.o.partialPath, 'a'));
      // One gathered write of the network's chunks as they came (writev): joining them into one
      // buffer first cost a copy of every byte and a 1 MiB allocation per batch, which showed in
      // CPU profiles as copying and garbage collection (docs/benchmarks.md). Awaiting each write
      // before reading more from the socket is the backpressure. The write runs in libuv's thread
      // pool while the hash runs here, so the two overlap. A failed write ends this transfer and
      // its hash with it (a resume hashes the partial file again), so hashing bytes before they are
      // on disk is safe. (A hash on a worker thread was tried: on two busy cores it made downloads
      // slower, not faster; see docs/benchmarks.md.)
      const writing = writevFully(fh, chunks);
      for (const chunk of chunks) this.hash.update(chunk);
      await writing;
    } catch (error) {
      if (!isDiskFullError(error)) throw ioFailure(`write ${this.o.partialPath}`, error);
      const free = await this.freeBytes();
      const remaining = this.total !== null ? this.remainingBytes() : bytes;
      // Never leave a half file among the models (and free the space it took).
      await this.discardPartial();
      throw diskFullFailure(this.o.fileName, remaining, free, this.o.modelsDir, 0);
    }
    this.offset += bytes;
    this.o.hooks.onBytes(this.offset, this.total);
  }

  private async restartFromZero(): Promise<void> {
    await this.closeFile();
    await this.fsStep('restart the partial file', () => rm(this.o.partialPath, { force: true }));
    this.hash = createHash('sha256');
    this.offset = 0;
    this.o.hooks.onBytes(0, this.total);
  }

  private async rehashPartial(): Promise<void> {
    let hashed = 0;
    try {
      for await (const chunk of createReadStream(this.o.partialPath, { highWaterMark: FLUSH_BYTES, signal: this.o.signal })) {
        this.hash.update(chunk as Buffer);
        hashed += (chunk as Buffer).byteLength;
      }
    } catch (error) {
      if (this.o.signal.aborted) throw this.o.signal.reason;
      throw ioFailure(`read ${this.o.partialPath}`, error);
    }
    this.offset = hashed;
  }

  private async hashWholeFile(file: string): Promise<string> {
    try {
      return await sha256OfFile(file, this.o.signal);
    } catch (error) {
      if (this.o.signal.aborted) throw this.o.signal.reason;
      throw ioFailure(`read ${file}`, error);
    }
  }

  private async verifyAndPlace(): Promise<TransferResult> {
    const o = this.o;
    o.hooks.onVerifying();
    const actual = this.hash.digest('hex');
    if (actual !== o.sha256) {
      await this.discardPartial();
      throw checksumFailure(o.fileName, o.sha256, actual);
    }
    await this.fsStep('save the downloaded file', async () => {
      this.fh ??= await open(o.partialPath, 'a');
      await this.fh.sync(); // the data must be on disk before the rename makes it visible
    });
    await this.closeFile();
    o.signal.throwIfAborted(); // a cancel that came during verification still wins
    if ((await sizeIfFile(o.finalPath)) !== null) {
      throw new DownloadFailure(
        'file-exists',
        `A file named ${o.fileName} appeared in ${o.modelsDir} during the download; Mai will not overwrite it. The verified download is kept; remove the other file and resume.`,
      );
    }
    await this.fsStep(`move ${o.fileName} into ${o.modelsDir}`, () => rename(o.partialPath, o.finalPath));
    await fsyncDir(o.modelsDir);
    return 'downloaded';
  }

  private async checkDiskSpace(remainingBytes: number): Promise<void> {
    this.diskCheckedFor = remainingBytes;
    const free = await this.freeBytes();
    // A file system that cannot report its free space does not block the download; ENOSPC still guards it.
    if (free === null) return;
    if (free < remainingBytes + this.o.diskMarginBytes) {
      throw diskFullFailure(this.o.fileName, remainingBytes, free, this.o.modelsDir, this.o.diskMarginBytes);
    }
  }

  private remainingBytes(): number {
    return this.total !== null ? Math.max(0, this.total - this.offset) : 0;
  }

  private async freeBytes(): Promise<number | null> {
    try {
      const s = await this.o.statfs(this.o.modelsDir);
      return Number(s.bavail) * Number(s.bsize);
    } catch {
      return null;
    }
  }

  private async discardPartial(): Promise<void> {
    await this.closeFile();
    await rm(this.o.partialPath, { force: true }).catch(() => undefined);
    this.hash = createHash('sha256');
    this.offset = 0;
  }

  private async closeFile(): Promise<void> {
    const fh = this.fh;
    this.fh = null;
    await fh?.close().catch(() => undefined);
  }

  /** Runs a file-system step; its errors become 'disk-full' or 'io-error' with a sentence. */
  private async fsStep<T>(what: string, step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (error) {
      if (error instanceof DownloadFailure) throw error;
      if (isDiskFullError(error)) throw diskFullFailure(this.o.fileName, this.remainingBytes(), await this.freeBytes(), this.o.modelsDir, 0);
      throw ioFailure(what, error);
    }
  }
}
