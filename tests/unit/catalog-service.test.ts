/**
 * CatalogService over the real catalog and a real DownloadManager: which entry is recommended for
 * each tier, how Mai's measured corrections change the fit, installed flags, and which entries can
 * be downloaded. Machines are described by resource frames built here (the figures a user's
 * machine would report), so every tier can be visited on one test host.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ModelEntry } from '../../shared/domain';
import type { LadderRungData, ResourceSnapshot } from '../../shared/resource';
import { CATALOG, type CatalogEntry } from '../../electron/main/core/catalog/catalog-data';
import { CatalogService, type CatalogDeps } from '../../electron/main/core/catalog/catalog-service';
import { kvCacheBytes, RUNTIME_OVERHEAD_BYTES } from '../../electron/main/core/catalog/fit';
import { DownloadManager } from '../../electron/main/core/downloads';

const GB = 1e9;

/** A resource frame of a machine with `totalGb` of RAM of which `otherGb` is used by other programs. */
function machine(tier: string, totalGb: number, otherGb: number, act = 0.8, vram: { totalGb: number; usedGb: number } | null = null): ResourceSnapshot {
  const trend = {
    resource: 'memory' as const,
    available: true,
    latest: null,
    level: null,
    slopePerSecond: null,
    longSlopePerSecond: null,
    threshold: null,
    secondsToThreshold: null,
    change: '',
    reliable: false,
  };
  return {
    sample: {
      t: 0,
      cpuOtherLoad: 0.1,
      memTotalBytes: totalGb * GB,
      memUsedBytes: (otherGb + 0.2) * GB,
      ownMemBytes: 0.2 * GB,
      ...(vram ? { vramTotalBytes: vram.totalGb * GB, vramUsedBytes: vram.usedGb * GB, ownVramBytes: 0 } : {}),
    },
    tier: { id: tier, label: tier, description: '', reasons: [] },
    modelId: 'x',
    switching: null,
    generating: false,
    threads: 2,
    trends: { memory: trend, vram: { ...trend, resource: 'vram' }, cpu: { ...trend, resource: 'cpu' } },
    status: { kind: 'steady' },
    thresholds: { degrade: act, critical: 0.9, upgrade: 0.6 },
    performance: [],
  };
}

function rung(correction: number, measurements: number): LadderRungData {
  return { id: 'm', path: '/m.gguf', name: 'm', synthetic: false, memBytes: 1, vramBytes: 0, estimatedMemBytes: 1, correction, measurements };
}

function service(overrides: Partial<CatalogDeps> = {}): CatalogService {
  return new CatalogService({
    downloads: null,
    snapshot: () => null,
    ladder: () => [],
    models: async () => [],
    contextSize: () => 4096,
    ...overrides,
  });
}

/** What the service computes an entry needs at a context, before any correction. */
const need = (entry: CatalogEntry, context = 4096) =>
  entry.sizeBytes +
  kvCacheBytes(entry.architecture.layers, entry.architecture.kvHeads, entry.architecture.headDim, Math.min(context, entry.contextLength)) +
  RUNTIME_OVERHEAD_BYTES;

const managers: DownloadManager[] = [];
afterEach(async () => {
  await Promise.all(managers.splice(0).map((m) => m.shutdown()));
});

