/**
 * The catalog with each entry's fit on this machine, and starting catalog downloads. A catalog
 * download is a Hub download like any search result: the revision is resolved to a commit and the
 * SHA-256 read from the Hub when it starts; a pin in catalog-pins.json, where there is one, must
 * agree with the Hub.
 */
import type { CatalogItem } from '../../../../shared/catalog';
import type { AppHandlers } from '../../../../shared/contract';
import type { ModelEntry } from '../../../../shared/domain';
import { MaiError } from '../../../../shared/errors';
import type { LadderRungData, ResourceSnapshot } from '../../../../shared/resource';
import type { DownloadInfo, DownloadManager } from '../downloads';
import { CATALOG, type CatalogEntry } from './catalog-data';
import { assessFit, kvCacheBytes, RUNTIME_OVERHEAD_BYTES, type Fit } from './fit';

/** Starts a verified Hub download (HubService.download); catalog downloads go through it. */
export type HubDownloadStarter = (request: { repo: string; file: string; revision: string; id: string; pinnedSha256: string | null }) => Promise<DownloadInfo>;

/** Architecture figures for the KV-cache estimate. */
export interface ArchitectureFigures {
  layers: number;
  kvHeads: number;
  headDim: number;
}

export interface CatalogDeps {
  downloads: DownloadManager | null;
  /** The Hub's verified download; without it catalog downloads are refused. */
  hubDownload?: HubDownloadStarter;
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

  readonly handlers: AppHandlers<'catalog:list'> = { 'catalog:list': () => this.list() };

  private get entries(): readonly CatalogEntry[] {
    return this.deps.entries ?? CATALOG;
  }

  /**
   * The fit of a model on this machine now: weights (`sizeBytes`) + the KV cache at the chosen
   * context (capped by the model's training context) + runtime overhead, scaled by the correction
   * Mai measured on its installed models. Without architecture figures the KV cache is not counted
   * and the sentence says so. 'unknown' before the first resource sample.
   */
  fitFor(sizeBytes: number, architecture: ArchitectureFigures | null, contextLength: number | null): Fit | { kind: 'unknown'; detail: string } {
    const snapshot = this.deps.snapshot();
    const sample = snapshot?.sample;
    if (!sample) return { kind: 'unknown', detail: 'Measuring this machine…' };
    const correction = measuredCorrection(this.deps.ladder());
    const context = Math.min(this.deps.contextSize(), contextLength ?? Infinity);
    const kv = architecture ? kvCacheBytes(architecture.layers, architecture.kvHeads, architecture.headDim, context) : 0;
    const fit = assessFit({
      needBytes: (sizeBytes + kv + RUNTIME_OVERHEAD_BYTES) * correction,
      memTotalBytes: sample.memTotalBytes,
      otherMemBytes: sample.memUsedBytes - (sample.ownMemBytes ?? 0),
      actThreshold: snapshot.thresholds.degrade,
      vramTotalBytes: sample.vramTotalBytes ?? null,
      otherVramBytes: sample.vramUsedBytes != null ? sample.vramUsedBytes - (sample.ownVramBytes ?? 0) : null,
    });
    return architecture ? fit : { ...fit, detail: `${fit.detail.replace(/\.$/, '')} (without the KV cache: the model's layout could not be read).` };
  }

  async list(): Promise<CatalogItem[]> {
    const snapshot = this.deps.snapshot();
    const installed = new Set((await this.deps.models()).map((m) => m.fileName.toLowerCase()));
    const items = this.entries.map((entry): CatalogItem => {
      const fit = this.fitFor(entry.sizeBytes, entry.architecture, entry.contextLength);
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
    const pick = items.find((item, index) => this.entries[index]!.recommendedFor.includes(tier ?? '') && fits(item)) ?? [...items].reverse().find(fits);
    if (pick) pick.recommended = true;
    return items;
  }

  /**
   * Starts the download of a catalog entry through the Hub: its revision (the pinned commit, else
   * `main`) is resolved when the download starts and the file is checked against the SHA-256 the
   * Hub states — and against the pinned one, where the entry has a pin.
   */
  async start(id: string): Promise<DownloadInfo> {
    const entry = this.entries.find((e) => e.id === id);
    if (!entry) throw new MaiError('not-found', 'That model is not in the catalog.');
    if (!this.deps.downloads || !this.deps.hubDownload) throw new MaiError('bad-request', 'Downloads are not available in this mode.');
    return this.deps.hubDownload({ repo: entry.repo, file: entry.file, revision: entry.revision ?? 'main', id: entry.id, pinnedSha256: entry.sha256 });
  }
}
