/**
 * The Hub as the models page uses it: search, a repository's chat models with their fit, verified
 * downloads, the token, and "verify again". Every download is resolved when it starts — the
 * revision to a commit, each file's size and SHA-256 from the Hub — and every byte is then read at
 * that commit (`/{repo}/resolve/{commit}/{file}`), so a branch that moves meanwhile cannot mix two
 * versions. The provenance is written beside the model once every file is verified.
 */
import path from 'node:path';
import { MaiError, type ErrorCode } from '../../../../shared/errors';
import { z } from 'zod';
import { modelProvenanceSchema, type HubModelSummary, type HubRepo, type HubSearchResult, type HubTokenStatus } from '../../../../shared/hub';
import type { AppHandlers } from '../../../../shared/contract';
import type { ArchitectureFigures } from '../catalog/catalog-service';
import { toDownloadData } from '../catalog/downloads-bridge';
import type { Fit } from '../catalog/fit';
import { hostOf } from '../downloads/errors';
import { DownloadFailure, type DownloadInfo, type DownloadManager, type DownloadErrorCode } from '../downloads';
import { groupGgufFiles, splitPart, splitPartName, type RepoFile } from './gguf-files';
import { readGgufArchitecture, type GgufArchitecture } from './gguf-head';
import { sha256FromEtag, type HubClient, type ModelInfo, type TreeEntry } from './hub-client';
import { readProvenance, verifyAgainstProvenance, writeProvenance } from './provenance';
import type { HubToken } from './token-store';

/** Results per search page. */
const SEARCH_PAGE = 20;
/** Range reads for the architecture: first 256 KiB, then more, up to 8 MiB (a large vocabulary). */
const HEAD_READS = [256 * 1024, 2 * 1024 * 1024, 8 * 1024 * 1024];

export interface HubServiceDeps {
  client: HubClient;
  token: HubToken;
  downloads: DownloadManager | null;
  modelsDir: string;
  /** The catalog's fit (CatalogService.fitFor). */
  fit: (sizeBytes: number, architecture: ArchitectureFigures | null, contextLength: number | null) => Fit | { kind: 'unknown'; detail: string };
  /** File names (lower-case) of the models installed now. */
  installedNames: () => Promise<Set<string>>;
  log: (message: string) => void;
  now?: () => number;
  /**
   * Longest time one Hub API step (a listing, a file's metadata, a range read) may take, retries
   * and waits included, in ms; default 60 000. The IPC handlers have no way to cancel a call, so
   * this bound is what keeps a silent or slow Hub from hanging the models page.
   */
  apiTimeoutMs?: number;
}

const API_TIMEOUT_MS = 60_000;
/** Repository layouts remembered (one small object each), least recently used dropped first. */
const ARCHITECTURE_CACHE = 50;

/** Kept with a Hub download (persisted in the queue file) until its files are verified; parsed when read back. */
const hubMetaSchema = z.object({ provenance: modelProvenanceSchema.omit({ verifiedAt: true }) });

/** A stable download id for a repository file (≤ 200 characters, as the contract allows). */
export function hubDownloadId(repo: string, file: string): string {
  const id = `hub:${repo}/${file}`;
  return id.length <= 200 ? id : `hub:${repo.slice(0, 80)}/…${file.slice(-100)}`;
}

export class HubService {
  private readonly architectures = new Map<string, Promise<GgufArchitecture | null>>();

  constructor(private readonly deps: HubServiceDeps) {}

  readonly handlers: AppHandlers<`hub:${'search' | 'repo' | 'download' | 'token-status' | 'set-token'}` | 'models:verify'> = {
    'hub:search': ({ query, cursor }) => this.search(query, cursor),
    'hub:repo': ({ repo }) => this.repo(repo),
    'hub:download': async (params) => toDownloadData(await this.download(params)),
    'hub:token-status': async () => {
      await this.deps.token.load();
      return this.tokenStatus();
    },
    'hub:set-token': ({ token }) => this.setToken(token),
    'models:verify': ({ path }) => this.verify(path),
  };

  /** Searches GGUF repositories, most downloaded first; `cursor` continues a previous page. */
  async search(query: string, cursor: string | null): Promise<HubSearchResult> {
    const pageUrl = cursor ? decodeCursor(cursor) : null;
    const { items, next } = await this.call((signal) => this.deps.client.searchPage(query.trim(), SEARCH_PAGE, pageUrl, signal));
    const summaries: HubModelSummary[] = items.slice(0, 200).flatMap((info) => (isRepoId(info.id) ? [summaryOf(info)] : []));
    return { items: summaries, nextCursor: next ? encodeCursor(next) : null };
  }

