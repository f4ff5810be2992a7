/**
 * The scaler and switcher a configure creates for the ladder it built: one ProactiveScaler on the
 * manager's monitor, the ModelSwitcher that carries out its switches with the rung loader, and the
 * subscriptions that pass its decisions and the monitor's samples on. Stopped as one.
 */
import type { ScalerDecision } from '../resource/policy/scaler-types';
import { ModelSwitcher } from '../resource/actuation/model-switcher';
import type { ResourceMonitor } from '../resource/monitoring/resource-monitor';
import { ProactiveScaler } from '../resource/policy/proactive-scaler';
import { HardwareTierDetector } from '../resource/policy/hardware-tiers';
import type { ScalerSettingsInput } from '../resource/policy/settings';
import type { ModelProfile, StaticHardwareInfo } from '../resource/types';
import { scalerProfiles } from './ladder';
import type { ManagerContext } from './manager-context';
import { scalerSettingsFor, type ManagerSettings } from './manager-settings';
import type { Rung } from './rung';
import type { RungLoader } from './rung-loader';

/** What a scaler was built from: a recorded trace replays exactly this (docs/trace-format.md). */
export interface ScalerSetup {
  /** Clock time just before the scaler was built, ms: a trace's t = 0. */
  startedAt: number;
  ladder: readonly ModelProfile[];
  initialModelId: string;
  hardware: StaticHardwareInfo;
  settings: ScalerSettingsInput;
}

/** A scaler and its switcher, running; `stop` ends both and drops the decisions still waiting. */
export interface ScalerWiring {
  scaler: ProactiveScaler;
  switcher: ModelSwitcher;
  /** What the scaler was built from; a new object for every scaler. */
  setup: ScalerSetup;
  stop(): void;
}

/** Creates and subscribes the scaler for `initial` on the context's ladder (see the file comment). */
export function wireScaler(options: {
  context: ManagerContext;
  monitor: ResourceMonitor;
  loader: RungLoader;
  hardware: StaticHardwareInfo;
  settings: ManagerSettings;
  initial: Rung;
  interruptReply: () => void;
  onDecision: (decision: ScalerDecision) => void;
}): ScalerWiring {
  const { context, monitor } = options;
  // The tier is detected once: the settings for it and the scaler both use this answer.
  const tier = new HardwareTierDetector().detect(options.hardware);
  const setup: ScalerSetup = {
    startedAt: context.clock.now(),
    ladder: scalerProfiles(context.rungs, context.stats),
    initialModelId: options.initial.id,
    hardware: options.hardware,
    settings: scalerSettingsFor(options.settings, tier),
  };
  const scaler = new ProactiveScaler({
    clock: context.clock,
    ladder: setup.ladder,
    initialModelId: setup.initialModelId,
    hardware: setup.hardware,
    settings: setup.settings,
    tier,
    monitor,
    log: (line) => context.log('info', line),
  });
  const switcher = new ModelSwitcher({ policy: scaler, loader: options.loader, interruptReply: options.interruptReply });
  const unsubscribe = [
    scaler.on('decision', options.onDecision),
    monitor.onSample((sample) => context.emit('sample', { sample, state: scaler.getState(), performance: context.stats.snapshot() })),
  ];
  return {
    scaler,
    switcher,
    setup,
    stop() {
      for (const off of unsubscribe.splice(0)) off();
      // The decisions still waiting are dropped with the switcher, so is a model loaded ahead for one.
      context.track(context.runtime.discardPrepared());
      switcher.dispose();
      scaler.stop();
    },
  };
}
