/**
 * Failover both ways between a remote rung and the machine (docs/remote.md, "Failover"):
 *
 * - A reply on a remote rung fails because of the server (unreachable, 5xx, no byte for the idle
 *   timeout, a stream cut or garbled): the text so far is kept and returned as the interrupted
 *   part, the server is unusable until it is healthy again for the stabilization period, Mai
 *   loads the local rung the scaler is on (the best local one that fits) and answers again there,
 *   once, saying why ("<host> stopped answering; Mai continued on <model>").
 * - Between replies, whenever a server's health or hold changes (a background check, a slow
 *   streak, the end of its stabilization period) or a reply ends, the placement is asked again for
 *   the scaler's rung: Mai moves to the remote rung or back to the machine when the answer changed.
 *   Only while idle; a move is one switch of the state machine, and replies wait for it.
 */
import { RemoteError, type RemoteFailure } from '../remote/remote-error';
import type { TimerHandle } from '../resource/clock';
import { rungById, type ManagerContext } from './manager-context';
import type { GenerateRequest, GenerateResult } from './model-runtime';
import type { ReplyRunner } from './reply-runner';
import type { Rung } from './rung';
import type { RungLoader } from './rung-loader';

/** Pause before asking the placement again when the manager was busy, ms. */
const RETRY_MS = 1000;

/** Failures that are the server's (or the network's): a retry on the machine can cure them. */
const SERVER_FAILURES: ReadonlySet<RemoteFailure> = new Set([
  'unreachable',
  'unauthorized',
  'server-error',
  'timeout',
  'html',
  'malformed',
  'oversized',
  'incomplete',
  'model-missing',
]);

/** The result of a failed-over reply that the user stopped before its retry began: the server's part is the reply. */
function stoppedBeforeRetry(requestId: string, model: string, interrupted: GenerateResult['interrupted'], note: string | null): GenerateResult {
  return {
    requestId,
    text: '',
    model,
    stopReason: 'abort',
    stats: { tokens: 0, ttftMs: 0, tokensPerSecond: 0, durationMs: 0 },
    interrupted,
    ...(note ? { note } : {}),
  };
}

/** See the file comment. */
export class RemoteFailover {
  private readonly unsubscribe: (() => void) | null;
  /** A failover in progress: it moves and tells the user itself. */
  private failingOver = false;
  /** A reconsider asked again because the manager was busy. */
  private retry: TimerHandle | null = null;
  /** The reply being failed over (from the server's failure to the end of its retry), and whether Stop was pressed meanwhile. */
  private failover: { requestId: string; stopped: boolean } | null = null;
  /** The user unloaded the model: no move loads one until a reply or a configure asks for a model. */
  private unloadedByUser = false;

  constructor(
    private readonly context: ManagerContext,
    private readonly replies: ReplyRunner,
    private readonly loader: RungLoader,
  ) {
    this.unsubscribe = context.remote?.onChange(() => this.reconsider()) ?? null;
  }

  /** A reply (ReplyRunner.generateResponse), with the failover when it runs on a server that fails. */
  async generateResponse(request: GenerateRequest, onText: (text: string) => void): Promise<GenerateResult> {
    const remote = this.context.remote;
    // A reply asks for a model: moves may load one again.
    this.unloadedByUser = false;
    if (!remote) return this.replies.generateResponse(request, onText);
    await remote.swapping;
    let partial = '';
    try {
      const result = await this.replies.generateResponse(request, (text) => {
        partial += text;
        onText(text);
      });
      const on = remote.activeRung(this.context.runtime.model?.path);
      const fallback = this.scalerRung();
      if (on && result.stopReason !== 'abort') remote.answered(on, result.stats.tokensPerSecond, fallback && this.context.stats.tokensPerSecond(fallback.id));
      this.reconsider();
      return result;
    } catch (error) {
      const failedOn = remote.activeRung(this.context.runtime.model?.path);
      if (!failedOn || !(error instanceof RemoteError) || !SERVER_FAILURES.has(error.failure) || this.context.machine.closing) throw error;
      const failover = { requestId: request.requestId, stopped: false };
      this.failover = failover;
      try {
        this.failingOver = true;
        try {
          remote.failed(failedOn, error);
          // Retried on the local rung (another usable server is for the next reply, once this one has its answer).
          await this.move(true);
        } finally {
          this.failingOver = false;
        }
        const interrupted = { text: partial, model: failedOn.model.name, reason: error.message };
        const local = this.context.runtime.model;
        if (!local || remote.isRemote(local.path)) {
          if (failover.stopped) return stoppedBeforeRetry(request.requestId, failedOn.model.name, interrupted, null);
          throw error;
        }
        const sentence = `${remote.hostOf(failedOn)} stopped answering; Mai continued on ${local.name}.`;
        this.context.emit('notice', { level: 'warn', message: `${sentence} ${error.message}` });
        // Stop pressed while the local model loaded: the reply ends with the server's part, and no retry runs.
        if (failover.stopped) {
          this.reconsider();
          return stoppedBeforeRetry(
            request.requestId,
            local.name,
            interrupted,
            `${remote.hostOf(failedOn)} stopped answering; you stopped the reply before Mai answered again on ${local.name}.`,
          );
        }
        const retried = await this.replies.generateResponse(request, (text) => {
          // Stop pressed in the moment before the retry's generation could be stopped: it ends at its first token.
          if (failover.stopped) this.context.runtime.stop(request.requestId);
          else onText(text);
        });
        this.reconsider();
        return { ...retried, note: [sentence, retried.note].filter(Boolean).join(' '), interrupted };
      } finally {
        if (this.failover === failover) this.failover = null;
      }
    }
  }

