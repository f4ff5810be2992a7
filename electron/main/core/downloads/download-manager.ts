/**
 * The model download queue of the main process: what to fetch, in which order, how many at once,
 * and what state each download is in — persisted so a restart of Mai picks up where it stopped.
 * The bytes themselves are moved by transfer.ts.
 */
import { rm, statfs as fsStatfs } from 'node:fs/promises';
import path from 'node:path';
import { Emitter } from '../../../../shared/emitter';
import { DownloadFailure, cancelledError, toDownloadError } from './errors';
import { DEFAULT_HUGGING_FACE_BASE_URL, resolveModelUrl } from './hf-uri';
import { secondsLeft, SpeedMeter } from './speed';
import { loadDownloadState, saveDownloadState, type DownloadRecord } from './state-store';
import { bytesOnDisk, removePartFiles, runParts } from './parts';
import { isSafeFileName } from './support';
import { partialPathFor, runTransfer } from './transfer';
import type { DownloadError, DownloadEvents, DownloadInfo, DownloadManagerOptions, DownloadState, EnqueueRequest, StatFsLike } from './types';

const DEFAULT_MARGIN_BYTES = 512 * 1024 * 1024;
const SPEED_WINDOW_MS = 5_000;
/** States with work left (the same file name may not be reused by another download meanwhile). */
const ACTIVE_STATES: readonly DownloadState[] = ['queued', 'downloading', 'paused', 'verifying'];

/** Why a running transfer was aborted; decides the state it ends in. */
class StopRequest {
  constructor(readonly kind: 'pause' | 'cancel' | 'shutdown') {}
}

interface Job {
  controller: AbortController;
  meter: SpeedMeter;
  lastProgressAt: number;
  /** Settles (never rejects) once the job has reached its next state. */
  done: Promise<void>;
}

/** What restore() found. */
export interface RestoreSummary {
  /** Downloads read back from the state file. */
  restored: number;
  /** Of those, how many were running (or queued) and were queued again. */
  resumed: number;
  /** Where an unreadable state file was moved aside, or null. */
  movedAsideTo: string | null;
}

/**
 * Downloads model files into the models folder, verified by SHA-256, resumable across network cuts
 * and restarts. Events: `state` (a DownloadInfo at every state change) and `progress` (throttled).
 * Call restore() once at start and shutdown() before quitting.
 */
export class DownloadManager extends Emitter<DownloadEvents> {
  readonly modelsDir: string;
  private readonly stateFile: string;
  private readonly fetchImpl: typeof fetch;
  private readonly concurrency: number;
  private readonly now: () => number;
  private readonly statfs: (dir: string) => Promise<StatFsLike>;
  private readonly diskMarginBytes: number;
  private readonly stallTimeoutMs: number;
  private readonly maxRetries: number;
  private readonly retryBaseDelayMs: number;
  private readonly progressIntervalMs: number;
  private readonly huggingFaceBaseUrl: string;
  private readonly afterVerified: DownloadManagerOptions['afterVerified'];
  private readonly log: (message: string) => void;

  private readonly records = new Map<string, DownloadRecord>();
  private readonly jobs = new Map<string, Job>();
  private restored = false;
  private closed = false;
  private persistTail: Promise<void> = Promise.resolve();
  private persistNext: Promise<void> | null = null;

