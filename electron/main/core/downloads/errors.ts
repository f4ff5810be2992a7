/**
 * Download failures as values with a code and a sentence, and the translation of the raw errors
 * fetch (undici) and the file system throw into them. Kept apart from the transfer loop so every
 * message a user can see is in one place.
 */
import { STATUS_CODES } from 'node:http';
import type { DownloadError, DownloadErrorCode } from './types';

/** Thrown inside the download code; becomes the `error` of a failed DownloadInfo. */
export class DownloadFailure extends Error {
  override readonly name = 'DownloadFailure';
  constructor(
    readonly code: DownloadErrorCode,
    message: string,
    /** Worth another attempt (network trouble, stall, 5xx); never part of the public data. */
    readonly retryable = false,
    /** The server asked to wait this long before the next attempt (429/503 `Retry-After`), ms. */
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
  }

  toData(): DownloadError {
    return { code: this.code, message: this.message };
  }
}

const GB = 1024 ** 3;

/** "4.10 GB" / "0.03 GB": one unit everywhere so "needs X, Y free" compares at a glance. */
export function formatGigabytes(bytes: number): string {
  const gb = bytes / GB;
  return `${gb >= 100 ? gb.toFixed(0) : gb >= 10 ? gb.toFixed(1) : gb.toFixed(2)} GB`;
}

export function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/** The `code` of an error or of its cause chain (undici wraps socket errors in `TypeError: fetch failed`). */
function errorCodeOf(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function innermostMessage(error: unknown): string {
  let current: unknown = error;
  let message = error instanceof Error ? error.message : String(error);
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    if (current.message) message = current.message;
    current = current.cause;
  }
  return message;
}

const NETWORK_REASONS: Record<string, string> = {
  ECONNREFUSED: 'the connection was refused',
  ENOTFOUND: 'the host name could not be resolved (DNS)',
  EAI_AGAIN: 'the host name could not be resolved (DNS)',
  ECONNRESET: 'the connection was reset',
  EPIPE: 'the connection was closed',
  ETIMEDOUT: 'the connection timed out',
  ENETUNREACH: 'the network is unreachable',
  EHOSTUNREACH: 'the host is unreachable',
  UND_ERR_CONNECT_TIMEOUT: 'the connection timed out',
  UND_ERR_SOCKET: 'the connection was closed mid-transfer',
  UND_ERR_CLOSED: 'the connection was closed mid-transfer',
  UND_ERR_HEADERS_TIMEOUT: 'the server did not answer in time',
  UND_ERR_BODY_TIMEOUT: 'the server stopped sending data',
};

/** Anything fetch or the response body threw: the network is the culprit, so it is retryable. */
export function networkFailure(url: string, error: unknown): DownloadFailure {
  const code = errorCodeOf(error);
  const reason = (code && NETWORK_REASONS[code]) ?? innermostMessage(error);
  return new DownloadFailure('offline', `Could not reach ${hostOf(url)}: ${reason}.`, true);
}

/**
 * `Retry-After` in ms: delay-seconds or an HTTP date (RFC 9110 §10.2.3); null when absent or unreadable.
 * `now` is the wall clock the date is compared with.
 */
export function parseRetryAfter(value: string | null, now = Date.now()): number | null {
  if (value === null) return null;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = parseHttpDate(text);
  return at === null ? null : Math.max(0, at - now);
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const MONTH = `(${MONTHS.join('|')})`;
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})';
const IMF_FIXDATE = new RegExp(`^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\\d{2}) ${MONTH} (\\d{4}) ${TIME} GMT$`);
const RFC_850 = new RegExp(`^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT$`);
const ASCTIME = new RegExp(`^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) ${MONTH} ( \\d|\\d{2}) ${TIME} (\\d{4})$`);

/**
 * An HTTP-date (RFC 9110 §5.6.7: IMF-fixdate, or the obsolete RFC 850 and asctime forms) in ms
 * since the epoch, or null. Date.parse is not used: it accepts "1.5" or "-5" as dates.
 */
