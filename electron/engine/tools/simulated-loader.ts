/** The simulator's model loader: no model is read, a load only takes its time on the clock. */
import { sleep, type Clock } from '../resource/clock';
import type { ModelLoader } from '../resource/actuation/model-switcher';
import { sameModel } from '../resource/policy/cascade';
import type { ModelProfile } from '../resource/types';

/**
 * A loader that only pretends: the model counts as resident from the start of its load, which
 * takes its `loadSeconds` of clock time. A cascade step (a rung of the model already loaded) keeps
 * the model and takes its `stepSeconds`: only the context is recreated. Used by `npm run simulate`
 * and the scenario tests.
 */
export class SimulatedLoader implements ModelLoader {
  /** The model whose memory is in use (loaded or loading), or null between unload and load. */
  resident: string | null;
  /** Full loads (a model read from disk). */
  loads = 0;
  /** Cascade steps (the context recreated, the model kept). */
  steps = 0;
  /** The rung the last `unload` let go of: a `load` of the same model right after it is a step. */
  private leaving: string | null = null;

  constructor(
    private readonly clock: Clock,
    private readonly ladder: readonly ModelProfile[],
    initialModelId: string,
    private readonly failing: ReadonlySet<string> = new Set(),
  ) {
    this.resident = initialModelId;
  }

  async unload(modelId: string): Promise<void> {
    this.leaving = modelId;
    if (this.resident === modelId) this.resident = null;
  }

  async load(modelId: string): Promise<void> {
    const model = this.ladder.find((candidate) => candidate.id === modelId);
    if (!model) throw new Error(`unknown model ${modelId}`);
    const from = this.ladder.find((candidate) => candidate.id === this.leaving);
    this.leaving = null;
    const step = from !== undefined && sameModel(from, model);
    this.resident = modelId;
    if (step) this.steps++;
    else this.loads++;
    await sleep(this.clock, (step ? (model.stepSeconds ?? model.loadSeconds) : model.loadSeconds) * 1000);
    if (this.failing.has(modelId)) {
      this.resident = null;
      throw new Error(`Failed to load model ${modelId}`);
    }
  }
}