  constructor(options: DownloadManagerOptions) {
    super();
    this.modelsDir = path.resolve(options.modelsDir);
    this.stateFile = path.resolve(options.stateFile);
    // Looked up lazily by default so tests that stub globalThis.fetch after construction still work.
    this.fetchImpl = options.fetchImpl ?? ((input, init) => fetch(input, init));
    this.concurrency = Math.max(1, Math.floor(options.concurrency ?? 1));
    this.now = options.now ?? Date.now;
    this.statfs = options.statfs ?? ((dir) => fsStatfs(dir));
    this.diskMarginBytes = options.diskMarginBytes ?? DEFAULT_MARGIN_BYTES;
    this.stallTimeoutMs = options.stallTimeoutMs ?? 30_000;
    this.maxRetries = options.maxRetries ?? 5;
    this.retryBaseDelayMs = options.retryBaseDelayMs ?? 1_000;
    this.progressIntervalMs = options.progressIntervalMs ?? 250;
    this.huggingFaceBaseUrl = options.huggingFaceBaseUrl ?? DEFAULT_HUGGING_FACE_BASE_URL;
    this.afterVerified = options.afterVerified;
    this.log = options.log ?? ((message) => console.warn(message));
  }

  /**
   * Adds a download to the queue (it starts when a slot is free). Enqueueing an id that is still
   * active with the same file returns it unchanged; a finished, failed or cancelled id is replaced.
   * Throws a DownloadFailure ('invalid-request') with a sentence for unusable input.
   */
  enqueue(request: EnqueueRequest): DownloadInfo {
    if (this.closed) throw invalidRequest('Mai is shutting down; the download was not started.');
    const { id, fileName } = request;
    if (typeof id !== 'string' || id.length === 0 || id.length > 200) throw invalidRequest('A download needs an id of 1 to 200 characters.');
    if (!isSafeFileName(fileName))
      throw invalidRequest(`"${String(fileName)}" cannot be used as a model file name (no folders, no leading dot, no reserved characters).`);
    if (typeof request.sha256 !== 'string' || !/^[0-9a-fA-F]{64}$/.test(request.sha256)) {
      throw invalidRequest(`The SHA-256 for ${fileName} must be 64 hexadecimal characters.`);
    }
    const sha256 = request.sha256.toLowerCase();
    const size = request.sizeBytes;
    if (size !== undefined && !(Number.isSafeInteger(size) && size >= 0)) throw invalidRequest(`The size of ${fileName} must be a whole number of bytes.`);
    const url = resolveModelUrl(request.url, this.huggingFaceBaseUrl);
    const moreParts = (request.moreParts ?? []).map((part) => {
      if (!isSafeFileName(part.fileName)) throw invalidRequest(`"${String(part.fileName)}" cannot be used as a model file name.`);
      if (!/^[0-9a-fA-F]{64}$/.test(part.sha256)) throw invalidRequest(`The SHA-256 for ${part.fileName} must be 64 hexadecimal characters.`);
      if (!(Number.isSafeInteger(part.sizeBytes) && part.sizeBytes >= 0)) throw invalidRequest(`The size of ${part.fileName} must be a whole number of bytes.`);
      return {
        url: resolveModelUrl(part.url, this.huggingFaceBaseUrl),
        fileName: part.fileName,
        sha256: part.sha256.toLowerCase(),
        sizeBytes: part.sizeBytes,
        validator: null,
        partialOwned: false,
      };
    });

    const existing = this.records.get(id);
    if (existing && ACTIVE_STATES.includes(existing.state)) {
      if (existing.fileName === fileName && existing.sha256 === sha256) return toInfo(existing);
      throw invalidRequest(`A download with the id "${id}" is already in the queue for ${existing.fileName}.`);
    }
    // Two downloads of one name would write the same partial file.
    const clash = [...this.records.values()].find((r) => r.id !== id && r.fileName === fileName && ACTIVE_STATES.includes(r.state));
    if (clash) throw invalidRequest(`${fileName} is already being downloaded.`);

    this.records.delete(id); // a re-enqueued id moves to the end of the queue
    const t = this.now();
    const record: DownloadRecord = {
      id,
      source: request.url,
      url,
      fileName,
      filePath: path.join(this.modelsDir, fileName),
      sha256,
      totalBytes: size ?? null,
      receivedBytes: 0,
      state: 'queued',
      error: null,
      createdAt: t,
      updatedAt: t,
      validator: null,
      resumeOnRestore: false,
      partialOwned: false,
      moreParts,
      meta: request.meta ?? null,
    };
    this.records.set(id, record);
    this.setState(record, 'queued');
    this.pump();
    return toInfo(record);
  }

