/**
 * Main's core, free of Electron: the engine supervisor, the model in use, the conversation, and
 * the handlers of the window.mai contract. electron/main/electron and the web host both serve it.
 */
import type { AppEvent, AppPayload, AppContract, AppState } from '../../../shared/contract';
import type { LoadedModel, LogLevel, ModelEntry } from '../../../shared/domain';
import type { DecisionData, ManagerSettingsData, ResourceSnapshot } from '../../../shared/resource';
import { appSettingsSchema, defaultAppSettings, managerSettingsFrom, type AppSettings } from '../../../shared/settings';
import path from 'node:path';
import { CatalogService } from './catalog/catalog-service';
import { CATALOG } from './catalog/catalog-data';
import { bridgeDownloads, toDownloadData } from './catalog/downloads-bridge';
import { ModelFiles } from './catalog/model-files';
import { testCatalogFromEnv, withTestCatalog } from './catalog/test-catalog';
import { ConversationService } from './conversations';
import { DownloadManager, type DownloadManagerOptions } from './downloads';
import { ConversationStore } from './store/conversation-store';
import { SettingsStore } from './store/settings-store';
import { SuggestionEngine } from './suggestions';
import { MaiError } from '../../../shared/errors';
import type { Handlers } from '../../../shared/rpc';
import { ChatService } from './chat-service';
import { EngineHost, type EngineHostOptions } from './engine-host';
import type { EngineLauncher } from './engine-launcher';
import { ModelController } from './model-controller';
import { ModelLibrary } from './model-library';
import { createHubStack, FileSecretStore, hubEndpointFrom, HubService, type HubStack, type SecretStore } from './hub';

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
  log?: (level: LogLevel, message: string) => void;
}

export class AppCore {
  readonly engine: EngineHost;
  readonly models: ModelController;
  readonly chat: ChatService;
  readonly conversations: ConversationService;
  readonly suggestions: SuggestionEngine;
  readonly catalog: CatalogService;
  readonly downloads: DownloadManager | null;
  readonly files: ModelFiles;
  readonly hub: HubService;
  readonly hubStack: HubStack;
  readonly handlers: Handlers<AppContract>;
  private readonly sinks = new Set<AppEventSink>();
  private readonly log: (level: LogLevel, message: string) => void;
  private lastSnapshot: ResourceSnapshot | null = null;
  private readonly decisions: DecisionData[] = [];
  private scalingPaused = false;
  private prepared: Promise<void> | null = null;
  private readonly startupNotices: AppPayload<'onNotice'>[] = [];
  private holdingNotices = false;
  private readonly settingsStore: SettingsStore<typeof appSettingsSchema> | null;

