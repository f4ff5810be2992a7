/**
 * Downloads of more than one file that make one model (a split GGUF: `…-00001-of-0000N.gguf` and
 * its siblings). Each part is fetched and verified like a single download, but lands in the hidden
 * `.partial/` folder; only when every part is verified are they moved into the models folder, the
 * first part last, so the folder never shows a model with parts missing.
 */
import { rename as fsRename, rm } from 'node:fs/promises';
import path from 'node:path';
import { diskFullFailure, DownloadFailure, ioFailure } from './errors';
import type { DownloadRecord, PartRecord, Validator } from './state-store';
import { fsyncDir } from './state-store';
import { fileSize, sha256OfFile, sizeIfFile, sleep } from './support';
import { partialPathFor, runTransfer, type TransferOptions } from './transfer';

/** A part as the loop sees it: the record's own file is part 1. */
interface PartView {
  url: string;
  fileName: string;
  sha256: string;
  sizeBytes: number | null;
  validator: Validator | null;
  partialOwned: boolean;
  save(change: { validator?: Validator | null; partialOwned?: boolean }): void;
}

function partsOf(record: DownloadRecord): PartView[] {
  const first: PartView = {
    url: record.url,
    fileName: record.fileName,
    sha256: record.sha256,
    // The record's total covers every part: part 1's own size is what the others leave.
    sizeBytes: record.totalBytes === null ? null : Math.max(0, record.totalBytes - record.moreParts.reduce((sum, p) => sum + p.sizeBytes, 0)),
    validator: record.validator,
    partialOwned: record.partialOwned,
    save: (change) => Object.assign(record, change),
  };
  return [first, ...record.moreParts.map((part: PartRecord): PartView => ({ ...part, save: (change) => Object.assign(part, change) }))];
}

/** Where a verified part waits for its siblings (hidden: the library skips dot folders). */
export function verifiedPartPath(modelsDir: string, fileName: string): string {
  return path.join(modelsDir, '.partial', fileName);
}

/** Bytes of a download on disk: verified parts plus partial files. */
export async function bytesOnDisk(modelsDir: string, record: DownloadRecord): Promise<number> {
  if (record.moreParts.length === 0) return record.partialOwned ? fileSize(partialPathFor(modelsDir, record.fileName)) : 0;
  let total = 0;
  for (const part of partsOf(record)) {
    total +=
      (await sizeIfFile(verifiedPartPath(modelsDir, part.fileName))) ?? (part.partialOwned ? await fileSize(partialPathFor(modelsDir, part.fileName)) : 0);
  }
  return total;
}

/** Deletes every partial and verified-but-unplaced file of a download (cancel, or a failure that cannot be resumed). */
export async function removePartFiles(modelsDir: string, record: DownloadRecord): Promise<void> {
  for (const part of partsOf(record)) {
    await rm(partialPathFor(modelsDir, part.fileName), { force: true }).catch(() => undefined);
    if (record.moreParts.length > 0) await rm(verifiedPartPath(modelsDir, part.fileName), { force: true }).catch(() => undefined);
    part.save({ validator: null, partialOwned: false });
  }
  record.validator = null;
}

/** What runParts needs besides the record: the transfer settings shared by every part. */
export type PartTransferSettings = Omit<
  TransferOptions,
  'url' | 'fileName' | 'sha256' | 'partialPath' | 'finalPath' | 'expectedSize' | 'validator' | 'partialOwned' | 'hooks'
> & {
  onBytes(received: number, total: number | null): void;
  onVerifying(): void;
  persist(): void;
  /** Moves a file; default fs.rename (injectable so tests can make a move fail). */
  rename?: (from: string, to: string) => Promise<void>;
};

/** Waits between tries of a refused move (ms): Windows antivirus and indexers hold new files briefly. */
const MOVE_RETRY_DELAYS_MS = [50, 100, 200, 400, 800];

/** A move refused for a moment (EPERM/EBUSY/EACCES) is tried again a few times. */
async function moveWithRetry(rename: (from: string, to: string) => Promise<void>, from: string, to: string, signal: AbortSignal): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await rename(from, to);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const delay = MOVE_RETRY_DELAYS_MS[attempt];
      if ((code !== 'EPERM' && code !== 'EBUSY' && code !== 'EACCES') || delay === undefined) throw error;
      await sleep(delay, signal);
    }
  }
}