  /** Stops a queued or running download, keeping the partial file. No effect once verifying or finished. */
  async pause(id: string): Promise<DownloadInfo> {
    const record = this.require(id);
    if (record.state === 'queued') this.setState(record, 'paused');
    const job = this.jobs.get(id);
    if (job && record.state === 'downloading') {
      job.controller.abort(new StopRequest('pause'));
      await job.done;
    }
    return toInfo(record);
  }

  /** Queues a paused, failed or cancelled download again; it continues from its partial file. */
  async resume(id: string): Promise<DownloadInfo> {
    if (this.closed) throw invalidRequest('Mai is shutting down; the download was not resumed.');
    const record = this.require(id);
    if (record.state === 'paused' || record.state === 'failed' || record.state === 'cancelled') {
      const clash = [...this.records.values()].some((r) => r !== record && r.fileName === record.fileName && ACTIVE_STATES.includes(r.state));
      if (clash) throw invalidRequest(`${record.fileName} is already being downloaded by another entry.`);
      record.resumeOnRestore = false;
      this.setState(record, 'queued');
      this.pump();
    }
    return toInfo(record);
  }

  /** Stops a download for good and deletes its partial file. A finished model is never touched. */
  async cancel(id: string): Promise<DownloadInfo> {
    const record = this.require(id);
    for (let job = this.jobs.get(id); job; job = this.jobs.get(id)) {
      job.controller.abort(new StopRequest('cancel'));
      await job.done;
    }
    if (record.state !== 'done' && record.state !== 'cancelled') await this.finishCancel(record);
    return toInfo(record);
  }

  /** Forgets a download (cancelling it first if it is still active); its model file, if any, stays. */
  async remove(id: string): Promise<void> {
    const record = this.records.get(id);
    if (!record) return;
    if (ACTIVE_STATES.includes(record.state)) await this.cancel(id);
    this.records.delete(id);
    await this.persist();
  }

  /** A snapshot of one download, or undefined. */
  get(id: string): DownloadInfo | undefined {
    const record = this.records.get(id);
    return record && toInfo(record);
  }

  /** Snapshots of every download, in queue order. */
  list(): DownloadInfo[] {
    return [...this.records.values()].map(toInfo);
  }

  /**
   * Reads the queue saved by an earlier run and continues it: downloads that were running, queued or
   * interrupted by shutdown() are queued again; paused (by the user) and finished ones stay as they
   * were. Call once at start. An unreadable state file is moved aside and the queue starts empty.
   */
  async restore(): Promise<RestoreSummary> {
    if (this.restored) return { restored: 0, resumed: 0, movedAsideTo: null };
    this.restored = true;
    const { downloads, movedAsideTo } = await loadDownloadState(this.stateFile, this.now);
    const restored: DownloadRecord[] = [];
    let resumed = 0;
    for (const record of downloads) {
      // A download enqueued before restore() wins; a hand-edited name (of any part) must not escape
      // modelsDir. Only that record is dropped: the rest of the queue is kept.
      if (this.records.has(record.id) || !isSafeFileName(record.fileName) || !record.moreParts.every((part) => isSafeFileName(part.fileName))) continue;
      const clash = [...this.records.values()].some(
        (r) => r.fileName === record.fileName && ACTIVE_STATES.includes(r.state) && ACTIVE_STATES.includes(record.state),
      );
      if (clash) continue;
      record.filePath = path.join(this.modelsDir, record.fileName);
      if (record.state !== 'done') {
        // The partial file is the truth (the saved count may lag behind it).
        record.receivedBytes = await bytesOnDisk(this.modelsDir, record);
      }
      const wasRunning = record.state === 'downloading' || record.state === 'verifying' || record.state === 'queued';
      if (wasRunning || (record.state === 'paused' && record.resumeOnRestore)) {
        record.state = 'queued';
        resumed++;
      }
      record.resumeOnRestore = false;
      this.records.set(record.id, record);
      restored.push(record);
    }
    for (const record of restored) this.safeEmit('state', toInfo(record));
    await this.persist();
    this.pump();
    return { restored: restored.length, resumed, movedAsideTo };
  }

