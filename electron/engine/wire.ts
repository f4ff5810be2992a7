/**
 * Every mapping from the engine's own types to the engine protocol's (the `shared/` schemas) in one
 * place. No casts between domain and wire types: each domain value is passed where its wire type is
 * expected, so a field that changes on either side stops the build here (see tests/unit/architecture/wire-drift.test.ts).
 */
import type { CapabilityChangeData, DecisionData, LadderRungData, PreflightData, ResourceSnapshot } from '../../shared/resource';
import type { ModelPerformance } from './models/model-stats';
import type { Rung } from './models/rung';
import type { TierAssessment } from './resource/policy/hardware-tiers';
import type { ScalerDecision, ScalerState } from './resource/policy/scaler-types';
import type { PreflightAnswer, ResourceSample } from './resource/types';
import type { CapabilityChange } from './models/capability';

/**
 * JSON turns Infinity and NaN into null; do it here so the schemas see what the wire will carry.
 * The wire schemas mark the numbers that can be null that way (derived ones: slopes, forecasts);
 * the others (times, counts, sizes) are finite by construction, so the type stays the same.
 */
export function jsonSafe<T>(value: T): Plain<T> {
  // JSON.parse returns `any`: the same shape as `value`, with non-finite numbers as null.
  return JSON.parse(JSON.stringify(value)) as Plain<T>;
}

/**
 * The same fields as T as a plain object type (an interface has no index signature, so it could not
 * be checked against a loose wire object otherwise). Distributes over unions.
 */
export type Plain<T> = T extends object ? { [K in keyof T]: T[K] } : T;

/** The tier as the panel shows it. */
export function toWireTier(tier: TierAssessment | null | undefined): ResourceSnapshot['tier'] {
  return tier ? { id: tier.id, label: tier.label, description: tier.description, reasons: tier.reasons } : { id: 'unknown', label: 'Unknown', description: '', reasons: [] };
}

/** A rung as the model list shows it. */
export function toWireRung(rung: Rung): LadderRungData {
  return {
    id: rung.id,
    path: rung.model.path,
    name: rung.model.name,
    synthetic: rung.model.synthetic,
    memBytes: rung.footprint.memBytes,
    vramBytes: rung.footprint.vramBytes,
    estimatedMemBytes: rung.footprint.estimatedMemBytes,
    correction: rung.footprint.correction,
    measurements: rung.footprint.measurements,
  };
}

/** One resource-panel frame. */
export function toWireSnapshot(sample: ResourceSample, state: ScalerState, thresholds: ResourceSnapshot['thresholds'], performance: ModelPerformance[]): ResourceSnapshot {
  return {
    sample: jsonSafe(sample),
    tier: toWireTier(state.tier),
    modelId: state.modelId,
    switching: state.switching,
    generating: state.generating,
    threads: state.threads,
    trends: jsonSafe(state.trends),
    status: jsonSafe(state.status),
    thresholds,
    performance: jsonSafe(performance),
  };
}

/** A scaler decision for the log. */
export function toWireDecision(decision: ScalerDecision): DecisionData {
  return jsonSafe(decision);
}

/** A pre-flight answer for the reply's note. */
export function toWirePreflight(answer: PreflightAnswer): PreflightData {
  return jsonSafe(answer);
}

/** A capability change for the notice. */
export function toWireCapability(change: CapabilityChange): CapabilityChangeData {
  return change;
}
