/**
 * The ModelManager acts on the scaler's decisions with real models: it builds the ladder (memory
 * estimated before loading, corrected after), checks resources before every reply, finishes a
 * reply at lower cost when pressure builds and switches when the reply ends, falls back down the
 * ladder when a load fails, follows the free cores with its thread count, and reports what the
 * user gains or loses with every change.
 *
 * What it is doing at any moment is one explicit state (manager-state.ts); it talks to models only
 * through a `ModelRuntime`; ladder building, loading and reply running are in their own files.
 */
import path from 'node:path';
import type { LoadedModel, LogLevel } from '../../../shared/domain';
import { Emitter } from '../../../shared/emitter';
import { MaiError } from '../../../shared/errors';
import { RealClock, type Clock } from '../resource/clock';
import { ManagerMonitor } from './manager-monitor';
import type { ModelSwitcher } from '../resource/actuation/model-switcher';
import type { ResourceSource } from '../resource/monitoring/resource-source';
import type { ProactiveScaler } from '../resource/policy/proactive-scaler';
import type { ScalerState } from '../resource/policy/scaler-types';
import { BudgetedSource, type SourceOverlay } from './budget-source';
import { ConfigureQueue } from './configure-queue';
import { DecisionHandler } from './decision-handler';
import { buildLadder, pickInitial, refusalReporter } from './ladder';
import type { RemoteLadder } from './ladder-remote';
import { createManagerContext, type ManagerContext, type ModelManagerEvents } from './manager-context';
import { sampleIntervalMs, type ConfigureRequest, type LadderInput, type ManagerSettings } from './manager-settings';
import type { ManagerPhase } from './manager-state';
import type { GenerateRequest, GenerateResult, ModelRuntime } from './model-runtime';
import { RemoteFailover } from './remote-failover';
import { ReplyRunner } from './reply-runner';
import type { Rung } from './rung';
import { RungLoader } from './rung-loader';
import { wireScaler, type ScalerSetup, type ScalerWiring } from './scaler-wiring';

export type { ConfigureRequest, LadderInput, ManagerSettings } from './manager-settings';

export interface ModelManagerOptions {
  runtime: ModelRuntime;
  source: ResourceSource;
  clock?: Clock;
  /** Where per-machine measurements are kept; null keeps nothing. */
  dataDir: string | null;
  log: (level: LogLevel, message: string) => void;
  /** Remote rungs (a RuntimeSet as `runtime` holds their runtimes); absent: none. */
  remote?: RemoteLadder;
}

function noScaler(): never {
  throw new MaiError('no-model', 'No model is loaded yet.');
}

/** One per engine process: configure it with the models, then ask it for replies; `shutdown` leaves nothing running. */
export class ModelManager extends Emitter<ModelManagerEvents> {
  private readonly context: ManagerContext;
  private readonly source: BudgetedSource;
  private readonly loader: RungLoader;
  private readonly replies: ReplyRunner;
  private readonly monitors: ManagerMonitor;
  /** The scaler and switcher of the configure in force. */
  private wiring: ScalerWiring | null = null;
  private settings: ManagerSettings = {};
  private lastRequest: ConfigureRequest | null = null;
  private userPaused = false;
  /** Warm-ups and disk writes still running; shutdown waits for them. */
  private readonly background = new Set<Promise<unknown>>();
  /** Tells the user, once per file, that a file was left off the ladder and why. */
  private readonly reportRefused = refusalReporter((level, message) =>
    level === 'log' ? this.options.log('warn', message) : this.emit('notice', { level: 'warn', message }),
  );
  private closing: Promise<void> | null = null;
  private readonly configures: ConfigureQueue;
  private readonly decisions: DecisionHandler;
  private readonly failover: RemoteFailover;

