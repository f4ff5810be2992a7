/**
 * A model's cascade steps on the ladder (docs/scaling-policy.md, "The cascade"): cheaper rungs of the
 * same model, ordered by what the user loses — the KV cache in Q8_0 instead of F16, then the
 * context halved (never below MIN_CASCADE_CONTEXT; the scaler also passes over contexts shorter
 * than the conversation needs), then on GPU machines fewer layers on the GPU — all before the next
 * smaller model. Each step's footprint is the full rung's re-sized from the GGUF's architecture and
 * corrected by what the step measured on earlier runs (FootprintEstimator.estimateStep).
 */
import type { ChatTurn } from '../../../shared/domain';
import type { ModelProfile } from '../resource/types';
import type { FootprintEstimator } from './footprint';
import type { ModelStats } from './model-stats';
import { contextSizeOf, kvCacheBytes } from './model-shape';
import { rungBytes, type Rung, type RungCost } from './rung';

/** Shortest context a step offers, tokens: a chat with its template and a reply needs about this much. */
export const MIN_CASCADE_CONTEXT = 2048;
/** GPU layers kept by the GPU steps, as fractions of the model's layers (the last puts it all in RAM). */
const GPU_FRACTIONS = [0.75, 0.5, 0.25, 0];
/** A step must free at least this share of the rung's memory (RAM and VRAM together)… */
const MIN_SAVING_FRACTION = 0.05;
/**
 * …and at least this much, bytes: a step that frees less is a notice for nothing (and the demo
 * models, whose KV cache at 4,096–8,192 tokens is 10–60 MB, keep a ladder of models only).
 */
const MIN_SAVING_BYTES = 64e6;
/** Time a step (a new context, the model kept) is guessed to take before one was measured, seconds. */
const STEP_SECONDS_GUESS = 0.5;
/** Context recreation speed assumed for the guess, bytes of KV cache per second (allocating and clearing it). */
const STEP_BYTES_PER_SECOND = 2e9;

/** The id of a step: the full rung's id with its cost, e.g. `/models/llama.gguf?kv=q8_0&ctx=8192`. */
export function stepId(baseId: string, cost: RungCost): string {
  const parts = [
    ...(cost.kvCacheType && cost.kvCacheType !== 'f16' ? [`kv=${cost.kvCacheType}`] : []),
    ...(cost.contextSize !== undefined ? [`ctx=${cost.contextSize}`] : []),
    ...(cost.gpuLayers !== undefined ? [`gpu=${cost.gpuLayers}`] : []),
  ];
  return parts.length > 0 ? `${baseId}?${parts.join('&')}` : baseId;
}

/** The costs of a model's steps, least loss first (see the file comment). */
function stepCosts(base: Rung): RungCost[] {
  const shape = base.footprint.shape;
  if (!shape) return [];
  const full = contextSizeOf(shape, base.cost);
  const costs: RungCost[] = [];
  if (base.cost.kvCacheType !== 'q8_0') costs.push({ ...base.cost, contextSize: full, kvCacheType: 'q8_0' });
  for (let tokens = full / 2; tokens >= MIN_CASCADE_CONTEXT && Number.isInteger(tokens); tokens /= 2) {
    costs.push({ ...base.cost, contextSize: tokens, kvCacheType: 'q8_0' });
  }
  if (base.footprint.vramBytes > 0 && shape.layers > 1) {
    const last = costs.at(-1) ?? base.cost;
    const onGpu = Math.min(base.cost.gpuLayers ?? shape.layers, shape.layers);
    for (const fraction of GPU_FRACTIONS) {
      const layers = Math.floor(shape.layers * fraction);
      if (layers < onGpu) costs.push({ ...last, gpuLayers: layers });
    }
  }
  return costs;
}

/**
 * The cascade steps of `base`, cheapest first (the order they sit in under it on the ladder): each
 * kept only when it frees a useful amount against the rung above it. None when the model's
 * architecture is unknown (a remote model, an unknown GGUF architecture).
 */
