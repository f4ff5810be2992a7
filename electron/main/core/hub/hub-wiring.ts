/**
 * The Hub's part of AppCore: the endpoint (a test catalog's, else HF_ENDPOINT), the token (Settings'
 * store, else HF_TOKEN), the download manager whose every byte goes through the Hub's fetch, and the
 * HubService behind `hub:*`. AppCore only joins the result to the catalog and the windows.
 */
import path from 'node:path';
import type { AppCoreOptions } from '../app-core-options';
import type { TestCatalog } from '../catalog/test-catalog';
import { DownloadManager } from '../downloads';
import type { ModelLibrary } from '../model-library';
import { createHubStack, hubEndpointFrom, type HubStack } from './index';
import { HubService, type HubServiceDeps } from './hub-service';
import { FileSecretStore } from './token-store';

/** What `createHubServices` builds. */
export interface HubServices {
  stack: HubStack;
  /** Null without a data folder (nowhere to keep the downloads' state). */
  downloads: DownloadManager | null;
  hub: HubService;
}

/** Builds the Hub's services for `options` (see the file comment). */
export function createHubServices(
  options: AppCoreOptions,
  deps: {
    env: NodeJS.ProcessEnv;
    testCatalog: TestCatalog | null;
    library: ModelLibrary;
    fit: HubServiceDeps['fit'];
    log: (level: 'warn', message: string) => void;
  },
): HubServices {
  const warn = (message: string) => deps.log('warn', message);
  const endpoint = deps.testCatalog?.huggingFaceBaseUrl ?? hubEndpointFrom(deps.env, warn);
  const tokenFile = options.dataDir ? new FileSecretStore(path.join(options.dataDir, 'hub-token')) : null;
  const stack = createHubStack({
    endpoint,
    envToken: deps.env.HF_TOKEN?.trim() || null,
    store: options.hubTokenStore !== undefined ? options.hubTokenStore : tokenFile,
  });
  let hub: HubService | null = null;
  const downloads = options.dataDir
    ? new DownloadManager({
        modelsDir: options.modelsDir,
        stateFile: path.join(options.dataDir, 'downloads.json'),
        huggingFaceBaseUrl: endpoint,
        fetchImpl: stack.fetch,
        afterVerified: (info, meta) => hub!.recordProvenance(info, meta),
        log: warn,
        ...options.downloadOptions,
      })
    : null;
  hub = new HubService({
    client: stack.client,
    token: stack.token,
    downloads,
    modelsDir: options.modelsDir,
    fit: deps.fit,
    installedNames: async () => new Set((await deps.library.list()).map((m) => m.fileName.toLowerCase())),
    log: warn,
  });
  return { stack, downloads, hub };
}
