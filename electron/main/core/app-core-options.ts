/** What a host (Electron's main, the web host, a test) gives AppCore, and how it hears app events. */
import type { AppEvent, AppPayload } from '../../../shared/contract';
import type { LogLevel } from '../../../shared/domain';
import type { ManagerSettingsData } from '../../../shared/resource';
import type { DownloadManagerOptions } from './downloads';
import type { EngineHostOptions } from './engine-host';
import type { EngineLauncher } from './engine-launcher';
import type { SecretStore } from './hub';

export type AppEventSink = <E extends AppEvent>(event: E, payload: AppPayload<E>) => void;

export interface AppCoreOptions {
  mode: 'electron' | 'web';
  launcher: EngineLauncher;
  modelsDir: string;
  /** A model file to start with instead of the default pick. */
  initialModelPath?: string;
  /** Upper bound on tokens in one reply. Default 512. */
  maxTokens?: number;
  /** Write the demo models when the models folder has none. Default true. */
  createDemoModels?: boolean;
  engine?: Partial<EngineHostOptions>;
  /** Scaling settings handed to the engine's ModelManager. */
  manager?: ManagerSettingsData;
  /** Folder for per-machine measurements; null keeps nothing. */
  dataDir?: string | null;
  /** The settings file; absent = defaults, not persisted. `manager` and `maxTokens` override it. */
  settingsFile?: string;
  /** Offer the models in LM Studio's and Jan's folders. Default true. */
  discoverOtherApps?: boolean;
  /** Folder of conversation files; absent = conversations are not saved. */
  conversationsDir?: string;
  /** Where a Hub token set in Settings is kept; default a 0600 file in `dataDir` (none without one). */
  hubTokenStore?: SecretStore | null;
  /** Download manager settings besides the folders (retries, stall limit, disk probe); defaults otherwise. */
  downloadOptions?: Pick<DownloadManagerOptions, 'maxRetries' | 'retryBaseDelayMs' | 'stallTimeoutMs' | 'statfs' | 'diskMarginBytes'>;
  /** Environment read for HF_ENDPOINT and HF_TOKEN (and test hooks). Default process.env. */
  env?: NodeJS.ProcessEnv;
  /**
   * The host's file dialog for `models:open-dialog`: resolves to the chosen path, or null when the
   * user closed it. Absent (the browser) = the method is refused with a sentence.
   */
  pickModelFile?: () => Promise<string | null>;
  /** Shows a file in the system's file manager (Electron's `shell.showItemInFolder`); absent in the browser. */
  revealFile?: (file: string) => void;
  log?: (level: LogLevel, message: string) => void;
}