  /** Pauses every running download (restore() resumes them next time) and saves the queue. */
  async shutdown(): Promise<void> {
    this.closed = true;
    const jobs = [...this.jobs.values()];
    for (const job of jobs) job.controller.abort(new StopRequest('shutdown'));
    await Promise.all(jobs.map((job) => job.done));
    await this.persist();
  }

  /** Resolves once every state change so far is on disk. */
  flush(): Promise<void> {
    return this.persist();
  }

  // ---------------------------------------------------------------------------------------------

  private require(id: string): DownloadRecord {
    const record = this.records.get(id);
    if (!record) throw new DownloadFailure('invalid-request', `There is no download with the id "${id}".`);
    return record;
  }

  /** Starts queued downloads, in queue order, while slots are free. */
  private pump(): void {
    if (this.closed) return;
    for (const record of this.records.values()) {
      if (this.jobs.size >= this.concurrency) return;
      if (record.state === 'queued' && !this.jobs.has(record.id)) this.start(record);
    }
  }

  private start(record: DownloadRecord): void {
    const job: Job = {
      controller: new AbortController(),
      meter: new SpeedMeter(SPEED_WINDOW_MS, this.now),
      lastProgressAt: -Infinity,
      done: Promise.resolve(),
    };
    this.jobs.set(record.id, job);
    record.resumeOnRestore = false;
    this.setState(record, 'downloading');
    job.done = this.run(record, job).finally(() => {
      this.jobs.delete(record.id);
      this.pump();
    });
  }

  private async run(record: DownloadRecord, job: Job): Promise<void> {
    try {
      if (record.moreParts.length > 0) await this.runSplit(record, job);
      else
        await runTransfer({
          url: record.url,
          fileName: record.fileName,
          sha256: record.sha256,
          partialPath: partialPathFor(this.modelsDir, record.fileName),
          finalPath: record.filePath,
          expectedSize: record.totalBytes,
          validator: record.validator,
          partialOwned: record.partialOwned,
          ...this.transferSettings(job),
          hooks: {
            onPartialOwned: () => {
              record.partialOwned = true;
              void this.persist();
            },
            onBytes: (received, total) => this.onBytes(record, job, received, total),
            onValidator: (validator) => {
              record.validator = validator;
              void this.persist(); // so If-Range works even after a crash
            },
            onVerifying: () => {
              if (record.state !== 'verifying') this.setState(record, 'verifying');
            },
          },
        });
      if (this.afterVerified) {
        await this.afterVerified(toInfo(record), record.meta).catch((error: Error) =>
          this.log(`[downloads] after ${record.fileName} was verified: ${error.message}`),
        );
      }
      this.emitProgress(record, job, true);
      this.setState(record, 'done');
    } catch (error) {
      const reason: unknown = job.controller.signal.aborted ? job.controller.signal.reason : null;
      if (reason instanceof StopRequest) await this.stopped(record, reason.kind);
      else {
        const data = toDownloadError(error);
        // A failure no resume can cure leaves nothing behind (a single file's transfer already saw to it).
        if (record.moreParts.length > 0 && ['checksum-mismatch', 'not-found', 'redirect-loop'].includes(data.code))
          await removePartFiles(this.modelsDir, record);
        this.setState(record, 'failed', data);
      }
    }
  }