/** Whether a part already sits in the models folder as this very file (a move of an earlier run). */
async function placedAlready(modelsDir: string, part: PartView, signal: AbortSignal): Promise<boolean> {
  const size = await sizeIfFile(path.join(modelsDir, part.fileName));
  if (size === null || (part.sizeBytes !== null && size !== part.sizeBytes)) return false;
  if ((await sizeIfFile(verifiedPartPath(modelsDir, part.fileName))) !== null) return false;
  return (await sha256OfFile(path.join(modelsDir, part.fileName), signal).catch(() => null)) === part.sha256;
}

/**
 * Refuses at once a split model the disk cannot hold whole: each part's transfer checks only its
 * own file, so a 3 × 10 GB model on 15 GB free would otherwise fail after 10 GB.
 */
async function checkWholeModelFits(record: DownloadRecord, parts: readonly PartView[], settings: PartTransferSettings): Promise<void> {
  const { modelsDir } = settings;
  let remaining = 0;
  for (const part of parts) {
    if (part.sizeBytes === null) continue;
    const verified = await sizeIfFile(verifiedPartPath(modelsDir, part.fileName));
    const onDisk =
      verified ?? (await sizeIfFile(path.join(modelsDir, part.fileName))) ?? (part.partialOwned ? await fileSize(partialPathFor(modelsDir, part.fileName)) : 0);
    remaining += Math.max(0, part.sizeBytes - onDisk);
  }
  let free: number;
  try {
    const s = await settings.statfs(modelsDir);
    free = Number(s.bavail) * Number(s.bsize);
  } catch {
    return; // a file system that cannot say: ENOSPC still guards the writes
  }
  if (free < remaining + settings.diskMarginBytes) throw diskFullFailure(record.fileName, remaining, free, modelsDir, settings.diskMarginBytes);
}

/** Fetches and verifies every part in turn, then moves them all into the models folder. */
export async function runParts(record: DownloadRecord, settings: PartTransferSettings): Promise<void> {
  const { onBytes, onVerifying, persist, rename = fsRename, ...common } = settings;
  const parts = partsOf(record);
  const total = record.totalBytes;
  await checkWholeModelFits(record, parts, settings);
  // Parts an earlier run moved into the models folder before a later move failed (and could not be undone).
  const inPlace = new Set<PartView>();
  let before = 0;
  for (const part of parts) {
    if (await placedAlready(common.modelsDir, part, common.signal)) {
      inPlace.add(part);
      before += part.sizeBytes ?? 0;
      continue;
    }
    await runTransfer({
      ...common,
      url: part.url,
      fileName: part.fileName,
      sha256: part.sha256,
      partialPath: partialPathFor(common.modelsDir, part.fileName),
      finalPath: verifiedPartPath(common.modelsDir, part.fileName),
      expectedSize: part.sizeBytes,
      validator: part.validator,
      partialOwned: part.partialOwned,
      hooks: {
        onPartialOwned: () => {
          part.save({ partialOwned: true });
          persist();
        },
        onBytes: (received) => onBytes(before + received, total),
        onValidator: (validator) => {
          part.save({ validator });
          persist();
        },
        // Verifying one part is a moment inside the whole download; the state says so only at the end.
        onVerifying: () => undefined,
      },
    });
    before += (await sizeIfFile(verifiedPartPath(common.modelsDir, part.fileName))) ?? 0;
    onBytes(before, total);
  }
  onVerifying();
  for (const part of parts) {
    if (!inPlace.has(part) && (await sizeIfFile(path.join(common.modelsDir, part.fileName))) !== null) {
      throw new DownloadFailure(
        'file-exists',
        `A file named ${part.fileName} is already in ${common.modelsDir}; Mai will not overwrite it. The verified download is kept; remove the other file and resume.`,
      );
    }
  }
  // Parts 2…N first: the model appears (part 1) only when all of it is there.
  const placed = [...inPlace];
  for (const part of [...parts.slice(1), parts[0] as PartView]) {
    if (inPlace.has(part)) continue;
    try {
      await moveWithRetry(rename, verifiedPartPath(common.modelsDir, part.fileName), path.join(common.modelsDir, part.fileName), common.signal);
      placed.push(part);
    } catch (error) {
      // No orphan parts among the models: what was moved goes back to wait beside the others, and a
      // resume tries the moves again (a part left in place by a failed undo is recognised by its hash).
      for (const done of placed.reverse()) {
        await rename(path.join(common.modelsDir, done.fileName), verifiedPartPath(common.modelsDir, done.fileName)).catch(() => undefined);
      }
      if (common.signal.aborted) throw common.signal.reason;
      throw ioFailure(`move ${part.fileName} into ${common.modelsDir}`, error);
    }
  }
  await fsyncDir(common.modelsDir);
}
