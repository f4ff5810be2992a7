/**
 * What the scalers tell the rest of the engine: decisions (as events and log lines), the state
 * the resource panel shows, and the port the ModelSwitcher and the simulator drive.
 */
import type { TierAssessment } from './hardware-tiers';
import type { ResourceThresholds } from './resolved-settings';
import type { ChangeKind } from './trends';
import type { PreflightAnswer, PreflightRequest, ReplyFeedback, ResourceSample } from '../types';

/** Which rule produced a decision. */
export type DecisionPath =
  | 'emergency' // two samples over critical, PSI full stall, or an allocation failure
  | 'step' // a jump over the degrade threshold that held one more sample
  | 'velocity' // a fast sustained climb that would cross before a load could finish
  | 'ramp' // a fast climb (10 s slope, confirmed sample by sample) crossing within the next load + margin
  | 'climb' // over the line for a few seconds at the end of a significant climb (not a spike)
  | 'level' // the smoothed level held over the threshold
  | 'pressure' // PSI `some` or swap-in held high
  | 'trend' // the forecast crosses within the horizon
  | 'performance' // tokens/s collapsed
  | 'failure' // replies keep failing
  | 'load-failure' // the next model failed to load
  | 'preflight' // the coming reply would cross the threshold
  | 'manual' // initiateGracefulDegradation from the app or the user
  | 'stabilized' // resources stayed good for the stabilization period
  | 'cpu' // thread count follows the cores other programs use
  | 'reactive' // the baseline policy's rules
  | 'actuation'; // the switcher reporting what it did

/** The numbers that caused a decision (fractions, seconds, bytes, counts). */
export type DecisionMetrics = Readonly<Record<string, number | string | boolean | null>>;

interface DecisionBase {
  /** Sequence number, unique per scaler. */
  id: number;
  /** Clock time, ms. */
  t: number;
  path: DecisionPath;
  /** One sentence with the numbers, for the log and the notice the user sees. */
  reason: string;
  metrics: DecisionMetrics;
}

/** A decision to move one or more rungs on the model ladder. */
export interface ModelDecision extends DecisionBase {
  action: 'degrade' | 'upgrade';
  from: string;
  to: string;
  /** `critical` may interrupt a reply; `normal` waits for the reply in progress to end. */
  urgency: 'normal' | 'critical';
}

/** A change of the CPU thread count (the cheapest knob). */
export interface ThreadsDecision extends DecisionBase {
  action: 'threads';
  from: number;
  to: number;
}

/** The model in use changed: the old one is unloaded and the new one starts loading. */
export interface SwitchEvent extends DecisionBase {
  action: 'switch';
  from: string;
  to: string;
  decisionId: number;
  loadSeconds: number;
  /** True when a reply had to be interrupted (critical pressure). */
  interruptedReply: boolean;
}

/** The new model finished loading (`ok`) or failed to. */
export interface LoadedEvent extends DecisionBase {
  action: 'loaded';
  modelId: string;
  ok: boolean;
}

/** A deferred switch dropped at actuation because the pressure behind it had faded. */
export interface CancelEvent extends DecisionBase {
  action: 'cancel';
  from: string;
  to: string;
  decisionId: number;
}

/** Everything on the scaler's event stream. */
export type ScalerDecision = ModelDecision | ThreadsDecision | SwitchEvent | LoadedEvent | CancelEvent;

/** Trend of one resource as the user sees it: fractions for the current model. */
export interface TrendSnapshot {
  resource: 'memory' | 'vram' | 'cpu';
  /** False when the sensor is missing (no GPU, unmeasured VRAM). */
  available: boolean;
  latest: number;
  /** Smoothed level (median of the level window). */
  level: number;
  slopePerSecond: number;
  longSlopePerSecond: number;
  /** The threshold forecast against (degrade threshold; for CPU the upgrade CPU limit). */
  threshold: number;
  /** Forecast seconds to reach `threshold`; null when not reliably rising. */
  secondsToThreshold: number | null;
  change: ChangeKind;
  /** Whether the slope is trustworthy (significant, warmed up, agreeing windows). */
  reliable: boolean;
}

/** Trends of every resource. */
export interface ResourceTrends {
  memory: TrendSnapshot;
  vram: TrendSnapshot;
  cpu: TrendSnapshot;
}

/** What the scaler is doing, for the resource panel and the tray. */
export type ScalerStatus =
  | { kind: 'steady' }
  | { kind: 'degrading'; from: string; to: string; since: number; waitingForReply: boolean }
  | {
      kind: 'stabilizing';
      /** The earliest an upgrade can happen, seconds from now. */
      secondsUntilUpgrade: number;
      /** The holding rule's sentence. */
      blockedBy: string;
      /** The holding rule's one name (see UpgradeHoldRule). */
      rule: UpgradeHoldRule;
      /** The model that would come back, when there is a bigger one. */
      to?: string;
    }
  | { kind: 'paused'; reason: string };

