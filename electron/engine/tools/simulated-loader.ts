/** The simulator's model loader: no model is read, a load only takes its time on the clock. */
import { sleep, type Clock } from '../resource/clock';
import type { ModelLoader } from '../resource/actuation/model-switcher';
import type { ModelProfile } from '../resource/types';

/**
 * A loader that only pretends: the model counts as resident from the start of its load, which
 * takes its `loadSeconds` of clock time. Used by `npm run simulate` and the scenario tests.
 */
export class SimulatedLoader implements ModelLoader {
  /** The model whose memory is in use (loaded or loading), or null between unload and load. */
  resident: string | null;
  loads = 0;

  constructor(
    private readonly clock: Clock,
    private readonly ladder: readonly ModelProfile[],
    initialModelId: string,
    private readonly failing: ReadonlySet<string> = new Set(),
  ) {
    this.resident = initialModelId;
  }

  async unload(modelId: string): Promise<void> {
    if (this.resident === modelId) this.resident = null;
  }

  async load(modelId: string): Promise<void> {
    const model = this.ladder.find((candidate) => candidate.id === modelId);
    if (!model) throw new Error(`unknown model ${modelId}`);
    this.resident = modelId;
    this.loads++;
    await sleep(this.clock, model.loadSeconds * 1000);
    if (this.failing.has(modelId)) {
      this.resident = null;
      throw new Error(`Failed to load model ${modelId}`);
    }
  }
}