describe('CatalogService', () => {
  it('before the first resource sample: every fit is unknown and nothing is recommended', async () => {
    const items = await service().list();
    expect(items.every((i) => i.fit.kind === 'unknown' && i.fit.detail === 'Measuring this machine…')).toBe(true);
    expect(items.filter((i) => i.recommended)).toHaveLength(0);
  });

  it.each([
    ['minimal', 4, 'qwen3-0.6b-q4km'],
    ['small', 8, 'qwen3-4b-q4km'],
    ['medium', 16, 'qwen3-8b-q4km'],
    ['large', 32, 'mistral-small-24b-instruct-2501-q4km'],
    ['workstation', 64, 'qwen3-32b-q4km'],
  ])('recommends the %s tier’s own pick on a %d GB machine', async (tier, totalGb, expected) => {
    const items = await service({ snapshot: () => machine(tier, totalGb, 1) }).list();
    expect(items.filter((i) => i.recommended).map((i) => i.id)).toEqual([expected]);
  });

  it('each tier names exactly one first download, and entries run smallest first', () => {
    for (const tier of ['minimal', 'small', 'medium', 'large', 'workstation']) {
      expect(CATALOG.filter((e) => e.recommendedFor.includes(tier)).map((e) => e.id)).toHaveLength(1);
    }
    const sizes = CATALOG.map((e) => e.sizeBytes);
    expect(sizes).toEqual([...sizes].sort((a, b) => a - b));
    expect(new Set(CATALOG.map((e) => e.id)).size).toBe(CATALOG.length);
  });

  it('when the tier’s pick does not fit now, recommends the largest entry that does', async () => {
    // A 16 GB "medium" machine with 10.5 GB used elsewhere: 2.3 GB of room below the 80 % line.
    const items = await service({ snapshot: () => machine('medium', 16, 10.5) }).list();
    const recommended = items.filter((i) => i.recommended);
    expect(recommended).toHaveLength(1);
    expect(items.find((i) => i.id === 'qwen3-8b-q4km')?.fit.kind).toBe('no');
    const fitting = items.filter((i) => i.fit.kind === 'cpu');
    expect(recommended[0]?.id).toBe(fitting.at(-1)?.id);
    expect(recommended[0]?.id).toBe('qwen3-1.7b-q4km');
  });

  it('scales every estimate by the mean correction Mai measured on installed models, and ignores unmeasured rungs', async () => {
    const entry = CATALOG.find((e) => e.id === 'llama-3.2-3b-instruct-q4km')!;
    // Room of 4.0 GB: 10 GB × 0.8 − 4.0 GB of other programs.
    const snapshot = () => machine('small', 10, 4);
    const plain = await service({ snapshot }).list();
    const item = plain.find((i) => i.id === entry.id)!;
    expect(item.fit.kind).toBe('cpu');
    expect(item.fit.detail).toBe(`Fits on the CPU: needs ${(need(entry) / GB).toFixed(1)} GB, 4.0 GB free below the 80 % line.`);

    // Measured 1.5× the estimates (mean of 1.2 and 1.8); the rung never measured does not count.
    const corrected = await service({ snapshot, ladder: () => [rung(1.2, 3), rung(1.8, 1), rung(5, 0)] }).list();
    const after = corrected.find((i) => i.id === entry.id)!;
    expect(after.fit.kind).toBe('no');
    expect(after.fit.detail).toBe(`Too big now: needs ${((need(entry) * 1.5) / GB).toFixed(1)} GB, only 4.0 GB free below the 80 % line.`);
  });

  it('puts a model on the GPU when its memory has room, partly when it does not', async () => {
    const items = await service({ snapshot: () => machine('large', 32, 2, 0.8, { totalGb: 8, usedGb: 0.5 }) }).list();
    expect(items.find((i) => i.id === 'qwen3-1.7b-q4km')?.fit.kind).toBe('gpu');
    expect(items.find((i) => i.id === 'qwen3-14b-q4km')?.fit.kind).toBe('partial');
  });

  it('marks catalog files that are installed, by file name', async () => {
    const models: ModelEntry[] = [
      { path: '/x/qwen_qwen3-0.6b-q4_k_m.gguf', fileName: 'qwen_qwen3-0.6b-q4_k_m.gguf', sizeBytes: 1, synthetic: false, source: 'folder' },
    ];
    const items = await service({ models: async () => models }).list();
    expect(items.filter((i) => i.installed).map((i) => i.id)).toEqual(['qwen3-0.6b-q4km']);
  });

  it('starts every entry through the Hub: a pinned one at its pinned commit and checksum, an unpinned one at main', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mai-catalog-'));
    const downloads = new DownloadManager({
      modelsDir: dir,
      stateFile: path.join(dir, 'downloads.json'),
      fetchImpl: async () => new Response('Not found', { status: 404 }),
    });
    managers.push(downloads);
    const asked: unknown[] = [];
    const hubDownload: CatalogDeps['hubDownload'] = async (request) => {
      asked.push(request);
      return { id: request.id } as Awaited<ReturnType<NonNullable<CatalogDeps['hubDownload']>>>;
    };
    const pinned: CatalogEntry = { ...CATALOG[0]!, id: 'pinned', revision: 'b'.repeat(40), sha256: 'c'.repeat(64) };
    const unpinned: CatalogEntry = { ...CATALOG[0]!, id: 'unpinned', revision: null, sha256: null };
    const catalog = service({ downloads, hubDownload, entries: [pinned, unpinned] });
    await expect(catalog.start('no-such-entry')).rejects.toThrow('That model is not in the catalog.');
    await catalog.start('pinned');
    await catalog.start('unpinned');
    expect(asked).toEqual([
      { repo: pinned.repo, file: pinned.file, revision: 'b'.repeat(40), id: 'pinned', pinnedSha256: 'c'.repeat(64) },
      { repo: unpinned.repo, file: unpinned.file, revision: 'main', id: 'unpinned', pinnedSha256: null },
    ]);
    await expect(service({ entries: [pinned] }).start('pinned')).rejects.toThrow('Downloads are not available in this mode.');
  });
});
