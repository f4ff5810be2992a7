/**
 * Crash-safe file primitives. A file written here is either the old version or the new one after a
 * power cut or SIGKILL, never a mix: data goes to a temp file beside the target, is fsync'd, renamed
 * over the target (atomic on POSIX and NTFS), and the folder is fsync'd so the rename itself survives.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';

/** What a write produces: bytes, or a function called when the write actually starts. */
export type FileData = string | Uint8Array | (() => string | Uint8Array);

/** Options of writeFileAtomic. */
export interface WriteOptions {
  /** Permission bits of the new file, applied when its temp file is created (minus the umask). Default 0o644. */
  mode?: number;
}

type Operation = { kind: 'write'; data: FileData; mode: number } | { kind: 'delete' };

interface Waiter {
  resolve: () => void;
  reject: (error: unknown) => void;
}

interface PathQueue {
  running: boolean;
  /** The one operation waiting behind the running one; later requests replace it (last wins). */
  pending: { operation: Operation; waiters: Waiter[] } | null;
}

const queues = new Map<string, PathQueue>();
/** Temp files this process is writing right now, so a stale-temp sweep never deletes a live one. */
const liveTempFiles = new Set<string>();
let tempCounter = 0;

const TEMP_PATTERN = /^\..+\.[0-9a-z]+-[0-9a-z]+-[0-9a-f]+\.tmp$/;

/** True for names this module gives its temp files (`.<target>.<pid>-<n>-<random>.tmp`). */
export function isTempFileName(name: string): boolean {
  return TEMP_PATTERN.test(name);
}

function tempPathFor(target: string): string {
  tempCounter += 1;
  const unique = `${process.pid.toString(36)}-${tempCounter.toString(36)}-${randomBytes(4).toString('hex')}`;
  return path.join(path.dirname(target), `.${path.basename(target)}.${unique}.tmp`);
}

/**
 * Makes a rename or unlink in `dir` durable. Windows cannot open a folder for fsync (EPERM/EISDIR),
 * and NTFS journals the rename anyway, so it is skipped there; other refusals are ignored for the
 * same reason (some file systems do not support it), while real I/O errors propagate.
 */
export async function fsyncDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL' && code !== 'ENOTSUP') throw error;
  } finally {
    await handle?.close();
  }
}

/**
 * On Windows a rename over a file that another process (antivirus, indexer, backup) has open fails
 * with EPERM/EACCES/EBUSY for a moment; retrying briefly is the standard remedy (as graceful-fs does).
 */
