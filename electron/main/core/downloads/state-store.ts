/**
 * The download queue on disk, so a restart of Mai resumes where it stopped. The file is small JSON
 * written atomically (temp file + fsync + rename + fsync of the folder): a crash or power cut while
 * saving leaves either the old or the new queue, never half of one. A file that cannot be read back
 * is moved aside (kept for a bug report) and the manager starts empty rather than refusing to start.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { DownloadInfo, DownloadPart } from './types';

const STATE_VERSION = 1;

/** What the server said identifies this version of the file; sent back as If-Range on resume. */
export interface Validator {
  etag: string | null;
  lastModified: string | null;
}

/** DownloadInfo plus the bookkeeping needed to resume; never leaves the main process. */
export interface DownloadRecord extends DownloadInfo {
  validator: Validator | null;
  /** Paused by shutdown() rather than by the user: restore() starts it again. */
  resumeOnRestore: boolean;
  /**
   * Set once this download has created its partial file. Until then a file at the partial path is a
   * leftover of some other download and must not be resumed from.
   */
  partialOwned: boolean;
  /** A split model's parts 2…N, each with its own resume bookkeeping; empty for one file. */
  moreParts: PartRecord[];
  /** What the caller asked to keep with the download (e.g. the Hub provenance), or null. */
  meta: Record<string, unknown> | null;
}

/** One more file of a multi-part download, with what resuming it needs. */
export interface PartRecord extends DownloadPart {
  validator: Validator | null;
  partialOwned: boolean;
}

const errorSchema = z.object({ code: z.string(), message: z.string() });
const recordSchema = z.object({
  id: z.string().min(1),
  source: z.string(),
  url: z.string(),
  fileName: z.string().min(1),
  filePath: z.string(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  totalBytes: z.number().int().nonnegative().nullable(),
  receivedBytes: z.number().int().nonnegative(),
  state: z.enum(['queued', 'downloading', 'paused', 'verifying', 'done', 'failed', 'cancelled']),
  error: errorSchema.nullable(),
  createdAt: z.number(),
  updatedAt: z.number(),
  validator: z.object({ etag: z.string().nullable(), lastModified: z.string().nullable() }).nullable(),
  resumeOnRestore: z.boolean(),
  partialOwned: z.boolean(),
  // Absent in files written before split models were downloaded.
  moreParts: z
    .array(
      z.object({
        url: z.string(),
        fileName: z.string().min(1),
        sha256: z.string().regex(/^[0-9a-f]{64}$/),
        sizeBytes: z.number().int().nonnegative(),
        validator: z.object({ etag: z.string().nullable(), lastModified: z.string().nullable() }).nullable().default(null),
        partialOwned: z.boolean().default(false),
      }),
    )
    .default([]),
  meta: z.record(z.string(), z.unknown()).nullable().default(null),
});
const stateSchema = z.object({ version: z.literal(STATE_VERSION), downloads: z.array(recordSchema) });

export interface LoadedState {
  downloads: DownloadRecord[];
  /** Where an unreadable state file was moved, or null. */
  movedAsideTo: string | null;
}

/**
 * Reads the queue. A missing file is an empty queue; an unreadable or invalid one is renamed to
 * `<stateFile>.corrupt-<time>` and also gives an empty queue.
 */
export async function loadDownloadState(stateFile: string, now: () => number = Date.now): Promise<LoadedState> {
  let text: string;
  try {
    text = await readFile(stateFile, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { downloads: [], movedAsideTo: null };
    throw error;
  }
  try {
    const parsed = stateSchema.parse(JSON.parse(text));
    return { downloads: parsed.downloads as DownloadRecord[], movedAsideTo: null };
  } catch {
    const aside = `${stateFile}.corrupt-${now()}`;
    await rename(stateFile, aside);
    return { downloads: [], movedAsideTo: aside };
  }
}

/** Writes the queue atomically. */
export async function saveDownloadState(stateFile: string, downloads: readonly DownloadRecord[]): Promise<void> {
  const json = JSON.stringify({ version: STATE_VERSION, downloads }, null, 2);
  await writeFileAtomic(stateFile, `${json}\n`);
}

/** temp file in the same folder (rename is atomic only within one file system) + fsync + rename. */
export async function writeFileAtomic(file: string, data: string): Promise<void> {
  const dir = path.dirname(file);
  await mkdir(dir, { recursive: true });
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fh = await open(temp, 'w');
  try {
    await fh.writeFile(data, 'utf8');
    await fh.sync();
  } catch (error) {
    await fh.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await fh.close();
  try {
    await rename(temp, file);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await fsyncDir(dir);
}

/**
 * Makes a rename durable (the folder entry itself must reach the disk). Not possible on Windows,
 * where opening a folder fails; NTFS journals renames, so skipping it there is fine.
 */
export async function fsyncDir(dir: string): Promise<void> {
  try {
    const fh = await open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    // Best effort, see above.
  }
}