  /** What every transfer of a job shares, single file or part of a split model. */
  private transferSettings(job: Job) {
    return {
      modelsDir: this.modelsDir,
      signal: job.controller.signal,
      fetchImpl: this.fetchImpl,
      statfs: this.statfs,
      diskMarginBytes: this.diskMarginBytes,
      stallTimeoutMs: this.stallTimeoutMs,
      maxRetries: this.maxRetries,
      retryBaseDelayMs: this.retryBaseDelayMs,
    };
  }

  private runSplit(record: DownloadRecord, job: Job): Promise<void> {
    return runParts(record, {
      ...this.transferSettings(job),
      onBytes: (received, total) => this.onBytes(record, job, received, total),
      onVerifying: () => {
        if (record.state !== 'verifying') this.setState(record, 'verifying');
      },
      persist: () => void this.persist(),
    });
  }

  private async stopped(record: DownloadRecord, kind: StopRequest['kind']): Promise<void> {
    if (kind === 'cancel') return this.finishCancel(record);
    record.receivedBytes = await bytesOnDisk(this.modelsDir, record);
    record.resumeOnRestore = kind === 'shutdown';
    this.setState(record, 'paused');
  }

  private async finishCancel(record: DownloadRecord): Promise<void> {
    await rm(partialPathFor(this.modelsDir, record.fileName), { force: true }).catch(() => undefined);
    await removePartFiles(this.modelsDir, record);
    record.receivedBytes = 0;
    this.setState(record, 'cancelled', cancelledError());
  }

  private onBytes(record: DownloadRecord, job: Job, received: number, total: number | null): void {
    record.receivedBytes = received;
    if (total !== null && total !== record.totalBytes) {
      record.totalBytes = total;
      void this.persist();
    }
    job.meter.record(received);
    this.emitProgress(record, job, false);
  }

  private emitProgress(record: DownloadRecord, job: Job, final: boolean): void {
    const t = this.now();
    if (!final && t - job.lastProgressAt < this.progressIntervalMs) return;
    job.lastProgressAt = t;
    const bytesPerSecond = job.meter.bytesPerSecond(t);
    this.safeEmit('progress', {
      id: record.id,
      receivedBytes: record.receivedBytes,
      totalBytes: record.totalBytes,
      bytesPerSecond,
      secondsLeft: final ? 0 : secondsLeft(record.receivedBytes, record.totalBytes, bytesPerSecond),
    });
  }

  private setState(record: DownloadRecord, state: DownloadState, error: DownloadError | null = null): void {
    record.state = state;
    record.error = error;
    record.updatedAt = this.now();
    this.safeEmit('state', toInfo(record));
    void this.persist();
  }

  /** A throwing listener must not break a download. */
  private safeEmit<K extends keyof DownloadEvents>(event: K, payload: DownloadEvents[K]): void {
    try {
      this.emit(event, payload);
    } catch (error) {
      this.log(`[downloads] a ${String(event)} listener threw: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /**
   * Saves the queue. Saves are chained (never two renames racing) and coalesced: a save that has not
   * started yet will include every change made until it starts.
   */
  private persist(): Promise<void> {
    if (this.persistNext) return this.persistNext;
    const next = this.persistTail
      .then(() => {
        this.persistNext = null;
        return saveDownloadState(this.stateFile, [...this.records.values()]);
      })
      .catch((error: unknown) => {
        // Losing a save only costs resume information; the download itself goes on.
        this.log(`[downloads] could not save ${this.stateFile}: ${error instanceof Error ? error.message : String(error)}`);
      });
    this.persistNext = next;
    this.persistTail = next;
    return next;
  }
}

function toInfo(record: DownloadRecord): DownloadInfo {
  const { validator: _v, resumeOnRestore: _r, partialOwned: _p, moreParts: _m, meta: _meta, error, ...info } = record;
  return { ...info, error: error && { ...error } };
}

function invalidRequest(message: string): DownloadFailure {
  return new DownloadFailure('invalid-request', message);
}
