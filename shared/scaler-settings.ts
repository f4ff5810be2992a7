/**
 * The proactive scaler's settings: the zod schema with every unit, default and valid range. It is
 * the one definition: main sends these settings over the engine protocol, `manager:configure`
 * validates them on arrival, the engine's scaler and the simulator's settings files read the same
 * schema. Thresholds have no default here: they come from the hardware tier unless set.
 */
import { z } from 'zod';

/** A number in [min, max]; the error message states the range and the unit. */
function bounded(min: number, max: number, unit: string, options: { integer?: boolean } = {}) {
  const message = `must be ${options.integer ? 'an integer' : 'a number'} from ${min} to ${max} (${unit})`;
  const base = options.integer ? z.number({ error: message }).int({ error: message }) : z.number({ error: message });
  return base.min(min, { error: message }).max(max, { error: message });
}

/** Every knob of the proactive scaler. All optional in input; `parseScalerSettings` fills defaults. */
export const scalerSettingsSchema = z
  .strictObject({
    /** Fraction of memory (and of VRAM) in use at which the assistant must be on a smaller model. Default: the tier's (0.70–0.85). */
    degradeThreshold: bounded(0.3, 0.99, 'fraction of memory in use').optional(),
    /** Fraction in use at which the machine is near exhaustion: act at once, even mid-reply. Default: the tier's (0.85–0.93). */
    criticalThreshold: bounded(0.35, 1, 'fraction of memory in use').optional(),
    /** The projected fraction after an upgrade must stay below this (hysteresis). Default: the tier's (0.55–0.75). */
    upgradeThreshold: bounded(0.1, 0.95, 'fraction of memory in use').optional(),
    /** Memory always left to the system, bytes; caps the thresholds on small machines. Default: the tier's (1–4 GiB). */
    systemReserveBytes: bounded(0, 64 * 2 ** 30, 'bytes').optional(),
    /** Resources must stay good this long, and this long must pass since the last step down, before an upgrade. Default 300 s. */
    stabilizationSeconds: bounded(0, 7200, 'seconds').default(300),
    /** Sampling period of the ResourceMonitor. Default 1 s. */
    sampleIntervalSeconds: bounded(0.1, 60, 'seconds').default(1),
    /** Window of the median that gives the smoothed level. Default 15 s. */
    levelWindowSeconds: bounded(2, 120, 'seconds').default(15),
    /** Window of the reaction slope (Theil–Sen). Default 60 s. */
    shortWindowSeconds: bounded(10, 600, 'seconds').default(60),
    /** Window of the context slope the reaction slope must agree with. Default 180 s. */
    longWindowSeconds: bounded(30, 1800, 'seconds').default(180),
    /** A forecast crossing must be seen this long before it counts. Default 5 s. */
    trendHoldSeconds: bounded(0, 120, 'seconds').default(5),
    /** The smoothed level must stay over the degrade threshold this long (spike filter). Default 10 s. */
    levelHoldSeconds: bounded(0, 300, 'seconds').default(10),
    /** Over the line this long while significantly climbing (not a spike): step down without the level hold. Default 3 s. */
    climbConfirmSeconds: bounded(0, 120, 'seconds').default(3),
    /** Forecast horizon beyond the load time of the next smaller model. Default 45 s. */
    horizonMarginSeconds: bounded(0, 600, 'seconds').default(45),
    /** Smallest jump between samples treated as a step (also 4× the measured noise). Default 0.08. */
    stepMinFraction: bounded(0.01, 0.5, 'fraction of total').default(0.08),
    /** Rise per second that, sustained over `velocitySamples`, is an emergency-grade climb. Default 0.02/s. */
    velocityPerSecond: bounded(0.001, 0.5, 'fraction of total per second').default(0.02),
    /** Consecutive rising intervals the velocity path needs. Default 3. */
    velocitySamples: bounded(2, 30, 'samples', { integer: true }).default(3),
    /** Quiet time after a switch has finished loading; the cooldown is the load plus this. Default 15 s. */
    settleSeconds: bounded(0, 600, 'seconds').default(15),
    /** Non-emergency switches allowed per rolling hour; reaching it blocks upgrades only. Default 6. */
    maxSwitchesPerHour: bounded(1, 120, 'switches', { integer: true }).default(6),
    /** Minimum gap between upgrades; doubles when an upgrade is reverted within `revertWindowSeconds`. Default 300 s. */
    upgradeGapSeconds: bounded(0, 7200, 'seconds').default(300),
    /** Ceiling of the doubling upgrade gap. Default 3600 s. */
    maxUpgradeGapSeconds: bounded(0, 86400, 'seconds').default(3600),
    /** A step down this soon after an upgrade counts as a revert. Default 900 s. */
    revertWindowSeconds: bounded(0, 7200, 'seconds').default(900),
    /** Other programs' CPU load (fraction of all cores) above which no upgrade is made. Default 0.7. */
    upgradeMaxCpuLoad: bounded(0.05, 1, 'fraction of all cores').default(0.7),
    /** A reply slower than this fraction of the model's usual tokens/s counts as slow. Default 0.7. */
    slowdownFactor: bounded(0.05, 0.99, 'fraction of baseline speed').default(0.7),
    /** Consecutive slow replies that trigger a response. Default 2. */
    slowdownCount: bounded(1, 50, 'replies', { integer: true }).default(2),
    /** Failure rate over the last `failureWindow` replies above which the model steps down. Default 0.05. */
    failureRateLimit: bounded(0, 1, 'fraction of replies').default(0.05),
    /** Replies the failure rate is computed over. Default 20. */
    failureWindow: bounded(2, 500, 'replies', { integer: true }).default(20),
    /** PSI memory `full` avg10 at or above which the machine is stalling: emergency. Default 0.05. */
    psiFullEmergency: bounded(0.001, 1, 'fraction of time stalled').default(0.05),
    /** PSI memory `some` avg10 that, held for `levelHoldSeconds`, steps down. Default 0.2. */
    psiSomeDegrade: bounded(0.001, 1, 'fraction of time stalled').default(0.2),
    /** Swap-in rate that, held for `levelHoldSeconds`, steps down. Default 8 MiB/s. */
    swapInDegradeBytesPerSecond: bounded(0, 1e10, 'bytes per second').default(8 * 2 ** 20),
    /** Calm time before the thread count is raised again. Default 60 s. */
    threadCalmSeconds: bounded(0, 3600, 'seconds').default(60),
    /** Other programs' load must persist this long before threads are cut (ignores blips). Default 3 s. */
    threadDecreaseHoldSeconds: bounded(0, 120, 'seconds').default(3),
    /** Decisions kept for `getState().recentDecisions`. Default 50. */
    recentDecisionLimit: bounded(1, 10000, 'decisions', { integer: true }).default(50),
  })
  .superRefine((settings, context) => {
    const { degradeThreshold: degrade, criticalThreshold: critical, upgradeThreshold: upgrade } = settings;
    if (degrade !== undefined && critical !== undefined && critical <= degrade) {
      context.addIssue({ code: 'custom', path: ['criticalThreshold'], message: `must be above degradeThreshold (${degrade})` });
    }
    if (degrade !== undefined && upgrade !== undefined && upgrade >= degrade) {
      context.addIssue({ code: 'custom', path: ['upgradeThreshold'], message: `must be below degradeThreshold (${degrade}): that gap is the hysteresis` });
    }
    if (settings.longWindowSeconds < settings.shortWindowSeconds) {
      context.addIssue({ code: 'custom', path: ['longWindowSeconds'], message: `must be at least shortWindowSeconds (${settings.shortWindowSeconds})` });
    }
  });

/** Settings as written by a user (every field optional). */
export type ScalerSettingsInput = z.input<typeof scalerSettingsSchema>;
/** Settings with defaults filled in; thresholds may still be undefined (then the tier decides). */
export type ScalerSettings = z.output<typeof scalerSettingsSchema>;
