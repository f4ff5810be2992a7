/** Provenance belongs to the file it was recorded for, not to a name: a different file dropped in later is not "verified". */
import { existsSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { provenancePath, readProvenance, writeProvenance } from '../../../electron/main/core/hub/provenance';
import type { ModelProvenance } from '../../../shared/hub';

const provenance: ModelProvenance = {
  repo: 'org/Model-GGUF',
  files: ['m-Q8_0.gguf'],
  commit: 'a'.repeat(40),
  sha256: ['b'.repeat(64)],
  endpoint: 'https://huggingface.co',
  verifiedAt: 1,
};

function folderWithModel(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mai-prov-'));
  writeFileSync(path.join(dir, 'm-Q8_0.gguf'), 'the verified bytes');
  return dir;
}

describe('provenance', () => {
  it('is shown for the file it was recorded for', async () => {
    const dir = folderWithModel();
    await writeProvenance(dir, 'm-Q8_0.gguf', provenance);
    expect(await readProvenance(dir, 'm-Q8_0.gguf')).toEqual(provenance);
  });

  it('is not shown for another file with the same name (other size, or same size and another time)', async () => {
    const dir = folderWithModel();
    await writeProvenance(dir, 'm-Q8_0.gguf', provenance);
    writeFileSync(path.join(dir, 'm-Q8_0.gguf'), 'a different model, longer');
    expect(await readProvenance(dir, 'm-Q8_0.gguf')).toBeNull();
    writeFileSync(path.join(dir, 'm-Q8_0.gguf'), 'the verified bytez');
    utimesSync(path.join(dir, 'm-Q8_0.gguf'), new Date(2020, 0, 1), new Date(2020, 0, 1));
    expect(await readProvenance(dir, 'm-Q8_0.gguf')).toBeNull();
    // "Verify again" still gets it, to hash the file and say it changed.
    expect(await readProvenance(dir, 'm-Q8_0.gguf', { anyStamp: true })).toEqual(provenance);
  });

  it('is dropped once its file is gone', async () => {
    const dir = folderWithModel();
    await writeProvenance(dir, 'm-Q8_0.gguf', provenance);
    rmSync(path.join(dir, 'm-Q8_0.gguf'));
    expect(await readProvenance(dir, 'm-Q8_0.gguf')).toBeNull();
    expect(existsSync(provenancePath(dir, 'm-Q8_0.gguf'))).toBe(false);
    // A new file with that name later is not taken for the old one.
    writeFileSync(path.join(dir, 'm-Q8_0.gguf'), 'the verified bytes');
    expect(await readProvenance(dir, 'm-Q8_0.gguf')).toBeNull();
  });
});