async function renameWithRetry(from: string, to: string): Promise<void> {
  for (let delay = 10; ; delay *= 2) {
    try {
      await fs.rename(from, to);
      return;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const transient = process.platform === 'win32' && (code === 'EPERM' || code === 'EACCES' || code === 'EBUSY');
      if (!transient || delay > 640) throw error;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

async function writeNow(target: string, data: FileData, mode: number): Promise<void> {
  const bytes = typeof data === 'function' ? data() : data;
  const temp = tempPathFor(target);
  liveTempFiles.add(temp);
  try {
    // 'wx' so two writers can never share a temp file even if names collided, and the mode is the
    // one given at creation: a secret (mode 0o600) is never readable by others, not even for a moment.
    const handle = await fs.open(temp, 'wx', mode);
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await renameWithRetry(temp, target);
  } catch (error) {
    await fs.rm(temp, { force: true }).catch(() => {});
    throw error;
  } finally {
    liveTempFiles.delete(temp);
  }
  await fsyncDir(path.dirname(target));
}

async function deleteNow(target: string): Promise<void> {
  await fs.rm(target, { force: true });
  await fsyncDir(path.dirname(target));
}

async function drain(key: string, queue: PathQueue): Promise<void> {
  queue.running = true;
  while (queue.pending) {
    const { operation, waiters } = queue.pending;
    queue.pending = null;
    try {
      if (operation.kind === 'write') await writeNow(key, operation.data, operation.mode);
      else await deleteNow(key);
      for (const waiter of waiters) waiter.resolve();
    } catch (error) {
      for (const waiter of waiters) waiter.reject(error);
    }
  }
  queue.running = false;
  queues.delete(key);
}

function enqueue(target: string, operation: Operation): Promise<void> {
  const key = path.resolve(target);
  let queue = queues.get(key);
  if (!queue) {
    queue = { running: false, pending: null };
    queues.set(key, queue);
  }
  const promise = new Promise<void>((resolve, reject) => {
    const waiter = { resolve, reject };
    if (queue.pending) {
      // Coalesce: the waiting operation is superseded, and its callers are satisfied by this one,
      // whose result is at least as new as what they asked for.
      queue.pending.operation = operation;
      queue.pending.waiters.push(waiter);
    } else {
      queue.pending = { operation, waiters: [waiter] };
    }
  });
  if (!queue.running) void drain(key, queue);
  return promise;
}

/**
 * Replaces `target` with `data` atomically and durably; resolves once the new content (or newer
 * content from a later call) is fsync'd and the rename is on disk. Calls for the same path are
 * serialised: while one write runs, further calls collapse into a single pending write holding the
 * latest data, so the last call wins and intermediate data may never be written. Pass a function
 * to defer serialisation until the write starts (skipped entirely when superseded).
 */
export function writeFileAtomic(target: string, data: FileData, options: WriteOptions = {}): Promise<void> {
  return enqueue(target, { kind: 'write', data, mode: options.mode ?? 0o644 });
}

/**
 * Deletes `target` (no error if missing) through the same per-path queue as writes, so a delete is
 * never overtaken by an earlier write still in flight. Resolves once the removal is durable.
 */
export function deleteFileDurable(target: string): Promise<void> {
  return enqueue(target, { kind: 'delete' });
}

/**
 * Deletes temp files left in `dir` by a process that died mid-write (they are never the live copy:
 * the target is only replaced by rename). Returns the names removed.
 */
export async function removeStaleTempFiles(dir: string): Promise<string[]> {
  const names = await fs.readdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [] as string[];
    throw error;
  });
  const removed: string[] = [];
  for (const name of names) {
    const full = path.join(dir, name);
    if (!isTempFileName(name) || liveTempFiles.has(full)) continue;
    await fs.rm(full, { force: true });
    removed.push(name);
  }
  return removed;
}

/** Why a read did not produce a value. `missing` is normal (first run); the others mean corruption. */
export type ReadFailureKind = 'missing' | 'unreadable' | 'syntax' | 'schema';

export type ReadResult<T> =
  | { ok: true; value: T }
  /** `raw` is the parsed JSON when only the schema failed, so callers can salvage parts of it. */
  | { ok: false; kind: ReadFailureKind; reason: string; raw?: unknown };

/** A one-line summary of zod issues for logs and notices. */
export function describeIssues(issues: readonly z.core.$ZodIssue[], limit = 3): string {
  const parts = issues.slice(0, limit).map((issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`);
  if (issues.length > limit) parts.push(`and ${issues.length - limit} more`);
  return parts.join('; ');
}

/**
 * Reads and validates a JSON file. Never throws for bad content (empty, truncated, wrong shape):
 * that comes back as `{ ok: false }` with a reason, so one bad file cannot stop the app starting.
 */
export async function readJsonFile<S extends z.ZodType>(file: string, schema: S): Promise<ReadResult<z.infer<S>>> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { ok: false, kind: 'missing', reason: 'The file does not exist.' };
    return { ok: false, kind: 'unreadable', reason: `The file could not be read (${code ?? String(error)}).` };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    const reason = text.length === 0 ? 'The file is empty.' : `The file is not valid JSON (${detail}).`;
    return { ok: false, kind: 'syntax', reason };
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    return { ok: false, kind: 'schema', reason: `The content is not valid: ${describeIssues(parsed.error.issues)}.`, raw };
  }
  return { ok: true, value: parsed.data };
}

function timestampForName(date: Date): string {
  // ISO without ':' (not allowed in Windows file names).
  return date.toISOString().replace(/:/g, '-');
}

/**
 * Moves a corrupt file aside to `<name>.corrupt-<timestamp>` so it is kept for inspection or
 * recovery but no longer loaded, and records `reason` beside it in `<that>.reason.txt` (best
 * effort). Never overwrites: a link-then-unlink claims the new name only if it is free, adding a
 * counter on collision. Returns the new path.
 */
export async function quarantine(file: string, reason: string, now: Date = new Date()): Promise<string> {
  const base = `${file}.corrupt-${timestampForName(now)}`;
  for (let attempt = 0; attempt < 1000; attempt += 1) {
    const candidate = attempt === 0 ? base : `${base}-${attempt}`;
    try {
      await fs.link(file, candidate);
      await fs.unlink(file);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') continue;
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EXDEV' && code !== 'ENOSYS') throw error;
      // No hard links on this file system: check, then rename (a tiny race, single process here).
      if (
        await fs.stat(candidate).then(
          () => true,
          () => false,
        )
      )
        continue;
      await fs.rename(file, candidate);
    }
    await fs.writeFile(`${candidate}.reason.txt`, `${reason}\n`).catch(() => {});
    await fsyncDir(path.dirname(file));
    return candidate;
  }
  throw new Error(`Could not find a free name to quarantine ${file}.`);
}
