/**
 * Main's view of the model: which one the engine runs (reported by the engine's ModelManager),
 * which one the user chose, and bringing a model back after an engine restart — a smaller one
 * when the engine died in the middle of a reply, never one that crashed it while loading.
 */
import type { LoadedModel, ModelEntry } from '../../../shared/domain';
import { MaiError } from '../../../shared/errors';
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
  /** Tells the user something about the models. */
  notify?: (level: 'info' | 'warn' | 'error', message: string) => void;
}

export class ModelController {
  private loaded: LoadedModel | null = null;
  private selectedPath: string | null;
  private configuring: Promise<LoadedModel> | null = null;
  private ladderValue: LadderRungData[] = [];
  private tierValue: { id: string; label: string; description: string; reasons: string[] } | null = null;
  /** Models that took the engine down while loading: never loaded automatically again. */
  private readonly crashedOnLoad = new Set<string>();
  private settings: ManagerSettingsData;
  /** The model being loaded on main's request; if the engine dies meanwhile, that model is to blame. */
  private loadingPath: string | null = null;
  private readonly hungWhileLoading = new Set<string>();

  constructor(
    private readonly engine: EngineHost,
    readonly library: ModelLibrary,
    private readonly onChange: (model: LoadedModel | null) => void,
    private readonly options: ModelControllerOptions = {},
  ) {
    this.selectedPath = options.initialPath ?? null;
    this.settings = options.settings ?? {};
    engine.onEngine('model:changed', ({ model }) => this.setLoaded(model));
    // The model dies with the engine; a message sent meanwhile must load it again, not trust a ghost.
    engine.on('down', ({ kind }) => {
      // Only a crash is the model's fault; a hang during a load can be a busy machine (a second
      // hang while loading the same model counts, though).
      if (this.loadingPath && (kind === 'crash' || this.hungWhileLoading.has(this.loadingPath))) this.markCrashed(this.loadingPath);
      else if (this.loadingPath && kind === 'hang') this.hungWhileLoading.add(this.loadingPath);
      if (this.loaded) this.setLoaded(null);
    });
    engine.on('ready', ({ restart }) => {
      if (restart) this.ensureLoaded().catch(() => {});
    });
  }

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

  /** Crashed this session or remembered from earlier ones. */
  private crashedPaths(): string[] {
    return [...new Set([...this.crashedOnLoad, ...(this.options.crashed?.list() ?? [])])];
  }

  private markCrashed(modelPath: string): void {
    if (this.crashedOnLoad.has(modelPath)) return;
    this.crashedOnLoad.add(modelPath);
    this.options.crashed?.add(modelPath);
    this.options.notify?.(
      'error',
      `${modelPath.split(/[\\/]/).pop()} took the engine down while loading, so Mai will not load it automatically again. Choose it in the model menu to try once more.`,
    );
  }

  /** After the engine died mid-reply on `crashedPath`, prefer the next smaller model. Returns it, or null. */
  async stepDownAfterCrash(crashedPath: string): Promise<ModelEntry | null> {
    const models = await this.library.list();
    const crashed = models.find((m) => m.path === crashedPath);
    const smaller = crashed ? models.filter((m) => m.sizeBytes < crashed.sizeBytes).at(-1) : undefined;
    if (smaller) this.selectedPath = smaller.path;
    return smaller ?? null;
  }

  /** Sets the settings and the preferred model before the first configure. */
  configureWith(settings: ManagerSettingsData, preferredPath: string | null): void {
    this.settings = settings;
    if (preferredPath) this.selectedPath = preferredPath;
  }

  /** New settings: rebuild the ladder and scaler around the current model. */
  async applySettings(settings: ManagerSettingsData): Promise<void> {
    this.settings = settings;
    if (this.loaded) await this.configure(this.loaded.path);
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
    return (await this.library.list()).map((m) => ({ path: m.path, sizeBytes: m.sizeBytes, synthetic: m.synthetic }));
  }

  private configure(preferredPath: string | null): Promise<LoadedModel> {
    const run = (async () => {
      const models = await this.ladderInput();
      if (models.length === 0) throw new MaiError('no-model', `No model found in ${this.library.dir}. Put a GGUF file there or choose one.`);
      this.loadingPath = preferredPath;
      const result = await this.engine.call('manager:configure', {
        models,
        preferredPath,
        avoidPaths: this.crashedPaths(),
        settings: this.settings,
        dataDir: this.options.dataDir ?? null,
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
    this.onChange(model);
  }
}
