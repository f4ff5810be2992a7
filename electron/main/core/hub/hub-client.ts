/**
 * The Hub's public API as Mai uses it (https://huggingface.co/docs/hub/api; the same endpoints
 * huggingface_hub's HfApi calls): search, a repository at a revision (its commit `sha`), its file
 * tree with sizes and LFS SHA-256 (paged by `Link` headers), paths-info, the HEAD of a file's
 * resolve URL, and a byte range of a file. Answers are parsed with zod; failures are
 * DownloadFailures with a sentence (see hub-fetch.ts). Requests that fail for a passing reason
 * (network, 5xx, 429 with a short Retry-After) are tried again a few times.
 */
import { z } from 'zod';
import { DownloadFailure, httpFailure, networkFailure } from '../downloads/errors';
import { sleep } from '../downloads/support';

/** Retries of an API call that failed for a passing reason; the user is waiting, so few and short. */
const API_RETRIES = 2;
const API_RETRY_BASE_MS = 500;
/** A Retry-After longer than this fails the call at once with the wait named, instead of hanging the page. */
const API_MAX_RETRY_AFTER_MS = 15_000;
/** Tree pages followed at most (the Hub sends 1000 entries a page: 50 pages is a very large repository). */
const MAX_PAGES = 50;

const lfsSchema = z.object({ oid: z.string().optional(), sha256: z.string().optional(), size: z.number().optional() }).passthrough();

export const treeEntrySchema = z
  .object({
    type: z.string(),
    path: z.string(),
    size: z.number().nonnegative().optional(),
    oid: z.string().optional(),
    lfs: lfsSchema.nullable().optional(),
  })
  .passthrough();
export type TreeEntry = z.infer<typeof treeEntrySchema>;

export const modelInfoSchema = z
  .object({
    id: z.string(),
    sha: z.string().optional(),
    gated: z.union([z.boolean(), z.string()]).optional(),
    private: z.boolean().optional(),
    downloads: z.number().optional(),
    likes: z.number().optional(),
    lastModified: z.string().optional(),
    tags: z.array(z.string()).optional(),
    cardData: z.object({ license: z.unknown().optional() }).passthrough().nullable().optional(),
    /** The Hub's summary of a GGUF repository's metadata (architecture, context_length…), when it has one. */
    gguf: z
      .object({ architecture: z.string().optional(), context_length: z.number().optional(), total: z.number().optional() })
      .passthrough()
      .nullable()
      .optional(),
  })
  .passthrough();
export type ModelInfo = z.infer<typeof modelInfoSchema>;

/** What the HEAD of a resolve URL says about a file (huggingface_hub's `get_hf_file_metadata`). */
export interface FileMeta {
  commit: string | null;
  /** The LFS file's SHA-256 (X-Linked-Etag with quotes and W/ stripped), or null for a non-LFS file. */
  sha256: string | null;
  size: number | null;
}

export interface HubClientOptions {
  endpoint: string;
  /** The Hub-aware fetch (createHubFetch). */
  fetch: typeof fetch;
  /** First retry delay, ms (doubles). Default 500. */
  retryBaseDelayMs?: number;
}