  constructor(private readonly options: ModelManagerOptions) {
    super();
    const clock = options.clock ?? new RealClock({ unref: true });
    this.source = new BudgetedSource(options.source);
    this.monitors = new ManagerMonitor(this.source, clock, options.log);
    this.context = createManagerContext({
      runtime: options.runtime,
      clock,
      dataDir: options.dataDir,
      log: options.log,
      remote: options.remote ?? null,
      monitor: () => this.monitors.current,
      emit: (event, payload) => this.emit(event, payload),
      background: this.background,
      // What ran has ended: a settings change that waited for it is applied now.
      onPhase: (phase) => {
        if (this.configures?.waiting && (phase === 'idle' || phase === 'empty' || phase === 'unconfigured'))
          queueMicrotask(() => this.configures.applyQueued());
      },
    });
    this.loader = new RungLoader(this.context);
    this.replies = new ReplyRunner(this.context, {
      scaler: () => this.scaler ?? noScaler(),
      switcher: () => this.switcher!,
      loader: this.loader,
      paused: () => this.paused,
      whenModelReady: () => this.whenModelReady(),
    });
    this.configures = new ConfigureQueue(
      this.context.machine,
      (request) => this.build(request),
      (request) => {
        this.settings = request.settings;
        this.source.setBudget(request.settings.memoryBudgetBytes ?? null);
        this.applyPause();
      },
    );
    this.decisions = new DecisionHandler(
      this.context,
      this.loader,
      () => this.scaler,
      () => this.thresholds().critical,
      () => this.settings.scaler?.stabilizationSeconds ?? 300,
    );
    this.failover = new RemoteFailover(this.context, this.replies, this.loader);
  }

  /** What the manager is doing now. */
  get phase(): ManagerPhase {
    return this.context.machine.phase;
  }

  /** The ladder in force, smallest first. */
  get ladder(): readonly Rung[] {
    return this.context.rungs;
  }

  /** The memory thresholds in force (fractions), for the panel. */
  thresholds(): { degrade: number; critical: number; upgrade: number } {
    const memory = this.scaler?.getThresholds().memory;
    return memory ? { degrade: memory.degrade, critical: memory.critical, upgrade: memory.upgrade } : { degrade: 0.8, critical: 0.9, upgrade: 0.6 };
  }

  /** What the scaler in force was built from (null before the first configure); a new object per scaler. */
  get scalerSetup(): ScalerSetup | null {
    return this.wiring?.setup ?? null;
  }

  get state(): ScalerState | null {
    return this.scaler?.getState() ?? null;
  }

  /**
   * Builds the ladder (with the remote rungs of `request.remote`), (re)creates the scaler, starts monitoring and loads the first model; resolves with it. For
   * every settings change and model choice: it waits for a reply, switch or configure running to end (the latest request wins; every caller's promise resolves
   * when it is applied); the pause and the memory budget take effect at once. Refused only during shutdown.
   */
  configure(request: ConfigureRequest): Promise<LoadedModel | null> {
    return this.configures.submit(request);
  }

  private async build(request: ConfigureRequest): Promise<LoadedModel | null> {
    const { machine, runtime } = this.context;
    try {
      this.stopScaler();
      this.settings = request.settings;
      this.source.setBudget(request.settings.memoryBudgetBytes ?? null);
      const monitor = this.monitors.useInterval(sampleIntervalMs(request.settings));
      const hardware = await monitor.start();
      machine.assertOpen();
      this.context.rungs = await buildLadder(request, runtime, this.context.footprints, this.reportRefused);
      await this.context.remote?.configure(request.remote, request.settings.scaler?.stabilizationSeconds ?? 300);
      machine.assertOpen();
      // Load before the scaler exists: a first model that fails to load falls back down the ladder.
      const first = pickInitial(this.context.rungs, request.preferredPath, monitor.latest(), this.loader.loaded);
      this.context.reason = request.preferredPath === first.model.path ? 'your choice' : 'the largest model that fits this machine now';
      const initial = await this.loader.loadFirstThatWorks(first);
      machine.assertOpen();
      this.lastRequest = request;
      this.wiring = wireScaler({
        context: this.context,
        monitor,
        loader: this.loader,
        hardware,
        settings: request.settings,
        initial,
        interruptReply: () => this.replies.interrupt(),
        onDecision: (decision) => {
          this.emit('decision', decision);
          this.decisions.handle(decision);
        },
      });
      this.applyPause();
      await this.wiring.scaler.startContinuousMonitoring();
      machine.assertOpen();
      machine.apply('configured');
      this.loader.prepareNeighbours(initial);
      return runtime.model;
    } catch (error) {
      machine.apply('configure-failed');
      throw error;
    }
  }

