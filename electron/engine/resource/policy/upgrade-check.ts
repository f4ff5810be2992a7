/**
 * The one way up (docs/scaling-policy.md, "Up"): the stabilization period since the last step down, the
 * bigger model's projected use under the upgrade line over that whole period (its maximum; the
 * 95th percentile is reported), the trend not rising, the CPU not crowded, replies
 * healthy, sensors present, and no reply in progress. Never up from a forecast alone. Every rule
 * that holds an upgrade has one name (`UpgradeHoldRule`) and, when it ends by itself, its time.
 */
import type { ResourceTrack } from './resource-track';
import type { DecisionMetrics, UpgradeCheck, UpgradeHoldRule } from './scaler-types';
import type { ScalerSettings } from './settings';
import type { TimeSeries } from './time-series';
import { windowLength } from './time-series';
import { windowMax, windowMedian, windowQuantile } from './trends';
import type { ModelProfile } from '../types';
import { contextAllows } from './cascade';
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
  /** End of the cooldown (ms): the load in progress, if any, plus the settle time. */
  cooldownUntil: number;
  /** The gap between upgrades now in force, ms: `upgradeGapSeconds`, doubled after each reverted upgrade. */
  upgradeGapMs: number;
  /** A switch on its way (described), or null. */
  busy: string | null;
  generating: boolean;
  paused: string | null;
  healthy: boolean;
  switchesInLastHour: number;
  /** Start of the oldest non-emergency switch still counted in the hourly cap, ms. */
  oldestSwitchInHourAt: number | null;
  /** Room (total − background, bytes) at which a model failed; it needs 20 % (≥ 512 MiB) more. */
  failedRoom: ReadonlyMap<string, number>;
  /** Last time PSI `some` or swap-in showed pressure, ms. */
  lastPressureSignalAt: number | null;
  onBattery: boolean | undefined;
  batteryPercent: number | undefined;
  /** Tokens the conversation needs plus the reply's room: a cascade step with a shorter context is not a target (0: any). */
  contextNeed?: number;
}

const secondsLeft = (untilMs: number, now: number): number => Math.max(0, (untilMs - now) / 1000);

/** One reason an upgrade cannot happen now; `untilMs` when it ends by itself at a known time. */
interface Hold {
  rule: UpgradeHoldRule;
  text: string;
  untilMs: number | null;
}

/**
 * Judges whether a bigger model may be loaded now, and which: after a relief that held for the
 * calm window, the largest rung whose projection stayed under the upgrade line (one rung only
 * while reverted upgrades back off). When not, every rule that holds it with the time it ends;
 * the one that ends last (or one that has no end) is the `hold` the notice and the panel show.
 * Pure: reads the context only.
 */