/** The SHA-256 in an ETag: `W/"abc…"` and `"abc…"` both give `abc…`; anything that is not 64 hex gives null. */
export function sha256FromEtag(etag: string | null): string | null {
  if (!etag) return null;
  const value = etag.trim().replace(/^W\//, '').replace(/^"|"$/g, '').toLowerCase();
  return /^[0-9a-f]{64}$/.test(value) ? value : null;
}

/** The `rel="next"` URL of a `Link` header (RFC 8288), or null. */
export function nextLink(header: string | null): string | null {
  if (!header) return null;
  for (const part of header.split(/,(?=\s*<)/)) {
    const m = /^\s*<([^>]*)>\s*;(.*)$/.exec(part);
    if (m && /\brel\s*=\s*"?next"?/i.test(m[2] ?? '')) return m[1] ?? null;
  }
  return null;
}

/** A repository id as a URL path (owner and name encoded separately). */
export function repoPath(repo: string): string {
  return repo.split('/').map(encodeURIComponent).join('/');
}

/** A file path inside a repository as a URL path (folders kept). */
export function filePath(file: string): string {
  return file.split('/').map(encodeURIComponent).join('/');
}

export class HubClient {
  readonly endpoint: string;
  private readonly fetch: typeof fetch;
  private readonly retryBaseDelayMs: number;

  constructor(options: HubClientOptions) {
    this.endpoint = options.endpoint.replace(/\/+$/, '');
    this.fetch = options.fetch;
    this.retryBaseDelayMs = options.retryBaseDelayMs ?? API_RETRY_BASE_MS;
  }

  /** `{endpoint}/{repo}/resolve/{revision}/{file}`: where the bytes of a file are read (pin `revision` to a commit). */
  resolveUrl(repo: string, revision: string, file: string): string {
    return `${this.endpoint}/${repoPath(repo)}/resolve/${encodeURIComponent(revision)}/${filePath(file)}`;
  }

  /** The repository at a revision (GET /api/models/{repo}/revision/{rev}): its commit, licence, gating. */
  async modelInfo(repo: string, revision: string, signal?: AbortSignal): Promise<ModelInfo> {
    const { body } = await this.json(`${this.endpoint}/api/models/${repoPath(repo)}/revision/${encodeURIComponent(revision)}`, { signal });
    return parse(modelInfoSchema, body, `the Hub's description of ${repo}`);
  }

  /**
   * Every file of a repository at a commit (recursive tree, all pages up to MAX_PAGES);
   * `truncated` when the Hub had more pages than that.
   */
  async tree(repo: string, commit: string, signal?: AbortSignal): Promise<{ entries: TreeEntry[]; truncated: boolean }> {
    let url: string | null = `${this.endpoint}/api/models/${repoPath(repo)}/tree/${encodeURIComponent(commit)}?recursive=true`;
    const entries: TreeEntry[] = [];
    for (let page = 0; url && page < MAX_PAGES; page++) {
      const { body, link }: { body: unknown; link: string | null } = await this.json(url, { signal });
      entries.push(...parse(z.array(treeEntrySchema), body, `the file list of ${repo}`));
      url = this.sameOrigin(nextLink(link));
    }
    return { entries, truncated: url !== null };
  }

  /** Size and LFS SHA-256 of some files at a commit (POST /api/models/{repo}/paths-info/{rev}). */
  async pathsInfo(repo: string, commit: string, paths: readonly string[], signal?: AbortSignal): Promise<TreeEntry[]> {
    const form = new URLSearchParams();
    for (const p of paths) form.append('paths', p);
    form.append('expand', 'false');
    const { body } = await this.json(`${this.endpoint}/api/models/${repoPath(repo)}/paths-info/${encodeURIComponent(commit)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
      signal,
    });
    return parse(z.array(treeEntrySchema), body, `the file details of ${repo}`);
  }

  /** HEAD of a file's resolve URL without following the CDN redirect: commit, SHA-256, size. */
  async fileMeta(repo: string, revision: string, file: string, signal?: AbortSignal): Promise<FileMeta> {
    const response = await this.request(this.resolveUrl(repo, revision, file), {
      method: 'HEAD',
      redirect: 'manual',
      headers: { 'accept-encoding': 'identity' },
      signal,
    });
    await response.body?.cancel().catch(() => undefined);
    const redirected = response.status >= 300 && response.status < 400;
    if (!redirected && !response.ok) throw httpFailure(response.url, response.status, file, response.headers.get('retry-after'));
    const size = response.headers.get('x-linked-size') ?? (redirected ? null : response.headers.get('content-length'));
    return {
      commit: response.headers.get('x-repo-commit'),
      sha256: sha256FromEtag(response.headers.get('x-linked-etag')),
      size: size !== null && /^\d+$/.test(size) ? Number(size) : null,
    };
  }

  /**
   * Bytes [start, end) of a file at a commit, through the CDN. A server that ignores Range (200)
   * is read only as far as needed.
   */
  async readRange(repo: string, commit: string, file: string, start: number, end: number, signal?: AbortSignal): Promise<Buffer> {
    const response = await this.request(this.resolveUrl(repo, commit, file), {
      headers: { range: `bytes=${start}-${end - 1}`, 'accept-encoding': 'identity' },
      signal,
    });
    if (response.status !== 206 && response.status !== 200) {
      await response.body?.cancel().catch(() => undefined);
      throw httpFailure(response.url, response.status, file, response.headers.get('retry-after'));
    }
    const skip = response.status === 200 ? start : 0;
    const want = end - start;
    const chunks: Buffer[] = [];
    let have = -skip;
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    try {
      while (have < want) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(Buffer.from(value));
        have += value.byteLength;
      }
    } finally {
      await reader.cancel().catch(() => undefined);
    }
    return Buffer.concat(chunks).subarray(skip, skip + want);
  }

  /** One page of a search; `pageUrl` continues from a previous page's `Link`. */
  async searchPage(query: string, limit: number, pageUrl: string | null, signal?: AbortSignal): Promise<{ items: ModelInfo[]; next: string | null }> {
    let url: string;
    if (pageUrl) {
      const same = this.sameOrigin(pageUrl);
      if (!same || !new URL(same).pathname.endsWith('/api/models'))
        throw new DownloadFailure('invalid-request', 'That page of search results is not from the Hub Mai uses; search again.');
      url = same;
    } else {
      const params = new URLSearchParams({ search: query, filter: 'gguf', sort: 'downloads', direction: '-1', limit: String(limit) });
      for (const field of ['downloads', 'likes', 'lastModified', 'gated', 'tags']) params.append('expand[]', field);
      url = `${this.endpoint}/api/models?${params.toString()}`;
    }
    const { body, link } = await this.json(url, { signal });
    const items = parse(z.array(modelInfoSchema), body, 'the search results');
    return { items, next: this.sameOrigin(nextLink(link)) };
  }

  /** A URL only when it is on the Hub's origin (a `Link` elsewhere is not followed: the token would go with it). */
  private sameOrigin(url: string | null): string | null {
    if (!url) return null;
    try {
      const resolved = new URL(url, this.endpoint);
      return resolved.origin === new URL(this.endpoint).origin ? resolved.href : null;
    } catch {
      return null;
    }
  }

  private async json(url: string, init: RequestInit): Promise<{ body: unknown; link: string | null }> {
    const response = await this.request(url, { ...init, headers: { accept: 'application/json', ...(init.headers as Record<string, string> | undefined) } });
    if (!response.ok) {
      await response.body?.cancel().catch(() => undefined);
      throw httpFailure(url, response.status, 'the listing', response.headers.get('retry-after'));
    }
    let body: unknown;
    try {
      body = await response.json();
    } catch {
      throw new DownloadFailure('http-error', `${new URL(url).host} sent an answer Mai could not read (not JSON).`);
    }
    return { body, link: response.headers.get('link') };
  }

  /** One request with the retries of a passing failure; 5xx answers are retried too. */
  private async request(url: string, init: RequestInit): Promise<Response> {
    for (let attempt = 0; ; attempt++) {
      let failure: DownloadFailure;
      try {
        const response = await this.fetch(url, init);
        if (response.status < 500 || attempt >= API_RETRIES) return response;
        await response.body?.cancel().catch(() => undefined);
        failure = httpFailure(url, response.status, 'the listing', response.headers.get('retry-after'));
      } catch (error) {
        if (init.signal?.aborted) throw init.signal.reason;
        failure = error instanceof DownloadFailure ? error : offline(url, error);
        if (!failure.retryable || attempt >= API_RETRIES) throw failure;
      }
      // A 429 or a 5xx asking for a long wait (a 503 with Retry-After: 3600) fails now with the wait named.
      if (failure.retryAfterMs !== null && failure.retryAfterMs > API_MAX_RETRY_AFTER_MS) {
        throw new DownloadFailure(
          failure.code,
          `${failure.message.replace(/\.$/, '')}; it asks to wait ${Math.ceil(failure.retryAfterMs / 1000)} s, so try again later.`,
        );
      }
      const wait = Math.max(this.retryBaseDelayMs * 2 ** attempt, failure.retryAfterMs ?? 0);
      await sleep(wait, init.signal ?? new AbortController().signal);
    }
  }
}

/** No answer at all: the sentence says to check the connection (or HF_ENDPOINT). */
function offline(url: string, error: unknown): DownloadFailure {
  const failure = networkFailure(url, error);
  return new DownloadFailure('offline', `${failure.message.replace(/\.$/, '')}. Check the internet connection (or HF_ENDPOINT).`, true);
}

function parse<T>(schema: z.ZodType<T>, body: unknown, what: string): T {
  const parsed = schema.safeParse(body);
  if (!parsed.success)
    throw new DownloadFailure('http-error', `The Hub sent ${what} in a shape Mai does not know (${parsed.error.issues[0]?.message ?? 'invalid'}).`);
  return parsed.data;
}
