/**
 * The pre-flight answer before a reply: pure arithmetic on the trends cached at the last sample,
 * so it costs a few hundred nanoseconds and never waits for I/O. Its horizon is the expected
 * length of the reply plus the switch latency (docs/scaling-policy.md, "Pre-flight"): a switch mid-reply interrupts the
 * user, a switch before the reply costs only the load.
 */
import { switchSeconds } from './cascade';
import { pct, pctRate } from './down-paths';
import type { PerformanceTracker } from './performance';
import type { ResourceTrack } from './resource-track';
import type { ScalerSettings } from './settings';
import type { ModelProfile, PreflightAnswer, PreflightRequest } from '../types';

/** Speed assumed for a model with neither feedback nor a declared rate, tokens/s. */
const FALLBACK_TOKENS_PER_SECOND = 10;
/** Time to first token assumed without feedback, ms. */
const FALLBACK_TTFT_MS = 500;

/** What the answer is computed from. */
export interface PreflightContext {
  request: PreflightRequest;
  ladder: readonly ModelProfile[];
  modelIndex: number;
  memory: ResourceTrack;
  vram: ResourceTrack;
  settings: ScalerSettings;
  threads: number;
  performance: PerformanceTracker;
  /** A switch is loading or the cooldown runs: no new step down before the reply. */
  settling: boolean;
  /** The rung the scaler would step down to from the current one (a cascade step or a smaller model); absent: the next rung. */
  stepDown?: ModelProfile | undefined;
}

interface ResourceOutlook {
  name: string;
  /** Projected use now and at the end of the reply, on the requested model. */
  now: number;
  end: number;
  /** Seconds until the degrade line is crossed on the requested model; Infinity = never. */
  crossing: number;
  latest: number;
  slope: number;
  critical: boolean;
  track: ResourceTrack;
}

function outlook(track: ResourceTrack, footprintBytes: number, seconds: number): ResourceOutlook | null {
  const trend = track.trend;
  if (!track.available || !trend) return null;
  const add = track.fractionOf(footprintBytes);
  const slope = trend.reliable ? Math.max(0, trend.slopePerSecond) : 0;
  // The smoothed level (or the fitted line when a trend is established): one noisy sample must
  // not switch models, and a real jump shows in the level within a few samples.
  const now = (trend.reliable ? Math.max(trend.fittedLevel, trend.level) : trend.level) + add;
  const degrade = track.thresholds.degrade;
  const crossing = now >= degrade ? 0 : slope > 0 ? (degrade - now) / slope : Infinity;
  // Critical as the emergency rule sees it: two samples over the line, or the level itself.
  const critical = track.criticalCount >= 2 || trend.level + add >= track.thresholds.critical;
  return { name: track.kind === 'memory' ? 'memory' : 'VRAM', now, end: now + slope * seconds, crossing, latest: trend.latest + add, slope, critical, track };
}

/** Answers "can the next reply run on this model, and at what cost". */
export function answerPreflight(context: PreflightContext): PreflightAnswer {
  const { request, ladder, performance } = context;
  const index = request.modelId
    ? Math.max(
        0,
        ladder.findIndex((model) => model.id === request.modelId),
      )
    : context.modelIndex;
  const model = ladder[index]!;
  const tokens = request.expectedOutputTokens ?? 256;
  const speed = performance.expectedTokensPerSecond(model.id) ?? model.tokensPerSecond ?? FALLBACK_TOKENS_PER_SECOND;
  const expectedSeconds = (performance.expectedTtftMs(model.id) ?? FALLBACK_TTFT_MS) / 1000 + tokens / Math.max(0.01, speed);
  const kvBytes = ((request.promptTokens ?? 0) + tokens) * (model.kvBytesPerToken ?? 0);
  const smaller = index === context.modelIndex && context.stepDown ? context.stepDown : index > 0 ? ladder[index - 1] : undefined;
  const switchLatency = smaller ? switchSeconds(model, smaller) : 0;

  const outlooks = [outlook(context.memory, model.memBytes + kvBytes, expectedSeconds), outlook(context.vram, model.vramBytes, expectedSeconds)].filter(
    (value): value is ResourceOutlook => value !== null && !(value.track.kind === 'vram' && model.vramBytes === 0),
  );
  const worst = outlooks.reduce<ResourceOutlook | undefined>((a, b) => (!a || b.crossing < a.crossing ? b : a), undefined);
  const base = {
    modelId: model.id,
    threads: context.threads,
    expectedSeconds: Math.round(expectedSeconds * 10) / 10,
    projectedMemoryFraction: Math.round((outlooks.find((o) => o.track.kind === 'memory')?.end ?? 0) * 1000) / 1000,
  };
  if (!worst) {
    return { ...base, verdict: 'go', secondsToThreshold: null, reason: 'memory is not measured yet; running on the requested model' };
  }
  const secondsToThreshold = Number.isFinite(worst.crossing) ? Math.round(worst.crossing) : null;
  const answer = { ...base, secondsToThreshold };

  const criticalOutlook = outlooks.find((o) => o.critical);
  if (criticalOutlook) {
    // Near exhaustion: the largest model that fits under the degrade line right now.
    let fit = 0;
    for (let i = index; i >= 0; i--) {
      const candidate = ladder[i]!;
      const fits = outlooks.every(
        (o) =>
          (o.track.trend?.latest ?? 0) + o.track.fractionOf(o.track.kind === 'memory' ? candidate.memBytes : candidate.vramBytes) < o.track.thresholds.degrade,
      );
      if (fits) {
        fit = i;
        break;
      }
    }
    return {
      ...answer,
      verdict: 'critical',
      modelId: ladder[fit]!.id,
      reason: `${criticalOutlook.name} at ${pct(criticalOutlook.latest)}, over the ${pct(criticalOutlook.track.thresholds.critical)} critical line: run on ${ladder[fit]!.id}`,
    };
  }
  const replyAndSwitch = expectedSeconds + switchLatency;
  const described = `${worst.name} ${pct(worst.now)} now, ${pctRate(worst.slope)}; a ~${expectedSeconds.toFixed(0)} s reply`;
  if (worst.crossing <= replyAndSwitch) {
    if (smaller && !context.settling) {
      return {
        ...answer,
        verdict: 'degrade-first',
        modelId: smaller.id,
        reason: `${described} would end over ${pct(worst.track.thresholds.degrade)} (${pct(worst.end)}): switch to ${smaller.id} before starting`,
      };
    }
    return {
      ...answer,
      verdict: 'go-degraded',
      reason: `${described} may end over ${pct(worst.track.thresholds.degrade)}; ${smaller ? 'a switch is settling' : 'already the smallest model'}, so it runs as is`,
    };
  }
  if (worst.crossing <= replyAndSwitch + context.settings.horizonMarginSeconds) {
    return {
      ...answer,
      verdict: 'go-degraded',
      reason: `${described} fits, but ${worst.name} is forecast over the line ${Math.round(worst.crossing)} s from now: expect a step down after it`,
    };
  }
  return { ...answer, verdict: 'go', reason: `${described} fits: ${pct(worst.end)} at its end, line at ${pct(worst.track.thresholds.degrade)}` };
}
