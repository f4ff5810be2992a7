/** The catalog with each entry's fit on this machine, and starting catalog downloads. */
import type { CatalogItem } from '../../../../shared/catalog';
import type { ModelEntry } from '../../../../shared/domain';
import { MaiError } from '../../../../shared/errors';
import type { LadderRungData, ResourceSnapshot } from '../../../../shared/resource';
import type { DownloadInfo, DownloadManager } from '../downloads';
import { CATALOG, hfUri, type CatalogEntry } from './catalog-data';
import { assessFit, kvCacheBytes, RUNTIME_OVERHEAD_BYTES } from './fit';

export interface CatalogDeps {
  downloads: DownloadManager | null;
  snapshot: () => ResourceSnapshot | null;
  ladder: () => readonly LadderRungData[];
  models: () => Promise<ModelEntry[]>;
  contextSize: () => number;
  entries?: readonly CatalogEntry[];
}

/** The mean measured ÷ estimated memory of installed models: how far estimates run off on this machine. */
function measuredCorrection(ladder: readonly LadderRungData[]): number {
  const measured = ladder.filter((rung) => rung.measurements > 0 && rung.correction > 0);
  return measured.length ? measured.reduce((sum, rung) => sum + rung.correction, 0) / measured.length : 1;
}

export class CatalogService {
  constructor(private readonly deps: CatalogDeps) {}

  private get entries(): readonly CatalogEntry[] {
    return this.deps.entries ?? CATALOG;
  }

  async list(): Promise<CatalogItem[]> {
    const snapshot = this.deps.snapshot();
    const installed = new Set((await this.deps.models()).map((m) => m.fileName.toLowerCase()));
    const correction = measuredCorrection(this.deps.ladder());
    const context = this.deps.contextSize();
    const sample = snapshot?.sample;
    const items = this.entries.map((entry): CatalogItem => {
      const { layers, kvHeads, headDim } = entry.architecture;
      const need = (entry.sizeBytes + kvCacheBytes(layers, kvHeads, headDim, Math.min(context, entry.contextLength)) + RUNTIME_OVERHEAD_BYTES) * correction;
      const fit = sample
        ? assessFit({
            needBytes: need,
            memTotalBytes: sample.memTotalBytes,
            otherMemBytes: sample.memUsedBytes - (sample.ownMemBytes ?? 0),
            actThreshold: snapshot.thresholds.degrade,
            vramTotalBytes: sample.vramTotalBytes ?? null,
            otherVramBytes: sample.vramUsedBytes != null ? sample.vramUsedBytes - (sample.ownVramBytes ?? 0) : null,
          })
        : { kind: 'unknown' as const, detail: 'Measuring this machine…' };
      return {
        id: entry.id,
        name: entry.name,
        repo: entry.repo,
        file: entry.file,
        sizeBytes: entry.sizeBytes,
        sizeIsApproximate: entry.sizeIsApproximate,
        quantization: entry.quantization,
        parameters: entry.parameters,
        contextLength: entry.contextLength,
        licence: entry.licence,
        pinned: entry.revision !== null && entry.sha256 !== null,
        installed: installed.has(entry.file.toLowerCase()),
        recommended: false,
        fit,
      };
    });
    // One recommendation: the tier's own pick when it fits, else the largest entry that fits.
    const tier = snapshot?.tier.id;
    const fits = (item: CatalogItem) => item.fit.kind !== 'no' && item.fit.kind !== 'unknown';
    const pick =
      items.find((item, index) => this.entries[index]!.recommendedFor.includes(tier ?? '') && fits(item)) ?? [...items].reverse().find(fits);
    if (pick) pick.recommended = true;
    return items;
  }

  /** Queues the download of a pinned catalog entry. */
  start(id: string): DownloadInfo {
    const entry = this.entries.find((e) => e.id === id);
    if (!entry) throw new MaiError('not-found', 'That model is not in the catalog.');
    const uri = hfUri(entry);
    if (!uri || !entry.sha256) {
      throw new MaiError('bad-request', `${entry.name} is not pinned to a revision and checksum yet, so Mai cannot verify it; run build/pin-catalog.mjs where Hugging Face is reachable.`);
    }
    if (!this.deps.downloads) throw new MaiError('bad-request', 'Downloads are not available in this mode.');
    return this.deps.downloads.enqueue({ id: entry.id, url: uri, fileName: entry.file, sizeBytes: entry.sizeBytes, sha256: entry.sha256 });
  }
}
