/**
 * Running a reply: check resources first and act on what the check says, run the reply at the cost
 * the check allows, tell the switcher when it starts and ends (a step down decided meanwhile waits
 * for its end), answer again on the smaller model when a critical switch cut it, and add the notes
 * a user should see beside it.
 */
import type { ModelSwitcher } from '../resource/actuation/model-switcher';
import type { ProactiveScaler } from '../resource/policy/proactive-scaler';
import type { PreflightAnswer, ReplyFeedback } from '../resource/types';
import { loadSecondsOf } from './ladder';
import { contextNeedOf } from './ladder-cascade';
import { rungById, type ManagerContext } from './manager-context';
import type { GenerateRequest, GenerateResult } from './model-runtime';
import { replyCost } from './reply-cost';
import type { RungLoader } from './rung-loader';

/** Tokens assumed for a reply when the request does not bound it tighter. */
const DEFAULT_EXPECTED_TOKENS = 256;

/** What a reply needs from the manager around it. */
/** What the scaler hears of a finished (or stopped) reply; a recorded trace keeps the same. */
export function replyFeedbackOf(result: GenerateResult): ReplyFeedback {
  return {
    ok: true,
    tokensPerSecond: result.stats.tokensPerSecond,
    ttftMs: result.stats.ttftMs,
    ...(result.stopReason === 'abort' ? { error: 'aborted' as const } : {}),
  };
}

/** What the scaler hears of a failed reply: out of memory (an emergency step down) or failed. */
export function failedReplyFeedback(error: unknown): ReplyFeedback {
  return { ok: false, error: /alloc|memory|VRAM/i.test((error as Error).message) ? 'out-of-memory' : 'failed' };
}

export interface ReplyDeps {
  scaler: () => ProactiveScaler;
  switcher: () => ModelSwitcher;
  loader: RungLoader;
  /** Paused by the user or pinned by the settings. */
  paused: () => boolean;
  /** Resolves when a model is loaded and no switch runs (rebuilding the ladder if a switch left none). */
  whenModelReady: () => Promise<void>;
}

/** Runs the manager's replies, one at a time; the state machine refuses a second. */
export class ReplyRunner {
  private activeRequestId: string | null = null;
  /** A reply cut by a critical switch: answered again on the new model. */
  private interruptedRequestId: string | null = null;
  /** The load count when the "turns left out" notice was last given (once per loaded model). */
  private trimNoticeAtLoad = -1;

  constructor(
    private readonly context: ManagerContext,
    /** Also what the failover around the runner uses (remote-failover.ts). */
    readonly deps: ReplyDeps,
  ) {}

  /**
   * Replies to the last user turn (see ModelManager.generateResponse): `critical` (or
   * `degrade-first` unless paused) switches before the reply; any other verdict but `go` runs it at
   * lower cost and, for `go-degraded`, asks for the step down once the reply has started, so the
   * switcher defers it to the reply's end and re-validates it there.
   */
  async generateResponse(request: GenerateRequest, onText: (text: string) => void): Promise<GenerateResult> {
    await this.deps.whenModelReady();
    // On a server this machine's memory does not bound the reply: no pre-flight, no reduced cost.
    if (this.context.remote?.activeRung(this.context.runtime.model?.path)) {
      const result = await this.run(request, onText);
      this.context.history = [...request.history, { role: 'assistant', text: result.text }];
      return this.withNotes(result, null);
    }
    const scaler = this.deps.scaler();
    const paused = this.deps.paused();
    const expectedTokens = Math.min(request.maxTokens, DEFAULT_EXPECTED_TOKENS);
    // Cascade steps with a shorter context than this conversation needs are passed over, down and up.
    scaler.setContextNeed(contextNeedOf(request.history, request.maxTokens));
    let preflight = scaler.checkPreflightResources({ expectedOutputTokens: expectedTokens });
    this.context.emit('preflight', preflight);
    const switchFirst = preflight.verdict === 'critical' || (preflight.verdict === 'degrade-first' && !paused);
    if (switchFirst && preflight.modelId !== scaler.getCurrentModelId()) {
      // It cannot run here at all: switch first, then answer on the smaller model.
      scaler.initiateGracefulDegradation({ reason: preflight.reason, path: 'preflight', urgency: 'critical', toModelId: preflight.modelId });
      await this.deps.whenModelReady();
      preflight = scaler.checkPreflightResources({ expectedOutputTokens: expectedTokens });
    }
    // Paused, a reply the check wanted on a smaller model runs here, said so in the note.
    const told =
      preflight.verdict === 'degrade-first' && paused
        ? { ...preflight, reason: `${preflight.reason.replace(/: switch to .* before starting$/, '')}; automatic scaling is paused, so it runs on this model` }
        : preflight;
    const cost = this.costOf(told, request.maxTokens, expectedTokens);
    this.context.runtime.setThreads(cost.threads);
    const reduced = { ...request, maxTokens: cost.maxTokens };
    const onStarted =
      preflight.verdict === 'go-degraded' && !paused
        ? () => scaler.initiateGracefulDegradation({ reason: `pre-flight: ${preflight.reason}`, path: 'preflight', urgency: 'normal' })
        : undefined;
    const first = await this.run(reduced, onText, onStarted);
    this.context.history = [...request.history, { role: 'assistant', text: first.text }];
    if (this.interruptedRequestId !== request.requestId) return this.withNotes(first, cost.note);
    // Memory was nearly exhausted: the reply was cut and the model switched at once. Answer again
    // on the smaller model, saying so.
    this.interruptedRequestId = null;
    await this.deps.whenModelReady();
    const second = await this.run(reduced, onText);
    return this.withNotes(second, `Memory was nearly exhausted, so Mai stopped ${first.model} mid-reply and answered again with ${second.model}.`);
  }

