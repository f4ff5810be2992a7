/**
 * Test-only catalog entries. The Hugging Face Hub cannot be reached from the test machines, so an
 * end-to-end test of catalog downloads through the UI needs entries it controls: `MAI_TEST_CATALOG`
 * holds JSON `{huggingFaceBaseUrl, entries}` and is honoured only when `MAI_TEST_HOOKS=1` (like the
 * engine's resource overlay). The entries are added after the real catalog, or replace it with
 * `replace: true` (so a test's entry is the recommended one whatever the machine's memory, where the
 * real catalog's pick for the tier would otherwise win); `huggingFaceBaseUrl`
 * points the Hub client at a local stand-in (tests/helpers/fake-hub.ts), so the download goes
 * through the same resolution, manager and checksum as a real one (the pinned revision and SHA-256
 * must agree with what that Hub states).
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
  architecture: z
    .object({ layers: z.number().int().positive(), kvHeads: z.number().int().positive(), headDim: z.number().int().positive() })
    .default({ layers: 2, kvHeads: 2, headDim: 16 }),
  recommendedFor: z.array(z.string()).default([]),
});

const testCatalogSchema = z.object({
  /** Where `hf:` URIs resolve instead of https://huggingface.co (a server the test started). */
  huggingFaceBaseUrl: z.string().url().optional(),
  entries: z.array(entrySchema).max(20),
  /** True: these entries are the whole catalog. Default false: they follow the real catalog's. */
  replace: z.boolean().default(false),
});

export interface TestCatalog {
  huggingFaceBaseUrl: string | null;
  entries: CatalogEntry[];
  /** The entries replace the real catalog instead of following it. */
  replace: boolean;
}

/** The catalog to offer: the real one followed by the test entries, or the test entries alone. */
export function withTestCatalog(catalog: readonly CatalogEntry[], test: TestCatalog): CatalogEntry[] {
  return test.replace ? [...test.entries] : [...catalog, ...test.entries];
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
    replace: parsed.data.replace,
  };
}
