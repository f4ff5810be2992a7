/**
 * What the engine reports, as the windows see it — its status, resource samples, the scaler's
 * decisions, capability changes, its notices — and what the user asks of the engine and its scaler
 * (restart it, pause scaling). Keeps the newest sample, the last 200 decisions and whether scaling
 * is paused, for `app:get-state`.
 */
import type { AppEvents, AppHandlers } from '../../../shared/contract';
import type { LogLevel } from '../../../shared/domain';
import { Emitter } from '../../../shared/emitter';
import type { DecisionData, ResourceSnapshot } from '../../../shared/resource';
import type { EngineHost } from './engine-host';
import type { ModelController } from './model-controller';

/** Decisions kept for a window that opens later (the contract says 200). */
const KEPT_DECISIONS = 200;

export type EngineServiceEvents = Pick<AppEvents, 'onEngineStatus' | 'onResourceSample' | 'onScalerDecision' | 'onCapabilityChanged' | 'onNotice'> & {
  /** The user paused (true) or resumed (false) automatic scaling, from the window or the tray. */
  didSetScalingPaused: boolean;
};

export class EngineService extends Emitter<EngineServiceEvents> {
  private snapshot: ResourceSnapshot | null = null;
  private readonly decisionList: DecisionData[] = [];
  private paused = false;

  constructor(
    private readonly engine: EngineHost,
    private readonly models: ModelController,
    log: (level: LogLevel, message: string) => void,
  ) {
    super();
    engine.on('status', (status) => this.emit('onEngineStatus', status));
    engine.on('log', ({ level, message }) => log(level, `engine: ${message}`));
    engine.on('down', ({ detail, willRestart }) => {
      log('warn', detail);
      this.emit('onNotice', { level: willRestart ? 'warn' : 'error', message: willRestart ? `${detail} Restarting it…` : detail });
    });
    engine.onEngine('scaler:sample', (snapshot) => {
      this.snapshot = snapshot;
      this.emit('onResourceSample', snapshot);
    });
    engine.onEngine('scaler:decision', (decision) => {
      this.decisionList.push(decision);
      if (this.decisionList.length > KEPT_DECISIONS) this.decisionList.splice(0, this.decisionList.length - KEPT_DECISIONS);
      this.emit('onScalerDecision', decision);
    });
    // The window shows capability changes itself (louder for a step down, silent when the user
    // asked); the tray turns them into native notifications. No duplicate plain notice.
    engine.onEngine('model:capability', (change) => {
      this.emit('onCapabilityChanged', { ...change, at: Date.now() });
      log('info', `${change.what} Why: ${change.why}.`);
    });
    engine.onEngine('engine:notice', (notice) => this.emit('onNotice', notice));
  }

  readonly handlers: AppHandlers<'scaler:pause' | 'engine:restart'> = {
    'scaler:pause': async ({ paused }) => {
      await this.models.setPaused(paused);
      this.paused = paused;
      this.emit('didSetScalingPaused', paused);
      return { paused };
    },
    'engine:restart': async () => {
      await this.engine.restart();
      return this.engine.status;
    },
  };

  /** The newest resource frame; null until the first sample. */
  get lastSnapshot(): ResourceSnapshot | null {
    return this.snapshot;
  }

  /** The scaler's decisions, newest last (a copy). */
  get decisions(): DecisionData[] {
    return [...this.decisionList];
  }

  get scalingPaused(): boolean {
    return this.paused;
  }

  /** Scaling starts paused when the settings say so (a pinned model, automatic scaling off). */
  startPaused(paused: boolean): void {
    this.paused = paused;
  }
}
