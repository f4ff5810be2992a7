/**
 * The user's settings: read at start (a damaged file set aside and said), changed through
 * `settings:update`, and what other services keep in them (the models used last, the models that
 * crashed the engine while loading, the imported files). Emits `didChange` after every change.
 */
import type { AppEvents, AppHandlers } from '../../../shared/contract';
import { Emitter } from '../../../shared/emitter';
import { MaiError } from '../../../shared/errors';
import type { ManagerSettingsData } from '../../../shared/resource';
import { appSettingsSchema, defaultAppSettings, managerSettingsFrom, type AppSettings } from '../../../shared/settings';
import { SettingsStore } from './store/settings-store';

export type SettingsServiceEvents = Pick<AppEvents, 'onNotice'> & {
  /** The settings after a `settings:update`, once what it sets in motion is done. */
  didChange: AppSettings;
};

export interface SettingsServiceOptions {
  /** The settings file; null = defaults, not persisted (and `settings:update` refused). */
  file: string | null;
  /** Scaling settings that override the file's (tests, benchmarks). */
  manager?: ManagerSettingsData;
  /** Upper bound on tokens in one reply that overrides the file's `maxReplyTokens`. */
  maxTokens?: number;
  /**
   * What a change sets in motion before the caller gets its answer (the ladder rebuilt around the
   * model in use, the reply cap); a failure here fails the update.
   */
  apply: (settings: AppSettings) => Promise<void>;
}

/** Settings the engine and the replies never read: changing them needs no ladder rebuild. */
const WINDOW_ONLY_SETTINGS: ReadonlySet<keyof AppSettings> = new Set<keyof AppSettings>([
  'closeToTray',
  'silentSwitching',
  'notifyUpgrades',
  'firstModelCardDismissed',
]);

export class SettingsService extends Emitter<SettingsServiceEvents> {
  private readonly store: SettingsStore<typeof appSettingsSchema> | null;

  constructor(private readonly options: SettingsServiceOptions) {
    super();
    this.store = options.file ? new SettingsStore(options.file, appSettingsSchema, defaultAppSettings) : null;
  }

  readonly handlers: AppHandlers<'settings:get' | 'settings:update'> = {
    'settings:get': () => this.value,
    'settings:update': ({ patch }) => this.update(patch as Partial<AppSettings>),
  };

  /** The settings in force (the defaults where they are not saved). */
  get value(): AppSettings {
    return this.store?.value ?? defaultAppSettings;
  }

  /** Whether settings are kept in a file (imports and pins need it). */
  get persisted(): boolean {
    return this.store !== null;
  }

  /** Changes some settings (refused with a sentence naming the field and range), applies them, then emits `didChange`. */
  async update(patch: Partial<AppSettings>): Promise<AppSettings> {
    if (!this.store) throw new MaiError('bad-request', 'Settings are not saved in this mode.');
    const next = await this.store.update(patch);
    // Only what the engine or the replies use is applied (a ladder rebuild waits for a reply in
    // progress); a window preference answers at once.
    if (Object.keys(patch).some((key) => !WINDOW_ONLY_SETTINGS.has(key as keyof AppSettings))) await this.options.apply(next);
    this.emit('didChange', next);
    return next;
  }

  /** What the engine's ModelManager is configured with: the override, else the settings' own. */
  managerSettings(settings: AppSettings = this.value): ManagerSettingsData {
    return this.options.manager ?? managerSettingsFrom(settings);
  }

  /** Upper bound on tokens in one reply. */
  replyTokens(settings: AppSettings = this.value): number {
    return this.options.maxTokens ?? settings.maxReplyTokens;
  }

  /** Reads the file; a damaged one is set aside and said (`onNotice`), the defaults are used. */
  async load(): Promise<AppSettings> {
    if (!this.store) return this.value;
    const loaded = await this.store.load();
    if (loaded.quarantined) {
      this.emit('onNotice', {
        level: 'warn',
        message: `The settings file was damaged (${loaded.quarantined.reason}); it was moved to ${loaded.quarantined.movedTo} and the defaults are in use.`,
      });
    }
    if (loaded.reset) this.emit('onNotice', { level: 'warn', message: loaded.reset.message });
    return loaded.value;
  }

  /** Remembers the model in use and when (the models page shows each model's last use). */
  async rememberModel(modelPath: string, now = Date.now()): Promise<void> {
    if (!this.store) return;
    await this.store.update({ lastModelPath: modelPath, modelUsage: { ...this.value.modelUsage, [modelPath]: now } });
  }

  /** Models that crashed the engine while loading, kept across restarts of Mai (ModelController's `crashed`). */
  readonly crashedModels = {
    list: (): readonly string[] => this.value.crashedModelPaths,
    add: (modelPath: string): void =>
      void this.store?.update({ crashedModelPaths: [...new Set([...this.value.crashedModelPaths, modelPath])] }).catch(() => {}),
    remove: (modelPath: string): void =>
      void this.store?.update({ crashedModelPaths: this.value.crashedModelPaths.filter((c) => c !== modelPath) }).catch(() => {}),
  };

  /** Saves the list of imported model files; null where settings are not saved. */
  get saveImportedPaths(): ((paths: string[]) => Promise<void>) | null {
    const store = this.store;
    return store ? async (paths) => void (await store.update({ importedModelPaths: paths })) : null;
  }
}