export function checkUpgrade(context: UpgradeContext): UpgradeCheck {
  const { now, settings } = context;
  const stabilizationMs = settings.stabilizationSeconds * 1000;
  const next = context.ladder[context.modelIndex + 1];
  if (!next) return { upgrade: false, to: null, reason: 'already on the largest model', secondsUntilEligible: 0, hold: null, metrics: {} };
  const holds: Hold[] = [];
  const timed = (rule: UpgradeHoldRule, untilMs: number, text: string): void => {
    if (untilMs > now) holds.push({ rule, text, untilMs });
  };
  const untimed = (rule: UpgradeHoldRule, text: string): void => {
    holds.push({ rule, text, untilMs: null });
  };

  // Reverted upgrades double the gap (the backoff); until one happens the gap only spaces upgrades.
  const baseGapMs = settings.upgradeGapSeconds * 1000;
  const backoff = context.upgradeGapMs > baseGapMs;
  // The calm window: the stabilization period, or the backoff when reverted upgrades made it longer.
  const calmMs = backoff ? Math.max(stabilizationMs, context.upgradeGapMs) : stabilizationMs;
  const calmRule: UpgradeHoldRule = backoff && context.upgradeGapMs > stabilizationMs ? 'revert-backoff' : 'stabilization';
  const calmName =
    calmRule === 'revert-backoff'
      ? `reverted-upgrade backoff: ${Math.round(calmMs / 1000)} s of calm (doubled after an upgrade that did not hold)`
      : `stabilization period: ${settings.stabilizationSeconds} s of calm`;

  if (context.paused !== null) untimed('paused', `scaling is paused: ${context.paused}`);
  if (context.busy) untimed('switching', context.busy);
  timed('cooldown', context.cooldownUntil, 'cooldown: the last switch is loading or settling');
  if (context.lastDownAt !== null) timed(calmRule, context.lastDownAt + calmMs, `${calmName} since the last step down`);
  if (context.lastUpAt !== null) {
    timed(
      backoff ? 'revert-backoff' : 'upgrade-gap',
      context.lastUpAt + context.upgradeGapMs,
      backoff
        ? `reverted-upgrade backoff: at most one upgrade per ${Math.round(context.upgradeGapMs / 1000)} s`
        : `minimum gap between upgrades: ${Math.round(context.upgradeGapMs / 1000)} s`,
    );
  }
  timed(
    'stabilization',
    context.historyStartT + stabilizationMs,
    `stabilization period: observing for ${settings.stabilizationSeconds} s before the first upgrade`,
  );
  if (context.switchesInLastHour >= settings.maxSwitchesPerHour) {
    const text = `hourly cap: ${context.switchesInLastHour} switches in the last hour (limit ${settings.maxSwitchesPerHour})`;
    if (context.oldestSwitchInHourAt !== null) timed('hourly-cap', context.oldestSwitchInHourAt + 3_600_000, text);
    else untimed('hourly-cap', text);
  }
  const cpuWindow = context.cpu.since(now - stabilizationMs);
  const metrics: Record<string, number | string | boolean | null> = {};
  if (windowLength(cpuWindow) > 0) {
    const cpu = windowMedian(cpuWindow);
    metrics.otherCpuLoad = round(cpu);
    if (cpu >= settings.upgradeMaxCpuLoad) untimed('cpu', `other programs use ${pct(cpu)} of the CPU (limit ${pct(settings.upgradeMaxCpuLoad)})`);
  }
  if (context.lastPressureSignalAt !== null)
    timed('stalls', context.lastPressureSignalAt + stabilizationMs, `memory stalls or swapping seen in the last ${settings.stabilizationSeconds} s`);
  if (!context.healthy) untimed('performance', 'replies on the current model are slow or failing');
  if (context.onBattery && (context.batteryPercent ?? 100) < 30) untimed('battery', `on battery at ${context.batteryPercent} %`);
  if (context.generating) untimed('reply', 'waiting for the reply in progress to end');

  // The largest rung whose resources held (one rung only while reverted upgrades back off).
  const top = backoff ? context.modelIndex + 1 : context.ladder.length - 1;
  let chosen: { index: number; metrics: Record<string, number | string | boolean | null> } | null = null;
  let nextHolds: Hold[] = [];
  let nextMetrics: Record<string, number | string | boolean | null> = {};
  for (let index = top; index > context.modelIndex; index--) {
    // Undoing steps never lands on a context shorter than the conversation needs.
    if (index !== context.modelIndex + 1 && !contextAllows(context.ladder[index]!, context.contextNeed ?? 0)) continue;
    const result = resourceHolds(context, context.ladder[index]!, calmMs, calmRule, calmName);
    if (index === context.modelIndex + 1) {
      nextHolds = result.holds;
      nextMetrics = result.metrics;
    }
    if (result.holds.length === 0) {
      chosen = { index, metrics: result.metrics };
      break;
    }
  }
  if (!chosen) holds.push(...nextHolds);

  if (holds.length > 0) {
    const hold = holdingRule(holds, now);
    const wait = Math.max(0, ...holds.map((h) => (h.untilMs === null ? 0 : secondsLeft(h.untilMs, now))));
    const all = { ...metrics, ...(chosen?.metrics ?? nextMetrics) };
    return {
      upgrade: false,
      to: (chosen ? context.ladder[chosen.index]! : next).id,
      reason: hold.text,
      secondsUntilEligible: Math.ceil(wait),
      hold: { rule: hold.rule, text: hold.text, seconds: hold.untilMs === null ? null : Math.ceil(secondsLeft(hold.untilMs, now)) },
      metrics: { ...all, holdingRule: hold.rule, blockers: holds.map((h) => h.text).join('; ') },
    };
  }
  const to = context.ladder[chosen!.index]!;
  const all = { ...metrics, ...chosen!.metrics };
  const name = context.vram.available && to.vramBytes > 0 ? 'memory and VRAM' : 'memory';
  return {
    upgrade: true,
    to: to.id,
    reason: `${to.id} would have used at most ${pct(Number(all.memoryMax))} of memory (95th percentile ${pct(Number(all.memoryP95))}) over the last ${Math.round(calmMs / 1000)} s, under the ${pct(context.memory.thresholds.upgrade)} upgrade line; ${name} stable, replies healthy`,
    secondsUntilEligible: 0,
    hold: null,
    metrics: all as DecisionMetrics,
  };
}