/** A snapshot of the scaler for the UI. */
export interface ScalerState {
  policy: 'proactive' | 'reactive';
  tier: TierAssessment;
  modelId: string;
  /** A switch that is loading. */
  switching: { from: string; to: string } | null;
  generating: boolean;
  threads: number;
  trends: ResourceTrends;
  status: ScalerStatus;
  recentDecisions: readonly ScalerDecision[];
  /** Time of the last sample ingested, ms; null before the first. */
  lastSampleT: number | null;
  /** Samples dropped because they were older than one already seen. */
  droppedSamples: number;
}

/**
 * The one name of each rule that can hold an upgrade (docs/scaling-policy.md, "Timers"):
 * - `stabilization`: resources must stay good for `stabilizationSeconds` (since the start, since
 *   the last step down, and over the whole window with the bigger model projected);
 * - `cooldown`: the last switch's load plus `settleSeconds`;
 * - `upgrade-gap`: at least `upgradeGapSeconds` between two upgrades;
 * - `revert-backoff`: that gap, and the calm window, doubled after each reverted upgrade;
 * - `hourly-cap`: `maxSwitchesPerHour` non-emergency switches in the last hour;
 * - `stalls`: PSI or swap-in pressure seen within `stabilizationSeconds`;
 * - without an end time: `paused`, `switching`, `reply`, `cpu`, `performance`, `battery`,
 *   `sensor`, `rising`, `failed-load`.
 */
export type UpgradeHoldRule =
  | 'stabilization'
  | 'cooldown'
  | 'upgrade-gap'
  | 'revert-backoff'
  | 'hourly-cap'
  | 'stalls'
  | 'paused'
  | 'switching'
  | 'reply'
  | 'cpu'
  | 'performance'
  | 'battery'
  | 'sensor'
  | 'rising'
  | 'failed-load';

/** The rule that holds an upgrade: the one that ends last, or one with no end. */
export interface UpgradeHold {
  rule: UpgradeHoldRule;
  /** The rule in a sentence, with its setting's value. */
  text: string;
  /** Seconds until this rule lets go; null when it has no end time (a condition, not a timer). */
  seconds: number | null;
}

/** The result of `shouldUpgradeModel()`. */
export interface UpgradeCheck {
  upgrade: boolean;
  /** The model an upgrade would load (the largest that fits; one rung while reverted upgrades back off). */
  to: string | null;
  /** Why not, in a sentence (the holding rule's), or why yes. */
  reason: string;
  /** The earliest an upgrade can happen, seconds from now: when every timed rule has let go. */
  secondsUntilEligible: number;
  /** What holds it; null when the upgrade may happen now or there is nothing bigger. */
  hold: UpgradeHold | null;
  metrics: DecisionMetrics;
}

/** How the app asks for a step down. */
export interface DegradationRequest {
  reason: string;
  /** Default `manual`. */
  path?: 'manual' | 'preflight';
  urgency?: 'normal' | 'critical';
  /** A specific smaller model; default the next smaller rung. */
  toModelId?: string;
}

/** The port the ModelSwitcher and the simulator drive; both scalers implement it. */
export interface ScalingPolicy {
  readonly policy: 'proactive' | 'reactive';
  /** Feeds one sample (older-than-seen samples are dropped). */
  ingest(sample: ResourceSample): void;
  /** Subscribes to decisions; returns the unsubscribe function. */
  on(event: 'decision', listener: (decision: ScalerDecision) => void): () => void;
  /** The model in use, or being loaded. */
  getCurrentModelId(): string;
  /** The memory and VRAM thresholds in force. */
  getThresholds(): { memory: ResourceThresholds; vram: ResourceThresholds };
  /** Whether a deferred decision should still be carried out now. */
  revalidate(decision: ModelDecision): { keep: boolean; reason: string };
  recordReplyStarted(): void;
  recordReplyEnded(feedback: ReplyFeedback): void;
  recordSwitchStarted(decision: ModelDecision, interruptedReply: boolean): void;
  recordSwitchCompleted(decision: ModelDecision): void;
  recordSwitchFailed(decision: ModelDecision, message: string): void;
  recordSwitchDropped(decision: ModelDecision, reason: string): void;
  checkPreflightResources(request?: PreflightRequest): PreflightAnswer;
  initiateGracefulDegradation(request: string | DegradationRequest): ModelDecision | null;
  getState(): ScalerState;
}
