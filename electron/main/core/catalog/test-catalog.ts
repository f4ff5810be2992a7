/**
 * Test-only catalog entries. Hugging Face cannot be reached from the test machines and the real
 * catalog has no pins there, so an end-to-end test of downloads through the UI needs an entry it
 * controls: `MAI_TEST_CATALOG` holds JSON `{huggingFaceBaseUrl, entries}` and is honoured only when
 * `MAI_TEST_HOOKS=1` (like the engine's resource overlay). The entries are ordinary pinned
 * entries; `huggingFaceBaseUrl` is the Hub endpoint to use instead of HF_ENDPOINT (a fake Hub the
 * test started), so the download goes through the same Hub resolution, manager and checksum as a
 * real one.
 */
import { z } from 'zod';
import type { CatalogEntry } from './catalog-data';

const entrySchema = z.object({
  id: z.string().min(1).max(200),
  name: z.string().min(1).max(200),
  repo: z.string().regex(/^[\w.-]+\/[\w.-]+$/),
  file: z.string().min(1).max(240),
  revision: z.string().regex(/^[0-9a-f]{40}$/),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  sizeBytes: z.number().int().positive(),
  quantization: z.string().max(50).default('F32'),
  parameters: z.string().max(50).default('test'),
  contextLength: z.number().int().positive().default(4096),
  licence: z.string().max(100).default('test fixture'),
  architecture: z.object({ layers: z.number().int().positive(), kvHeads: z.number().int().positive(), headDim: z.number().int().positive() }).default({ layers: 2, kvHeads: 2, headDim: 16 }),
  recommendedFor: z.array(z.string()).default([]),
});

const testCatalogSchema = z.object({
  /** The Hub endpoint instead of HF_ENDPOINT / https://huggingface.co (a fake Hub the test started). */
  huggingFaceBaseUrl: z.string().url().optional(),
  entries: z.array(entrySchema).max(20),
});

export interface TestCatalog {
  huggingFaceBaseUrl: string | null;
  entries: CatalogEntry[];
}

/**
 * The test catalog from the environment, or null when there is none or test hooks are off.
 * A malformed value is reported through `warn` and ignored: a test must see it, a user never sets it.
 */
export function testCatalogFromEnv(env: NodeJS.ProcessEnv, warn: (message: string) => void): TestCatalog | null {
  const raw = env.MAI_TEST_CATALOG;
  if (!raw) return null;
  if (env.MAI_TEST_HOOKS !== '1') {
    warn('MAI_TEST_CATALOG is ignored without MAI_TEST_HOOKS=1.');
    return null;
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    warn('MAI_TEST_CATALOG is not JSON; it is ignored.');
    return null;
  }
  const parsed = testCatalogSchema.safeParse(json);
  if (!parsed.success) {
    warn(`MAI_TEST_CATALOG is ignored: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    return null;
  }
  return {
    huggingFaceBaseUrl: parsed.data.huggingFaceBaseUrl ?? null,
    entries: parsed.data.entries.map((e) => ({ ...e, sizeIsApproximate: false })),
  };
}
