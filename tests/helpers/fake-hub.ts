/**
 * A fake Hugging Face Hub for tests: two real HTTP listeners on 127.0.0.1, the Hub itself and a
 * second one on another port standing in for its CDN. The real Hub cannot be reached from the test
 * machines, so this follows its public API as documented and as huggingface_hub's client uses it:
 *
 * - Hub API docs: https://huggingface.co/docs/hub/api (GET /api/models with search, filter, sort,
 *   direction, limit, expand; paging by a `Link: <…>; rel="next"` header, as GitHub's),
 *   GET /api/models/{repo}[/revision/{rev}] (`sha`, `siblings`, `?blobs=true` adds `lfs.sha256`),
 *   GET /api/models/{repo}/tree/{rev}[/{path}]?recursive=… (paged with `Link`; LFS files carry
 *   `lfs.oid` = SHA-256 and `size`), POST /api/models/{repo}/paths-info/{rev} (form `paths`, `expand`).
 * - huggingface_hub `file_download.py` (`get_hf_file_metadata`, `_normalize_etag`) and
 *   `constants.py`: HEAD/GET {endpoint}/{repo}/resolve/{rev}/{file} answers 302 to the CDN with
 *   `X-Repo-Commit`, `X-Linked-Etag` (the LFS SHA-256, quoted) and `X-Linked-Size`; small non-LFS
 *   files are served directly with the git blob id as ETag.
 * - huggingface_hub `utils/_http.py` (`hf_raise_for_status`): errors carry `X-Error-Code`
 *   (RepoNotFound, RevisionNotFound, EntryNotFound, GatedRepo) and `X-Error-Message`; a bad token is
 *   401 "Invalid credentials in Authorization header"; 429 carries `Retry-After`.
 * - The CDN serves `Range` with 206 and `Content-Range`, and never needs the token.
 *
 * It serves synthetic GGUF files (tests/fixtures/synthetic-models.ts) or any bytes. Each listener
 * keeps a request log (with the Authorization header as received, so a test can assert where the
 * token went), and `faults` switches on misbehaviour: a cut mid-file, wrong bytes, 429, 5xx, a
 * redirect loop, a CDN that ignores Range, a throttled CDN, an unreachable CDN, a CDN answering 403.
 */
