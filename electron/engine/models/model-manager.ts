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
import { ModelSwitcher } from '../resource/actuation/model-switcher';
import { ResourceMonitor } from '../resource/monitoring/resource-monitor';
import type { ResourceSource } from '../resource/monitoring/resource-source';
import { HardwareTierDetector } from '../resource/policy/hardware-tiers';
import { ProactiveScaler } from '../resource/policy/proactive-scaler';
import type { ScalerDecision, ScalerState } from '../resource/policy/scaler-types';
import type { ScalerSettingsInput } from '../resource/policy/settings';
import type { ModelProfile, StaticHardwareInfo } from '../resource/types';
import { BudgetedSource, type SourceOverlay } from './budget-source';
import { describeChange } from './capability';
import { buildLadder, pickInitial, refusalReporter, scalerProfiles } from './ladder';
import { createManagerContext, rungById, type ManagerContext, type ModelManagerEvents } from './manager-context';
import { sampleIntervalMs, scalerSettingsFor, type ConfigureRequest, type LadderInput, type ManagerSettings } from './manager-settings';
import type { ManagerPhase } from './manager-state';
import type { GenerateRequest, GenerateResult, ModelRuntime } from './model-runtime';
import { ReplyRunner } from './reply-runner';
import type { Rung } from './rung';
import { RungLoader } from './rung-loader';

export type { ModelManagerEvents } from './manager-context';
export type { ConfigureRequest, LadderInput, ManagerSettings } from './manager-settings';
export { sampleIntervalMs } from './manager-settings';

/** A configure waiting for what runs: the latest request, and the promise every caller of it holds. */
interface QueuedConfigure {
  request: ConfigureRequest;
  applied: Promise<LoadedModel | null>;
  resolve: (model: LoadedModel | null) => void;
  reject: (error: unknown) => void;
}

/** What the scaler in force was built from: a recorded trace replays exactly this (docs/trace-format.md). */
export interface ScalerSetup {
  /** Clock time just before the scaler was built, ms: a trace's t = 0. */
  startedAt: number;
  ladder: readonly ModelProfile[];
  initialModelId: string;
  hardware: StaticHardwareInfo;
  settings: ScalerSettingsInput;
}

export interface ModelManagerOptions {
  runtime: ModelRuntime;
  source: ResourceSource;
  clock?: Clock;
  /** Where per-machine measurements are kept; null keeps nothing. */
  dataDir: string | null;
  log: (level: LogLevel, message: string) => void;
}

/** One per engine process: configure it with the models, then ask it for replies; `shutdown` leaves nothing running. */
export class ModelManager extends Emitter<ModelManagerEvents> {
  private readonly tierDetector = new HardwareTierDetector();
  private readonly context: ManagerContext;
  private readonly source: BudgetedSource;
  private readonly loader: RungLoader;
  private readonly replies: ReplyRunner;
  /** The manager's own: scalers come and go with `configure`, the monitor stays until shutdown. */
  private monitor: ResourceMonitor;
  private scaler: ProactiveScaler | null = null;
  private switcher: ModelSwitcher | null = null;
  private unsubscribe: Array<() => void> = [];
  private settings: ManagerSettings = {};
  /** What the scaler in force was built from; a new object for every scaler. */
  private setup: ScalerSetup | null = null;
  private lastRequest: ConfigureRequest | null = null;
  /** The model the user had before a chain of switches (a chain of fallbacks is one change for them). */
  private switchFrom: string | null = null;
  private userPaused = false;
  /** Warm-ups and disk writes still running; shutdown waits for them. */
  private readonly background = new Set<Promise<unknown>>();
  /** Tells the user, once per file, that a file was left off the ladder and why. */
  private readonly reportRefused = refusalReporter((level, message) =>
    level === 'log' ? this.options.log('warn', message) : this.emit('notice', { level: 'warn', message }),
  );
  private closing: Promise<void> | null = null;
  /** The configure running now: shutdown and a reply wait for it. */
  private configuring: Promise<LoadedModel | null> | null = null;
  /** The latest configure that arrived while something ran, with the promise all its callers hold. */
  private queued: QueuedConfigure | null = null;

  constructor(private readonly options: ModelManagerOptions) {
    super();
    const clock = options.clock ?? new RealClock({ unref: true });
    this.source = new BudgetedSource(options.source);
    this.monitor = this.createMonitor(clock, 1000);
    this.context = createManagerContext({
      runtime: options.runtime,
      clock,
      dataDir: options.dataDir,
      log: options.log,
      monitor: () => this.monitor,
      emit: (event, payload) => this.emit(event, payload),
      background: this.background,
      // What ran has ended: a settings change that waited for it is applied now.
      onPhase: (phase) => {
        if (this.queued && (phase === 'idle' || phase === 'empty' || phase === 'unconfigured')) queueMicrotask(() => this.applyQueued());
      },
    });
    this.loader = new RungLoader(this.context);
    this.replies = new ReplyRunner(this.context, {
      scaler: () => this.requireScaler(),
      switcher: () => this.switcher!,
      loader: this.loader,
      paused: () => this.paused,
      whenModelReady: () => this.whenModelReady(),
    });
  }

