/**
 * Repositories for the fake Hub built from the synthetic GGUF models: a GGUF repository with two
 * quantizations, a vision projector, a README and a model split in three parts; a gated one; one
 * without GGUF files; and enough others to page through search results.
 */
import { readFileSync } from 'node:fs';
import type { FakeRepoOptions } from './fake-hub';

export interface HubFixtureModels {
  /** ~1 MB synthetic GGUF. */
  tiny: string;
  /** ~30 MB synthetic GGUF. */
  small: string;
}

export const REPO = 'test-org/Tiny-Chat-GGUF';
export const GATED_REPO = 'test-org/Gated-Chat-GGUF';
export const EMPTY_REPO = 'test-org/Tiny-Chat-safetensors';
export const TINY_FILE = 'Tiny-Chat-Q8_0.gguf';
export const SMALL_FILE = 'Tiny-Chat-F32.gguf';
export const SPLIT_FIRST = 'split/Tiny-Chat-Q4_K_M-00001-of-00003.gguf';
/** Repositories that only fill search pages. */
export const FILLER_COUNT = 7;

/** The bytes of `file` cut into `count` pieces (for the split model: the download only checks hashes). */
export function splitBytes(file: string, count: number): Buffer[] {
  const bytes = readFileSync(file);
  const size = Math.ceil(bytes.length / count);
  return Array.from({ length: count }, (_, i) => bytes.subarray(i * size, Math.min(bytes.length, (i + 1) * size)));
}

export function hubRepos(models: HubFixtureModels): FakeRepoOptions[] {
  const parts = splitBytes(models.tiny, 3);
  return [
    {
      id: REPO,
      licence: 'apache-2.0',
      downloads: 5000,
      likes: 42,
      files: [
        { path: '.gitattributes', content: Buffer.from('*.gguf filter=lfs diff=lfs merge=lfs -text\n') },
        { path: 'README.md', content: Buffer.from('# Tiny Chat\nA synthetic model for tests.\n') },
        { path: TINY_FILE, content: models.tiny },
        { path: SMALL_FILE, content: models.small },
        { path: 'mmproj-Tiny-Chat-F16.gguf', content: models.tiny },
        ...parts.map((content, i) => ({ path: `split/Tiny-Chat-Q4_K_M-0000${i + 1}-of-00003.gguf`, content })),
      ],
    },
    { id: GATED_REPO, gated: 'manual', licence: 'llama3.2', downloads: 3000, likes: 7, files: [{ path: 'Gated-Chat-Q8_0.gguf', content: models.tiny }] },
    { id: EMPTY_REPO, licence: 'mit', downloads: 10, files: [{ path: 'model.safetensors', content: Buffer.alloc(1024, 1), lfs: true }] },
    ...Array.from({ length: FILLER_COUNT }, (_, i) => ({
      id: `filler/Tiny-Chat-Variant-${i}-GGUF`,
      downloads: 100 + i,
      files: [{ path: `variant-${i}-Q4_0.gguf`, content: Buffer.from(`GGUF filler ${i}`) }],
    })),
  ];
}