  constructor(private readonly options: AppCoreOptions) {
    this.settingsStore = options.settingsFile ? new SettingsStore(options.settingsFile, appSettingsSchema, defaultAppSettings) : null;
    this.log = options.log ?? ((level, message) => console[level === 'debug' ? 'log' : level](`[mai] ${message}`));
    this.engine = new EngineHost(options.launcher, options.engine);
    this.models = new ModelController(
      this.engine,
      new ModelLibrary(options.modelsDir, {
        importedPaths: () => this.settings.importedModelPaths,
        lastUsed: () => this.settings.modelUsage,
        otherApps: options.discoverOtherApps ?? true,
      }),
      (model: LoadedModel | null) => {
        this.broadcast('onModelChanged', { model });
        if (model && this.settingsStore) {
          const usage = { ...this.settingsStore.value.modelUsage, [model.path]: Date.now() };
          // The list carries each model's last use: the models page shows it.
          this.settingsStore.update({ lastModelPath: model.path, modelUsage: usage }).then(
            () => this.publishModels(),
            (error: Error) => this.log('warn', `could not remember the model: ${error.message}`),
          );
        }
      },
      {
        initialPath: options.initialModelPath ?? null,
        settings: options.manager ?? {},
        dataDir: options.dataDir ?? null,
        crashed: {
          list: () => this.settings.crashedModelPaths,
          add: (p) => void this.settingsStore?.update({ crashedModelPaths: [...new Set([...this.settings.crashedModelPaths, p])] }).catch(() => {}),
          remove: (p) => void this.settingsStore?.update({ crashedModelPaths: this.settings.crashedModelPaths.filter((c) => c !== p) }).catch(() => {}),
        },
        notify: (level, message) => this.broadcast('onNotice', { level, message }),
      },
    );
    this.scalingPaused = options.manager?.autoScaling === false;
    const conversationStore = options.conversationsDir ? new ConversationStore(options.conversationsDir) : null;
    this.chat = new ChatService(this.engine, this.models, (event, payload) => {
      this.broadcast(event, payload as never);
      // A reply ended: a ladder rebuild put off while it ran happens now.
      if (event === 'onChatMessage' && !this.chat.generating) void this.files.idle();
    }, {
      ...(options.maxTokens !== undefined ? { maxTokens: options.maxTokens } : {}),
      ...(conversationStore ? { persistence: ConversationService.persistenceFor(conversationStore) } : {}),
    });
    this.conversations = new ConversationService(conversationStore, this.chat, (event, payload) => this.broadcast(event, payload as never));
    this.suggestions = new SuggestionEngine({
      publish: (list) => this.broadcast('onSuggestions', list),
      updateSettings: async (patch) => this.handlers['settings:update']({ patch }),
      unloadModel: async () => {
        await this.engine.call('model:unload', {});
        await this.models.forgetLoaded();
      },
      settings: () => this.settings,
      model: () => this.models.current,
    });
    const env = options.env ?? process.env;
    const testCatalog = testCatalogFromEnv(env, (message) => this.log('warn', message));
    const endpoint = testCatalog?.huggingFaceBaseUrl ?? hubEndpointFrom(env, (message) => this.log('warn', message));
    this.hubStack = createHubStack({
      endpoint,
      envToken: env.HF_TOKEN?.trim() || null,
      store: options.hubTokenStore !== undefined ? options.hubTokenStore : options.dataDir ? new FileSecretStore(path.join(options.dataDir, 'hub-token')) : null,
    });
    this.downloads = options.dataDir
      ? new DownloadManager({
          modelsDir: options.modelsDir,
          stateFile: path.join(options.dataDir, 'downloads.json'),
          huggingFaceBaseUrl: endpoint,
          fetchImpl: this.hubStack.fetch,
          afterVerified: (info, meta) => this.hub.recordProvenance(info, meta),
          ...options.downloadOptions,
        })
      : null;
    if (this.downloads) bridgeDownloads(this.downloads, (data) => this.broadcast('onDownload', data), () => void this.publishModels());
    this.files = new ModelFiles({
      modelsDir: options.modelsDir,
      library: this.models.library,
      inspect: (p) => this.engine.call('model:inspect', { path: p }),
      currentPath: () => this.models.current?.path ?? null,
      importedPaths: () => this.settings.importedModelPaths,
      saveImportedPaths: this.settingsStore ? async (paths) => void (await this.settingsStore?.update({ importedModelPaths: paths })) : null,
      publish: (list) => this.broadcast('onModels', list),
      rebuildLadder: () => this.models.applySettings(this.managerSettings(this.settings)),
      replying: () => this.chat.generating,
      ...(options.pickModelFile ? { pickModelFile: options.pickModelFile } : {}),
      log: (message) => this.log('warn', message),
    });
    this.catalog = new CatalogService({
      ...(testCatalog ? { entries: withTestCatalog(CATALOG, testCatalog) } : {}),
      downloads: this.downloads,
      snapshot: () => this.lastSnapshot,
      ladder: () => this.models.ladder,
      models: () => this.models.library.list(),
      contextSize: () => this.settings.contextSize,
      hubDownload: (request) => this.hub.download(request),
    });
    this.hub = new HubService({
      client: this.hubStack.client,
      token: this.hubStack.token,
      downloads: this.downloads,
      modelsDir: options.modelsDir,
      fit: (size, architecture, context) => this.catalog.fitFor(size, architecture, context),
      installedNames: async () => new Set((await this.models.library.list()).map((m) => m.fileName.toLowerCase())),
      log: (message) => this.log('warn', message),
    });
    this.engine.on('status', (status) => this.broadcast('onEngineStatus', status));
    this.engine.on('log', ({ level, message }) => this.log(level, `engine: ${message}`));
    this.engine.on('down', ({ detail, willRestart }) => {
      this.log('warn', detail);
      this.broadcast('onNotice', { level: willRestart ? 'warn' : 'error', message: willRestart ? `${detail} Restarting it…` : detail });
    });
    this.engine.onEngine('scaler:sample', (snapshot) => {
      this.lastSnapshot = snapshot;
      this.suggestions.observe(snapshot);
      this.broadcast('onResourceSample', snapshot);
    });
    this.engine.onEngine('scaler:decision', (decision) => {
      this.decisions.push(decision);
      if (this.decisions.length > 200) this.decisions.splice(0, this.decisions.length - 200);
      this.broadcast('onScalerDecision', decision);
    });
    // The window shows capability changes itself (louder for a step down, silent when the user
    // asked); the tray turns them into native notifications. No duplicate plain notice.
    this.engine.onEngine('model:capability', (change) => {
      this.broadcast('onCapabilityChanged', { ...change, at: Date.now() });
      this.log('info', `${change.what} Why: ${change.why}.`);
    });
    this.engine.onEngine('engine:notice', (notice) => this.broadcast('onNotice', notice));
    this.handlers = {
      'app:get-state': async () => {
        // Everything that waits comes first: the rest is read in one synchronous step, so no event
        // broadcast while the models folder is listed (the engine becoming ready, a model loaded)
        // can be overwritten in the window by an older value carried in this answer.
        await this.prepare();
        const models = await this.models.library.list();
        return this.stateSnapshot(models);
      },
      'scaler:pause': async ({ paused }) => {
        await this.models.setPaused(paused);
        this.scalingPaused = paused;
        return { paused };
      },
      'chat:send': ({ text }) => this.chat.send(text),
      'chat:stop': async () => ({ stopped: await this.chat.stop() }),
      'chat:new': () => this.conversations.create(),
      'chat:regenerate': () => this.chat.regenerate(),
      'chat:set-system-prompt': ({ systemPrompt }) => this.chat.setSystemPrompt(systemPrompt),
      'conversations:list': () => this.conversations.list(),
      'conversations:open': ({ id }) => this.conversations.open(id),
      'conversations:rename': ({ id, title }) => this.conversations.rename(id, title),
      'conversations:delete': ({ id }) => this.conversations.delete(id),
      'conversations:search': ({ query }) => this.conversations.search(query),
      'suggestions:apply': ({ id }) => this.suggestions.apply(id),
      'catalog:list': () => this.catalog.list(),
      'models:import': (params) => this.files.import(params.path),
      'models:remove': (params) => this.files.remove(params.path),
      'models:open-dialog': () => this.files.pick(),
      'downloads:list': () => (this.downloads?.list() ?? []).map((info) => toDownloadData(info)),
      'downloads:start': async ({ catalogId }) => toDownloadData(await this.catalog.start(catalogId)),
      'downloads:pause': async ({ id }) => toDownloadData(await this.requireDownloads().pause(id)),
      'downloads:resume': async ({ id }) => toDownloadData(await this.requireDownloads().resume(id)),
      'downloads:cancel': async ({ id }) => toDownloadData(await this.requireDownloads().cancel(id)),
      'hub:search': ({ query, cursor }) => this.hub.search(query, cursor),
      'hub:repo': ({ repo }) => this.hub.repo(repo),
      'hub:download': async (params) => toDownloadData(await this.hub.download(params)),
      'hub:token-status': async () => {
        await this.hubStack.token.load();
        return this.hub.tokenStatus();
      },
      'hub:set-token': ({ token }) => this.hub.setToken(token),
      'models:verify': ({ path: modelPath }) => this.hub.verify(modelPath),
      'engine:restart': async () => {
        await this.engine.restart();
        return this.engine.status;
      },
      'models:list': () => this.models.library.list(),
      'models:select': ({ path }) => this.models.select(path),
      'settings:get': () => this.settings,
      'settings:update': async ({ patch }) => {
        if (!this.settingsStore) throw new MaiError('bad-request', 'Settings are not saved in this mode.');
        const next = await this.settingsStore.update(patch as Partial<AppSettings>);
        await this.models.applySettings(this.managerSettings(next));
        this.chat.setMaxTokens(this.options.maxTokens ?? next.maxReplyTokens);
        return next;
      },
    };
  }