  /** A repository's chat models at the head of `main`, with their fit; a sentence when it has none. */
  async repo(repo: string): Promise<HubRepo> {
    const info = await this.call((signal) => this.deps.client.modelInfo(repo, 'main', signal));
    const commit = info.sha ?? 'main';
    const { entries: tree, truncated } = await this.call((signal) => this.deps.client.tree(repo, commit, signal));
    // Said rather than hidden: a repository with more files than Mai reads may have more models.
    const truncation = truncated ? `The file list was truncated after ${tree.length} files; some models of this repository may be missing here.` : null;
    const files = tree.filter((e) => e.type === 'file').map(toRepoFile);
    const models = groupGgufFiles(files);
    const base = { repo, commit, licence: licenceOf(info), gated: isGated(info) };
    if (models.length === 0) {
      const onlyProjectors = files.some((f) => f.path.toLowerCase().endsWith('.gguf'));
      const message = onlyProjectors ? 'This repository has only vision projectors (mmproj), no chat model.' : 'This repository has no GGUF files.';
      return { ...base, files: [], message: truncation ? `${message} ${truncation}` : message };
    }
    const smallest = models[0]?.parts[0]?.path as string;
    const architecture = await this.architectureOf(repo, commit, smallest, info);
    const installed = await this.installedFrom(
      repo,
      models.map((m) => m.file),
    );
    return {
      ...base,
      message: truncation,
      files: models.slice(0, 2000).map((m) => ({
        file: m.file,
        parts: m.parts.map((p) => p.path),
        quantization: m.quantization,
        sizeBytes: m.sizeBytes,
        fit: this.deps.fit(m.sizeBytes, architecture, architecture?.contextLength ?? info.gguf?.context_length ?? null),
        installed: installed.has(m.file),
      })),
    };
  }

  /**
   * Resolves `revision` to a commit and every file of the model (all parts of a split one) to its
   * size and SHA-256, then queues the download pinned to that commit. `pinnedSha256` (a catalog
   * pin) must agree with the Hub.
   */
  async download(request: { repo: string; file: string; revision: string; id?: string; pinnedSha256?: string | null }): Promise<DownloadInfo> {
    const downloads = this.deps.downloads;
    if (!downloads) throw new MaiError('bad-request', 'Downloads are not available in this mode.');
    const { repo, file, revision } = request;
    if (!file.toLowerCase().endsWith('.gguf')) throw new MaiError('bad-request', `${file} is not a GGUF file; Mai downloads GGUF models only.`);
    const info = await this.call((signal) => this.deps.client.modelInfo(repo, revision, signal));
    const commit = info.sha;
    if (!commit || !/^[0-9a-f]{40}$/.test(commit))
      throw new MaiError('network', `The Hub did not say which commit "${revision}" of ${repo} is, so Mai cannot pin the download.`);
    const partPaths = partsOf(file);
    const parts = await this.call((signal) => this.describeParts(repo, commit, partPaths, signal));
    if (request.pinnedSha256 && parts.length === 1 && parts[0]?.sha256 !== request.pinnedSha256.toLowerCase()) {
      throw new MaiError(
        'bad-request',
        `The catalog's pinned SHA-256 for ${file} (${request.pinnedSha256.slice(0, 12)}…) disagrees with the Hub's (${String(parts[0]?.sha256).slice(0, 12)}…) for ${repo} at commit ${commit.slice(0, 10)}; the download was not started.`,
      );
    }
    const [first, ...rest] = parts as [RepoFile & { sha256: string }, ...(RepoFile & { sha256: string })[]];
    // The HEAD of the first file is what a download asks first: a gated model or a refused token is
    // said now, and the Hub's headers must agree with its API about the commit and the SHA-256.
    const head = await this.call((signal) => this.deps.client.fileMeta(repo, commit, first.path, signal));
    if ((head.commit && head.commit !== commit) || (head.sha256 && head.sha256 !== first.sha256)) {
      throw new MaiError(
        'network',
        `The Hub gave two different answers about ${first.path} of ${repo} (commit or SHA-256); the download was not started. Try again.`,
      );
    }
    const meta: z.infer<typeof hubMetaSchema> = {
      provenance: { repo, files: parts.map((p) => p.path), commit, sha256: parts.map((p) => p.sha256), endpoint: this.deps.client.endpoint },
    };
    try {
      return downloads.enqueue({
        id: request.id ?? hubDownloadId(repo, file),
        url: this.deps.client.resolveUrl(repo, commit, first.path),
        fileName: path.basename(first.path),
        sizeBytes: parts.reduce((sum, p) => sum + p.size, 0),
        sha256: first.sha256,
        moreParts: rest.map((p) => ({
          url: this.deps.client.resolveUrl(repo, commit, p.path),
          fileName: path.basename(p.path),
          sha256: p.sha256,
          sizeBytes: p.size,
        })),
        meta,
      });
    } catch (error) {
      throw toMaiError(error);
    }
  }

