/**
 * Public types of the model download manager. Plain data only, so the lead can copy them into the
 * app contract (shared/) and send them over IPC or the web host's socket unchanged.
 */

/**
 * Lifecycle of one download:
 * queued → downloading → verifying → done, with paused / failed / cancelled on the side.
 * `paused` and `failed` keep the partial file (resume continues from it); `cancelled` deletes it.
 */
export type DownloadState = 'queued' | 'downloading' | 'paused' | 'verifying' | 'done' | 'failed' | 'cancelled';

/** States from which nothing happens on its own any more. */
export const TERMINAL_STATES: readonly DownloadState[] = ['done', 'failed', 'cancelled'];

/**
 * Why a download failed (or was refused). The first seven are the ones the UI must explain;
 * the rest are rarer refusals that still deserve a sentence rather than a stack trace.
 */
export type DownloadErrorCode =
  | 'offline' // connection refused, DNS failure, connection lost and retries exhausted
  | 'not-found' // HTTP 404 / 410
  | 'http-error' // any other unexpected HTTP status (named in the message)
  | 'disk-full' // not enough free space before starting, or ENOSPC while writing
  | 'checksum-mismatch' // the SHA-256 of the bytes is not the expected one
  | 'stalled' // no byte for `stallTimeoutMs`, retries exhausted
  | 'cancelled' // the user cancelled
  | 'file-exists' // a different file with that name is already in the models folder
  | 'invalid-request' // enqueue() was given something unusable (bad name, hash, URL)
  | 'io-error' // any other file system failure (permissions, read-only disk, ...)
  | 'gated' // the Hub wants the user to accept the model's conditions (and a token) first
  | 'token-refused' // the Hub refused the token (401) or its access (403)
  | 'rate-limited' // 429 and the wait it asks for is too long, or retries are exhausted
  | 'server-error' // 5xx, retries exhausted
  | 'redirect-loop'; // redirects that never end

/** A failure as data: a stable code for programs and a human sentence for people. */
export interface DownloadError {
  code: DownloadErrorCode;
  message: string;
}

/** A snapshot of one download; every `state` event carries one. */
export interface DownloadInfo {
  id: string;
  /** What the caller passed to enqueue(): an http(s) URL or an `hf:` URI. */
  source: string;
  /** The http(s) URL actually fetched (`source` with `hf:` resolved). */
  url: string;
  /** Bare file name inside the models folder (no directories). */
  fileName: string;
  /** Where the file lands once verified: `<modelsDir>/<fileName>`. */
  filePath: string;
  /** Expected SHA-256, lowercase hex. */
  sha256: string;
  /** Total size: `sizeBytes` from enqueue() until the server states it; null while unknown. */
  totalBytes: number | null;
  /** Bytes on disk so far (after a restore: the size of the partial file). */
  receivedBytes: number;
  state: DownloadState;
  /** Set when `state` is 'failed' or 'cancelled', null otherwise. */
  error: DownloadError | null;
  /** Epoch milliseconds (from the `now` option). */
  createdAt: number;
  updatedAt: number;
}

/** Emitted at most every `progressIntervalMs` (250 ms) per running download, plus once at the end. */
export interface DownloadProgress {
  id: string;
  receivedBytes: number;
  totalBytes: number | null;
  /** Average over the last ~5 s; 0 until two samples exist or when nothing arrives. */
  bytesPerSecond: number;
  /** null while the total or the speed is unknown. */
  secondsLeft: number | null;
}

/** Event map for `DownloadManager.on(...)`. */
export interface DownloadEvents extends Record<string, unknown> {
  progress: DownloadProgress;
  state: DownloadInfo;
}

/** What enqueue() needs. */
export interface EnqueueRequest {
  /** Caller-chosen stable id (e.g. the catalog entry id). */
  id: string;
  /** `https://…` or `hf:<owner>/<repo>/<file>#<revision>`. */
  url: string;
  /** Bare file name to create in the models folder. */
  fileName: string;
  /** Optional, exact size in bytes; lets the disk-space check run before the first request. */
  sizeBytes?: number;
  /** Expected SHA-256 (64 hex characters). The file is only offered when it matches. */
  sha256: string;
  /**
   * Further files that make one model with this one (a split GGUF's parts 2…N, in order). All parts
   * are verified in `.partial/` and moved into the models folder together, the first part last.
   */
  moreParts?: DownloadPart[];
  /** Opaque data kept with the download (persisted) and handed to `afterVerified`. */
  meta?: Record<string, unknown>;
}

/** One more file of a multi-part download. */
export interface DownloadPart {
  url: string;
  fileName: string;
  sha256: string;
  sizeBytes: number;
}

/** The subset of `fs.statfs` the manager uses (injectable for tests). */
export interface StatFsLike {
  bavail: number | bigint;
  bsize: number | bigint;
}

/** Constructor options of DownloadManager. */
export interface DownloadManagerOptions {
  /** Final files go here; partial files under `<modelsDir>/.partial/`. */
  modelsDir: string;
  /** JSON file holding the queue across restarts (written atomically). */
  stateFile: string;
  /** Defaults to the global fetch (undici). */
  fetchImpl?: typeof fetch;
  /** Downloads running at the same time. Default 1. */
  concurrency?: number;
  /** Clock for timestamps, progress throttling and speed; default Date.now. */
  now?: () => number;
  /** Free-space probe; default `fs.promises.statfs`. */
  statfs?: (path: string) => Promise<StatFsLike>;
  /** Free space to leave on the disk besides the file itself. Default 512 MiB. */
  diskMarginBytes?: number;
  /** A download with no byte for this long is aborted (and retried). Default 30 000. */
  stallTimeoutMs?: number;
  /** Consecutive failed attempts without progress before giving up. Default 5. */
  maxRetries?: number;
  /** First retry delay; doubles each time, capped at 30 s. Default 1000. */
  retryBaseDelayMs?: number;
  /** Minimum time between two progress events of one download. Default 250. */
  progressIntervalMs?: number;
  /** Base for `hf:` URIs; default https://huggingface.co (tests point it at a local server). */
  huggingFaceBaseUrl?: string;
  /**
   * Called once every file of a download is verified and in the models folder, before the state
   * becomes 'done' (e.g. to record where the model came from). A throw is logged, not fatal.
   */
  afterVerified?: (info: DownloadInfo, meta: Record<string, unknown> | null) => Promise<void>;
  /**
   * Where the manager's own warnings go (a failed save, a throwing listener); default console.warn.
   * Give it the app's log sink so they are filtered like every other line. Messages never hold a
   * token: they name files and error messages only.
   */
  log?: (message: string) => void;
}
