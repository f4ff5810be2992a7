/**
 * The cascade on the ladder (docs/scaling-policy.md, "The cascade"): rungs that run the same model
 * (cheaper KV cache, shorter context, fewer GPU layers) sit just under that model's full rung,
 * ordered by what the user loses, so the ladder's order is quality, not memory: a step of a big
 * model can take less memory than a small model's full rung. Here: which rungs share a model, how
 * long a move between two rungs takes, and which rung a step down goes to — the one that costs the
 * user least among those that keep the forecast under the line for the stabilization period.
 */
import { RAMP_MARGIN_SECONDS } from './down-paths';
import type { ResourceTrack } from './resource-track';
import type { ModelProfile } from '../types';

/** The model a rung runs (its cascade steps share it). */
export const modelKeyOf = (profile: ModelProfile): string => profile.modelKey ?? profile.id;

/** Whether two rungs run the same model (a move between them keeps it loaded). */
export const sameModel = (a: ModelProfile, b: ModelProfile): boolean => modelKeyOf(a) === modelKeyOf(b);

/**
 * Seconds a move from `from` to `to` takes: a step of the same model recreates the context only
 * (`stepSeconds`), anything else loads the model (`loadSeconds`).
 */
export function switchSeconds(from: ModelProfile | undefined, to: ModelProfile): number {
  return from && sameModel(from, to) ? (to.stepSeconds ?? to.loadSeconds) : to.loadSeconds;
}

/** The first and last index of the rungs that run the model of `ladder[index]` (a model's rungs are contiguous). */
export function modelBlock(ladder: readonly ModelProfile[], index: number): { first: number; last: number } {
  const key = modelKeyOf(ladder[index]!);
  let first = index;
  let last = index;
  while (first > 0 && modelKeyOf(ladder[first - 1]!) === key) first--;
  while (last < ladder.length - 1 && modelKeyOf(ladder[last + 1]!) === key) last++;
  return { first, last };
}

/** Whether a rung's context holds what the conversation needs (rungs without a declared context always do). */
export const contextAllows = (profile: ModelProfile, contextNeed: number): boolean => profile.contextSize === undefined || profile.contextSize >= contextNeed;

/** What the choice of a step down reads. */
export interface StepDownInput {
  ladder: readonly ModelProfile[];
  modelIndex: number;
  memory: ResourceTrack;
  vram: ResourceTrack;
  /** `fit`: the best rung that fits now (emergencies, jumps); `one`: the cheapest that holds over the stabilization period, else the next model. */
  reach: 'fit' | 'one';
  /** The resource that fired; the fallback must relieve it. */
  resource: 'memory' | 'vram';
  stabilizationSeconds: number;
  /** Tokens the conversation needs plus the reply's room; shorter contexts are passed over while anything else fits. */
  contextNeed: number;
}

/**
 * The projected use of `profile` on `track` at the end of the window: `switchS` seconds to get
 * there, then the stabilization period.
 */
function outlook(track: ResourceTrack, profile: ModelProfile, switchS: number, stabilizationSeconds: number, reach: 'fit' | 'one'): number {
  const trend = track.trend!;
  const footprint = track.fractionOf(track.kind === 'memory' ? profile.memBytes : profile.vramBytes);
  const base = Math.max(trend.latest, trend.level) + footprint;
  if (reach === 'fit') return base;
  // An established trend is extended over the whole window (the upgrade rule holds an upgrade on
  // the same forecast: "still rising"). A young fast climb only over the reach of the ramp rule
  // (the switch plus its margin): nothing yet says how long it goes on, and extending 0.8 points/s
  // over five minutes would send every fast climb to the smallest model; if it goes on, the climb
  // and level rules act again, and a step is quick. Otherwise the level is held flat.
  if (trend.reliable && trend.slopePerSecond > 0) return base + trend.slopePerSecond * (switchS + stabilizationSeconds);
  if (trend.ramp && trend.ramp.slopePerSecond > 0) return base + trend.ramp.slopePerSecond * (switchS + RAMP_MARGIN_SECONDS);
  return base;
}

/**
 * The rung a step down goes to (see the file comment), as an index below `modelIndex`, with whether
 * it holds (`false`: nothing cheaper held and this is the fallback). `modelIndex` itself when no
 * rung below would relieve `resource` (on a cascade ladder the rung below can take more memory):
 * then there is nothing to step down to.
 *
 * - `fit`: the highest rung whose projected use is under every degrade line now (else the lowest
 *   that relieves `resource`).
 * - `one`: among the current model's own steps and the next smaller model's rungs, the highest
 *   whose projection stays under every degrade line for the switch time plus the stabilization
 *   period; when none does, the next smaller model's full rung if it relieves `resource` (what a
 *   ladder without steps always did), else the candidate that relieves it most.
 */
export function chooseStepDown(input: StepDownInput): { index: number; holds: boolean } {
  const { ladder, modelIndex, reach } = input;
  const current = ladder[modelIndex]!;
  const tracks = [input.memory, input.vram].filter((track) => track.available && track.trend);
  const projectAt = (index: number, track: ResourceTrack): number => {
    const candidate = ladder[index]!;
    return outlook(track, candidate, switchSeconds(current, candidate), input.stabilizationSeconds, reach);
  };
  const holds = (index: number): boolean => tracks.every((track) => projectAt(index, track) < track.thresholds.degrade);
  const block = modelBlock(ladder, modelIndex);
  const lowest = reach === 'fit' ? 0 : block.first > 0 ? modelBlock(ladder, block.first - 1).first : 0;
  const candidates: number[] = [];
  for (let index = modelIndex - 1; index >= lowest; index--) candidates.push(index);
  if (candidates.length === 0) return { index: modelIndex, holds: false };
  // A context shorter than the conversation needs is passed over while any other candidate exists.
  const allowed = candidates.filter((index) => contextAllows(ladder[index]!, input.contextNeed));
  const pool = allowed.length > 0 ? allowed : candidates;
  const held = pool.find(holds);
  if (held !== undefined) return { index: held, holds: true };
  const track = input.resource === 'vram' ? input.vram : input.memory;
  // Without readings yet (an allocation failure before the first sample), the footprints decide.
  const relief = (index: number): number =>
    track.available && track.trend ? projectAt(index, track) : input.resource === 'vram' ? ladder[index]!.vramBytes : ladder[index]!.memBytes;
  // Only rungs that take less of the resource that fired; none: nothing to step down to.
  const relieving = pool.filter((index) => relief(index) < relief(modelIndex));
  if (relieving.length === 0) return { index: modelIndex, holds: false };
  if (reach === 'fit') return { index: relieving[relieving.length - 1]!, holds: false };
  const nextModelTop = block.first - 1;
  if (relieving.includes(nextModelTop)) return { index: nextModelTop, holds: false };
  let best = relieving[0]!;
  for (const index of relieving) if (relief(index) < relief(best)) best = index;
  return { index: best, holds: false };
}

/** The next smaller model's full rung (its steps skipped), or null at the smallest model. */
export function nextModelDown(ladder: readonly ModelProfile[], modelIndex: number): number | null {
  const first = modelBlock(ladder, modelIndex).first;
  return first > 0 ? first - 1 : null;
}
