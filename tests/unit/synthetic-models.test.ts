import { describe, it, expect, afterAll } from 'vitest';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SYNTHETIC_MODELS, syntheticModelFileSize, syntheticModelSpec, writeSyntheticModel, writeSyntheticModels } from '../fixtures/synthetic-models';

const tempDirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'mai-synthetic-test-'));
  tempDirs.push(dir);
  return dir;
}

afterAll(async () => {
  await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

const small = syntheticModelSpec('mai-demo-1mb');

describe('synthetic GGUF models', () => {
  it('lists the three demo models smallest first and rejects unknown ids', () => {
    expect(SYNTHETIC_MODELS.map((m) => m.id)).toEqual(['mai-demo-1mb', 'mai-demo-30mb', 'mai-demo-120mb']);
    for (const m of SYNTHETIC_MODELS) {
      expect(m.fileName).toBe(`${m.id}.gguf`);
      expect([32, 64]).toContain(m.embeddingLength / m.headCount);
    }
    expect(() => syntheticModelSpec('nope')).toThrow(/nope/);
  });

  it('has sizes of ~1, ~30 and ~120 MB (within 25 %)', () => {
    const sizes = SYNTHETIC_MODELS.map(syntheticModelFileSize);
    const targets = [1e6, 30e6, 120e6];
    sizes.forEach((size, i) => {
      const target = targets[i] ?? 0;
      expect(size).toBeGreaterThan(target * 0.75);
      expect(size).toBeLessThan(target * 1.25);
    });
    expect([...sizes].sort((a, b) => a - b)).toEqual(sizes);
  });

  it('writes a valid GGUF v3 header with the exact predicted size, deterministically', async () => {
    const [dirA, dirB] = [await tempDir(), await tempDir()];
    const fileA = await writeSyntheticModel(small, dirA);
    const fileB = await writeSyntheticModel(small, path.relative(process.cwd(), dirB));
    expect(path.isAbsolute(fileA)).toBe(true);
    expect(path.isAbsolute(fileB)).toBe(true);
    expect(fileA).toBe(path.join(dirA, small.fileName));

    const [a, b] = [await readFile(fileA), await readFile(fileB)];
    expect(a.length).toBe(syntheticModelFileSize(small));
    expect(a.equals(b)).toBe(true);
    expect(a.subarray(0, 4).toString('latin1')).toBe('GGUF');
    expect(a.readUInt32LE(4)).toBe(3);
    // Metadata keys the app relies on are in the header.
    const header = a.subarray(0, 64 * 1024).toString('latin1');
    expect(header).toContain('mai.synthetic');
    expect(header).toContain(small.displayName);
  });

  it('skips a second write into the same dir and leaves no temp file', async () => {
    const dir = await tempDir();
    const file = await writeSyntheticModel(small, dir);
    const before = await stat(file);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await writeSyntheticModel(small, dir)).toBe(file);
    const after = await stat(file);
    expect(after.mtimeMs).toBe(before.mtimeMs);
    expect(after.ino).toBe(before.ino);
    expect(await readdir(dir)).toEqual([small.fileName]);
  });

  it('writeSyntheticModels writes the ids given, creating the dir', async () => {
    const dir = path.join(await tempDir(), 'nested', 'models');
    const paths = await writeSyntheticModels(dir, ['mai-demo-1mb']);
    expect(paths).toEqual([path.join(dir, small.fileName)]);
    expect((await stat(paths[0] ?? '')).size).toBe(syntheticModelFileSize(small));
    await expect(writeSyntheticModels(dir, ['mai-demo-unknown'])).rejects.toThrow(/mai-demo-unknown/);
  });
});
