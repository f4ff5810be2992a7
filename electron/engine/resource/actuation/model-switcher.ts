/**
 * Carries the scaler's model decisions out — the switching policy the ModelManager uses and the
 * simulator replays: a normal decision taken during a reply waits for the reply to end, then is
 * re-validated (a spike that has faded by then is dropped); a critical one interrupts the reply;
 * a decision that arrives during a load waits for the load and is re-validated too. One switch
 * at a time; a newer decision supersedes an older waiting one.
 */
import type { ModelDecision, ScalerDecision, ScalingPolicy } from '../policy/scaler-types';
import type { ReplyFeedback } from '../types';

/** Loads and unloads models: the ModelManager's RungLoader over a ModelRuntime, or the simulator's pretend loader. */
export interface ModelLoader {
  /** Frees the model's memory (the old model goes first: a switch down must not need both). */
  unload(modelId: string): Promise<void>;
  /** Loads the model; rejects on failure (the scaler then steps further down). */
  load(modelId: string): Promise<void>;
}

/** How to build a switcher. */
export interface ModelSwitcherOptions {
  policy: ScalingPolicy;
  loader: ModelLoader;
  /**
   * Called when critical pressure must interrupt the reply in progress. The ModelManager aborts
   * it (keeping the partial text) and retries once the smaller model has loaded.
   */
  interruptReply?: () => void;
}

/** Carries out model decisions between replies (see the file comment); one per ModelManager. */
export class ModelSwitcher {
  /** Replies interrupted by critical switches. */
  interruptedReplies = 0;
  private generating = false;
  /** Waiting for the reply in progress to end. */
  private pending: ModelDecision | null = null;
  /** Waiting for the load in progress to finish. */
  private queued: ModelDecision | null = null;
  private active: Promise<void> | null = null;
  private disposed = false;
  private readonly unsubscribe: () => void;

  constructor(private readonly options: ModelSwitcherOptions) {
    this.unsubscribe = options.policy.on('decision', (decision) => this.onDecision(decision));
  }

  /** True while a reply is being generated. */
  get isGenerating(): boolean {
    return this.generating;
  }

  /** True while a model is loading. */
  get isSwitching(): boolean {
    return this.active !== null;
  }

  /** Call when a reply starts. */
  beginReply(): void {
    this.generating = true;
    this.options.policy.recordReplyStarted();
  }

  /** Call when a reply ends (or fails); carries out a decision that waited for it. */
  endReply(feedback: ReplyFeedback): void {
    this.generating = false;
    this.options.policy.recordReplyEnded(feedback);
    const waiting = this.pending;
    this.pending = null;
    if (waiting) this.consider(waiting);
  }

  /** Resolves when no switch is loading (and none is queued behind it). */
  async whenIdle(): Promise<void> {
    while (this.active) await this.active;
  }

  /**
   * Stops listening to the scaler and drops the decisions still waiting (for a reply or a load):
   * after this, nothing new starts. A switch already loading finishes; await `whenIdle()` for it.
   */
  dispose(): void {
    this.disposed = true;
    this.unsubscribe();
    this.pending = null;
    this.queued = null;
  }

  private onDecision(event: ScalerDecision): void {
    if (event.action !== 'degrade' && event.action !== 'upgrade') return;
    this.route(event);
  }

  private route(decision: ModelDecision): void {
    if (this.disposed) return;
    if (this.active) {
      this.supersede(this.queued, decision);
      this.queued = decision;
      return;
    }
    if (this.generating && decision.urgency !== 'critical') {
      this.supersede(this.pending, decision);
      this.pending = decision;
      return;
    }
    this.supersede(this.pending, decision);
    this.pending = null;
    this.actuate(decision);
  }

  /** Re-validates a decision that waited, then routes it or drops it. */
  private consider(decision: ModelDecision): void {
    const policy = this.options.policy;
    if (policy.getCurrentModelId() !== decision.from) {
      policy.recordSwitchDropped(decision, `the model changed to ${policy.getCurrentModelId()} since the decision`);
      return;
    }
    const verdict = policy.revalidate(decision);
    if (!verdict.keep) {
      policy.recordSwitchDropped(decision, verdict.reason);
      return;
    }
    this.route(decision);
  }

  private supersede(old: ModelDecision | null, by: ModelDecision): void {
    if (old && old.id !== by.id) this.options.policy.recordSwitchDropped(old, `superseded by decision #${by.id} (${by.from}→${by.to})`);
  }

  private actuate(decision: ModelDecision): void {
    const { policy, loader } = this.options;
    const interrupt = this.generating;
    if (interrupt) {
      this.interruptedReplies++;
      this.options.interruptReply?.();
    }
    policy.recordSwitchStarted(decision, interrupt);
    this.active = (async () => {
      try {
        await loader.unload(decision.from);
        await loader.load(decision.to);
        policy.recordSwitchCompleted(decision);
      } catch (error) {
        policy.recordSwitchFailed(decision, error instanceof Error ? error.message : String(error));
      }
      this.active = null;
      const next = this.queued;
      this.queued = null;
      if (next) this.consider(next);
    })();
  }
}
