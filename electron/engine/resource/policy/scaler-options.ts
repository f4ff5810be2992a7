/**
 * Construction options shared by the proactive scaler and the reactive baseline: the tier is
 * detected and the user's settings validated and resolved against it here, once.
 */
import type { Clock } from '../clock';
import { HardwareTierDetector, type TierAssessment } from './hardware-tiers';
import { resolveScalerSettings } from './resolved-settings';
import type { ScalerBaseOptions } from './scaler-base';
import { parseScalerSettings, type ScalerSettingsInput } from './settings';
import type { ModelProfile, ResourceSample, StaticHardwareInfo } from '../types';

/** A stream of samples the scaler can follow (the ResourceMonitor is one); the scaler starts it but never stops it. */
export interface SampleStream {
  start(): Promise<unknown>;
  onSample(listener: (sample: ResourceSample) => void): () => void;
}

/** How to build a scaler. */
export interface ScalerOptions {
  clock: Clock;
  /** The model ladder, smallest first. */
  ladder: readonly ModelProfile[];
  initialModelId: string;
  /** The machine, for the tier (read once by the ResourceMonitor). */
  hardware: StaticHardwareInfo;
  /** User settings; validated here (throws ResourceInputError naming the field and range). */
  settings?: ScalerSettingsInput;
  tierDetector?: HardwareTierDetector;
  /** The machine's tier when the caller has detected it already (then `tierDetector` is not asked again). */
  tier?: TierAssessment;
  /** Needed only for startContinuousMonitoring. */
  monitor?: SampleStream;
  log?: (line: string) => void;
}

/** Builds the shared part of a scaler's options: the tier and the resolved thresholds. */
export function prepareScalerOptions(options: ScalerOptions): ScalerBaseOptions {
  const tier = options.tier ?? (options.tierDetector ?? new HardwareTierDetector()).detect(options.hardware);
  const vramTotal = options.hardware.gpus.reduce((sum, gpu) => sum + (gpu.vramTotalBytes || 0), 0);
  const settings = resolveScalerSettings(parseScalerSettings(options.settings ?? {}), tier, vramTotal);
  const base: ScalerBaseOptions = { clock: options.clock, ladder: options.ladder, initialModelId: options.initialModelId, tier, settings };
  if (options.log) base.log = options.log;
  return base;
}