  /**
   * Stop pressed: ends the reply `requestId` where it is (its text so far is the result), also while a failover loads the
   * local model for its retry, which then does not run. False when no such reply runs.
   */
  stop(requestId: string): boolean {
    const failover = this.failover?.requestId === requestId ? this.failover : null;
    if (failover) failover.stopped = true;
    return this.context.runtime.stop(requestId) || failover !== null;
  }

  /**
   * The user unloaded the model (to free memory): it goes through the runtimes (whichever holds it), and no move loads one
   * again, here or on a server, until a reply or a configure asks for a model.
   */
  async unload(): Promise<boolean> {
    this.unloadedByUser = true;
    // A move on its way finishes first, so it cannot load a model after the unload.
    await this.context.remote?.swapping;
    return this.context.runtime.unload();
  }

  /** Asks the placement again for the scaler's rung and moves when its answer differs from what is loaded (idle only). */
  reconsider(): void {
    const remote = this.context.remote;
    if (!remote || this.failingOver || this.context.machine.closing || this.idleByUser()) return;
    if (remote.swapping || this.context.machine.phase !== 'idle') {
      // Busy now (a reply, a switch): asked again shortly, so a move due now is not left to the next health check.
      this.retry ??= this.context.clock.setTimeout(() => {
        this.retry = null;
        this.reconsider();
      }, RETRY_MS);
      return;
    }
    const rung = this.scalerRung();
    if (!rung) return;
    const loaded = this.context.runtime.model?.path;
    const target = remote.place(rung).rung ?? rung;
    if (target.model.path === loaded) return;
    const from = remote.activeRung(loaded);
    void this.move().then(
      () => {
        const now = this.context.runtime.model;
        if (!now || now.path === loaded) return;
        if (from && !remote.isRemote(now.path)) {
          const why = remote.whyNot(from);
          this.context.emit('notice', {
            level: 'info',
            message: `${remote.hostOf(from)} is not used now${why ? ` (${why.replace(/\.$/, '')})` : ''}; Mai continued on ${now.name}.`,
          });
        } else if (remote.isRemote(now.path)) {
          this.context.emit('notice', { level: 'info', message: `Mai moved to ${now.name}: the conversation now leaves this machine.` });
        }
      },
      (error: Error) => this.context.log('warn', `move for the remote rungs failed: ${error.message}`),
    );
  }

  /**
   * Loads the scaler's rung where the placement puts it now (`local`: the local rung itself, for a
   * failover's retry), as one switch; replies and the switcher wait for it.
   */
  private async move(local = false): Promise<void> {
    const remote = this.context.remote!;
    await this.replies.deps.whenModelReady();
    // The scaler's rung as of now: a switch may have moved it during the wait.
    const rung = this.scalerRung();
    if (!rung || this.idleByUser()) return;
    // One move at a time: the one on its way does it.
    if (remote.swapping) return remote.swapping;
    // Only from idle; set synchronously after the wait, so no switch of the scaler starts in between.
    if (this.context.machine.phase !== 'idle') return;
    // A switch of the scaler that ran meanwhile may have loaded the right model already.
    if (this.context.runtime.model?.path === (local ? rung : (remote.place(rung).rung ?? rung)).model.path) return;
    remote.localOnly = local;
    const run = this.loader.replace(rung).finally(() => {
      remote.localOnly = false;
    });
    const settled: Promise<void> = run
      .catch(() => {})
      .finally(() => {
        if (remote.swapping === settled) remote.swapping = null;
      });
    remote.swapping = settled;
    await run;
  }

  /** Nothing is loaded because the user unloaded it; once a configure has loaded a model again, moves resume. */
  private idleByUser(): boolean {
    if (this.context.runtime.model) this.unloadedByUser = false;
    return this.unloadedByUser;
  }

  /** The local rung the scaler is on (the fallback), if a scaler runs. */
  private scalerRung(): Rung | undefined {
    // The runner's scaler getter throws while no scaler runs (before the first configure, during one).
    try {
      return rungById(this.context, this.replies.deps.scaler().getCurrentModelId());
    } catch {
      return undefined;
    }
  }

  /** Stops following the servers' changes and checking their health (shutdown). */
  dispose(): void {
    this.unsubscribe?.();
    if (this.retry) this.context.clock.clearTimeout(this.retry);
    this.retry = null;
    this.context.remote?.stop();
  }
}
