/**
 * The Hugging Face Hub for main's core: where it is (HF_ENDPOINT, default https://huggingface.co),
 * the token (Settings, else HF_TOKEN), the fetch every Hub request goes through, the API client and
 * the service behind the `hub:*` methods. No Electron here: the web host uses it as is, and the
 * Electron host only brings its safeStorage-backed SecretStore.
 */
import path from 'node:path';
import { DEFAULT_HUGGING_FACE_BASE_URL } from '../downloads';
import { createHubFetch } from './hub-fetch';
import { HubClient } from './hub-client';
import { FileSecretStore, HubToken, type SecretStore } from './token-store';

export { HubService, hubDownloadId, toMaiError } from './hub-service';
export { HubClient } from './hub-client';
export { createHubFetch, isHubUrl } from './hub-fetch';
export { FileSecretStore, HubToken, writePrivateFile, type SecretStore } from './token-store';
export { readProvenance, removeProvenance, PROVENANCE_DIR } from './provenance';
export { splitPart, splitPartName } from './gguf-files';

/**
 * The Hub's origin from HF_ENDPOINT (as huggingface_hub reads it, trailing slashes dropped); a value
 * that is not an http(s) URL is reported through `warn` and the default is used.
 */
export function hubEndpointFrom(env: NodeJS.ProcessEnv, warn: (message: string) => void): string {
  const raw = env.HF_ENDPOINT?.trim();
  if (!raw) return DEFAULT_HUGGING_FACE_BASE_URL;
  try {
    const url = new URL(raw);
    if (url.protocol === 'https:' || url.protocol === 'http:') return url.href.replace(/\/+$/, '');
  } catch {
    // reported below
  }
  warn(`HF_ENDPOINT="${raw}" is not an http(s) address; ${DEFAULT_HUGGING_FACE_BASE_URL} is used.`);
  return DEFAULT_HUGGING_FACE_BASE_URL;
}

/** The host's token store when it gave one (null: none), else a 0600 file `dataDir/hub-token`; none without a data folder. */
export function hubTokenStoreFor(options: { hubTokenStore?: SecretStore | null; dataDir?: string | null }): SecretStore | null {
  if (options.hubTokenStore !== undefined) return options.hubTokenStore;
  return options.dataDir ? new FileSecretStore(path.join(options.dataDir, 'hub-token')) : null;
}

/** What the core needs to talk to the Hub. */
export interface HubStack {
  endpoint: string;
  token: HubToken;
  /** For the download manager: token only to the Hub's origin, manual redirects, Hub errors. */
  fetch: typeof fetch;
  client: HubClient;
}

export function createHubStack(options: { endpoint: string; envToken: string | null; store: SecretStore | null; fetchImpl?: typeof fetch }): HubStack {
  const token = new HubToken(options.store, options.envToken, options.endpoint);
  const hubFetch = createHubFetch({ endpoint: options.endpoint, token: () => token.value, ...(options.fetchImpl ? { fetchImpl: options.fetchImpl } : {}) });
  return { endpoint: options.endpoint, token, fetch: hubFetch, client: new HubClient({ endpoint: options.endpoint, fetch: hubFetch }) };
}
