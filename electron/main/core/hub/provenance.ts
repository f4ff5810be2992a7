/**
 * Where a downloaded model came from, kept beside it: `<modelsDir>/.mai-provenance/<fileName>.json`
 * (a hidden folder, so the library never lists it as a model). Written once every part of the model
 * is verified against the SHA-256 the Hub states; read by the library for `ModelEntry.provenance`
 * and by "verify again", which hashes the files once more and compares.
 */
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { modelProvenanceSchema, type ModelProvenance } from '../../../../shared/hub';
import { writeFileAtomic } from '../downloads/state-store';
import { sha256OfFile } from '../downloads/support';

export const PROVENANCE_DIR = '.mai-provenance';

export function provenancePath(modelsDir: string, fileName: string): string {
  return path.join(modelsDir, PROVENANCE_DIR, `${fileName}.json`);
}

/** Records a verified model's provenance (atomically: a crash leaves the old record or the new one). */
export async function writeProvenance(modelsDir: string, fileName: string, provenance: ModelProvenance): Promise<void> {
  await writeFileAtomic(provenancePath(modelsDir, fileName), `${JSON.stringify(modelProvenanceSchema.parse(provenance), null, 2)}\n`);
}

/** The provenance of a model file in the models folder, or null (none, or unreadable). */
export async function readProvenance(modelsDir: string, fileName: string): Promise<ModelProvenance | null> {
  try {
    const parsed = modelProvenanceSchema.safeParse(JSON.parse(await readFile(provenancePath(modelsDir, fileName), 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
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
      return { ok: false, message: `${path.basename(file)} could not be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); download ${name} again.` };
    }
    const expected = provenance.sha256[index];
    if (actual !== expected) {
      return { ok: false, message: `${path.basename(file)} has changed since it was downloaded: its SHA-256 starts ${actual.slice(0, 12)}… but the Hub stated ${String(expected).slice(0, 12)}… for ${provenance.repo} at commit ${provenance.commit.slice(0, 10)}. Delete it and download it again.` };
    }
  }
  const parts = provenance.files.length > 1 ? ` (all ${provenance.files.length} parts)` : '';
  return { ok: true, message: `${name}${parts} matches the SHA-256 the Hub states for ${provenance.repo} at commit ${provenance.commit.slice(0, 10)}.` };
}
