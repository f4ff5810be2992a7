/**
 * Main's core, free of Electron, as wiring only: it builds the services (settings, engine reports,
 * models, model files, chat, conversations, suggestions, catalog, downloads, Hub), joins the
 * contract methods each one serves into `handlers`, and sends the app events they emit on to the
 * windows. electron/main/electron and the web host both serve it. See docs/architecture.md.
 */
import { appContract, type AppEvent, type AppEvents, type AppPayload, type AppContract, type AppState } from '../../../shared/contract';
import type { LogLevel, ModelEntry } from '../../../shared/domain';
import type { EventSource } from '../../../shared/emitter';
import type { AppSettings } from '../../../shared/settings';
import { CatalogService } from './catalog/catalog-service';
import { CATALOG } from './catalog/catalog-data';
import { DownloadsService } from './catalog/downloads-bridge';
import { ModelFiles } from './catalog/model-files';
import { testCatalogFromEnv, withTestCatalog } from './catalog/test-catalog';
import { ConversationService } from './conversations';
import type { DownloadManager } from './downloads';
import { ConversationStore } from './store/conversation-store';
import { SuggestionEngine } from './suggestions';
import { mergeHandlers, type Handlers } from '../../../shared/rpc';
import { ChatService } from './chat-service';
import type { AppCoreOptions, AppEventSink } from './app-core-options';
import { AppEventRelay } from './app-events';
import { EngineHost } from './engine-host';
import { ModelController } from './model-controller';
import { ModelLibrary } from './model-library';
import type { HubService, HubStack } from './hub';
import { createHubServices } from './hub/hub-wiring';
import { EngineService } from './engine-service';
import { SettingsService } from './settings-service';
import { RemoteService } from './remote/remote-service';
import { TraceService } from './trace-service';
import type { UserChoiceSources } from './status/events';

