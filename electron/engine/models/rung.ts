/**
 * A rung of the ladder: a runtime, a model it serves, and the settings that change what it costs
 * (context size today; KV-cache type and GPU layers are cost settings too). New kinds of rung add a
 * runtime or a cost setting, never a field here.
 */
import type { Footprint } from './footprint';
import type { RuntimeLoadRequest } from './model-runtime';
import type { RungCost } from './rung-cost';

/** The model a rung runs. */
export interface RungModel {
  /** The file (or the model's name on a remote server). */
  path: string;
  /** The name shown to the user. */
  name: string;
  /** A synthetic test model (tests and demos). */
  synthetic: boolean;
}

export type { KvCacheType, RungCost } from './rung-cost';

/** One rung: what the scaler moves along, smallest first. */
export interface Rung {
  /** The scaler's id of the rung (the model's path for the default cost on the local runtime). */
  id: string;
  /** The `ModelRuntime.id` that serves it. */
  runtimeId: string;
  model: RungModel;
  cost: RungCost;
  /** Memory before loading (estimated, corrected by measurement). */
  footprint: Footprint;
}

/** What the runtime is asked to load for a rung. */
export function loadRequestOf(rung: Rung): RuntimeLoadRequest {
  return { path: rung.model.path, ...rung.cost };
}

/** Bytes a rung takes in RAM and VRAM together (the ladder's order). */
export function rungBytes(rung: Rung): number {
  return rung.footprint.memBytes + rung.footprint.vramBytes;
}