  private createMonitor(clock: Clock, intervalMs: number): ResourceMonitor {
    return new ResourceMonitor({
      source: this.source,
      clock,
      intervalMs,
      onError: (error) => this.options.log('warn', `resource sample failed: ${String(error)}`),
    });
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
    return this.setup;
  }

  get state(): ScalerState | null {
    return this.scaler?.getState() ?? null;
  }

  /**
   * Builds the ladder, (re)creates the scaler, starts monitoring and loads the first model; resolves
   * with the model loaded. Main calls it for every settings change and model choice: while a reply,
   * a switch or another configure runs, it waits for that to end (the reply is never disturbed) and
   * the latest request wins; every caller's promise resolves when it is applied. The pause and the
   * memory budget take effect at once, as they did before the manager had states. Refused only
   * during shutdown.
   */
  async configure(request: ConfigureRequest): Promise<LoadedModel | null> {
    const { machine } = this.context;
    if (!this.queued && machine.can('configure')) return this.configureNow(request);
    if (!this.queued) machine.apply('configure-queued');
    this.settings = request.settings;
    this.source.setBudget(request.settings.memoryBudgetBytes ?? null);
    this.applyPause();
    if (this.queued) {
      this.queued.request = request;
      return this.queued.applied;
    }
    let settle!: Pick<QueuedConfigure, 'resolve' | 'reject'>;
    const applied = new Promise<LoadedModel | null>((resolve, reject) => (settle = { resolve, reject }));
    this.queued = { request, applied, ...settle };
    return applied;
  }

  /** Applies the configure that waited, once the manager is idle (or empty) again. */
  private applyQueued(): void {
    const queued = this.queued;
    if (!queued || this.context.machine.closing || !this.context.machine.can('configure')) return;
    this.queued = null;
    this.configureNow(queued.request).then(queued.resolve, queued.reject);
  }

  private configureNow(request: ConfigureRequest): Promise<LoadedModel | null> {
    this.context.machine.apply('configure');
    const run = this.build(request).finally(() => {
      if (this.configuring === run) this.configuring = null;
    });
    this.configuring = run;
    return run;
  }

  /** Throws when shutdown began during an await: a configure stops at its next step. */
  private stopIfClosing(): void {
    if (this.context.machine.closing) throw new MaiError('engine-unavailable', 'Mai is shutting down.');
  }

  private async build(request: ConfigureRequest): Promise<LoadedModel | null> {
    const { machine, runtime } = this.context;
    try {
      this.stopScaler();
      this.settings = request.settings;
      this.source.setBudget(request.settings.memoryBudgetBytes ?? null);
      const intervalMs = sampleIntervalMs(request.settings);
      if (intervalMs !== this.monitor.intervalMs) {
        this.monitor.stop();
        this.monitor = this.createMonitor(this.context.clock, intervalMs);
      }
      const hardware = await this.monitor.start();
      this.stopIfClosing();
      this.context.rungs = await buildLadder(request, runtime, this.context.footprints, this.reportRefused);
      this.stopIfClosing();
      // Load before the scaler exists: a first model that fails to load falls back down the ladder.
      const first = pickInitial(this.context.rungs, request.preferredPath, this.monitor.latest());
      this.context.reason = request.preferredPath === first.model.path ? 'your choice' : 'the largest model that fits this machine now';
      const initial = await this.loader.loadFirstThatWorks(first);
      this.stopIfClosing();
      this.lastRequest = request;
      // The tier is detected once: the settings for it and the scaler both use this answer.
      const tier = this.tierDetector.detect(hardware);
      const setup: ScalerSetup = {
        startedAt: this.context.clock.now(),
        ladder: scalerProfiles(this.context.rungs, this.context.stats),
        initialModelId: initial.id,
        hardware,
        settings: scalerSettingsFor(request.settings, tier),
      };
      this.setup = setup;
      const scaler = new ProactiveScaler({
        clock: this.context.clock,
        ladder: setup.ladder,
        initialModelId: initial.id,
        hardware,
        settings: setup.settings,
        tier,
        monitor: this.monitor,
        log: (line) => this.options.log('info', line),
      });
      this.scaler = scaler;
      this.switcher = new ModelSwitcher({ policy: scaler, loader: this.loader, interruptReply: () => this.replies.interrupt() });
      this.applyPause();
      this.unsubscribe.push(
        scaler.on('decision', (decision) => this.onDecision(decision)),
        this.monitor.onSample((sample) => {
          const state = this.scaler?.getState();
          if (state) this.emit('sample', { sample, state, performance: this.context.stats.snapshot() });
        }),
      );
      await scaler.startContinuousMonitoring();
      this.stopIfClosing();
      machine.apply('configured');
      this.loader.prepareNeighbours(initial);
      return runtime.model;
    } catch (error) {
      machine.apply('configure-failed');
      throw error;
    }
  }

