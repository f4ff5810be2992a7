/** The simulator's model loader: no model is read, a load only takes its time on the clock. */
import { sleep, type Clock } from '../resource/clock';
import type { ModelLoader } from '../resource/actuation/model-switcher';
import type { ModelProfile } from '../resource/types';

/** How long one load takes and whether it works; undefined = the model's `loadSeconds`, and it works. */
export type LoadTiming = (modelId: string, startMs: number) => { ms: number; ok: boolean } | undefined;

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
    private readonly timing?: LoadTiming,
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
    const timed = this.timing?.(modelId, this.clock.now());
    await sleep(this.clock, timed ? timed.ms : model.loadSeconds * 1000);
    if (this.failing.has(modelId) || timed?.ok === false) {
      this.resident = null;
      throw new Error(`Failed to load model ${modelId}`);
    }
  }
}
