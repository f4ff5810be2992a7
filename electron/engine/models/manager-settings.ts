/**
 * What the ModelManager is configured with: the models main lists, the manager's settings, the
 * and the pure functions that turn settings into scaler and monitor input.
 */
import type { z } from 'zod';
import type { configureParamsSchema, ladderInputSchema } from '../../../shared/engine-protocol';
import type { ManagerSettingsData } from '../../../shared/resource';
import type { ScalerSettingsInput } from '../resource/policy/settings';

/** A model Mai may use, as main lists it (the engine protocol's `ladderInputSchema`). */
export type LadderInput = z.infer<typeof ladderInputSchema>;

/** Manager settings (the scaler's own among them), as `manager:configure` carries them; every field optional in input. */
export type ManagerSettings = ManagerSettingsData;

/** The scaler settings for this machine's tier: the user's per-tier threshold, else the tier's adjusted by preference. */
export function scalerSettingsFor(
  settings: ManagerSettings,
  tier: { id: string; budgets: { degradeThreshold: number; criticalThreshold: number } },
): ScalerSettingsInput {
  const explicit = settings.actThresholds?.[tier.id];
  const shift = settings.preference === 'speed' ? -0.05 : settings.preference === 'quality' ? 0.05 : 0;
  const degrade = explicit ?? (shift ? Math.min(tier.budgets.criticalThreshold - 0.03, tier.budgets.degradeThreshold + shift) : undefined);
  return { ...(settings.scaler ?? {}), ...(degrade !== undefined ? { degradeThreshold: Math.round(degrade * 1000) / 1000 } : {}) };
}

/** What `configure` takes: the `manager:configure` parameters but the data folder (given at construction). */
export type ConfigureRequest = Omit<z.input<typeof configureParamsSchema>, 'dataDir'>;

/** The ResourceMonitor's period from the scaler settings (`sampleIntervalSeconds`, 0.1–60 s, default 1 s), ms. */
export function sampleIntervalMs(settings: ManagerSettings): number {
  const seconds = settings.scaler?.sampleIntervalSeconds;
  return seconds !== undefined && seconds >= 0.1 && seconds <= 60 ? Math.round(seconds * 1000) : 1000;
}