/** The hold the user is told about: one with no end if any, else the one that ends last. */
function holdingRule(holds: readonly Hold[], now: number): Hold {
  const open = holds.find((h) => h.untilMs === null);
  if (open) return open;
  let latest = holds[0]!;
  for (const h of holds) if (secondsLeft(h.untilMs!, now) > secondsLeft(latest.untilMs!, now)) latest = h;
  return latest;
}

/** What holds `rung` back on memory and VRAM: its projection over the calm window, a rise, a failed load. */
function resourceHolds(
  context: UpgradeContext,
  rung: ModelProfile,
  calmMs: number,
  calmRule: UpgradeHoldRule,
  calmName: string,
): { holds: Hold[]; metrics: Record<string, number | string | boolean | null> } {
  const { now, settings } = context;
  const holds: Hold[] = [];
  const metrics: Record<string, number | string | boolean | null> = {};
  for (const track of [context.memory, context.vram]) {
    const footprint = track.kind === 'memory' ? rung.memBytes : rung.vramBytes;
    if (track.kind === 'vram' && footprint === 0 && !track.available) continue;
    const name = track.kind === 'memory' ? 'memory' : 'VRAM';
    if (!track.available || !track.trend) {
      holds.push({ rule: 'sensor', text: `${name} is not being measured`, untilMs: null });
      continue;
    }
    const add = track.fractionOf(footprint);
    const window = track.series.since(now - calmMs);
    if (windowLength(window) === 0) continue;
    const p95 = windowQuantile(window, 0.95) + add;
    const max = windowMax(window) + add;
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
      holds.push({
        rule: calmRule,
        text: `${calmName} under ${pct(track.thresholds.upgrade)} of ${name} with ${rung.id} loaded (it would have used up to ${pct(max)})`,
        untilMs: Math.max(now + 1, lastBad + calmMs),
      });
    }
    const trend = track.trend;
    if (trend.reliable && trend.slopePerSecond > 0) {
      const toDegrade = (track.thresholds.degrade - (trend.fittedLevel + add)) / trend.slopePerSecond;
      if (toDegrade < settings.stabilizationSeconds)
        holds.push({
          rule: 'rising',
          text: `${name} is still rising: ${rung.id} would reach ${pct(track.thresholds.degrade)} in ${Math.round(toDegrade)} s`,
          untilMs: null,
        });
    }
    if (track.kind === 'memory') {
      const room = track.totalBytes * (1 - trend.level);
      const failed = context.failedRoom.get(rung.id);
      if (failed !== undefined && room < failed + Math.max(0.2 * failed, 512 * MiB)) {
        holds.push({
          rule: 'failed-load',
          text: `${rung.id} failed with ${Math.round(failed / MiB)} MiB of room; it needs ${Math.round((failed + Math.max(0.2 * failed, 512 * MiB)) / MiB)} MiB before another try`,
          untilMs: null,
        });
      }
    }
  }
  return { holds, metrics };
}

const round = (value: number): number => Math.round(value * 10000) / 10000;
