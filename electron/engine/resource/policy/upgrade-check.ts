/**
 * The one way up (docs/scaling-policy.md, "Up"): the stabilization period since the last step down, the
 * bigger model's projected use under the upgrade line over that whole period (its maximum; the
 * 95th percentile is reported), the trend not rising, the CPU not crowded, replies
 * healthy, sensors present, and no reply in progress. Never up from a forecast alone.
 */
import type { ResourceTrack } from './resource-track';
import type { DecisionMetrics, UpgradeCheck } from './scaler-types';
import type { ScalerSettings } from './settings';
import type { TimeSeries } from './time-series';
import { windowLength } from './time-series';
import { windowMax, windowMedian, windowQuantile } from './trends';
import type { ModelProfile } from '../types';
import { pct } from './down-paths';

const MiB = 2 ** 20;

/** Everything the check reads; the scaler fills it from its state. */
export interface UpgradeContext {
  now: number;
  settings: ScalerSettings;
  ladder: readonly ModelProfile[];
  modelIndex: number;
  memory: ResourceTrack;
  vram: ResourceTrack;
  cpu: TimeSeries;
  /** Time of the first sample, ms. */
  historyStartT: number;
  lastDownAt: number | null;
  lastUpAt: number | null;
  cooldownUntil: number;
  upgradeGapMs: number;
  /** A switch on its way (described), or null. */
  busy: string | null;
  generating: boolean;
  paused: string | null;
  healthy: boolean;
  switchesInLastHour: number;
  /** Room (total − background, bytes) at which a model failed; it needs 20 % (≥ 512 MiB) more. */
  failedRoom: ReadonlyMap<string, number>;
  /** Last time PSI `some` or swap-in showed pressure, ms. */
  lastPressureSignalAt: number | null;
  onBattery: boolean | undefined;
  batteryPercent: number | undefined;
}

const secondsLeft = (untilMs: number, now: number): number => Math.max(0, (untilMs - now) / 1000);