import { createHash } from 'node:crypto';
import { open, readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { bearer, logEntry, readPaths, storeFile, treeItem, type StoredFile } from './fake-hub-parts';
import { drained } from './http-model-server';

/** A file of a fake repository: bytes in memory or a file on disk. */
export interface FakeFile {
  path: string;
  /** Bytes, or the path of a file on disk (read with ranges, never held whole). */
  content: Buffer | string;
  /** Stored with Git LFS (redirected to the CDN, SHA-256 stated). Default: true for .gguf files. */
  lfs?: boolean;
}

export interface FakeRepoOptions {
  id: string;
  files: FakeFile[];
  /** 'manual' / 'auto' as the Hub's `gated` field; false (default) = open. */
  gated?: false | 'auto' | 'manual';
  licence?: string;
  downloads?: number;
  likes?: number;
  /** Tags besides `gguf` (added when a .gguf file is present) and `license:…`. */
  tags?: string[];
}

export interface HubRequest {
  method: string;
  /** Path and query as received. */
  url: string;
  /** The Authorization header as received, or null. */
  authorization: string | null;
  range: string | null;
  status: number;
  bytesSent: number;
  /** When it arrived, ms since 1970. */
  at: number;
}

interface Commit {
  sha: string;
  files: Map<string, StoredFile>;
  date: string;
}

interface Repo {
  options: FakeRepoOptions;
  commits: Map<string, Commit>;
  branches: Map<string, string>;
}

/** Misbehaviour switches; counts are "the next N requests" and go down as they are used. */
export interface FakeHubFaults {
  /** The CDN drops the connection after this many body bytes, once. */
  cutAfterBytes: number | null;
  /** The CDN serves every byte XOR 0xff from this offset on (the right length, the wrong content). */
  wrongBytesFrom: number | null;
  /** The next N requests to the Hub answer 429 with this Retry-After (seconds). */
  rateLimited: { count: number; retryAfterSeconds: number } | null;
  /** The next N requests to the Hub answer this 5xx status (with Retry-After when given, seconds). */
  serverError: { count: number; status: number; retryAfterSeconds?: number } | null;
  /** resolve/ redirects to the CDN, which redirects back to resolve/: forever. */
  redirectLoop: boolean;
  /** The CDN answers a Range request with 200 and the whole file. */
  ignoreRange: boolean;
  /** CDN body bytes per second; null = as fast as loopback goes. */
  throttleBytesPerSecond: number | null;
  /** resolve/ redirects to this origin instead of the CDN listener (a closed port: a CDN a firewall blocks). */
  cdnOriginOverride: string | null;
  /** The next N CDN requests answer 403 AccessDenied, as a CDN does for an expired signed URL. */
  cdnForbidden: number;
  /**
   * Which Hub requests `rateLimited` and `serverError` hit; null = all. A test can aim them at the
   * byte requests (GET …/resolve/…) only, so a download is resolved before the fault meets it.
   */
  hubFaultScope: ((method: string, path: string) => boolean) | null;
}

const noFaults = (): FakeHubFaults => ({
  cutAfterBytes: null,
  wrongBytesFrom: null,
  rateLimited: null,
  serverError: null,
  redirectLoop: false,
  ignoreRange: false,
  throttleBytesPerSecond: null,
  cdnOriginOverride: null,
  cdnForbidden: 0,
  hubFaultScope: null,
});
const CHUNK = 64 * 1024;
const REPO_ID = /^([A-Za-z0-9][\w.-]*\/[A-Za-z0-9][\w.-]*)/;

export class FakeHub {
  readonly hubRequests: HubRequest[] = [];
  readonly cdnRequests: HubRequest[] = [];
  faults: FakeHubFaults = noFaults();
  /** Tokens the Hub accepts (any other Bearer token is refused with 401). */
  readonly validTokens = new Set<string>();
  /** Per gated repo: the tokens whose user accepted its conditions. */
  readonly gatedAccess = new Map<string, Set<string>>();
  /** Items per page of search and tree answers (small values exercise the `Link` paging). */
  pageSize = 50;

  private readonly repos = new Map<string, Repo>();
  private readonly hub: http.Server;
  private readonly cdn: http.Server;
  private commitCounter = 0;

  private constructor() {
    this.hub = http.createServer((req, res) => void this.onHub(req, res).catch(() => res.destroy()));
    this.cdn = http.createServer((req, res) => void this.onCdn(req, res).catch(() => res.destroy()));
  }

  /** Starts both listeners on 127.0.0.1 with free ports. */
  static async start(repos: FakeRepoOptions[] = []): Promise<FakeHub> {
    const hub = new FakeHub();
    await Promise.all([hub.hub, hub.cdn].map((server) => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))));
    for (const repo of repos) await hub.addRepo(repo);
    return hub;
  }

  /** HF_ENDPOINT for Mai: the Hub listener's origin. */
  get endpoint(): string {
    return `http://127.0.0.1:${(this.hub.address() as AddressInfo).port}`;
  }

  get cdnOrigin(): string {
    return `http://127.0.0.1:${(this.cdn.address() as AddressInfo).port}`;
  }

  /** Adds a repository whose `main` is a first commit holding `files`; returns that commit. */
  async addRepo(options: FakeRepoOptions): Promise<string> {
    const repo: Repo = { options, commits: new Map(), branches: new Map() };
    this.repos.set(options.id, repo);
    return this.commit(options.id, options.files);
  }

  /** Makes a new commit on `branch` (default main) with `files` replacing or adding files; returns its sha. */
  async commit(repoId: string, files: FakeFile[], branch = 'main'): Promise<string> {
    const repo = this.requireRepo(repoId);
    const parent = repo.commits.get(repo.branches.get(branch) ?? '');
    const next = new Map(parent?.files ?? []);
    for (const file of files) next.set(file.path, await storeFile(file));
    const sha = createHash('sha1')
      .update(`${repoId}:${++this.commitCounter}:${[...next.values()].map((f) => f.sha256).join()}`)
      .digest('hex');
    repo.commits.set(sha, { sha, files: next, date: new Date(Date.UTC(2026, 0, 1) + this.commitCounter * 86_400_000).toISOString() });
    repo.branches.set(branch, sha);
    return sha;
  }

  /** The commit a branch points to now. */
  head(repoId: string, branch = 'main'): string {
    const sha = this.requireRepo(repoId).branches.get(branch);
    if (!sha) throw new Error(`${repoId} has no branch ${branch}`);
    return sha;
  }

  /** SHA-256 and size of a file at a commit (default: the head of main). */
  fileInfo(repoId: string, filePath: string, commit = this.head(repoId)): { sha256: string; size: number } {
    const file = this.requireRepo(repoId).commits.get(commit)?.files.get(filePath);
    if (!file) throw new Error(`${repoId}@${commit} has no ${filePath}`);
    return { sha256: file.sha256, size: file.size };
  }

  /** Forgets the request logs and switches every fault off. */
  reset(): void {
    this.hubRequests.length = 0;
    this.cdnRequests.length = 0;
    this.faults = noFaults();
  }

  async close(): Promise<void> {
    for (const server of [this.hub, this.cdn]) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  private requireRepo(id: string): Repo {
    const repo = this.repos.get(id);
    if (!repo) throw new Error(`no fake repo ${id}`);
    return repo;
  }

  // ---------------------------------------------------------------------------------------------
  // The Hub listener

  private async onHub(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const entry = logEntry(req);
    this.hubRequests.push(entry);
    const send = (status: number, headers: Record<string, string>, body?: string | Buffer): void => {
      entry.status = status;
      const data = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(body);
      res.writeHead(status, { ...headers, 'content-length': String(data?.byteLength ?? 0) });
      res.end(req.method === 'HEAD' ? undefined : data);
    };
    const json = (value: unknown, headers: Record<string, string> = {}): void =>
      send(200, { 'content-type': 'application/json; charset=utf-8', ...headers }, JSON.stringify(value));
    const fail = (status: number, code: string | null, message: string): void =>
      send(
        status,
        { 'content-type': 'application/json', ...(code ? { 'x-error-code': code } : {}), 'x-error-message': message },
        JSON.stringify({ error: message }),
      );

    const { rateLimited, serverError, hubFaultScope } = this.faults;
    const inScope = hubFaultScope === null || hubFaultScope(req.method ?? 'GET', new URL(req.url ?? '/', this.endpoint).pathname);
    if (rateLimited && rateLimited.count > 0 && inScope) {
      rateLimited.count--;
      return send(429, { 'retry-after': String(rateLimited.retryAfterSeconds), 'content-type': 'text/plain' }, 'Too Many Requests');
    }
    if (serverError && serverError.count > 0 && inScope) {
      serverError.count--;
      const retryAfter: Record<string, string> = serverError.retryAfterSeconds === undefined ? {} : { 'retry-after': String(serverError.retryAfterSeconds) };
      return send(serverError.status, { 'content-type': 'text/plain', ...retryAfter }, 'Internal Error');
    }
    const token = bearer(entry.authorization);
    if (token !== null && !this.validTokens.has(token)) return fail(401, null, 'Invalid credentials in Authorization header');

    const url = new URL(req.url ?? '/', this.endpoint);
    const p = decodeURIComponent(url.pathname);
    if (req.method === 'GET' && p === '/api/models') return this.search(url, json);
    if (p.startsWith('/api/models/')) {
      const rest = p.slice('/api/models/'.length);
      const repoId = REPO_ID.exec(rest)?.[1];
      const repo = repoId ? this.repos.get(repoId) : undefined;
      if (!repoId || !repo) return fail(404, 'RepoNotFound', 'Repository not found');
      const tail = rest.slice(repoId.length);
      const m = /^(?:\/(revision|tree|paths-info)\/([^/]+)(\/.*)?)?$/.exec(tail);
      if (!m) return fail(404, null, 'Not Found');
      const [, kind, revision = 'main', sub] = m;
      const commit = this.commitOf(repo, revision);
      if (!commit) return fail(404, 'RevisionNotFound', `Invalid rev id: ${revision}`);
      if (!kind || kind === 'revision') return json(this.modelInfo(repo, commit, url.searchParams.get('blobs') === 'true'));
      if (kind === 'tree') return this.tree(url, commit, sub?.slice(1) ?? '', json, fail);
      if (kind === 'paths-info' && req.method === 'POST') {
        const paths = await readPaths(req);
        return json(
          paths.flatMap((path) => {
            const f = commit.files.get(path);
            return f ? [treeItem(f)] : [];
          }),
        );
      }
      return fail(404, null, 'Not Found');
    }
    const resolve = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(p);
    if (resolve && (req.method === 'GET' || req.method === 'HEAD')) {
      const [, repoId = '', revision = '', filePath = ''] = resolve;
      const repo = this.repos.get(repoId);
      if (!repo) return fail(404, 'RepoNotFound', 'Repository not found');
      if (repo.options.gated) {
        if (token === null)
          return fail(
            401,
            'GatedRepo',
            `Access to model ${repoId} is restricted. You must have access to it and be authenticated to access it. Please log in.`,
          );
        if (!this.gatedAccess.get(repoId)?.has(token)) {
          return fail(
            403,
            'GatedRepo',
            `Access to model ${repoId} is restricted and you are not in the authorized list. Visit ${this.endpoint}/${repoId} to ask for access.`,
          );
        }
      }
      const commit = this.commitOf(repo, revision);
      if (!commit) return fail(404, 'RevisionNotFound', `Invalid rev id: ${revision}`);
      const file = commit.files.get(filePath);
      if (!file) return fail(404, 'EntryNotFound', 'Entry not found');
      const common = { 'x-repo-commit': commit.sha, 'accept-ranges': 'bytes' };
      if (!file.lfs) {
        const body = typeof file.content === 'string' ? await readFile(file.content) : file.content;
        return send(200, { ...common, etag: `"${file.oid}"`, 'content-type': 'application/octet-stream' }, body);
      }
      const cdn = this.faults.cdnOriginOverride ?? this.cdnOrigin;
      const location = this.faults.redirectLoop ? `${cdn}/loop${url.pathname}` : `${cdn}/blobs/${file.sha256}?repo=${encodeURIComponent(repoId)}`;
      return send(
        302,
        { ...common, location, etag: `"${file.oid}"`, 'x-linked-etag': `"${file.sha256}"`, 'x-linked-size': String(file.size), 'content-type': 'text/plain' },
        `Found. Redirecting to ${location}`,
      );
    }
    return fail(404, null, 'Not Found');
  }

  private commitOf(repo: Repo, revision: string): Commit | undefined {
    return repo.commits.get(repo.branches.get(revision) ?? revision);
  }

  private modelInfo(repo: Repo, commit: Commit, blobs: boolean): Record<string, unknown> {
    const o = repo.options;
    const hasGguf = [...commit.files.keys()].some((f) => f.endsWith('.gguf'));
    return {
      _id: createHash('md5').update(o.id).digest('hex').slice(0, 24),
      id: o.id,
      modelId: o.id,
      author: o.id.split('/')[0],
      sha: commit.sha,
      lastModified: commit.date,
      private: false,
      disabled: false,
      gated: o.gated ?? false,
      downloads: o.downloads ?? 0,
      likes: o.likes ?? 0,
      library_name: hasGguf ? 'gguf' : null,
      tags: [...(hasGguf ? ['gguf'] : []), ...(o.tags ?? []), ...(o.licence ? [`license:${o.licence}`] : [])],
      cardData: o.licence ? { license: o.licence } : {},
      siblings: [...commit.files.values()].map((f) =>
        blobs
          ? { rfilename: f.path, size: f.size, blobId: f.oid, ...(f.lfs ? { lfs: { sha256: f.sha256, size: f.size, pointerSize: 134 } } : {}) }
          : { rfilename: f.path },
      ),
    };
  }

  /** GET /api/models: search in ids, `filter` as a tag, sort by a numeric field, paged by cursor. */
  private search(url: URL, json: (value: unknown, headers?: Record<string, string>) => void): void {
    const q = url.searchParams;
    const search = (q.get('search') ?? '').toLowerCase();
    const filters = q.getAll('filter');
    const limit = Math.max(1, Math.min(Number(q.get('limit') ?? this.pageSize) || this.pageSize, this.pageSize));
    const sort = q.get('sort') ?? 'downloads';
    const direction = q.get('direction') === '1' ? 1 : -1;
    const offset = Number(Buffer.from(q.get('cursor') ?? '', 'base64url').toString() || '0');
    const all = [...this.repos.values()]
      .map((repo) => this.modelInfo(repo, repo.commits.get(repo.branches.get('main') ?? '') as Commit, false))
      .filter((info) => String(info.id).toLowerCase().includes(search) && filters.every((f) => (info.tags as string[]).includes(f)))
      .sort((a, b) => direction * (Number(a[sort] ?? 0) - Number(b[sort] ?? 0)) || String(a.id).localeCompare(String(b.id)));
    const page = all.slice(offset, offset + limit).map(({ siblings: _s, cardData: _c, ...rest }) => rest);
    const headers: Record<string, string> = {};
    if (offset + limit < all.length) {
      const next = new URL(url);
      next.searchParams.set('cursor', Buffer.from(String(offset + limit)).toString('base64url'));
      headers.link = `<${next.href}>; rel="next"`;
    }
    json(page, headers);
  }

  /** GET /api/models/{repo}/tree/{rev}[/{path}]: one folder (or everything under it), paged. */
  private tree(
    url: URL,
    commit: Commit,
    folder: string,
    json: (value: unknown, headers?: Record<string, string>) => void,
    fail: (s: number, c: string | null, m: string) => void,
  ): void {
    const recursive = url.searchParams.get('recursive') === 'true' || url.searchParams.get('recursive') === 'True';
    const prefix = folder ? `${folder.replace(/\/$/, '')}/` : '';
    const entries = new Map<string, Record<string, unknown>>();
    for (const file of commit.files.values()) {
      if (!file.path.startsWith(prefix)) continue;
      const rest = file.path.slice(prefix.length).split('/');
      if (recursive || rest.length === 1) {
        // Folders on the way are listed too, as the Hub does.
        for (let i = 1; i < rest.length; i++) {
          const dir = prefix + rest.slice(0, i).join('/');
          entries.set(dir, { type: 'directory', oid: createHash('sha1').update(dir).digest('hex'), size: 0, path: dir });
        }
        entries.set(file.path, treeItem(file));
      } else {
        const dir = prefix + rest[0];
        entries.set(dir, { type: 'directory', oid: createHash('sha1').update(dir).digest('hex'), size: 0, path: dir });
      }
    }
    if (folder && entries.size === 0) return fail(404, 'EntryNotFound', `Entry not found: ${folder}`);
    const all = [...entries.values()].sort((a, b) => String(a.path).localeCompare(String(b.path)));
    const offset = Number(Buffer.from(url.searchParams.get('cursor') ?? '', 'base64url').toString() || '0');
    const headers: Record<string, string> = {};
    if (offset + this.pageSize < all.length) {
      const next = new URL(url);
      next.searchParams.set('cursor', Buffer.from(String(offset + this.pageSize)).toString('base64url'));
      headers.link = `<${next.href}>; rel="next"`;
    }
    json(all.slice(offset, offset + this.pageSize), headers);
  }

  // ---------------------------------------------------------------------------------------------
  // The CDN listener

  private async onCdn(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const entry = logEntry(req);
    this.cdnRequests.push(entry);
    const url = new URL(req.url ?? '/', this.cdnOrigin);
    if (this.faults.cdnForbidden > 0) {
      this.faults.cdnForbidden--;
      entry.status = 403;
      const body = '<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>';
      res
        .writeHead(403, { 'content-type': 'application/xml', 'content-length': String(Buffer.byteLength(body)) })
        .end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    if (url.pathname.startsWith('/loop/')) {
      entry.status = 302;
      res.writeHead(302, { location: `${this.endpoint}${url.pathname.slice('/loop'.length)}`, 'content-length': '0' }).end();
      return;
    }
    const sha = /^\/blobs\/([0-9a-f]{64})$/.exec(url.pathname)?.[1];
    const file = sha ? this.findBlob(sha) : undefined;
    if (!file) {
      entry.status = 404;
      res.writeHead(404, { 'content-length': '0' }).end();
      return;
    }
    const headers: Record<string, string> = {
      'accept-ranges': 'bytes',
      etag: `"${file.sha256}"`,
      'content-type': 'application/octet-stream',
      'last-modified': new Date(Date.UTC(2026, 0, 1)).toUTCString(),
    };
    let start = 0;
    let end = file.size - 1;
    let status = 200;
    const ifRange = req.headers['if-range'];
    const rangeApplies =
      entry.range !== null && !this.faults.ignoreRange && (ifRange === undefined || ifRange === headers.etag || ifRange === headers['last-modified']);
    if (rangeApplies && entry.range) {
      const m = /^bytes=(\d+)-(\d*)$/.exec(entry.range.trim());
      start = m ? Number(m[1]) : file.size;
      end = m?.[2] ? Math.min(Number(m[2]), file.size - 1) : file.size - 1;
      if (!m || start >= file.size || start > end) {
        entry.status = 416;
        res.writeHead(416, { ...headers, 'content-range': `bytes */${file.size}`, 'content-length': '0' }).end();
        return;
      }
      status = 206;
      headers['content-range'] = `bytes ${start}-${end}/${file.size}`;
    }
    headers['content-length'] = String(end - start + 1);
    entry.status = status;
    res.writeHead(status, headers);
    if (req.method === 'HEAD') return void res.end();
    await this.sendBody(file, start, end, res, entry);
  }

  private findBlob(sha256: string): StoredFile | undefined {
    for (const repo of this.repos.values())
      for (const commit of repo.commits.values()) for (const f of commit.files.values()) if (f.sha256 === sha256) return f;
    return undefined;
  }

  private async sendBody(file: StoredFile, start: number, end: number, res: http.ServerResponse, entry: HubRequest): Promise<void> {
    const cutAfter = this.faults.cutAfterBytes;
    this.faults.cutAfterBytes = null;
    const fh = typeof file.content === 'string' ? await open(file.content, 'r') : null;
    const began = Date.now();
    try {
      let position = start;
      while (position <= end) {
        if (res.destroyed) return;
        const bps = this.faults.throttleBytesPerSecond;
        let length = Math.min(bps ? Math.max(1024, Math.min(CHUNK, Math.floor(bps / 50))) : CHUNK, end - position + 1);
        if (cutAfter !== null) length = Math.min(length, cutAfter - entry.bytesSent);
        if (length <= 0) break;
        let chunk: Buffer;
        if (fh) {
          chunk = Buffer.alloc(length);
          const { bytesRead } = await fh.read(chunk, 0, length, position);
          chunk = chunk.subarray(0, bytesRead);
        } else chunk = Buffer.from((file.content as Buffer).subarray(position, position + length));
        if (chunk.byteLength === 0) break;
        const wrongFrom = this.faults.wrongBytesFrom;
        if (wrongFrom !== null) for (let i = Math.max(0, wrongFrom - position); i < chunk.byteLength; i++) chunk[i] = (chunk[i] ?? 0) ^ 0xff;
        const ok = res.write(chunk);
        entry.bytesSent += chunk.byteLength;
        position += chunk.byteLength;
        if (!ok) await drained(res);
        if (bps) {
          const wait = began + (entry.bytesSent / bps) * 1000 - Date.now();
          if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        }
      }
      if (cutAfter !== null && position <= end) {
        // What was written reaches the client, then the connection drops like a network cut.
        await new Promise<void>((resolve) => res.write('', () => resolve()));
        res.socket?.destroy();
        return;
      }
      res.end();
    } finally {
      await fh?.close();
    }
  }
}