  /**
   * Replies to the last user turn, checking resources first and acting on what the check says:
   * `critical` (or `degrade-first` unless scaling is paused) switches before the reply; any other
   * verdict but `go` runs this reply at lower cost (fewer tokens, fewer threads when the cores are
   * taken) and, for `go-degraded`, schedules the step down for when the reply ends (re-validated
   * then; never while paused). See reply-runner.ts.
   */
  generateResponse(request: GenerateRequest, onText: (text: string) => void): Promise<GenerateResult> {
    return this.replies.generateResponse(request, onText);
  }

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

  private applyPause(): void {
    const reason = this.userPaused ? 'paused by the user' : this.settings.autoScaling === false ? 'automatic scaling is off (model pinned)' : null;
    this.scaler?.setPaused(reason);
  }

  /** Paused by the user or pinned by the settings. */
  private get paused(): boolean {
    return this.userPaused || this.settings.autoScaling === false;
  }

  /**
   * Waits until no switch is loading and a model is in memory. When a switch left nothing loaded
   * (its target failed and nothing smaller was left), the ladder is rebuilt around whatever loads.
   */
  private async whenModelReady(): Promise<void> {
    // A switch or a settings change in progress (or waiting) ends first: the reply runs on what it leaves.
    for (;;) {
      await this.switcher?.whenIdle();
      const configuring = this.configuring ?? this.queued?.applied;
      if (!configuring) break;
      await configuring.catch(() => {});
    }
    if (this.context.machine.phase !== 'empty') return;
    if (!this.lastRequest) throw new MaiError('no-model', 'No model is loaded.');
    this.emit('notice', { level: 'warn', message: 'The model switch failed and left no model loaded; Mai is loading the next one that works.' });
    await this.configure({ ...this.lastRequest, preferredPath: this.scaler?.getCurrentModelId() ?? null });
  }

  private requireScaler(): ProactiveScaler {
    if (!this.scaler) throw new MaiError('no-model', 'No model is loaded yet.');
    return this.scaler;
  }

  private onDecision(decision: ScalerDecision): void {
    this.emit('decision', decision);
    switch (decision.action) {
      case 'degrade':
      case 'upgrade':
        this.context.reason = decision.reason;
        if (decision.action === 'degrade') this.loader.loadAhead(decision, this.thresholds().critical);
        break;
      case 'threads':
        this.context.runtime.setThreads(decision.to);
        break;
      case 'switch':
        this.switchFrom ??= decision.from;
        break;
      case 'loaded': {
        if (!decision.ok) {
          this.emit('notice', {
            level: 'warn',
            message: `${rungById(this.context, decision.modelId)?.model.name ?? decision.modelId} failed to load: ${decision.reason}`,
          });
          break;
        }
        const from = rungById(this.context, this.switchFrom);
        const to = rungById(this.context, decision.modelId);
        this.switchFrom = null;
        if (from && to && from !== to)
          this.emit('capability', describeChange(from, to, this.context.reason, this.scaler!, this.settings.scaler?.stabilizationSeconds ?? 300));
        break;
      }
      case 'cancel':
        this.loader.dropAhead();
        break;
      default:
        decision satisfies never;
    }
  }

  private stopScaler(): void {
    for (const off of this.unsubscribe.splice(0)) off();
    // The decisions still waiting are dropped with the switcher, so is a model loaded ahead for one.
    if (this.switcher) this.context.track(this.context.runtime.discardPrepared());
    this.switcher?.dispose();
    this.scaler?.stop();
    this.scaler = null;
    this.switcher = null;
  }

  /**
   * Leaves nothing running: stops the reply in progress (its partial text is its result), lets a
   * switch that is loading finish and drops the decisions still waiting, cancels the neighbour
   * preparations, lets a configure in progress stop at its next step (a model it is loading finishes
   * loading), drops a settings change still waiting (its caller hears why), stops the scaler and the
   * monitor, waits for the warm-ups and disk writes, and disposes the context and the model. Calling
   * it again waits for the same shutdown.
   */
  shutdown(): Promise<void> {
    if (this.context.machine.phase === 'closed') return Promise.resolve();
    this.closing ??= (async () => {
      const { machine, runtime } = this.context;
      machine.apply('close');
      const queued = this.queued;
      this.queued = null;
      queued?.reject(new MaiError('engine-unavailable', 'Mai shut the model down before the new settings were applied.'));
      this.loader.cancelNeighbours();
      // No new switch from here on; the one loading (if any) is awaited below.
      this.switcher?.dispose();
      this.replies.stop();
      await runtime.whenIdle();
      await this.switcher?.whenIdle();
      await this.configuring?.catch(() => {});
      this.stopScaler();
      this.monitor.stop();
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