export function parseHttpDate(text: string): number | null {
  let day: string | undefined, month: string | undefined, year: number, time: (string | undefined)[];
  let m = IMF_FIXDATE.exec(text);
  if (m) {
    [day, month] = [m[1], m[2]];
    year = Number(m[3]);
    time = m.slice(4, 7);
  } else if ((m = RFC_850.exec(text))) {
    [day, month] = [m[1], m[2]];
    // Two-digit years: 70–99 are 19xx, the rest 20xx (dates this old or far are not Retry-After values anyway).
    year = Number(m[3]) + (Number(m[3]) >= 70 ? 1900 : 2000);
    time = m.slice(4, 7);
  } else if ((m = ASCTIME.exec(text))) {
    [month, day] = [m[1], m[2]?.trim()];
    year = Number(m[6]);
    time = m.slice(3, 6);
  } else return null;
  const [h, min, sec] = time.map(Number) as [number, number, number];
  const d = Number(day);
  if (d < 1 || d > 31 || h > 23 || min > 59 || sec > 60) return null;
  return Date.UTC(year, MONTHS.indexOf(month as string), d, h, min, sec);
}

/** A response status other than 200 / 206 / 416. 5xx and 429 are worth retrying. */
export function httpFailure(url: string, status: number, fileName: string, retryAfter: string | null = null): DownloadFailure {
  if (status === 404 || status === 410) {
    return new DownloadFailure('not-found', `${fileName} was not found at ${hostOf(url)} (HTTP ${status}); check the model's address.`);
  }
  if (status === 429) {
    return new DownloadFailure(
      'rate-limited',
      `${hostOf(url)} is limiting requests (HTTP 429 Too Many Requests) while sending ${fileName}.`,
      true,
      parseRetryAfter(retryAfter),
    );
  }
  if (status >= 500) {
    const statusText = STATUS_CODES[status] ?? 'Server Error';
    return new DownloadFailure(
      'server-error',
      `${hostOf(url)} had a server error (HTTP ${status} ${statusText}) while sending ${fileName}.`,
      true,
      parseRetryAfter(retryAfter),
    );
  }
  const statusText = STATUS_CODES[status] ?? 'Unknown status';
  const hint = status === 401 || status === 403 ? ' The model may be gated or need a sign-in.' : '';
  return new DownloadFailure('http-error', `${hostOf(url)} answered HTTP ${status} ${statusText} for ${fileName}.${hint}`, status >= 500 || status === 429);
}

export function stallFailure(url: string, stallTimeoutMs: number): DownloadFailure {
  return new DownloadFailure('stalled', `No data arrived from ${hostOf(url)} for ${Number((stallTimeoutMs / 1000).toFixed(1))} s; the download stalled.`, true);
}

/** "needs X GB, Y GB free on <dir>"; `marginBytes` is the headroom Mai keeps besides the file. */
export function diskFullFailure(fileName: string, neededBytes: number, freeBytes: number | null, dir: string, marginBytes: number): DownloadFailure {
  const free = freeBytes === null ? 'too little' : formatGigabytes(freeBytes);
  const needs =
    marginBytes > 0 ? `${formatGigabytes(neededBytes + marginBytes)} (including ${formatGigabytes(marginBytes)} to spare)` : formatGigabytes(neededBytes);
  return new DownloadFailure('disk-full', `Not enough disk space for ${fileName}: needs ${needs}, ${free} free on ${dir}.`);
}

export function checksumFailure(fileName: string, expected: string, actual: string): DownloadFailure {
  return new DownloadFailure(
    'checksum-mismatch',
    `${fileName} is damaged or not the expected file: its SHA-256 starts ${actual.slice(0, 12)}… but ${expected.slice(0, 12)}… was expected. The partial download was deleted.`,
  );
}

export function cancelledError(): DownloadError {
  return { code: 'cancelled', message: 'The download was cancelled.' };
}

export function isDiskFullError(error: unknown): boolean {
  const code = errorCodeOf(error);
  return code === 'ENOSPC' || code === 'EDQUOT';
}

/** File-system errors (and bugs) that are not disk-full: one sentence with the system's reason. */
export function ioFailure(what: string, error: unknown): DownloadFailure {
  const code = errorCodeOf(error);
  return new DownloadFailure('io-error', `Could not ${what}: ${innermostMessage(error)}${code ? ` (${code})` : ''}.`);
}

/** Anything caught at the top of a job, as public data. */
export function toDownloadError(error: unknown): DownloadError {
  if (error instanceof DownloadFailure) return error.toData();
  return ioFailure('finish the download', error).toData();
}
