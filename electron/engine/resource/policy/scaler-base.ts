/**
 * What both scalers (proactive and the reactive baseline) share: the ladder, the event stream,
 * the log, and the bookkeeping of switches reported by the ModelSwitcher. Events are queued and
 * delivered after the state change that caused them, so a listener that calls back into the
 * scaler (pre-flight, feedback, another switch) always sees a consistent state.
 */
import type { Clock } from '../clock';
import type { TierAssessment } from './hardware-tiers';
import type { ResolvedScalerSettings, ResourceThresholds } from './resolved-settings';
import { nextModelDown, sameModel, switchSeconds } from './cascade';
import type { CancelEvent, DegradationRequest, LoadedEvent, ModelDecision, ScalerDecision, SwitchEvent } from './scaler-types';
import type { ModelProfile, ReplyFeedback } from '../types';

/** What every scaler is built from. */
export interface ScalerBaseOptions {
  clock: Clock;
  /** The model ladder, smallest first. */
  ladder: readonly ModelProfile[];
  /** The model loaded at start. */
  initialModelId: string;
  tier: TierAssessment;
  settings: ResolvedScalerSettings;
  /** Receives one line per decision, with its numbers. */
  log?: (line: string) => void;
}

type NewEvent<T extends ScalerDecision> = Omit<T, 'id' | 't'>;

/** Formats a decision as the log line the engine writes. */
export function formatDecisionLine(event: ScalerDecision): string {
  const seconds = (event.t / 1000).toFixed(1);
  switch (event.action) {
    case 'degrade':
    case 'upgrade':
      return `[scaler] t=${seconds}s ${event.action} ${event.from}→${event.to} (${event.path}, ${event.urgency}): ${event.reason} ${JSON.stringify(event.metrics)}`;
    case 'threads':
      return `[scaler] t=${seconds}s threads ${event.from}→${event.to} (${event.path}): ${event.reason}`;
    case 'switch':
      return `[scaler] t=${seconds}s switch ${event.from}→${event.to}${event.interruptedReply ? ' (reply interrupted)' : ''}: ${event.reason}`;
    case 'loaded':
      return `[scaler] t=${seconds}s loaded ${event.modelId} ${event.ok ? 'ok' : 'FAILED'}: ${event.reason}`;
    case 'cancel':
      return `[scaler] t=${seconds}s cancel ${event.from}→${event.to}: ${event.reason}`;
    default:
      return event satisfies never;
  }
}

/** Ladder, event stream and switch bookkeeping shared by both scalers. */
export abstract class ScalerBase {
  protected readonly clock: Clock;
  protected readonly ladder: readonly ModelProfile[];
  protected readonly tier: TierAssessment;
  protected readonly settings: ResolvedScalerSettings;
  protected modelIndex: number;
  /** A switch that is loading. */
  protected switching: { decision: ModelDecision; startedAt: number } | null = null;
  /** A decision emitted but not yet started or dropped by the switcher (e.g. waiting for a reply). */
  protected outstanding: ModelDecision | null = null;
  protected generating = false;
  /** No non-emergency decision before this time (ms). */
  protected cooldownUntil = -Infinity;
  /** Start of the last step down (ms), null if none yet. */
  protected lastDownAt: number | null = null;
  /** End of the last upgrade's load (ms), null if none yet. */
  protected lastUpAt: number | null = null;
  /** Start times of non-emergency switches, for the hourly cap. */
  protected switchTimes: number[] = [];
  protected readonly recent: ScalerDecision[] = [];

  private readonly listeners = new Set<(decision: ScalerDecision) => void>();
  private readonly queue: ScalerDecision[] = [];
  private draining = false;
  private nextId = 1;
  private readonly log: ((line: string) => void) | undefined;

