/** Small helpers of the download code: HTTP header parsing, abortable waits, file facts. */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat, type FileHandle } from 'node:fs/promises';

/** SHA-256 of a file in hex, streamed (a model is GBs); `signal` stops the read. */
export async function sha256OfFile(file: string, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20, ...(signal ? { signal } : {}) })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Total bytes in a list of chunks. */
export function byteLength(chunks: readonly Uint8Array[]): number {
  let n = 0;
  for (const c of chunks) n += c.byteLength;
  return n;
}

/** Size of a regular file, or null when there is none. */
export async function sizeIfFile(file: string): Promise<number | null> {
  try {
    const s = await stat(file);
    return s.isFile() ? s.size : null;
  } catch {
    return null;
  }
}

/** A Content-Length header as a number, or null when absent or malformed. */
export function parseLength(value: string | null): number | null {
  if (value === null || !/^\d+$/.test(value.trim())) return null;
  return Number(value.trim());
}

/** `bytes 100-199/1000`, `bytes 100-199/*` or `bytes *\/1000` (the latter with a 416). */
export function parseContentRange(value: string | null): { start: number | null; end: number | null; total: number | null } | null {
  const m = value?.trim().match(/^bytes\s+(?:(\d+)-(\d+)|\*)\/(\d+|\*)$/i);
  if (!m) return null;
  return {
    start: m[1] !== undefined ? Number(m[1]) : null,
    end: m[2] !== undefined ? Number(m[2]) : null,
    total: m[3] !== undefined && m[3] !== '*' ? Number(m[3]) : null,
  };
}

/** Settles with `promise`, or rejects with the abort reason as soon as `signal` aborts. */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** setTimeout that a pause or cancel interrupts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * A bare file name that is safe on every platform Mai ships on: no folders (it must stay inside the
 * models folder), no leading dot (that namespace holds .partial), no characters Windows rejects.
 */
export function isSafeFileName(name: unknown): name is string {
  if (typeof name !== 'string' || name.length === 0 || Buffer.byteLength(name) > 240) return false;
  if (name.startsWith('.') || name.endsWith(' ') || name.endsWith('.')) return false;
  // eslint-disable-next-line no-control-regex
  return !/[/\\:*?"<>|\u0000-\u001f]/.test(name);
}

/** Size of a file, 0 when it does not exist (a partial that was never started). */
export async function fileSize(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch {
    return 0;
  }
}

/**
 * Writes `chunks` in order at the file's position with as few gathered writes (writev) as the
 * system allows, continuing after a short write; the chunks are not copied into one buffer.
 */
export async function writevFully(fh: FileHandle, chunks: readonly Uint8Array[]): Promise<void> {
  let rest = chunks.filter((c) => c.byteLength > 0);
  while (rest.length > 0) {
    const { bytesWritten } = await fh.writev(rest as Uint8Array[]);
    let skip = bytesWritten;
    let i = 0;
    while (i < rest.length && skip >= (rest[i] as Uint8Array).byteLength) skip -= (rest[i++] as Uint8Array).byteLength;
    rest = rest.slice(i);
    if (skip > 0 && rest.length > 0) rest[0] = (rest[0] as Uint8Array).subarray(skip);
  }
}