/** Judges whether the next bigger model may be loaded now. Pure: reads the context only. */
export function checkUpgrade(context: UpgradeContext): UpgradeCheck {
  const { now, settings } = context;
  const stabilizationMs = settings.stabilizationSeconds * 1000;
  const bigger = context.ladder[context.modelIndex + 1];
  const blockers: string[] = [];
  const metrics: Record<string, number | string | boolean | null> = {};
  let wait = 0;
  const waitFor = (untilMs: number, reason: string): void => {
    const left = secondsLeft(untilMs, now);
    if (left > 0) {
      blockers.push(`${reason} (${Math.ceil(left)} s left)`);
      wait = Math.max(wait, left);
    }
  };

  if (context.paused !== null) blockers.push(`scaling is paused: ${context.paused}`);
  if (!bigger) return { upgrade: false, to: null, reason: 'already on the largest model', secondsUntilEligible: 0, metrics };
  if (context.busy) blockers.push(context.busy);
  waitFor(context.cooldownUntil, 'settling after the last switch');
  // After reverted upgrades the gap has doubled: the calm required after a step down grows with it.
  const calmMs = Math.max(stabilizationMs, context.upgradeGapMs);
  if (context.lastDownAt !== null) waitFor(context.lastDownAt + calmMs, `stabilization: ${Math.round(calmMs / 1000)} s since the last step down`);
  if (context.lastUpAt !== null) waitFor(context.lastUpAt + context.upgradeGapMs, `at most one upgrade per ${Math.round(context.upgradeGapMs / 1000)} s`);
  waitFor(context.historyStartT + stabilizationMs, `observing for ${settings.stabilizationSeconds} s before the first upgrade`);
  if (context.switchesInLastHour >= settings.maxSwitchesPerHour) blockers.push(`${context.switchesInLastHour} switches in the last hour (limit ${settings.maxSwitchesPerHour})`);

  for (const track of [context.memory, context.vram]) {
    const footprint = track.kind === 'memory' ? bigger.memBytes : bigger.vramBytes;
    if (track.kind === 'vram' && footprint === 0 && !track.available) continue;
    if (!track.available || !track.trend) {
      blockers.push(`${track.kind === 'memory' ? 'memory' : 'VRAM'} is not being measured`);
      continue;
    }
    const add = track.fractionOf(footprint);
    const window = track.series.since(now - calmMs);
    if (windowLength(window) === 0) continue;
    const p95 = windowQuantile(window, 0.95) + add;
    const max = windowMax(window) + add;
    const name = track.kind === 'memory' ? 'memory' : 'VRAM';
    metrics[`${track.kind}P95`] = round(p95);
    metrics[`${track.kind}Max`] = round(max);
    metrics[`${track.kind}UpgradeThreshold`] = track.thresholds.upgrade;
    // The highest projection in the window decides (as Kubernetes' scale-down stabilization does):
    // resources must have been good for the whole period, not most of it.
    if (max >= track.thresholds.upgrade) {
      let lastBad = now;
      for (let i = window.end - 1; i >= window.start; i--) {
        if (window.v[i]! + add >= track.thresholds.upgrade) {
          lastBad = window.t[i]!;
          break;
        }
      }
      blockers.push(`${bigger.id} would have used up to ${pct(max)} of ${name} in the last ${Math.round(calmMs / 1000)} s; it must stay under ${pct(track.thresholds.upgrade)}`);
      wait = Math.max(wait, secondsLeft(lastBad + calmMs, now));
    }
    const trend = track.trend;
    if (trend.reliable && trend.slopePerSecond > 0) {
      const toDegrade = (track.thresholds.degrade - (trend.fittedLevel + add)) / trend.slopePerSecond;
      if (toDegrade < settings.stabilizationSeconds) blockers.push(`${name} is still rising: ${bigger.id} would reach ${pct(track.thresholds.degrade)} in ${Math.round(toDegrade)} s`);
    }
    if (track.kind === 'memory') {
      const room = track.totalBytes * (1 - trend.level);
      const failed = context.failedRoom.get(bigger.id);
      if (failed !== undefined && room < failed + Math.max(0.2 * failed, 512 * MiB)) {
        blockers.push(`${bigger.id} failed with ${Math.round(failed / MiB)} MiB of room; it needs ${Math.round((failed + Math.max(0.2 * failed, 512 * MiB)) / MiB)} MiB before another try`);
      }
    }
  }

  const cpuWindow = context.cpu.since(now - stabilizationMs);
  if (windowLength(cpuWindow) > 0) {
    const cpu = windowMedian(cpuWindow);
    metrics.otherCpuLoad = round(cpu);
    if (cpu >= settings.upgradeMaxCpuLoad) blockers.push(`other programs use ${pct(cpu)} of the CPU (limit ${pct(settings.upgradeMaxCpuLoad)})`);
  }
  if (context.lastPressureSignalAt !== null) waitFor(context.lastPressureSignalAt + stabilizationMs, 'memory stalls or swapping seen recently');
  if (!context.healthy) blockers.push('replies on the current model are slow or failing');
  if (context.onBattery && (context.batteryPercent ?? 100) < 30) blockers.push(`on battery at ${context.batteryPercent} %`);
  if (context.generating) blockers.push('waiting for the reply in progress to end');

  if (blockers.length > 0) {
    return { upgrade: false, to: bigger.id, reason: blockers[0]!, secondsUntilEligible: Math.ceil(wait), metrics: { ...metrics, blockers: blockers.join('; ') } };
  }
  const name = context.vram.available && bigger.vramBytes > 0 ? 'memory and VRAM' : 'memory';
  return {
    upgrade: true,
    to: bigger.id,
    reason: `${bigger.id} would have used at most ${pct(Number(metrics.memoryMax))} of memory (95th percentile ${pct(Number(metrics.memoryP95))}) over the last ${Math.round(calmMs / 1000)} s, under the ${pct(context.memory.thresholds.upgrade)} upgrade line; ${name} stable, replies healthy`,
    secondsUntilEligible: 0,
    metrics: metrics as DecisionMetrics,
  };
}

const round = (value: number): number => Math.round(value * 10000) / 10000;
