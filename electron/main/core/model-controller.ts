/**
 * Main's view of the model: which one the engine runs (reported by the engine's ModelManager),
 * which one the user chose, and bringing a model back after an engine restart — a smaller one
 * when the engine died in the middle of a reply, never one that crashed it while loading.
 */
import type { AppEvents, AppHandlers } from '../../../shared/contract';
import type { LoadedModel } from '../../../shared/domain';
import { Emitter } from '../../../shared/emitter';
import { MaiError } from '../../../shared/errors';
import type { RemoteConfig } from '../../../shared/remote';
import type { LadderRungData, ManagerSettingsData } from '../../../shared/resource';
import type { EngineHost } from './engine-host';
import type { ModelLibrary } from './model-library';

export interface ModelControllerOptions {
  initialPath?: string | null;
  settings?: ManagerSettingsData;
  /** Where the engine keeps per-machine measurements; null keeps nothing. */
  dataDir?: string | null;
  /** Models that crashed the engine while loading, remembered across restarts of Mai. */
  crashed?: { list(): readonly string[]; add(path: string): void; remove(path: string): void };
  /** The remote servers (with their keys) and the policy, read for every configure (RemoteService.config); absent = local only. */
  remote?: () => Promise<RemoteConfig>;
}

export type ModelControllerEvents = Pick<AppEvents, 'onModelChanged' | 'onNotice'> & {
  /** The user picked this model (`models:select`) and it is loaded. */
  didSelectModel: LoadedModel;
};

export class ModelController extends Emitter<ModelControllerEvents> {
  private loaded: LoadedModel | null = null;
  private selectedPath: string | null;
  private configuring: Promise<LoadedModel> | null = null;
  private ladderValue: LadderRungData[] = [];
  private tierValue: { id: string; label: string; description: string; reasons: string[] } | null = null;
  /** Models that took the engine down while loading: never loaded automatically again. */
  private readonly crashedOnLoad = new Set<string>();
  private settings: ManagerSettingsData;
  /** The preferred model of main's configure/select call in progress (a fallback when the engine announced nothing). */
  private loadingPath: string | null = null;
  /**
   * The file the engine announced it is loading (`model:loading`), whoever asked for it: when the
   * engine dies meanwhile, that file is to blame, even if it was a fallback or the scaler's choice.
   */
  private engineLoadingPath: string | null = null;
  private readonly hungWhileLoading = new Set<string>();
  /** The models folder as of the last configure/select, for choosing a smaller model without waiting. */
  private knownModels: Array<{ path: string; sizeBytes: number }> = [];

  constructor(
    private readonly engine: EngineHost,
    readonly library: ModelLibrary,
    private readonly options: ModelControllerOptions = {},
  ) {
    super();
    this.selectedPath = options.initialPath ?? null;
    this.settings = options.settings ?? {};
    engine.onEngine('model:changed', ({ model }) => {
      if (this.engineLoadingPath === model.path) this.engineLoadingPath = null;
      this.setLoaded(model);
    });
    engine.onEngine('model:loading', ({ path, done }) => {
      if (!done) this.engineLoadingPath = path;
      else if (this.engineLoadingPath === path) this.engineLoadingPath = null;
    });
    // The model dies with the engine; a message sent meanwhile must load it again, not trust a ghost.
    engine.on('down', ({ kind }) => {
      const blamed = this.engineLoadingPath ?? this.loadingPath;
      this.engineLoadingPath = null;
      // Only a crash is the model's fault; a hang during a load can be a busy machine (a second
      // hang while loading the same model counts, though).
      if (blamed && (kind === 'crash' || this.hungWhileLoading.has(blamed))) this.markCrashed(blamed);
      else if (blamed && kind === 'hang') this.hungWhileLoading.add(blamed);
      if (this.loaded) this.setLoaded(null);
    });
    engine.on('ready', ({ restart }) => {
      if (restart) this.ensureLoaded().catch(() => {});
    });
  }

  readonly handlers: AppHandlers<'models:list' | 'models:select'> = {
    'models:list': () => this.library.list(),
    'models:select': async ({ path }) => {
      const model = await this.select(path);
      this.emit('didSelectModel', model);
      return model;
    },
  };

  get current(): LoadedModel | null {
    return this.loaded;
  }

  get ladder(): LadderRungData[] {
    return this.ladderValue;
  }

  get tier() {
    return this.tierValue;
  }

  /** The user picked a model: load it now. */
  async select(modelPath: string): Promise<LoadedModel> {
    await this.configuring?.catch(() => {});
    const models = await this.ladderInput();
    let model: LoadedModel;
    if (this.loaded) {
      this.loadingPath = modelPath;
      try {
        model = await this.engine.call('manager:select', { path: modelPath, models });
      } finally {
        this.loadingPath = null;
      }
    } else {
      model = await this.configure(modelPath);
    }
    this.selectedPath = model.path;
    // The user chose it knowingly: it may be loaded automatically again.
    if (this.crashedPaths().includes(model.path)) {
      this.crashedOnLoad.delete(model.path);
      this.options.crashed?.remove(model.path);
    }
    return model;
  }

