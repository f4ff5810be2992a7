/**
 * The step-down rules for one resource, first match wins (docs/scaling-policy.md, "Down"):
 * emergency → step → velocity → climb → level → trend. Each call advances the rules' timers, so it runs
 * on every sample even when the scaler may not act (cooldown, a switch in progress): a level
 * held over the line during a cooldown then acts the moment the cooldown ends.
 */
import type { ResourceTrack } from './resource-track';
import type { DecisionMetrics } from './scaler-types';
import type { ScalerSettings } from './settings';

/** A rule that fired. */
export interface DownSignal {
  path: 'emergency' | 'step' | 'velocity' | 'ramp' | 'climb' | 'level' | 'pressure' | 'trend';
  resource: 'memory' | 'vram';
  /** `critical` may interrupt a reply. */
  urgency: 'normal' | 'critical';
  /** `fit`: straight to the largest model that fits now; `one`: the next smaller rung. */
  reach: 'fit' | 'one';
  reason: string;
  metrics: DecisionMetrics;
}

/** Fraction as a percentage with one decimal. */
export const pct = (fraction: number): string => `${(fraction * 100).toFixed(1)}%`;
/** Rate as percentage points per second. */
export const pctRate = (perSecond: number): string => `${perSecond >= 0 ? '+' : ''}${(perSecond * 100).toFixed(3)} %/s`;
const round = (value: number, digits = 4): number => Math.round(value * 10 ** digits) / 10 ** digits;

/** Timing inputs of the rules. */
export interface DownContext {
  now: number;
  settings: ScalerSettings;
  /** Load time of the next smaller model, seconds (the switch latency). */
  loadSeconds: number;
  /** Forecast horizon, seconds: switch latency + margin. */
  horizonSeconds: number;
  /**
   * Whether the fast-ramp rule may act: from a rung reached in calm (start, upgrade), not right
   * after a step down (a second step must be confirmed by the slower rules: the climb may have stopped).
   */
  rampAllowed: boolean;
}

/**
 * The fast-ramp rule acts when its forecast crossing is this close beyond the next rung's load
 * time, seconds: the decision lands at the next sample, and a wider margin would catch fast
 * climbs that stop a few points under the line (the oscillation traces' edges).
 */
export const RAMP_MARGIN_SECONDS = 5;