  /** Replies to the last user turn (pre-flight, cost and step down in reply-runner.ts); a failing server's reply is retried here (remote-failover.ts). */
  generateResponse(request: GenerateRequest, onText: (text: string) => void): Promise<GenerateResult> {
    return this.failover.generateResponse(request, onText);
  }

  /** Stop: ends reply `requestId` where it is (its text so far is kept), even while a failover loads the model for its retry. */
  stopReply(requestId: string): boolean {
    return this.failover.stop(requestId);
  }

  /** The user unloads the model to free memory (remote-failover.ts): nothing loads one again until the next reply or configure. */
  unload = (): Promise<boolean> => this.failover.unload();

  /** Loads a model now because the user chose it; the ladder is rebuilt around it. */
  async selectModel(modelPath: string, models: LadderInput[]): Promise<LoadedModel> {
    // Refuse a missing or damaged file before anything is unloaded: the current model stays.
    const sizeBytes = await this.context.runtime.check(modelPath);
    const ladder = models.some((m) => m.path === modelPath) ? models : [...models, { path: modelPath, sizeBytes, synthetic: false }];
    const model = await this.configure({ models: ladder, preferredPath: modelPath, settings: this.settings });
    if (!model || model.path !== modelPath) throw new MaiError('model-load-failed', `Could not switch to ${path.basename(modelPath)}.`);
    return model;
  }

  /** Test hook: extra load that the monitor reports on top of the machine's real use. */
  setOverlay(overlay: SourceOverlay): void {
    this.source.setOverlay(overlay);
  }

  setPaused(paused: boolean): void {
    this.userPaused = paused;
    this.applyPause();
  }

  /** Tells the scaler why it is paused (by the user, or pinned by the settings), or that it is not. */
  private applyPause(): void {
    this.scaler?.setPaused(this.userPaused ? 'paused by the user' : this.paused ? 'automatic scaling is off (model pinned)' : null);
  }

  private get paused(): boolean {
    return this.userPaused || this.settings.autoScaling === false;
  }

  /** Waits for a switch or settings change (running or waiting) to end, the reply runs on what it leaves; when it left no model, rebuilds the ladder. */
  private async whenModelReady(): Promise<void> {
    for (;;) {
      await this.switcher?.whenIdle();
      const configuring = this.configures.pending;
      if (!configuring) break;
      await configuring.catch(() => {});
    }
    if (this.context.machine.phase !== 'empty') return;
    if (!this.lastRequest) throw new MaiError('no-model', 'No model is loaded.');
    this.emit('notice', { level: 'warn', message: 'The model switch failed and left no model loaded; Mai is loading the next one that works.' });
    await this.configure({ ...this.lastRequest, preferredPath: this.scaler?.getCurrentModelId() ?? null });
  }

  private stopScaler(): void {
    this.wiring?.stop();
    this.wiring = null;
  }

  private get scaler(): ProactiveScaler | null {
    return this.wiring?.scaler ?? null;
  }

  private get switcher(): ModelSwitcher | null {
    return this.wiring?.switcher ?? null;
  }

  /**
   * Leaves nothing running: stops the reply (its partial text is its result), lets a loading switch finish and drops waiting decisions, cancels neighbour
   * preparations and the servers' health checks, lets a configure stop at its next step (a model loading finishes), drops a waiting settings change (its
   * caller hears why), stops the scaler and monitor, waits for warm-ups and disk writes, disposes the model. Calling it again waits for the same shutdown.
   */
  shutdown(): Promise<void> {
    if (this.context.machine.phase === 'closed') return Promise.resolve();
    this.closing ??= (async () => {
      const { machine, runtime } = this.context;
      machine.apply('close');
      this.configures.drop(new MaiError('engine-unavailable', 'Mai shut the model down before the new settings were applied.'));
      this.loader.cancelNeighbours();
      this.failover.dispose();
      // No new switch from here on; the one loading (if any) is awaited below.
      this.switcher?.dispose();
      this.replies.stop();
      await runtime.whenIdle();
      await this.switcher?.whenIdle();
      await this.configures.current?.catch(() => {});
      this.stopScaler();
      this.monitors.current.stop();
      while (this.background.size > 0) await Promise.all([...this.background]);
      await runtime.discardPrepared();
      await runtime.unload();
      machine.apply('closed');
    })().finally(() => {
      this.closing = null;
    });
    return this.closing;
  }
}