export type { AppCoreOptions, AppEventSink } from './app-core-options';

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
  readonly remote = new RemoteService();
  readonly hubStack: HubStack;
  readonly settingsService: SettingsService;
  readonly engineService: EngineService;
  readonly downloadsService: DownloadsService;
  readonly traces: TraceService;
  /** Every method of the window.mai contract, each served by the one service that owns it. */
  readonly handlers: Handlers<AppContract>;
  private readonly log: (level: LogLevel, message: string) => void;
  private readonly relay: AppEventRelay;
  private prepared: Promise<void> | null = null;

  constructor(private readonly options: AppCoreOptions) {
    this.log = options.log ?? ((level, message) => console[level === 'debug' ? 'log' : level](`[mai] ${message}`));
    const warn = (message: string) => this.log('warn', message);
    this.relay = new AppEventRelay(warn);
    this.settingsService = new SettingsService({
      file: options.settingsFile ?? null,
      ...(options.manager ? { manager: options.manager } : {}),
      ...(options.maxTokens !== undefined ? { maxTokens: options.maxTokens } : {}),
      apply: async (next) => {
        await this.models.applySettings(this.settingsService.managerSettings(next));
        this.chat.setMaxTokens(this.settingsService.replyTokens(next));
      },
    });
    this.engine = new EngineHost(options.launcher, options.engine);
    const library = new ModelLibrary(options.modelsDir, {
      importedPaths: () => this.settings.importedModelPaths,
      lastUsed: () => this.settings.modelUsage,
      otherApps: options.discoverOtherApps ?? true,
    });
    this.models = new ModelController(this.engine, library, {
      initialPath: options.initialModelPath ?? null,
      settings: options.manager ?? {},
      dataDir: options.dataDir ?? null,
      crashed: this.settingsService.crashedModels,
    });
    const conversationStore = options.conversationsDir ? new ConversationStore(options.conversationsDir) : null;
    this.chat = new ChatService(this.engine, this.models, {
      ...(options.maxTokens !== undefined ? { maxTokens: options.maxTokens } : {}),
      ...(conversationStore ? { persistence: ConversationService.persistenceFor(conversationStore) } : {}),
    });
    this.conversations = new ConversationService(conversationStore, this.chat);
    this.engineService = new EngineService(this.engine, this.models, this.log);
    this.engineService.startPaused(options.manager?.autoScaling === false);
    this.suggestions = new SuggestionEngine({
      publish: (list) => this.broadcast('onSuggestions', list),
      updateSettings: async (patch) => void (await this.settingsService.update(patch)),
      unloadModel: () => this.models.unload(),
      settings: () => this.settings,
      model: () => this.models.current,
    });
    const env = options.env ?? process.env;
    const testCatalog = testCatalogFromEnv(env, warn);
    ({
      stack: this.hubStack,
      downloads: this.downloads,
      hub: this.hub,
    } = createHubServices(options, { env, testCatalog, library, fit: (...args) => this.catalog.fitFor(...args), log: this.log }));
    this.files = new ModelFiles({
      modelsDir: options.modelsDir,
      library,
      inspect: (p) => this.engine.call('model:inspect', { path: p }),
      currentPath: () => this.models.current?.path ?? null,
      importedPaths: () => this.settings.importedModelPaths,
      saveImportedPaths: this.settingsService.saveImportedPaths,
      rebuildLadder: () => this.models.applySettings(this.settingsService.managerSettings()),
      replying: () => this.chat.generating,
      ...(options.pickModelFile ? { pickModelFile: options.pickModelFile } : {}),
      log: warn,
    });
    this.catalog = new CatalogService({
      ...(testCatalog ? { entries: withTestCatalog(CATALOG, testCatalog) } : {}),
      downloads: this.downloads,
      snapshot: () => this.engineService.lastSnapshot,
      ladder: () => this.models.ladder,
      models: () => library.list(),
      contextSize: () => this.settings.contextSize,
      hubDownload: (request) => this.hub.download(request),
    });
    this.downloadsService = new DownloadsService(this.downloads, (catalogId) => this.catalog.start(catalogId));
    this.traces = new TraceService(this.engine, {
      dataDir: options.dataDir ?? null,
      ...(options.revealFile ? { revealFile: options.revealFile } : {}),
    });
    this.wireEvents();
    this.handlers = mergeHandlers(appContract, [
      { 'app:get-state': () => this.getState() },
      this.settingsService.handlers,
      this.engineService.handlers,
      this.models.handlers,
      this.files.handlers,
      this.chat.handlers,
      this.conversations.handlers,
      this.suggestions.handlers,
      this.catalog.handlers,
      this.downloadsService.handlers,
      this.hub.handlers,
      this.remote.handlers,
      this.traces.handlers,
    ]);
  }

  /** The services' events that follow from one another, and every app event on to the windows. */
  private wireEvents(): void {
    this.forward(this.settingsService, ['onNotice']);
    this.forward(this.models, ['onModelChanged', 'onNotice']);
    this.models.on('onModelChanged', ({ model }) => {
      if (!model || !this.settingsService.persisted) return;
      // The list carries each model's last use: the models page shows it.
      this.settingsService.rememberModel(model.path).then(
        () => this.publishModels(),
        (error: Error) => this.log('warn', `could not remember the model: ${error.message}`),
      );
    });
    this.forward(this.chat, ['onChatToken', 'onChatMessage', 'onConversation', 'onNotice']);
    // A reply ended: a ladder rebuild put off while it ran happens now.
    this.chat.on('onChatMessage', () => void (this.chat.generating ? undefined : this.files.idle()));
    this.forward(this.conversations, ['onConversations', 'onNotice']);
    this.engineService.on('onResourceSample', (snapshot) => this.suggestions.observe(snapshot));
    this.forward(this.engineService, ['onEngineStatus', 'onResourceSample', 'onScalerDecision', 'onCapabilityChanged', 'onNotice']);
    this.forward(this.files, ['onModels']);
    this.forward(this.traces, ['onTraceStatus', 'onNotice']);
    this.forward(this.downloadsService, ['onDownload', 'onNotice']);
    this.downloadsService.on('didLand', () => void this.publishModels());
  }

  /** Sends a service's app events on to the windows as they are. */
  private forward<E extends AppEvent>(source: EventSource<Pick<AppEvents, E>>, events: readonly E[]): void {
    for (const event of events) source.on(event, (payload) => this.broadcast(event, payload as AppPayload<E>));
  }

  /** The services whose events tell what the user chose (model picked, scaling paused, settings saved); the tray listens. */
  get userChoices(): UserChoiceSources {
    return { models: this.models, scaling: this.engineService, settings: this.settingsService };
  }

  private async getState(): Promise<AppState> {
    // Everything that waits comes first: the rest is read in one synchronous step, so no event
    // broadcast while the models folder is listed (the engine becoming ready, a model loaded)
    // can be overwritten in the window by an older value carried in this answer.
    await this.prepare();
    const models = await this.models.library.list();
    return this.stateSnapshot(models);
  }

  /** Adds a receiver of events (a window, a WebSocket); returns a function that removes it. */
  subscribe(sink: AppEventSink): () => void {
    return this.relay.subscribe(sink);
  }

  broadcast<E extends AppEvent>(event: E, payload: AppPayload<E>): void {
    this.relay.broadcast(event, payload);
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
      resource: this.engineService.lastSnapshot,
      decisions: this.engineService.decisions,
      ladder: this.models.ladder,
      tier: this.models.tier,
      scalingPaused: this.engineService.scalingPaused,
      conversations: this.conversations.list(),
      suggestions: this.suggestions.current,
      startupNotices: this.relay.takeHeldNotices(),
    };
  }

  /** The list changed: tell the windows, and rebuild the ladder when the set of files changed. */
  private async publishModels(): Promise<void> {
    await this.files.changed().catch((error: Error) => this.log('warn', `the model list could not be published: ${error.message}`));
  }

  get settings(): AppSettings {
    return this.settingsService.value;
  }

  /**
   * Everything a window needs before it can be shown the state: settings, demo models on a first
   * start, conversations, unfinished downloads. Hosts call it before they accept a window, so the
   * first `app:get-state` never answers with defaults that are about to change. Runs once.
   */
  prepare(): Promise<void> {
    this.prepared ??= this.relay.holdingNotices(() => this.prepareFiles());
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

  private async prepareFiles(): Promise<void> {
    if (this.settingsService.persisted) {
      const settings = await this.settingsService.load();
      const manager = this.settingsService.managerSettings(settings);
      this.models.configureWith(manager, settings.pinnedModelPath ?? this.options.initialModelPath ?? settings.lastModelPath);
      this.chat.setMaxTokens(this.settingsService.replyTokens(settings));
      this.engineService.startPaused(manager.autoScaling === false);
    }
    if (this.options.createDemoModels !== false) await this.models.ensureDemoModels();
    await this.conversations.init();
    await this.hubStack.token.load();
    this.models.library.watch(() => void this.publishModels());
    await this.downloadsService.restore();
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
    this.downloadsService.dispose();
    // The conversation first: a download verifying a large file on a slow disk must not eat the
    // quit's time budget before the reply is on disk.
    await Promise.all([this.conversations.flush().catch(() => {}), this.downloads?.shutdown().catch(() => {})]);
    await this.engine.stop();
    this.relay.clear();
  }
}