  /** The switcher's interrupt: stops the reply in progress (its partial text is kept) and marks it for a retry. */
  interrupt(): void {
    // A reply on a server takes no memory here: a critical switch only moves the local fallback.
    if (!this.activeRequestId || this.context.remote?.activeRung(this.context.runtime.model?.path)) return;
    this.interruptedRequestId = this.activeRequestId;
    this.context.runtime.stop(this.activeRequestId);
  }

  /** Stops the reply in progress for shutdown (its partial text is its result). */
  stop(): void {
    if (this.activeRequestId) this.context.runtime.stop(this.activeRequestId);
  }

  /** The lower-cost settings the pre-flight answer calls for. */
  private costOf(preflight: PreflightAnswer, requestedMaxTokens: number, expectedTokens: number) {
    const { rungs, stats } = this.context;
    const index = rungs.findIndex((rung) => rung.id === preflight.modelId);
    const smaller = index > 0 ? rungs[index - 1] : undefined;
    const monitor = this.context.monitor();
    const latest = monitor.latest();
    return replyCost({
      preflight,
      requestedMaxTokens,
      expectedTokens,
      switchSeconds: smaller ? loadSecondsOf(smaller, stats) : 0,
      cpuOtherLoad: latest ? latest.cpuOtherLoad : null,
      logicalCores: monitor.getHardware()?.logicalCores ?? 1,
    });
  }

  /** Adds the notes a user should see beside the reply, and a notice when old turns were left out. */
  private withNotes(result: GenerateResult, costNote: string | null): GenerateResult {
    const notes = costNote ? [costNote] : [];
    const dropped = result.droppedTurns ?? 0;
    if (dropped > 0) {
      const model = this.context.runtime.model;
      const sentence = `${dropped} earlier turn${dropped === 1 ? '' : 's'} of this conversation did not fit the ${model?.contextSize ?? ''}-token context of ${result.model} and ${dropped === 1 ? 'was' : 'were'} left out of what it saw.`;
      notes.push(sentence);
      // Once per loaded model: every later reply on it would say the same.
      if (this.trimNoticeAtLoad !== this.context.loads) {
        this.trimNoticeAtLoad = this.context.loads;
        this.context.emit('notice', { level: 'info', message: `${sentence} The conversation itself is kept in full.` });
      }
    }
    const note = [result.note, ...notes].filter(Boolean).join(' ');
    return note ? { ...result, note } : result;
  }

  /** One reply on the current model, with the state machine and the switcher told of its start and end. */
  private async run(request: GenerateRequest, onText: (text: string) => void, onStarted?: () => void): Promise<GenerateResult> {
    const { machine, runtime, stats } = this.context;
    const switcher = this.deps.switcher();
    const modelId = this.context.remote?.activeRung(runtime.model?.path)?.id ?? this.deps.scaler().getCurrentModelId();
    machine.apply('reply-start');
    switcher.beginReply();
    this.activeRequestId = request.requestId;
    try {
      const running = runtime.generate(request, onText);
      onStarted?.();
      const result = await running;
      stats.recordReply(modelId, result.stats, true);
      if (result.stats.tokens > 0 && rungById(this.context, modelId)) this.deps.loader.measureAfterFirstReply(modelId);
      this.end();
      switcher.endReply({ modelId, ...replyFeedbackOf(result) });
      return result;
    } catch (error) {
      stats.recordReply(modelId, null, false);
      this.end();
      switcher.endReply({ modelId, ...failedReplyFeedback(error) });
      throw error;
    }
  }

  /** The reply is over: the machine hears it before the switcher, which may start a switch that waited for it. */
  private end(): void {
    this.activeRequestId = null;
    this.context.machine.apply('reply-end');
  }
}