/** Runs the rules for `track`; returns the first that fires, or null. */
export function assessDownPaths(track: ResourceTrack, context: DownContext): DownSignal | null {
  const trend = track.trend;
  if (!track.available || !trend) return null;
  const { now, settings } = context;
  const th = track.thresholds;
  const f = track.footprint;
  const latest = trend.latest + f;
  const level = trend.level + f;
  const name = track.kind === 'memory' ? 'memory' : 'VRAM';
  const base = {
    resource: track.kind,
    latest: round(latest),
    level: round(level),
    degradeThreshold: th.degrade,
    criticalThreshold: th.critical,
    slopePerSecond: round(trend.slopePerSecond, 6),
  };

  // Timers first, so that every rule's state is current whichever one fires.
  track.criticalCount = latest >= th.critical ? track.criticalCount + 1 : 0;
  let stepConfirmed = false;
  if (track.stepCandidate && track.stepCandidate.t < now) {
    if (latest >= th.degrade) stepConfirmed = true;
    else track.stepCandidate = null;
  }
  if (!track.stepCandidate && trend.jump >= trend.stepThreshold && latest >= th.degrade) {
    track.stepCandidate = { t: now, jump: trend.jump, stepThreshold: trend.stepThreshold };
  }
  track.levelOverSince = level >= th.degrade ? (track.levelOverSince ?? now) : null;
  track.overSince = latest >= th.degrade ? (track.overSince ?? now) : null;
  const forecast = trend.secondsToThreshold;
  track.trendSince = trend.reliable && forecast !== null && forecast <= context.horizonSeconds ? (track.trendSince ?? now) : null;

  if (track.criticalCount >= 2) {
    return {
      path: 'emergency',
      resource: track.kind,
      urgency: 'critical',
      reach: 'fit',
      reason: `${name} at ${pct(latest)} for ${track.criticalCount} samples, over the ${pct(th.critical)} critical line`,
      metrics: { ...base, samplesOverCritical: track.criticalCount },
    };
  }
  if (stepConfirmed && track.stepCandidate) {
    const jump = track.stepCandidate.jump;
    return {
      path: 'step',
      resource: track.kind,
      urgency: latest >= th.critical ? 'critical' : 'normal',
      reach: 'fit',
      reason: `${name} jumped ${(jump * 100).toFixed(1)} points to ${pct(latest)} and stayed over ${pct(th.degrade)} the next sample`,
      metrics: { ...base, jump: round(jump), stepThreshold: round(track.stepCandidate.stepThreshold) },
    };
  }
  if (track.risingIntervals >= settings.velocitySamples && now > track.riseStartT) {
    const rise = trend.latest - track.riseStartValue;
    const rate = (rise * 1000) / (now - track.riseStartT);
    // Heading for critical: at this rate, waiting one more sample would pass the critical line
    // before the smaller model could load. A fast climb that would only pass the degrade line is
    // left to the step, climb and trend rules, which need it confirmed: a burst of a few seconds
    // that rises fast but stops under the line must not cost a switch.
    const reachSeconds = context.loadSeconds + settings.sampleIntervalSeconds;
    const projected = latest + rate * reachSeconds;
    if (rise >= trend.stepThreshold && projected >= th.critical) {
      return {
        path: 'velocity',
        resource: track.kind,
        urgency: latest >= th.critical ? 'critical' : 'normal',
        reach: 'fit',
        reason: `${name} climbing ${pctRate(rate)} for ${((now - track.riseStartT) / 1000).toFixed(0)} s (now ${pct(latest)}); at this rate it would reach ${pct(projected)}, past the ${pct(th.critical)} critical line, before a ${context.loadSeconds} s load could finish`,
        metrics: { ...base, risePerSecond: round(rate, 6), rise: round(rise), loadSeconds: context.loadSeconds, projectedAtLoad: round(projected) },
      };
    }
  }
  const ramp = trend.ramp;
  if (context.rampAllowed && ramp && latest < th.critical) {
    // A climb too young for the 60 s slope: its 10 s slope, confirmed sample by sample, forecast
    // to the moment its noise envelope touches the line. Acted on only when the step could not
    // wait: the crossing comes within the next rung's load time plus a small margin.
    const from = ramp.fittedLevel + f;
    const envelope = Math.min(0.05, 2 * trend.noise);
    const toCross = from >= th.degrade - envelope ? 0 : (th.degrade - envelope - from) / ramp.slopePerSecond;
    const reach = context.loadSeconds + RAMP_MARGIN_SECONDS;
    if (toCross <= reach) {
      return {
        path: 'ramp',
        resource: track.kind,
        urgency: 'normal',
        reach: 'one',
        reason: `${name} climbing fast (${pctRate(ramp.slopePerSecond)} over the last ${ramp.seconds.toFixed(0)} s, now ${pct(latest)}): at this rate it reaches ${pct(th.degrade)} in ${toCross.toFixed(0)} s; a switch takes ${context.loadSeconds} s`,
        metrics: {
          ...base,
          rampSlopePerSecond: round(ramp.slopePerSecond, 6),
          rampSeconds: round(ramp.seconds, 1),
          secondsToThreshold: round(toCross, 1),
          loadSeconds: context.loadSeconds,
        },
      };
    }
  }
  if (track.overSince !== null && now - track.overSince >= settings.climbConfirmSeconds * 1000 && trend.rising && trend.change !== 'spike') {
    // A climb that took many samples to build is not a spike: no need for the median's lag.
    return {
      path: 'climb',
      resource: track.kind,
      urgency: latest >= th.critical ? 'critical' : 'normal',
      reach: 'one',
      reason: `${name} over ${pct(th.degrade)} for ${((now - track.overSince) / 1000).toFixed(0)} s at the end of a steady climb (${pctRate(trend.slopePerSecond)} over ${settings.shortWindowSeconds} s; now ${pct(latest)})`,
      metrics: { ...base, overSeconds: (now - track.overSince) / 1000 },
    };
  }
  if (track.levelOverSince !== null && now - track.levelOverSince >= settings.levelHoldSeconds * 1000) {
    const held = (now - track.levelOverSince) / 1000;
    return {
      path: 'level',
      resource: track.kind,
      urgency: 'normal',
      reach: 'one',
      reason: `${name} held at ${pct(level)} (median of ${settings.levelWindowSeconds} s) over ${pct(th.degrade)} for ${held.toFixed(0)} s`,
      metrics: { ...base, heldSeconds: held },
    };
  }
  if (track.trendSince !== null && now - track.trendSince >= settings.trendHoldSeconds * 1000 && forecast !== null) {
    return {
      path: 'trend',
      resource: track.kind,
      urgency: 'normal',
      reach: 'one',
      reason: `${name} forecast to reach ${pct(th.degrade)} in ${forecast.toFixed(0)} s (now ${pct(trend.fittedLevel + f)}, ${pctRate(trend.slopePerSecond)} over ${settings.shortWindowSeconds} s, ${pctRate(trend.longSlopePerSecond)} over ${settings.longWindowSeconds} s); a switch takes ${context.loadSeconds} s, horizon ${context.horizonSeconds.toFixed(0)} s`,
      metrics: {
        ...base,
        fittedLevel: round(trend.fittedLevel + f),
        longSlopePerSecond: round(trend.longSlopePerSecond, 6),
        secondsToThreshold: round(forecast, 1),
        horizonSeconds: context.horizonSeconds,
      },
    };
  }
  return null;
}