  /** Adds a receiver of events (a window, a WebSocket); returns a function that removes it. */
  subscribe(sink: AppEventSink): () => void {
    this.sinks.add(sink);
    return () => this.sinks.delete(sink);
  }

  broadcast<E extends AppEvent>(event: E, payload: AppPayload<E>): void {
    // Notices said while preparing (a damaged settings file, the demo models) come before any window
    // has its listeners: they wait for the first `app:get-state`.
    if (event === 'onNotice' && this.holdingNotices) {
      if (this.startupNotices.length < 50) this.startupNotices.push(payload as AppPayload<'onNotice'>);
      return;
    }
    for (const sink of this.sinks) {
      try {
        sink(event, payload);
      } catch (error) {
        this.log('warn', `event ${event} could not be delivered: ${(error as Error).message}`);
      }
    }
  }

  /** The whole state the window starts from, read in one synchronous step. */
  private stateSnapshot(models: ModelEntry[]): AppState {
    return {
      mode: this.options.mode,
      engine: this.engine.status,
      model: this.models.current,
      models,
      conversation: this.chat.current,
      generating: this.chat.generating,
      resource: this.lastSnapshot,
      decisions: [...this.decisions],
      ladder: this.models.ladder,
      tier: this.models.tier,
      scalingPaused: this.scalingPaused,
      conversations: this.conversations.list(),
      suggestions: this.suggestions.current,
      startupNotices: this.startupNotices.splice(0),
    };
  }

