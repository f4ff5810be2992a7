/**
 * What the ModelManager does with each scaler decision besides passing it on: remembers why the
 * next change happens, loads the target ahead of a step down, follows the thread count, and, when a
 * switch (or a chain of fallbacks, one change for the user) ends, tells the user what they gained
 * or lost.
 */
import type { LoadedModel } from '../../../shared/domain';
import type { ProactiveScaler } from '../resource/policy/proactive-scaler';
import type { ScalerDecision } from '../resource/policy/scaler-types';
import { describeChange } from './capability';
import { rungById, type ManagerContext } from './manager-context';
import { describeRemoteMove } from './remote-capability';
import type { RungLoader } from './rung-loader';

/** See the file comment. */
export class DecisionHandler {
  /** The model the user had before a chain of switches. */
  private switchFrom: string | null = null;
  /** The model loaded when that chain began (a server's, or a local one): a move between them is told as such. */
  private modelBefore: LoadedModel | null = null;

  constructor(
    private readonly context: ManagerContext,
    private readonly loader: RungLoader,
    private readonly scaler: () => ProactiveScaler | null,
    /** The critical memory threshold in force (a fraction): a model loaded ahead must leave room under it. */
    private readonly critical: () => number,
    /** The stabilization period the settings ask for, seconds (what the capability notice promises). */
    private readonly stabilizationSeconds: () => number,
  ) {}

  /** Acts on one decision; the manager has emitted it already. */
  handle(decision: ScalerDecision): void {
    const { context } = this;
    switch (decision.action) {
      case 'degrade':
      case 'upgrade':
        context.reason = decision.reason;
        if (decision.action === 'degrade') this.loader.loadAhead(decision, this.critical());
        break;
      case 'threads':
        context.runtime.setThreads(decision.to);
        break;
      case 'switch':
        if (this.switchFrom === null) this.modelBefore = context.runtime.model;
        this.switchFrom ??= decision.from;
        break;
      case 'loaded':
        this.loaded(decision);
        break;
      case 'cancel':
        this.loader.dropAhead();
        break;
      default:
        decision satisfies never;
    }
  }

  private loaded(decision: Extract<ScalerDecision, { action: 'loaded' }>): void {
    const { context } = this;
    if (!decision.ok) {
      context.emit('notice', {
        level: 'warn',
        message: `${rungById(context, decision.modelId)?.model.name ?? decision.modelId} failed to load: ${decision.reason}`,
      });
      return;
    }
    const from = rungById(context, this.switchFrom);
    const to = rungById(context, decision.modelId);
    const scaler = this.scaler();
    const before = this.modelBefore;
    this.switchFrom = null;
    this.modelBefore = null;
    const remote = context.remote;
    const stabilizationSeconds = this.stabilizationSeconds();
    if (remote) {
      // To a server or back (local first, remote when short): said like a local switch, naming the host.
      const left = rungById(context, before?.path);
      const moved = describeRemoteMove({ remote, before, after: context.runtime.model, from, to, left, why: context.reason, scaler, stabilizationSeconds });
      // null: on a server the scaler moved only the local fallback, nothing the user has changed.
      if (moved !== undefined) {
        if (moved) context.emit('capability', moved);
        return;
      }
    }
    if (from && to && from !== to && scaler) context.emit('capability', describeChange(from, to, context.reason, scaler, stabilizationSeconds, context.rungs));
  }
}