  /** The download manager's `afterVerified`: records where a Hub model came from. */
  async recordProvenance(info: DownloadInfo, meta: Record<string, unknown> | null): Promise<void> {
    const parsed = hubMetaSchema.safeParse(meta);
    if (!parsed.success) return; // not a Hub download (or a queue file edited by hand)
    await writeProvenance(this.deps.modelsDir, info.fileName, { ...parsed.data.provenance, verifiedAt: (this.deps.now ?? Date.now)() });
  }

  tokenStatus(): HubTokenStatus {
    return this.deps.token.status();
  }

  async setToken(token: string | null): Promise<HubTokenStatus> {
    try {
      return await this.deps.token.set(token);
    } catch (error) {
      // The store's own error may not name the token, but a message is all the window gets.
      throw new MaiError('bad-request', `The token could not be saved: ${(error as Error).message}`);
    }
  }

  /** Hashes an installed model again and compares it with its provenance. */
  async verify(modelPath: string): Promise<{ ok: boolean; message: string }> {
    const resolved = path.resolve(modelPath);
    const name = path.basename(resolved);
    if (path.dirname(resolved) !== path.resolve(this.deps.modelsDir)) {
      return { ok: false, message: `${name} is not in Mai's models folder, so Mai has no record of where it came from.` };
    }
    // Whatever the file's size and time now: hashing it says whether it is still what the Hub stated.
    const provenance = await readProvenance(this.deps.modelsDir, name, { anyStamp: true });
    if (!provenance) return { ok: false, message: `${name} was not downloaded from the Hub by Mai, so there is no SHA-256 to compare it with.` };
    return verifyAgainstProvenance(resolved, provenance);
  }

  /**
   * The files of `repo` installed from it: a model of that name in the folder whose provenance names
   * this repository and file (a same-named file from another repository or from elsewhere is not it).
   */
  private async installedFrom(repo: string, files: readonly string[]): Promise<Set<string>> {
    const names = await this.deps.installedNames();
    const found = new Set<string>();
    for (const file of files) {
      const name = path.basename(file);
      if (!names.has(name.toLowerCase())) continue;
      const provenance = await readProvenance(this.deps.modelsDir, name);
      if (provenance?.repo === repo && provenance.files[0] === file) found.add(file);
    }
    return found;
  }

  /** Sizes and SHA-256 of the files at a commit: paths-info, else the HEAD of each file. */
  private async describeParts(repo: string, commit: string, paths: readonly string[], signal: AbortSignal): Promise<Array<RepoFile & { sha256: string }>> {
    let entries: TreeEntry[] | null = null;
    try {
      entries = await this.deps.client.pathsInfo(repo, commit, paths, signal);
    } catch (error) {
      // Older or self-hosted Hubs may lack paths-info: the HEAD headers say the same.
      if (!(error instanceof DownloadFailure) || error.code !== 'not-found') throw error;
    }
    const result: Array<RepoFile & { sha256: string }> = [];
    for (const p of paths) {
      const entry = entries?.find((e) => e.path === p && e.type === 'file');
      let file: RepoFile | null = entry ? toRepoFile(entry) : null;
      if (!file?.sha256) {
        if (entries && !entry) throw new DownloadFailure('not-found', `${p} is not in ${repo} at commit ${commit.slice(0, 10)}.`);
        const meta = await this.deps.client.fileMeta(repo, commit, p, signal);
        if (meta.commit && meta.commit !== commit)
          throw new DownloadFailure('http-error', `The Hub answered for commit ${meta.commit.slice(0, 10)} when asked for ${commit.slice(0, 10)}; try again.`);
        file = { path: p, size: meta.size ?? file?.size ?? 0, sha256: meta.sha256 };
      }
      if (!file.sha256)
        throw new DownloadFailure(
          'http-error',
          `The Hub states no SHA-256 for ${p} (it is not stored with Git LFS), so Mai cannot verify it and does not download it.`,
        );
      result.push(file as RepoFile & { sha256: string });
    }
    return result;
  }

