/** Which model the engine has loaded, and bringing it back after an engine restart. */
import type { LoadedModel } from '../../../shared/domain';
import { MaiError } from '../../../shared/errors';
import type { EngineHost } from './engine-host';
import { ModelLibrary } from './model-library';

export class ModelController {
  private loaded: LoadedModel | null = null;
  private selectedPath: string | null;
  private loading: Promise<LoadedModel> | null = null;

  constructor(
    private readonly engine: EngineHost,
    readonly library: ModelLibrary,
    private readonly onChange: (model: LoadedModel | null) => void,
    initialPath: string | null = null,
  ) {
    this.selectedPath = initialPath;
    // The model dies with the engine; a message sent meanwhile must load it again, not trust a ghost.
    engine.on('down', () => {
      if (this.loaded) this.setLoaded(null);
    });
    // A restarted engine has nothing loaded: bring the same model back.
    engine.on('ready', ({ restart }) => {
      if (restart && this.selectedPath) this.ensureLoaded().catch(() => {});
    });
  }

  get current(): LoadedModel | null {
    return this.loaded;
  }

  /** Loads the given model file (any path the user points at; the engine validates it). */
  async select(modelPath: string): Promise<LoadedModel> {
    await this.loading?.catch(() => {});
    const previous = this.selectedPath;
    this.selectedPath = modelPath;
    try {
      return await this.load(modelPath);
    } catch (error) {
      // A model that failed to load leaves the previous choice in place.
      this.selectedPath = this.loaded ? previous : null;
      throw error;
    }
  }

  /** The loaded model, loading the selected (or default) one first if needed. */
  async ensureLoaded(): Promise<LoadedModel> {
    if (this.loading) return this.loading;
    if (this.loaded) return this.loaded;
    if (!this.selectedPath) {
      const pick = ModelLibrary.pickDefault(await this.library.list());
      if (!pick) throw new MaiError('no-model', `No model found in ${this.library.dir}. Put a GGUF file there or choose one.`);
      this.selectedPath = pick.path;
    }
    return this.load(this.selectedPath);
  }

  private load(modelPath: string): Promise<LoadedModel> {
    const loading = this.engine.call('model:load', { path: modelPath }).then((model) => {
      this.setLoaded(model);
      return model;
    });
    this.loading = loading;
    const clear = () => {
      if (this.loading === loading) this.loading = null;
    };
    loading.then(clear, clear);
    return loading;
  }

  private setLoaded(model: LoadedModel | null): void {
    this.loaded = model;
    this.onChange(model);
  }
}
