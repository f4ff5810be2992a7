/**
 * Every HTTP request Mai makes to the Hugging Face Hub goes through `createHubFetch`: it adds the
 * token only on requests to the Hub's own origin, follows redirects by hand (the Hub answers a
 * download with 302 to a CDN on another host, which must never see the token), detects redirect
 * loops, and turns the Hub's error answers (`X-Error-Code`, `X-Error-Message`, 401/403/429) into
 * DownloadFailures with a sentence. The download manager uses it as its `fetchImpl`, so byte
 * requests and API calls share these rules.
 *
 * Error codes and their meaning follow huggingface_hub's `hf_raise_for_status` (utils/_http.py):
 * RepoNotFound, RevisionNotFound, EntryNotFound, GatedRepo; a 401 with "Invalid credentials in
 * Authorization header" is a refused token.
 */
import { DownloadFailure, hostOf, networkFailure, parseRetryAfter } from '../downloads/errors';

/** Redirects followed for one request; the Hub uses one (to the CDN), a renamed repository two. */
export const MAX_REDIRECTS = 10;

export interface HubFetchOptions {
  /** The Hub's origin (HF_ENDPOINT), e.g. https://huggingface.co. */
  endpoint: string;
  /** The token to send, read at each request (it can change in Settings); null = none. */
  token: () => string | null;
  fetchImpl?: typeof fetch;
}

/** Whether `url` is on the Hub's origin (scheme, host and port): only there is the token sent. */
export function isHubUrl(url: string, endpoint: string): boolean {
  try {
    return new URL(url).origin === new URL(endpoint).origin;
  } catch {
    return false;
  }
}

/** A fetch for the Hub: token only to its origin, manual redirects, Hub errors as DownloadFailures. */
export function createHubFetch(options: HubFetchOptions): typeof fetch {
  const fetchImpl = options.fetchImpl ?? ((input, init) => fetch(input, init));
  const hubFetch = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    let url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const original = url;
    let method = (init.method ?? 'GET').toUpperCase();
    let body = init.body;
    // 'manual' from the caller: hand back the 3xx (a HEAD that reads the Hub's headers, not the CDN's).
    const follow = init.redirect !== 'manual';
    const seen = new Set<string>();
    for (let hops = 0; ; hops++) {
      const headers = new Headers(init.headers);
      const token = isHubUrl(url, options.endpoint) ? options.token() : null;
      // Never forward a caller's Authorization either: the token's destination is decided here alone.
      headers.delete('authorization');
      if (token) headers.set('authorization', `Bearer ${token}`);
      let response: Response;
      try {
        response = await fetchImpl(url, { ...init, method, body, headers, redirect: 'manual' });
      } catch (error) {
        // Only the hop to the CDN failed: the sentence names the CDN's host (not the Hub's, which
        // answered) and says what a firewall or proxy must let through.
        if (init.signal?.aborted || hops === 0 || isHubUrl(url, options.endpoint)) throw error;
        throw cdnUnreachable(url, options.endpoint, error);
      }
      const location = response.headers.get('location');
      if (follow && response.status >= 300 && response.status < 400 && location) {
        await response.body?.cancel().catch(() => undefined);
        const next = new URL(location, url).href;
        seen.add(url);
        if (seen.has(next) || hops + 1 > MAX_REDIRECTS) throw redirectLoop(original, hops + 1);
        // 303, and 301/302 after a POST, become a GET without a body (fetch's own rule).
        if (response.status === 303 || ((response.status === 301 || response.status === 302) && method === 'POST')) {
          method = 'GET';
          body = null;
        }
        url = next;
        continue;
      }
      const failure = hubFailure(response, url, options.endpoint, token !== null);
      if (failure) {
        await response.body?.cancel().catch(() => undefined);
        // The sentence quotes the server's X-Error-Message: a server echoing the token must not put it in a log.
        throw token && failure.message.includes(token)
          ? new DownloadFailure(failure.code, failure.message.split(token).join('[token]'), failure.retryable, failure.retryAfterMs)
          : failure;
      }
      return response;
    }
  };
  return hubFetch as typeof fetch;
}

function cdnUnreachable(url: string, endpoint: string, error: unknown): DownloadFailure {
  const failure = networkFailure(url, error);
  return new DownloadFailure(
    'offline',
    `${failure.message.replace(/\.$/, '')}. ${hostOf(endpoint)} answered, but sends the file from ${hostOf(url)}: allow that host too in the firewall or proxy.`,
    true,
  );
}

