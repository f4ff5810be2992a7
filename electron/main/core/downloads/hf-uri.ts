/**
 * `hf:` model URIs, the short form Mai's catalog uses for Hugging Face files:
 *   hf:<owner>/<repo>/<path/to/file>#<revision>   (revision optional, default "main")
 * resolve to the Hub's download endpoint
 *   https://huggingface.co/<owner>/<repo>/resolve/<revision>/<path/to/file>
 * which redirects to the CDN. Hub downloads pin <revision> to a commit and go through the Hub's
 * fetch (core/hub/hub-fetch.ts), which follows that redirect itself so the token stays on the Hub.
 */
import { DownloadFailure } from './errors';

export const DEFAULT_HUGGING_FACE_BASE_URL = 'https://huggingface.co';

export interface HuggingFaceFileRef {
  owner: string;
  repo: string;
  /** Path inside the repository; may contain folders. */
  file: string;
  revision: string;
}

function invalid(uri: string, why: string): DownloadFailure {
  return new DownloadFailure('invalid-request', `"${uri}" is not a valid model address: ${why}.`);
}

/** Parses `hf:owner/repo/file#revision`; throws a DownloadFailure ('invalid-request') with a sentence. */
export function parseHuggingFaceUri(uri: string): HuggingFaceFileRef {
  if (!uri.startsWith('hf:')) throw invalid(uri, 'it does not start with "hf:"');
  const body = uri.slice('hf:'.length).replace(/^\/\//, ''); // tolerate hf://owner/...
  const hash = body.indexOf('#');
  const pathPart = hash === -1 ? body : body.slice(0, hash);
  const revision = hash === -1 ? 'main' : body.slice(hash + 1);
  const segments = pathPart.split('/');
  if (segments.length < 3) throw invalid(uri, 'expected hf:<owner>/<repo>/<file>');
  // Empty, "." and ".." segments would let a catalog entry point outside the repository's files.
  if (segments.some((s) => s === '' || s === '.' || s === '..')) throw invalid(uri, 'it has an empty or relative path segment');
  if (revision === '' || /[\s]/.test(revision)) throw invalid(uri, 'the revision after "#" is empty or has spaces');
  const [owner, repo, ...file] = segments as [string, string, ...string[]];
  return { owner, repo, file: file.join('/'), revision };
}

/** The Hub download URL of a file reference (pure; `baseUrl` lets tests use a local server). */
export function huggingFaceResolveUrl(ref: HuggingFaceFileRef, baseUrl = DEFAULT_HUGGING_FACE_BASE_URL): string {
  const base = baseUrl.replace(/\/+$/, '');
  const file = ref.file.split('/').map(encodeURIComponent).join('/');
  // Like huggingface_hub, the revision is one path segment: "refs/pr/1" becomes "refs%2Fpr%2F1".
  return `${base}/${encodeURIComponent(ref.owner)}/${encodeURIComponent(ref.repo)}/resolve/${encodeURIComponent(ref.revision)}/${file}`;
}

/**
 * The http(s) URL to fetch for what a caller passed: `hf:` URIs are resolved, http(s) URLs pass
 * through (normalised), anything else is refused with a sentence.
 */
export function resolveModelUrl(source: string, baseUrl = DEFAULT_HUGGING_FACE_BASE_URL): string {
  const trimmed = source.trim();
  if (trimmed.startsWith('hf:')) return huggingFaceResolveUrl(parseHuggingFaceUri(trimmed), baseUrl);
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    throw invalid(source, 'it is neither an http(s) URL nor an hf: URI');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw invalid(source, `the scheme ${url.protocol} is not supported`);
  return url.href;
}