  /** The loaded model, configuring the engine first if it has none. */
  async ensureLoaded(): Promise<LoadedModel> {
    if (this.configuring) return this.configuring;
    if (this.loaded) return this.loaded;
    // Never bring back automatically a model that took the engine down while loading.
    return this.configure(this.selectedPath && this.crashedPaths().includes(this.selectedPath) ? null : this.selectedPath);
  }

  /** Writes the demo models when the models folder has none, and says so. */
  async ensureDemoModels(): Promise<void> {
    const created = await this.library.ensureDemoModels();
    if (created.length === 0) return;
    this.emit('onNotice', {
      level: 'info',
      message: `No model was found, so Mai created ${created.length} demo models in ${this.library.dir}. They produce gibberish; put a real GGUF model there to chat for real.`,
    });
  }

  /** Crashed this session or remembered from earlier ones. */
  private crashedPaths(): string[] {
    return [...new Set([...this.crashedOnLoad, ...(this.options.crashed?.list() ?? [])])];
  }

  private markCrashed(modelPath: string): void {
    if (this.crashedOnLoad.has(modelPath)) return;
    this.crashedOnLoad.add(modelPath);
    this.options.crashed?.add(modelPath);
    this.emit('onNotice', {
      level: 'error',
      message: `${modelPath.split(/[\\/]/).pop()} took the engine down while loading, so Mai will not load it automatically again. Choose it in the model menu to try once more.`,
    });
  }

  /**
   * After the engine died mid-reply on `crashedPath`: prefer the next smaller model (the largest one
   * smaller than it that never crashed the engine) and return its path, or null when there is none.
   * Synchronous on purpose: called as the engine goes down, it decides before the restarted engine's
   * 'ready' reloads the preferred model — an await here would let the crashed model come back.
   */
  stepDownAfterCrash(crashedPath: string): string | null {
    const crashed = this.knownModels.find((m) => m.path === crashedPath);
    if (!crashed) return null;
    const avoid = new Set(this.crashedPaths());
    const smaller = this.knownModels
      .filter((m) => m.sizeBytes < crashed.sizeBytes && !avoid.has(m.path))
      .reduce<{ path: string; sizeBytes: number } | null>((best, m) => (!best || m.sizeBytes > best.sizeBytes ? m : best), null);
    if (smaller) this.selectedPath = smaller.path;
    return smaller?.path ?? null;
  }

  /** Sets the settings and the preferred model before the first configure. */
  configureWith(settings: ManagerSettingsData, preferredPath: string | null): void {
    this.settings = settings;
    if (preferredPath) this.selectedPath = preferredPath;
  }

  /** New settings: rebuild the ladder and scaler around the current model. */
  async applySettings(settings: ManagerSettingsData): Promise<void> {
    this.settings = settings;
    // A configure in flight (the first model loading) carries the settings and servers of before:
    // once it is done, the engine is configured again with these.
    await this.configuring?.catch(() => {});
    if (this.loaded) await this.configure(this.loaded.path);
  }

  /** Unloads the model (to free memory); the next message loads it again. */
  async unload(): Promise<void> {
    await this.engine.call('model:unload', {});
    await this.forgetLoaded();
  }

  /** The engine unloaded the model on request; the next message loads it again. */
  async forgetLoaded(): Promise<void> {
    if (this.loaded) this.setLoaded(null);
  }

  /** Pauses or resumes automatic scaling. */
  async setPaused(paused: boolean): Promise<void> {
    await this.engine.call('manager:pause', { paused });
  }

  private async ladderInput() {
    const models = (await this.library.list()).map((m) => ({ path: m.path, sizeBytes: m.sizeBytes, synthetic: m.synthetic }));
    this.knownModels = models.map(({ path, sizeBytes }) => ({ path, sizeBytes }));
    return models;
  }

  private configure(preferredPath: string | null): Promise<LoadedModel> {
    const run = (async () => {
      const models = await this.ladderInput();
      if (models.length === 0) throw new MaiError('no-model', `No model found in ${this.library.dir}. Put a GGUF file there or choose one.`);
      const remote = await this.options.remote?.();
      this.loadingPath = preferredPath;
      const result = await this.engine.call('manager:configure', {
        models,
        preferredPath,
        avoidPaths: this.crashedPaths(),
        settings: this.settings,
        dataDir: this.options.dataDir ?? null,
        ...(remote ? { remote } : {}),
      });
      this.loadingPath = null;
      this.ladderValue = result.ladder;
      this.tierValue = result.tier;
      if (!result.model) throw new MaiError('model-load-failed', 'No model could be loaded.');
      this.setLoaded(result.model);
      return result.model;
    })();
    this.configuring = run;
    const clear = () => {
      if (this.configuring === run) this.configuring = null;
      if (this.configuring === null) this.loadingPath = null;
    };
    run.then(clear, clear);
    return run;
  }

  private setLoaded(model: LoadedModel | null): void {
    if (model) this.selectedPath ??= model.path;
    this.loaded = model;
    this.emit('onModelChanged', { model });
  }
}