function redirectLoop(url: string, hops: number): DownloadFailure {
  const what = describeTarget(url);
  return new DownloadFailure(
    'redirect-loop',
    `${hostOf(url)} kept redirecting (${hops} redirects) while Mai fetched ${what.file ?? what.repo ?? 'the file'}; the download was stopped. Try again later.`,
  );
}

/** What a Hub URL is about: the repository, revision and file, as far as its path says. */
export function describeTarget(url: string): { repo: string | null; revision: string | null; file: string | null } {
  let pathname: string;
  try {
    pathname = new URL(url).pathname.split('/').map(decodeURIComponent).join('/');
  } catch {
    return { repo: null, revision: null, file: null };
  }
  const resolve = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(pathname);
  if (resolve) return { repo: resolve[1] ?? null, revision: resolve[2] ?? null, file: resolve[3] ?? null };
  const api = /^\/api\/models\/([^/]+\/[^/]+)(?:\/(?:revision|tree|paths-info)\/([^/]+)(?:\/(.+))?)?$/.exec(pathname);
  if (api) return { repo: api[1] ?? null, revision: api[2] ?? null, file: api[3] ?? null };
  return { repo: null, revision: null, file: null };
}

/**
 * The Hub's error answer as a DownloadFailure with a sentence, or null for answers the caller
 * handles itself (2xx, 206, 416, a 404 without an error code, 5xx: retried by the transfer loop).
 */
export function hubFailure(response: Response, url: string, endpoint: string, sentToken: boolean): DownloadFailure | null {
  const status = response.status;
  if (status < 400 || status === 416) return null;
  const code = response.headers.get('x-error-code');
  const message = response.headers.get('x-error-message') ?? '';
  const host = hostOf(url);
  const { repo, revision, file } = describeTarget(url);
  const page = repo ? `${endpoint.replace(/\/+$/, '')}/${repo}` : endpoint;
  switch (code) {
    case 'RepoNotFound':
      return new DownloadFailure(
        'not-found',
        `The repository${repo ? ` ${repo}` : ''} was not found on ${host}; check its name${sentToken ? '' : ' (a private repository also needs a token that can read it)'}.`,
      );
    case 'RevisionNotFound':
      return new DownloadFailure('not-found', `${repo ?? 'The repository'} has no branch, tag or commit named "${revision ?? '?'}" on ${host}.`);
    case 'EntryNotFound':
      return new DownloadFailure(
        'not-found',
        `${file ?? 'The file'} is not in ${repo ?? 'the repository'}${revision ? ` at ${shortRevision(revision)}` : ''} on ${host}.`,
      );
    case 'GatedRepo':
      return sentToken
        ? new DownloadFailure(
            'gated',
            `Your Hugging Face token has no access to ${repo ?? 'this gated model'} yet: open ${page}, accept its conditions while signed in, then try again.`,
          )
        : new DownloadFailure(
            'gated',
            `${repo ?? 'This model'} is gated: open ${page}, accept its conditions, then set a Hugging Face token in Settings (or HF_TOKEN) and try again.`,
          );
    default:
      break;
  }
  // A 401/403 from the CDN is about its signed URL (expired, or a region it does not serve), never
  // the token, which it does not get: retried, the Hub hands out a fresh URL.
  if ((status === 401 || status === 403) && !isHubUrl(url, endpoint)) {
    return new DownloadFailure(
      'http-error',
      `${host}, the Hub's download server, refused the file (HTTP ${status}); its link may have expired or the region may be blocked.`,
      true,
    );
  }
  if (status === 401 && sentToken)
    return new DownloadFailure(
      'token-refused',
      `${host} refused the Hugging Face token (HTTP 401${message ? `: ${message}` : ''}); set a valid token in Settings or remove it.`,
    );
  if (status === 401 || status === 403) {
    return new DownloadFailure(
      'token-refused',
      sentToken
        ? `${host} refused access with this Hugging Face token (HTTP ${status}${message ? `: ${message}` : ''}); check what the token may read.`
        : `${host} wants a sign-in for ${repo ?? 'this'} (HTTP ${status}); set a Hugging Face token in Settings (or HF_TOKEN) and try again.`,
    );
  }
  if (status === 429) {
    return new DownloadFailure(
      'rate-limited',
      `${host} is limiting requests (HTTP 429 Too Many Requests).`,
      true,
      parseRetryAfter(response.headers.get('retry-after')),
    );
  }
  if (status === 404 && isHubUrl(url, endpoint) && repo) {
    return new DownloadFailure('not-found', `${file ?? repo} was not found on ${host} (HTTP 404).`);
  }
  return null;
}

function shortRevision(revision: string): string {
  return /^[0-9a-f]{40}$/.test(revision) ? `commit ${revision.slice(0, 10)}` : `"${revision}"`;
}
