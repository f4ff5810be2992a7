/**
 * Building the ladder: every model main lists is checked and estimated by its runtime (a file that
 * fails is left off with a notice), ordered by memory, cut at the quality floor; then the first
 * model to load and the profiles the scaler plans with.
 */
import path from 'node:path';
import { MaiError } from '../../../shared/errors';
import type { ModelProfile, ResourceSample } from '../resource/types';
import type { FootprintEstimator } from './footprint';
import { cascadeProfileFields, cascadeSteps, modelKeyOfRung, orderLadder } from './ladder-cascade';
import type { ConfigureRequest, LadderInput } from './manager-settings';
import type { ModelRuntime } from './model-runtime';
import type { ModelStats } from './model-stats';
import { rungBytes, type Rung } from './rung';
import { sameCost } from './rung-cost';

/** Context size assumed for the estimate when neither the model nor the settings give one, tokens. */
const DEFAULT_CONTEXT = 4096;

/**
 * The rungs for `request`, smallest first, on `runtime`. `refuse` hears each file left off and why;
 * throws `no-model` when nothing is left.
 */
export async function buildLadder(
  request: ConfigureRequest,
  runtime: ModelRuntime,
  footprints: FootprintEstimator,
  refuse: (model: LadderInput, error: Error) => void,
): Promise<Rung[]> {
  const avoid = new Set(request.avoidPaths ?? []);
  /** Per model: its cascade steps, cheapest first, then its full rung. */
  const groups: Rung[][] = [];
  for (const model of request.models) {
    if (avoid.has(model.path) && model.path !== request.preferredPath) continue;
    const contextSize = model.contextSize ?? request.settings.contextSize;
    // Every file is checked before node-llama-cpp reads a byte of it (the runtime's estimate does):
    // its own header reader trusts the counts it reads, and one malformed file would take the engine down.
    const estimate = await runtime.estimate(model.path, model.sizeBytes, contextSize ?? DEFAULT_CONTEXT).then(
      (value) => value,
      (error: Error) => {
        refuse(model, error);
        return null;
      },
    );
    if (!estimate) continue;
    // GPU layers left to node-llama-cpp (the full rung's cost sets none).
    const footprint = await footprints.estimate(estimate, model.path, model.sizeBytes, contextSize ?? DEFAULT_CONTEXT, undefined);
    const rung: Rung = {
      id: model.path,
      runtimeId: runtime.runtimeIdOf?.(model.path) ?? runtime.id,
      model: { path: model.path, name: footprint.name ?? path.basename(model.path, '.gguf'), synthetic: model.synthetic },
      cost: contextSize ? { contextSize } : {},
      footprint,
    };
    groups.push([...(request.settings.cascade === false ? [] : await cascadeSteps(rung, model.sizeBytes, footprints)), rung]);
  }
  const rungs = orderLadder(groups);
  // The floor is a model: its own cascade steps stay, smaller models go.
  const floor = rungs.findLast((rung) => rung.model.path === request.settings.qualityFloorPath);
  const kept = floor ? rungs.filter((rung) => rungBytes(groups.find((group) => group.includes(rung))!.at(-1)!) >= rungBytes(floor)) : rungs;
  if (kept.length === 0) throw new MaiError('no-model', 'No model to load: the models folder is empty.');
  return kept;
}

/**
 * Reports a file left off the ladder: a log line every time, a notice once per file (path and
 * size), so a rebuilt ladder does not repeat it.
 */
export function refusalReporter(say: (channel: 'log' | 'notice', message: string) => void): (model: LadderInput, error: Error) => void {
  const notified = new Set<string>();
  return (model, error) => {
    const reason = error instanceof MaiError ? error.message : `Mai cannot read it (${error.message}).`;
    say('log', `${model.path} left off the model list: ${reason}`);
    const key = `${model.path}|${model.sizeBytes}`;
    if (notified.has(key)) return;
    notified.add(key);
    say('notice', `${path.basename(model.path)} was left out of the model list: ${reason}`);
  };
}

/**
 * The preferred model if it is on the ladder, else the largest that fits under 60 % of memory now.
 * When the preferred model is the one `loaded` (a settings change rebuilding the ladder), the new
 * ladder's rung at the cost it runs at now, if there is one: a cascade step the scaler took under
 * memory pressure stays, instead of its context being recreated at full cost only for the same
 * pressure to force the step again (two context rebuilds, two notices).
 */
export function pickInitial(rungs: readonly Rung[], preferredPath: string | null, sample: ResourceSample | null, loaded: Rung | null = null): Rung {
  if (loaded && loaded.model.path === preferredPath) {
    const same = rungs.find((rung) => modelKeyOfRung(rung) === modelKeyOfRung(loaded) && sameCost(rung.cost, loaded.cost));
    if (same) return same;
  }
  // The model's full rung (its cascade steps sit under it).
  const preferred = rungs.findLast((rung) => rung.model.path === preferredPath);
  if (preferred) return preferred;
  const fits = (rung: Rung) => !sample || sample.memUsedBytes - sample.ownMemBytes + rung.footprint.memBytes < sample.memTotalBytes * 0.6;
  return [...rungs].reverse().find(fits) ?? rungs[0]!;
}

/** Seconds a switch to `rung` takes: measured, else guessed from its size (400 MB/s, at least 0.5 s). */
export function loadSecondsOf(rung: Rung, stats: ModelStats): number {
  return stats.loadSeconds(rung.id) ?? Math.max(0.5, rung.footprint.memBytes / 400e6);
}

/** The ladder as the scaler plans with it. */
export function scalerProfiles(rungs: readonly Rung[], stats: ModelStats): ModelProfile[] {
  return rungs.map((rung) => {
    const tokensPerSecond = stats.tokensPerSecond(rung.id);
    return {
      id: rung.id,
      memBytes: rung.footprint.memBytes,
      vramBytes: rung.footprint.vramBytes,
      ...cascadeProfileFields(rung, rungs, stats, (full) => loadSecondsOf(full, stats)),
      ...(tokensPerSecond ? { tokensPerSecond } : {}),
    };
  });
}