export async function cascadeSteps(base: Rung, sizeBytes: number, footprints: FootprintEstimator): Promise<Rung[]> {
  const steps: Rung[] = [];
  let above = base;
  for (const cost of stepCosts(base)) {
    const footprint = await footprints.estimateStep(base.footprint, base.cost, cost, base.model.path, sizeBytes);
    if (!footprint) return [];
    const step: Rung = { id: stepId(base.id, cost), runtimeId: base.runtimeId, model: base.model, cost, footprint };
    // GPU steps move memory from VRAM to RAM: what they must free is VRAM.
    const freed = cost.gpuLayers !== undefined ? above.footprint.vramBytes - footprint.vramBytes : rungBytes(above) - rungBytes(step);
    if (freed < Math.max(MIN_SAVING_BYTES, MIN_SAVING_FRACTION * rungBytes(above))) continue;
    steps.unshift(step);
    above = step;
  }
  return steps;
}

/** The key of the model a rung runs: its steps and its full rung share it. */
export const modelKeyOfRung = (rung: Rung): string => `${rung.runtimeId}|${rung.model.path}`;

/**
 * The ladder's order: models smallest first (by their full rungs), each model's steps just under
 * its full rung, cheapest first. `groups` are [steps…, full rung] per model.
 */
export function orderLadder(groups: Rung[][]): Rung[] {
  return [...groups].sort((a, b) => rungBytes(a.at(-1)!) - rungBytes(b.at(-1)!)).flat();
}

/**
 * What the scaler needs to know of a rung as a cascade step: which model it shares, the time a load
 * of that model takes (the full rung's: a step's own measured time is a context recreation), how
 * long a move to it from the same model takes (measured, else guessed from the KV cache it
 * allocates; a GPU step reloads the model, so it takes a load), and its context.
 */
export function cascadeProfileFields(
  rung: Rung,
  rungs: readonly Rung[],
  stats: ModelStats,
  loadSecondsOf: (rung: Rung) => number,
): Pick<ModelProfile, 'modelKey' | 'stepSeconds' | 'contextSize' | 'loadSeconds'> {
  const key = modelKeyOfRung(rung);
  const sameModel = rungs.filter((other) => modelKeyOfRung(other) === key);
  const full = sameModel.at(-1) ?? rung;
  const shape = rung.footprint.shape;
  const contextSize = shape ? contextSizeOf(shape, rung.cost) : rung.cost.contextSize;
  const fields = { modelKey: key, loadSeconds: loadSecondsOf(full), ...(contextSize !== undefined ? { contextSize } : {}) };
  if (sameModel.length < 2) return fields;
  const reloads = rung.cost.gpuLayers !== full.cost.gpuLayers;
  const kvBytes = shape ? kvCacheBytes(shape, contextSizeOf(shape, rung.cost), rung.cost.kvCacheType) : 0;
  const stepSeconds = reloads ? fields.loadSeconds : (stats.stepSeconds(rung.id) ?? Math.max(STEP_SECONDS_GUESS, kvBytes / STEP_BYTES_PER_SECOND));
  return { ...fields, stepSeconds };
}

/** Characters per token assumed when counting a conversation without its tokenizer: low, so the need is over- rather than under-counted. */
const CHARS_PER_TOKEN = 3;
/** Tokens a chat template adds per turn (role markers, separators). */
const TEMPLATE_TOKENS_PER_TURN = 8;
/** Most reply room asked for, tokens: a longer `maxTokens` is a cap, not a length a reply usually reaches. */
const MAX_REPLY_ROOM = 1024;

/**
 * Tokens the conversation needs plus the reply's room, estimated from its text (no tokenizer call
 * on the hot path): what the scaler keeps cascade steps' contexts above (`setContextNeed`).
 */
export function contextNeedOf(history: readonly ChatTurn[], maxTokens: number): number {
  let tokens = 0;
  for (const turn of history) tokens += Math.ceil(turn.text.length / CHARS_PER_TOKEN) + TEMPLATE_TOKENS_PER_TURN;
  return tokens + Math.min(maxTokens, MAX_REPLY_ROOM);
}
