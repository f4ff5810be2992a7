/**
 * Downloads of more than one file that make one model (a split GGUF: `…-00001-of-0000N.gguf` and
 * its siblings). Each part is fetched and verified like a single download, but lands in the hidden
 * `.partial/` folder; only when every part is verified are they moved into the models folder, the
 * first part last, so the folder never shows a model with parts missing.
 */
import { rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { DownloadFailure, ioFailure } from './errors';
import type { DownloadRecord, PartRecord, Validator } from './state-store';
import { fsyncDir } from './state-store';
import { fileSize, sizeIfFile } from './support';
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
    // The record's total covers every part; part 1's own size comes from the hidden file or the Hub.
    sizeBytes: null,
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
    total += (await sizeIfFile(verifiedPartPath(modelsDir, part.fileName))) ?? (part.partialOwned ? await fileSize(partialPathFor(modelsDir, part.fileName)) : 0);
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
export type PartTransferSettings = Omit<TransferOptions, 'url' | 'fileName' | 'sha256' | 'partialPath' | 'finalPath' | 'expectedSize' | 'validator' | 'partialOwned' | 'hooks'> & {
  onBytes(received: number, total: number | null): void;
  onVerifying(): void;
  persist(): void;
};

/** Fetches and verifies every part in turn, then moves them all into the models folder. */
export async function runParts(record: DownloadRecord, settings: PartTransferSettings): Promise<void> {
  const { onBytes, onVerifying, persist, ...common } = settings;
  const parts = partsOf(record);
  const total = record.totalBytes;
  let before = 0;
  for (const part of parts) {
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
    if ((await sizeIfFile(path.join(common.modelsDir, part.fileName))) !== null) {
      throw new DownloadFailure('file-exists', `A file named ${part.fileName} is already in ${common.modelsDir}; Mai will not overwrite it. The verified download is kept; remove the other file and resume.`);
    }
  }
  // Parts 2…N first: the model appears (part 1) only when all of it is there.
  for (const part of [...parts.slice(1), parts[0] as PartView]) {
    try {
      await rename(verifiedPartPath(common.modelsDir, part.fileName), path.join(common.modelsDir, part.fileName));
    } catch (error) {
      throw ioFailure(`move ${part.fileName} into ${common.modelsDir}`, error);
    }
  }
  await fsyncDir(common.modelsDir);
}
