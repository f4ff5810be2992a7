/**
 * Merges the tier's budgets with the user's settings into the thresholds the policies use.
 * Explicit user thresholds win as written; thresholds taken from the tier are additionally capped
 * by the system reserve. VRAM thresholds are always capped by node-llama-cpp's own padding
 * (min(8 %, 1.6 GiB)), because loading past it fails rather than swaps.
 */
import type { TierAssessment } from './hardware-tiers';
import { ResourceInputError, type ScalerSettings, type ValidationIssue } from './settings';

/** Thresholds of one resource, fractions of its total. */
export interface ResourceThresholds {
  degrade: number;
  critical: number;
  upgrade: number;
}

/** Settings with every threshold decided. */
export interface ResolvedScalerSettings extends ScalerSettings {
  memory: ResourceThresholds;
  vram: ResourceThresholds;
  systemReserveBytesResolved: number;
}

const VRAM_PADDING_FRACTION = 0.08;
const VRAM_PADDING_MAX_BYTES = 1.6 * 2 ** 30;
const round3 = (value: number): number => Math.round(value * 1000) / 1000;

/** node-llama-cpp's VRAM padding for a device of `totalBytes`. */
export function vramPaddingBytes(totalBytes: number): number {
  return Math.min(totalBytes * VRAM_PADDING_FRACTION, VRAM_PADDING_MAX_BYTES);
}

/**
 * Problems of thresholds the user set alone, seen only once the tier has filled in the others: an
 * upgrade line at or over the tier's degrade line (or a critical line at or under it) removes the
 * hysteresis — the scaler would step up into a state it must step straight back down from. The
 * schema already catches the pair written together; this catches one written alone.
 */
export function thresholdIssues(settings: ScalerSettings, resolved: ResourceThresholds, tier: TierAssessment): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const whose = settings.degradeThreshold !== undefined ? 'degradeThreshold' : `the degrade line of the "${tier.id}" tier`;
  if (settings.upgradeThreshold !== undefined && settings.upgradeThreshold >= resolved.degrade) {
    issues.push({
      field: 'upgradeThreshold',
      message: `must be from 0.1 to below ${resolved.degrade} (${whose}): that gap is the hysteresis; got ${settings.upgradeThreshold}`,
    });
  }
  if (settings.criticalThreshold !== undefined && settings.criticalThreshold <= resolved.degrade) {
    issues.push({ field: 'criticalThreshold', message: `must be above ${resolved.degrade} (${whose}) and at most 1; got ${settings.criticalThreshold}` });
  }
  return issues;
}

/**
 * Decides the thresholds for `tier` given the user's `settings` and the VRAM size (0 = none).
 * Throws ResourceInputError when a threshold set alone contradicts the tier's (see thresholdIssues).
 */
export function resolveScalerSettings(settings: ScalerSettings, tier: TierAssessment, vramTotalBytes = 0): ResolvedScalerSettings {
  const budgets = tier.budgets;
  const reserve = settings.systemReserveBytes ?? budgets.systemReserveBytes;
  const total = tier.memTotalBytes;
  const reserveCap = total > 0 ? 1 - reserve / total : 1;

  const degrade = settings.degradeThreshold ?? round3(Math.max(0.3, Math.min(budgets.degradeThreshold, reserveCap)));
  const critical =
    settings.criticalThreshold ??
    round3(Math.min(0.99, Math.max(degrade + 0.03, Math.min(budgets.criticalThreshold, total > 0 ? 1 - reserve / 2 / total : 1))));
  const upgrade = settings.upgradeThreshold ?? round3(Math.min(budgets.upgradeThreshold, degrade - 0.05));
  const issues = thresholdIssues(settings, { degrade, critical, upgrade }, tier);
  if (issues.length > 0) throw new ResourceInputError('settings', issues);

  const vramCap = vramTotalBytes > 0 ? 1 - vramPaddingBytes(vramTotalBytes) / vramTotalBytes : 1;
  const vramDegrade = round3(Math.min(settings.degradeThreshold ?? budgets.vramDegradeThreshold, vramCap));
  const vram: ResourceThresholds = {
    degrade: vramDegrade,
    critical: round3(Math.min(0.995, Math.max(vramDegrade + 0.03, settings.criticalThreshold ?? 0.97))),
    upgrade: round3(Math.min(settings.upgradeThreshold ?? budgets.upgradeThreshold, vramDegrade - 0.05)),
  };

  return { ...settings, memory: { degrade, critical, upgrade }, vram, systemReserveBytesResolved: reserve };
}