  constructor(options: ScalerBaseOptions) {
    if (options.ladder.length === 0) throw new Error('the model ladder is empty');
    this.clock = options.clock;
    this.ladder = options.ladder;
    this.tier = options.tier;
    this.settings = options.settings;
    this.log = options.log;
    const index = options.ladder.findIndex((model) => model.id === options.initialModelId);
    if (index < 0) throw new Error(`initial model "${options.initialModelId}" is not on the ladder`);
    this.modelIndex = index;
  }

  /** Subscribes to the decision stream; returns the unsubscribe function. */
  on(_event: 'decision', listener: (decision: ScalerDecision) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The memory and VRAM thresholds in force (the tier's, or the user's). */
  getThresholds(): { memory: ResourceThresholds; vram: ResourceThresholds } {
    return { memory: { ...this.settings.memory }, vram: { ...this.settings.vram } };
  }

  /** The model in use, or being loaded. */
  getCurrentModelId(): string {
    return this.currentModel().id;
  }

  recordReplyStarted(): void {
    this.generating = true;
  }

  recordReplyEnded(feedback: ReplyFeedback): void {
    this.generating = false;
    this.afterReply(feedback);
  }

  /** The switcher unloaded `from` and started loading `to`. */
  recordSwitchStarted(decision: ModelDecision, interruptedReply: boolean): void {
    const now = this.clock.now();
    if (this.outstanding?.id === decision.id) this.outstanding = null;
    this.switching = { decision, startedAt: now };
    this.modelIndex = this.indexOf(decision.to);
    if (decision.urgency === 'normal') this.switchTimes.push(now);
    if (decision.action === 'degrade') this.lastDownAt = now;
    this.onSwitchStarted(decision);
    this.emit<SwitchEvent>({
      action: 'switch',
      from: decision.from,
      to: decision.to,
      decisionId: decision.id,
      loadSeconds: switchSeconds(this.profile(decision.from), this.profile(decision.to)),
      interruptedReply,
      path: 'actuation',
      reason: `${decision.action} #${decision.id} carried out${interruptedReply ? ', interrupting the reply in progress' : ''}`,
      metrics: {},
    });
  }

  /** The switch's model finished loading: start the cooldown. */
  recordSwitchCompleted(decision: ModelDecision): void {
    const now = this.clock.now();
    if (this.switching?.decision.id === decision.id) this.switching = null;
    this.cooldownUntil = now + this.settleMs();
    if (decision.action === 'upgrade') this.lastUpAt = now;
    this.emit<LoadedEvent>({
      action: 'loaded',
      modelId: decision.to,
      ok: true,
      path: 'actuation',
      reason: `${decision.to} ready; no routine decision for ${(this.settleMs() / 1000).toFixed(0)} s`,
      metrics: {},
    });
  }

  /** The switch's model failed to load: step further down (the old model is already gone). */
  recordSwitchFailed(decision: ModelDecision, message: string): void {
    if (this.switching?.decision.id === decision.id) this.switching = null;
    this.emit<LoadedEvent>({ action: 'loaded', modelId: decision.to, ok: false, path: 'load-failure', reason: message, metrics: {} });
    this.onLoadFailed(decision);
    // A model that failed to load fails at every step of it too: the next model. A step that failed
    // (its context could not be created) may work one step further down.
    const fallback = sameModel(this.profile(decision.from), this.profile(decision.to)) ? this.modelIndex - 1 : nextModelDown(this.ladder, this.modelIndex);
    if (fallback !== null && fallback >= 0) {
      this.decide({
        action: 'degrade',
        from: decision.to,
        to: this.ladder[fallback]!.id,
        urgency: 'critical',
        path: 'load-failure',
        reason: `${decision.to} failed to load (${message}); falling back to the next smaller model`,
        metrics: {},
      });
    }
  }

  /** The switcher dropped a deferred decision at actuation. */
  recordSwitchDropped(decision: ModelDecision, reason: string): void {
    if (this.outstanding?.id === decision.id) this.outstanding = null;
    this.emit<CancelEvent>({ action: 'cancel', from: decision.from, to: decision.to, decisionId: decision.id, path: 'actuation', reason, metrics: {} });
  }

  /**
   * Steps down one rung (or to `toModelId`) on request. Returns the decision, the outstanding one
   * if a step down is already on its way, or null at the smallest model.
   */
  initiateGracefulDegradation(request: string | DegradationRequest): ModelDecision | null {
    const options = typeof request === 'string' ? { reason: request } : request;
    const pending = this.outstanding ?? this.switching?.decision;
    if (pending && pending.action === 'degrade' && (!options.toModelId || this.indexOf(pending.to) <= this.indexOf(options.toModelId))) return pending;
    if (this.modelIndex === 0) return null;
    const target = options.toModelId ? this.indexOf(options.toModelId) : this.defaultStepDown();
    if (target < 0 || target >= this.modelIndex) throw new Error(`"${options.toModelId}" is not a smaller model than ${this.currentModel().id}`);
    return this.decide({
      action: 'degrade',
      from: this.currentModel().id,
      to: this.ladder[target]!.id,
      urgency: options.urgency ?? 'normal',
      path: options.path ?? 'manual',
      reason: options.reason,
      metrics: {},
    });
  }

  /** Emits a model decision, marked outstanding before any listener can act on it. */
  protected decide(decision: NewEvent<ModelDecision>): ModelDecision {
    const stamped = this.stamp<ModelDecision>(decision);
    this.outstanding = stamped;
    this.onDecided(stamped);
    this.publish(stamped);
    return stamped;
  }

  /** Appends an event to the log and the stream; listeners run after the current call's state change. */
  protected emit<T extends ScalerDecision>(event: NewEvent<T>): T {
    const stamped = this.stamp<T>(event);
    this.publish(stamped);
    return stamped;
  }

  private stamp<T extends ScalerDecision>(event: NewEvent<T>): T {
    return { ...event, id: this.nextId++, t: this.clock.now() } as T;
  }

  private publish(full: ScalerDecision): void {
    this.recent.push(full);
    if (this.recent.length > this.settings.recentDecisionLimit) this.recent.splice(0, this.recent.length - this.settings.recentDecisionLimit);
    this.log?.(formatDecisionLine(full));
    this.queue.push(full);
    if (this.draining) return;
    this.draining = true;
    try {
      for (let next = this.queue.shift(); next; next = this.queue.shift()) {
        for (const listener of [...this.listeners]) {
          try {
            listener(next);
          } catch (error) {
            // A broken listener must not stop the scaler or the other listeners.
            this.log?.(`[scaler] decision listener failed: ${error instanceof Error ? error.message : String(error)}`);
          }
        }
      }
    } finally {
      this.draining = false;
    }
  }

  protected currentModel(): ModelProfile {
    return this.ladder[this.modelIndex]!;
  }

  protected profile(id: string): ModelProfile {
    return this.ladder[this.indexOf(id)]!;
  }

  protected indexOf(id: string): number {
    const index = this.ladder.findIndex((model) => model.id === id);
    if (index < 0) throw new Error(`model "${id}" is not on the ladder`);
    return index;
  }

  /** Non-emergency switches started within the last hour. */
  protected switchesInLastHour(now: number): number {
    while (this.switchTimes.length > 0 && this.switchTimes[0]! <= now - 3_600_000) this.switchTimes.shift();
    return this.switchTimes.length;
  }

  /** The rung a step down asked for without a target goes to (the next rung; the proactive scaler chooses a cascade step). */
  protected defaultStepDown(): number {
    return this.modelIndex - 1;
  }

  /** Quiet time after a load completes. */
  protected abstract settleMs(): number;
  /** Hook: a reply ended (feedback already recorded by the base). */
  protected abstract afterReply(feedback: ReplyFeedback): void;
  /** Hook: a switch started. */
  protected onSwitchStarted(_decision: ModelDecision): void {}
  /** Hook: a decision was emitted. */
  protected onDecided(_decision: ModelDecision): void {}
  /** Hook: a load failed. */
  protected onLoadFailed(_decision: ModelDecision): void {}
}