  /** Layers, KV heads and head size from the first bytes of a file (cached per commit). */
  private architectureOf(repo: string, commit: string, file: string, info: ModelInfo): Promise<GgufArchitecture | null> {
    const key = `${repo}@${commit}`;
    let found = this.architectures.get(key);
    if (found) {
      // Least recently used first: a hit moves to the end.
      this.architectures.delete(key);
      this.architectures.set(key, found);
      // Bounded: a long session browsing many repositories keeps only the last ARCHITECTURE_CACHE.
      for (const oldest of this.architectures.keys()) {
        if (this.architectures.size <= ARCHITECTURE_CACHE) break;
        this.architectures.delete(oldest);
      }
    } else {
      found = this.call((signal) => this.readArchitecture(repo, commit, file, signal)).catch((error: Error) => {
        this.deps.log(`the layout of ${repo}/${file} could not be read: ${error.message}`);
        return null;
      });
      this.architectures.set(key, found);
      // Bounded: a long session browsing many repositories keeps only the last ARCHITECTURE_CACHE.
      for (const oldest of this.architectures.keys()) {
        if (this.architectures.size <= ARCHITECTURE_CACHE) break;
        this.architectures.delete(oldest);
      }
    }
    return found.then((a) => (a && a.contextLength === null && info.gguf?.context_length ? { ...a, contextLength: info.gguf.context_length } : a));
  }

  private async readArchitecture(repo: string, commit: string, file: string, signal: AbortSignal): Promise<GgufArchitecture | null> {
    for (const bytes of HEAD_READS) {
      const head = await this.deps.client.readRange(repo, commit, file, 0, bytes, signal);
      const result = readGgufArchitecture(head);
      if (result.kind === 'found') return result.value;
      if (result.kind === 'invalid') throw new Error(result.reason);
      if (head.length < bytes) return null; // the whole file was read
    }
    return null;
  }

  /**
   * Runs a Hub call with a time limit (apiTimeoutMs); its DownloadFailure becomes a MaiError with
   * the same sentence, and running out of time a sentence of its own.
   */
  private async call<T>(step: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const limitMs = this.deps.apiTimeoutMs ?? API_TIMEOUT_MS;
    const signal = AbortSignal.timeout(limitMs);
    try {
      return await step(signal);
    } catch (error) {
      if (signal.aborted)
        throw new MaiError('network', `${hostOf(this.deps.client.endpoint)} did not answer within ${Math.round(limitMs / 1000)} s; try again later.`);
      throw toMaiError(error);
    }
  }
}

/** The files of a model named by one file: all parts of a split model, else the file itself. */
function partsOf(file: string): string[] {
  const part = splitPart(file);
  if (!part) return [file];
  return Array.from({ length: part.count }, (_, i) => splitPartName(part.prefix, i + 1, part.count));
}

function toRepoFile(entry: TreeEntry): RepoFile {
  const sha256 = sha256FromEtag(entry.lfs?.oid ?? entry.lfs?.sha256 ?? null);
  return { path: entry.path, size: entry.lfs?.size ?? entry.size ?? 0, sha256 };
}

const MAI_CODES: Partial<Record<DownloadErrorCode, ErrorCode>> = {
  'not-found': 'not-found',
  offline: 'network',
  'server-error': 'network',
  'rate-limited': 'network',
  stalled: 'network',
  'redirect-loop': 'network',
  'http-error': 'network',
  gated: 'forbidden',
  'token-refused': 'forbidden',
};

export function toMaiError(error: unknown): Error {
  if (error instanceof DownloadFailure) return new MaiError(MAI_CODES[error.code] ?? 'bad-request', error.message);
  return error as Error;
}

function isRepoId(id: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9._-]*\/[A-Za-z0-9][A-Za-z0-9._-]*$/.test(id) && id.length <= 200;
}

function isGated(info: ModelInfo): boolean {
  return info.gated !== undefined && info.gated !== false && info.gated !== 'false';
}

function licenceOf(info: ModelInfo): string | null {
  const card = info.cardData?.license;
  const fromCard = typeof card === 'string' ? card : Array.isArray(card) && typeof card[0] === 'string' ? card[0] : null;
  const fromTag = info.tags?.find((t) => t.startsWith('license:'))?.slice('license:'.length) ?? null;
  return (fromCard ?? fromTag)?.slice(0, 200) ?? null;
}

function summaryOf(info: ModelInfo): HubModelSummary {
  return {
    repo: info.id,
    downloads: typeof info.downloads === 'number' && info.downloads >= 0 ? info.downloads : null,
    likes: typeof info.likes === 'number' && info.likes >= 0 ? info.likes : null,
    lastModified: info.lastModified?.slice(0, 64) ?? null,
    licence: licenceOf(info),
    gated: isGated(info),
  };
}

/** The next page's URL as an opaque cursor for the window (checked to be the Hub's when it comes back). */
function encodeCursor(url: string): string {
  return Buffer.from(url, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): string {
  return Buffer.from(cursor, 'base64url').toString('utf8');
}