  private requireDownloads(): DownloadManager {
    if (!this.downloads) throw new MaiError('bad-request', 'Downloads are not available in this mode.');
    return this.downloads;
  }

  /** The list changed: tell the windows, and rebuild the ladder when the set of files changed. */
  private async publishModels(): Promise<void> {
    await this.files.changed().catch((error: Error) => this.log('warn', `the model list could not be published: ${error.message}`));
  }

  get settings(): AppSettings {
    return this.settingsStore?.value ?? defaultAppSettings;
  }

  private managerSettings(settings: AppSettings): ManagerSettingsData {
    return this.options.manager ?? managerSettingsFrom(settings);
  }

  /**
   * Everything a window needs before it can be shown the state: settings, demo models on a first
   * start, conversations, unfinished downloads. Hosts call it before they accept a window, so the
   * first `app:get-state` never answers with defaults that are about to change. Runs once.
   */
  prepare(): Promise<void> {
    this.prepared ??= this.doPrepare();
    return this.prepared;
  }

  /** Prepares (if the host has not), starts the engine and loads the first model. */
  async start(): Promise<void> {
    await this.prepare();
    await this.engine.start();
    // A model that cannot load is reported but does not stop Mai from starting.
    await this.models.ensureLoaded().catch((error: Error) => {
      this.log('warn', error.message);
      this.broadcast('onNotice', { level: 'error', message: error.message });
    });
    await this.files.started();
  }

  private async doPrepare(): Promise<void> {
    this.holdingNotices = true;
    try {
      await this.prepareFiles();
    } finally {
      this.holdingNotices = false;
    }
  }

  private async prepareFiles(): Promise<void> {
    if (this.settingsStore) {
      const loaded = await this.settingsStore.load();
      if (loaded.quarantined) this.broadcast('onNotice', { level: 'warn', message: `The settings file was damaged (${loaded.quarantined.reason}); it was moved to ${loaded.quarantined.movedTo} and the defaults are in use.` });
      if (loaded.reset) this.broadcast('onNotice', { level: 'warn', message: loaded.reset.message });
      const settings = loaded.value;
      this.models.configureWith(this.managerSettings(settings), settings.pinnedModelPath ?? this.options.initialModelPath ?? settings.lastModelPath);
      this.chat.setMaxTokens(this.options.maxTokens ?? settings.maxReplyTokens);
      this.scalingPaused = this.managerSettings(settings).autoScaling === false;
    }
    if (this.options.createDemoModels !== false) {
      const created = await this.models.library.ensureDemoModels();
      if (created.length > 0) {
        this.broadcast('onNotice', {
          level: 'info',
          message: `No model was found, so Mai created ${created.length} demo models in ${this.models.library.dir}. They produce gibberish; put a real GGUF model there to chat for real.`,
        });
      }
    }
    await this.conversations.init();
    await this.hubStack.token.load();
    this.models.library.watch(() => void this.publishModels());
    if (this.downloads) {
      const restored = await this.downloads.restore().catch((error: Error) => {
        this.broadcast('onNotice', { level: 'warn', message: `Unfinished downloads could not be restored: ${error.message}` });
        return null;
      });
      if (restored?.movedAsideTo) this.broadcast('onNotice', { level: 'warn', message: `The download list was damaged and was moved to ${restored.movedAsideTo}.` });
    }
  }

  /**
   * Stops the reply in progress, writes what is pending and stops the engine. An engine that does
   * not answer the stop within 1 s (hung) does not hold up the writes.
   */
  async shutdown(): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([this.chat.stop().catch(() => false), new Promise((resolve) => (timer = setTimeout(resolve, 1000)))]);
    clearTimeout(timer);
    this.suggestions.stop();
    this.models.library.unwatch();
    await this.downloads?.shutdown().catch(() => {});
    await this.conversations.flush().catch(() => {});
    await this.engine.stop();
    this.sinks.clear();
  }
}
