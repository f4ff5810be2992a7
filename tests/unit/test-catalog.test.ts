/** MAI_TEST_CATALOG: honoured only with MAI_TEST_HOOKS=1; its entries follow the real catalog or, with `replace`, are the whole of it. */
import { describe, expect, it } from 'vitest';
import { CATALOG } from '../../electron/main/core/catalog/catalog-data';
import { testCatalogFromEnv, withTestCatalog } from '../../electron/main/core/catalog/test-catalog';

const entry = {
  id: 'tiny',
  name: 'Tiny',
  repo: 'test-org/Tiny-GGUF',
  file: 'tiny.gguf',
  revision: 'a'.repeat(40),
  sha256: 'b'.repeat(64),
  sizeBytes: 1000,
  recommendedFor: ['small'],
};
const env = (catalog: unknown, hooks = '1') => ({ MAI_TEST_HOOKS: hooks, MAI_TEST_CATALOG: JSON.stringify(catalog) });

describe('the test catalog', () => {
  it('adds its entries after the real catalog by default', () => {
    const test = testCatalogFromEnv(env({ entries: [entry] }), () => {});
    expect(test?.replace).toBe(false);
    const ids = withTestCatalog(CATALOG, test!).map((e) => e.id);
    expect(ids).toEqual([...CATALOG.map((e) => e.id), 'tiny']);
  });

  it('replaces the real catalog with replace: true', () => {
    const test = testCatalogFromEnv(env({ entries: [entry], replace: true, huggingFaceBaseUrl: 'http://127.0.0.1:9' }), () => {});
    expect(withTestCatalog(CATALOG, test!).map((e) => e.id)).toEqual(['tiny']);
    expect(test?.huggingFaceBaseUrl).toBe('http://127.0.0.1:9');
  });

  it('is ignored, with a warning, without MAI_TEST_HOOKS=1 or when malformed', () => {
    const warnings: string[] = [];
    expect(testCatalogFromEnv(env({ entries: [entry], replace: true }, '0'), (m) => warnings.push(m))).toBeNull();
    expect(testCatalogFromEnv(env({ entries: [entry], replace: 'yes' }), (m) => warnings.push(m))).toBeNull();
    expect(warnings).toEqual(['MAI_TEST_CATALOG is ignored without MAI_TEST_HOOKS=1.', expect.stringMatching(/^MAI_TEST_CATALOG is ignored: replace: /)]);
  });
});
