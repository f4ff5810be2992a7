/**
 * Where a downloaded model came from, kept beside it: `<modelsDir>/.mai-provenance/<fileName>.json`
 * (a hidden folder, so the library never lists it as a model). Written once every part of the model
 * is verified against the SHA-256 the Hub states; read by the library for `ModelEntry.provenance`
 * and by "verify again", which hashes the files once more and compares.
 */
import { readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { modelProvenanceSchema, type ModelProvenance } from '../../../../shared/hub';
import { writeFileAtomic } from '../downloads/state-store';
import { sha256OfFile } from '../downloads/support';

export const PROVENANCE_DIR = '.mai-provenance';

export function provenancePath(modelsDir: string, fileName: string): string {
  return path.join(modelsDir, PROVENANCE_DIR, `${fileName}.json`);
}

/**
 * What identifies the files the provenance was recorded for: size and modification time of each,
 * in `files` order. A different file later dropped in under the same name has other figures, so it
 * is never shown as verified.
 */
const stampSchema = z.object({ sizeBytes: z.number().int().nonnegative(), mtimeMs: z.number() });
type Stamp = z.infer<typeof stampSchema>;
const storedSchema = modelProvenanceSchema.extend({ stamps: z.array(stampSchema).max(1000).optional() });

async function stampsOf(modelsDir: string, provenance: ModelProvenance): Promise<Array<Stamp | null>> {
  return Promise.all(
    provenance.files.map(async (file) => {
      const info = await stat(path.join(modelsDir, path.basename(file))).catch(() => null);
      return info?.isFile() ? { sizeBytes: info.size, mtimeMs: Math.floor(info.mtimeMs) } : null;
    }),
  );
}

/** Records a verified model's provenance with its files' size and time (atomically: a crash leaves the old record or the new one). */
export async function writeProvenance(modelsDir: string, fileName: string, provenance: ModelProvenance): Promise<void> {
  const stamps = await stampsOf(modelsDir, provenance);
  const stored = { ...modelProvenanceSchema.parse(provenance), ...(stamps.every((s) => s !== null) ? { stamps } : {}) };
  await writeFileAtomic(provenancePath(modelsDir, fileName), `${JSON.stringify(stored, null, 2)}\n`);
}

export interface ReadProvenanceOptions {
  /**
   * Return the record even when the files' size or time changed since it was written (what "verify
   * again" needs: it hashes the files and says whether they still match). Default false.
   */
  anyStamp?: boolean;
}

/**
 * The provenance of a model file in the models folder, or null: none, unreadable, or recorded for
 * other files (size or time differ, or a record without them). A record whose model is gone is deleted.
 */
export async function readProvenance(modelsDir: string, fileName: string, options: ReadProvenanceOptions = {}): Promise<ModelProvenance | null> {
  let stored: z.infer<typeof storedSchema>;
  try {
    const parsed = storedSchema.safeParse(JSON.parse(await readFile(provenancePath(modelsDir, fileName), 'utf8')));
    if (!parsed.success) return null;
    stored = parsed.data;
  } catch {
    return null;
  }
  const { stamps, ...provenance } = stored;
  if ((await stat(path.join(modelsDir, fileName)).catch(() => null)) === null) {
    await removeProvenance(modelsDir, fileName);
    return null;
  }
  if (options.anyStamp) return provenance;
  const now = await stampsOf(modelsDir, provenance);
  const same =
    stamps !== undefined &&
    stamps.length === now.length &&
    stamps.every((s, i) => s.sizeBytes === now[i]?.sizeBytes && Math.floor(s.mtimeMs) === now[i]?.mtimeMs);
  return same ? provenance : null;
}

export async function removeProvenance(modelsDir: string, fileName: string): Promise<void> {
  await rm(provenancePath(modelsDir, fileName), { force: true }).catch(() => undefined);
}

/**
 * Hashes every file of a model again and compares with its provenance. The files are the
 * provenance's, by base name, in the model's folder (a split model's parts lie beside the first).
 */
export async function verifyAgainstProvenance(modelPath: string, provenance: ModelProvenance): Promise<{ ok: boolean; message: string }> {
  const dir = path.dirname(modelPath);
  const name = path.basename(modelPath);
  for (const [index, file] of provenance.files.entries()) {
    const local = path.join(dir, path.basename(file));
    let actual: string;
    try {
      actual = await sha256OfFile(local);
    } catch (error) {
      return {
        ok: false,
        message: `${path.basename(file)} could not be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); download ${name} again.`,
      };
    }
    const expected = provenance.sha256[index];
    if (actual !== expected) {
      return {
        ok: false,
        message: `${path.basename(file)} has changed since it was downloaded: its SHA-256 starts ${actual.slice(0, 12)}… but the Hub stated ${String(expected).slice(0, 12)}… for ${provenance.repo} at commit ${provenance.commit.slice(0, 10)}. Delete it and download it again.`,
      };
    }
  }
  const parts = provenance.files.length > 1 ? ` (all ${provenance.files.length} parts)` : '';
  return { ok: true, message: `${name}${parts} matches the SHA-256 the Hub states for ${provenance.repo} at commit ${provenance.commit.slice(0, 10)}.` };
}
