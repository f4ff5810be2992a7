/** The simulator's model loader: no model is read, a load only takes its time on the clock. */
import { sleep, type Clock } from '../resource/clock';
import type { ModelLoader } from '../resource/actuation/model-switcher';
import { sameModel } from '../resource/policy/cascade';
import type { ModelProfile } from '../resource/types';

/** How long one load takes and whether it works; undefined = the model's `loadSeconds`, and it works. */
export type LoadTiming = (modelId: string, startMs: number) => { ms: number; ok: boolean } | undefined;

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
    private readonly timing?: LoadTiming,
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
    // A recorded load time (a replayed trace) wins; else the step's or the load's declared time.
    const timed = this.timing?.(modelId, this.clock.now());
    await sleep(this.clock, timed ? timed.ms : (step ? (model.stepSeconds ?? model.loadSeconds) : model.loadSeconds) * 1000);
    if (this.failing.has(modelId) || timed?.ok === false) {
      this.resident = null;
      throw new Error(`Failed to load model ${modelId}`);
    }
  }
}
