/**
 * The resource layer of the engine: watch the machine, classify it, forecast pressure, decide
 * the model rung and threads, and carry the decisions out between replies. The ModelManager
 * builds a ResourceMonitor (SystemResourceSource + RealClock), a ProactiveScaler over it, and a
 * ModelSwitcher with its real loader; see docs/scaling-policy.md.
 */
export { RealClock, VirtualClock, sleep, type Clock, type TimerHandle } from './clock';
export { HardwareTierDetector, HARDWARE_TIERS, type TierAssessment, type TierBudgets, type TierDefinition, type TierId } from './hardware-tiers';
export { ModelSwitcher, SimulatedLoader, type ModelLoader, type ModelSwitcherOptions } from './model-switcher';
export { ProactiveScaler } from './proactive-scaler';
export { ReactiveScaler } from './reactive-scaler';
export { resolveScalerSettings, type ResolvedScalerSettings, type ResourceThresholds } from './resolved-settings';
export { ResourceMonitor, type MonitorStats, type ResourceMonitorOptions } from './resource-monitor';
export { createScriptedSource, type PowerReading, type ResourceSource } from './resource-source';
export type * from './scaler-types';
export { formatDecisionLine } from './scaler-base';
export type { SampleStream, ScalerOptions } from './scaler-options';
export {
  ResourceInputError,
  formatIssue,
  parseScalerSettings,
  parseScalerSettingsText,
  scalerSettingsSchema,
  type ScalerSettings,
  type ScalerSettingsInput,
  type ValidationIssue,
} from './settings';
export { runSimulation, type SimulationLine, type SimulationOptions, type SimulationPolicy, type SimulationResult, type SimulationSummary } from './simulate';
export { SystemResourceSource, type SystemSourceOptions, type VramReading } from './system-source';
export { parseTrace, parseTraceText, traceSchema, type Trace, type TraceEvent, type TraceSample } from './trace';
export { TraceResourceSource, hardwareOfTrace, type TraceSourceOptions } from './trace-source';
export { analyzeSeriesTrend, forecastSecondsToThreshold, theilSen, type ChangeKind, type SeriesTrend, type TrendOptions } from './trends';
export { TimeSeries } from './time-series';
export type * from './types';
