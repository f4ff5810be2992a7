/**
 * The ModelManager acts on the scaler's decisions with real models: it builds the ladder (memory
 * estimated before loading, corrected after), checks resources before every reply, finishes a
 * reply at lower cost when pressure builds and switches when the reply ends, falls back down the
 * ladder when a load fails, follows the free cores with its thread count, and reports what the
 * user gains or loses with every change.
 */
import path from 'node:path';
import type { ChatTurn, LoadedModel, LogLevel } from '../../../shared/domain';
import { Emitter } from '../../../shared/emitter';
import { MaiError } from '../../../shared/errors';
import { RealClock, type Clock, type TimerHandle } from '../resource/clock';
import { HardwareTierDetector } from '../resource/policy/hardware-tiers';
import { ModelSwitcher, type ModelLoader } from '../resource/actuation/model-switcher';
import { ProactiveScaler } from '../resource/policy/proactive-scaler';
import { ResourceMonitor } from '../resource/monitoring/resource-monitor';
import type { ResourceSource } from '../resource/monitoring/resource-source';
import type { ModelDecision, ScalerDecision, ScalerState } from '../resource/policy/scaler-types';
import type { ModelProfile, PreflightAnswer, ResourceSample } from '../resource/types';
import type { GenerateRequest, GenerateResult, LlamaEngine } from '../llama-engine';
import { assertLooksLikeGguf, checkGguf } from '../gguf-peek';
import { BudgetedSource, type SourceOverlay } from './budget-source';
import { describeChange, type CapabilityChange } from './capability';
import { FootprintEstimator } from './footprint';
import { ModelStats, type ModelPerformance } from './model-stats';
import { sampleIntervalMs, scalerSettingsFor, type ConfigureRequest, type LadderInput, type LadderRung, type ManagerSettings } from './manager-settings';
import { replyCost } from './reply-cost';

export type { ConfigureRequest, LadderInput, LadderRung, ManagerSettings } from './manager-settings';
export { sampleIntervalMs } from './manager-settings';

export interface ModelManagerEvents extends Record<string, unknown> {
  decision: ScalerDecision;
  sample: { sample: ResourceSample; state: ScalerState; performance: ModelPerformance[] };
  modelChanged: { model: LoadedModel; previous: string | null; reason: string };
  capability: CapabilityChange;
  preflight: PreflightAnswer;
  notice: { level: 'info' | 'warn' | 'error'; message: string };
}

export interface ModelManagerOptions {
  runtime: LlamaEngine;
  source: ResourceSource;
  clock?: Clock;
  /** Where per-machine measurements are kept; null keeps nothing. */
  dataDir: string | null;
  log: (level: LogLevel, message: string) => void;
}

/** Tokens assumed for a reply when the request does not bound it tighter. */
const DEFAULT_EXPECTED_TOKENS = 256;

/** Pause between two chat-format preparations of neighbouring rungs, ms (keeps the engine responsive). */
const NEIGHBOUR_PREPARE_GAP_MS = 250;

/** RSS and VRAM before a model was loaded: its footprint is measured against them after its first reply. */
interface PendingMeasurement {
  rungId: string;
  rssBefore: number;
  vramBefore: number;
}

export class ModelManager extends Emitter<ModelManagerEvents> implements ModelLoader {
  private monitor: ResourceMonitor;
  private monitorIntervalMs = 1000;
  readonly tierDetector = new HardwareTierDetector();
  private readonly source: BudgetedSource;
  private readonly clock: Clock;
  private readonly footprints: FootprintEstimator;
  private readonly stats = new ModelStats();
  private scaler: ProactiveScaler | null = null;
  private switcher: ModelSwitcher | null = null;
  private unsubscribe: Array<() => void> = [];
  private rungs: LadderRung[] = [];
  private settings: ManagerSettings = {};
  private lastReason = '';
  private activeRequestId: string | null = null;
  private lastRequest: ConfigureRequest | null = null;
  private switchFrom: string | null = null;
  /** The conversation as of the last reply, replayed into a new model right after a switch. */
  private lastHistory: ChatTurn[] = [];
  /** A reply cut by a critical switch: answered again on the new model. */
  private interruptedRequestId: string | null = null;
  /** Paused by the user or pinned by the settings: only critical verdicts and emergencies switch. */
  private userPaused = false;
  private neighbourTimer: TimerHandle | null = null;
  /** Bumped to cancel a chain of neighbour preparations. */
  private neighbourGeneration = 0;
  private measurement: PendingMeasurement | null = null;
  /** Disk writes and warm-ups still running; shutdown waits for them. */
  private readonly background = new Set<Promise<unknown>>();
  /** Files already reported as refused (path and size), so a rebuilt ladder does not repeat the notice. */
  private readonly refusedNotified = new Set<string>();
  /** The model whose "turns left out" notice was given (once per load). */
  private trimNoticeFor: string | null = null;
  private closing = false;

  constructor(private readonly options: ModelManagerOptions) {
    super();
    this.clock = options.clock ?? new RealClock({ unref: true });
    this.source = new BudgetedSource(options.source);
    this.monitor = this.createMonitor(1000);
    this.footprints = new FootprintEstimator(options.dataDir ? path.join(options.dataDir, 'model-memory.json') : null, (m) => options.log('warn', m));
  }

  private createMonitor(intervalMs: number): ResourceMonitor {
    this.monitorIntervalMs = intervalMs;
    return new ResourceMonitor({ source: this.source, clock: this.clock, intervalMs, onError: (error) => this.options.log('warn', `resource sample failed: ${String(error)}`) });
  }

  /** Runs `work` in the background; shutdown waits for it. */
  private track(work: Promise<unknown>): void {
    const settled = work.catch(() => {}).finally(() => this.background.delete(settled));
    this.background.add(settled);
  }

  /** The ladder in force, smallest first. */
  get ladder(): readonly LadderRung[] {
    return this.rungs;
  }

  /** The memory thresholds in force (fractions), for the panel. */
  thresholds(): { degrade: number; critical: number; upgrade: number } {
    const memory = this.scaler?.getThresholds().memory;
    return memory ? { degrade: memory.degrade, critical: memory.critical, upgrade: memory.upgrade } : { degrade: 0.8, critical: 0.9, upgrade: 0.6 };
  }

  get state(): ScalerState | null {
    return this.scaler?.getState() ?? null;
  }

  /** Builds the ladder, (re)creates the scaler, starts monitoring and loads the first model. */
  async configure(request: ConfigureRequest): Promise<LoadedModel | null> {
    this.stopScaler();
    this.closing = false;
    this.settings = request.settings;
    this.source.setBudget(request.settings.memoryBudgetBytes ?? null);
    const intervalMs = sampleIntervalMs(request.settings);
    if (intervalMs !== this.monitorIntervalMs) {
      this.monitor.stop();
      this.monitor = this.createMonitor(intervalMs);
    }
    const hardware = await this.monitor.start();
    const llama = await this.options.runtime.getLlama();
    const avoid = new Set(request.avoidPaths ?? []);
    const rungs: LadderRung[] = [];
    for (const model of request.models) {
      if (avoid.has(model.path) && model.path !== request.preferredPath) continue;
      // Every file is checked before node-llama-cpp reads a byte of it: its own header reader
      // trusts the counts it reads, and one malformed file would take the engine down.
      const refusal = await checkGguf(model.path).then(
        () => null,
        (error: Error) => error,
      );
      if (refusal) {
        this.reportRefused(model, refusal);
        continue;
      }
      const contextSize = model.contextSize ?? request.settings.contextSize;
      const footprint = await this.footprints.estimate(llama, model.path, model.sizeBytes, contextSize ?? 4096, 0);
      rungs.push({
        id: model.path,
        path: model.path,
        name: footprint.name ?? path.basename(model.path, '.gguf'),
        synthetic: model.synthetic,
        footprint,
        ...(contextSize ? { contextSize } : {}),
      });
    }
    rungs.sort((a, b) => a.footprint.memBytes + a.footprint.vramBytes - (b.footprint.memBytes + b.footprint.vramBytes));
    const floor = rungs.find((rung) => rung.path === request.settings.qualityFloorPath);
    this.rungs = floor ? rungs.filter((rung) => rung.footprint.memBytes >= floor.footprint.memBytes) : rungs;
    if (this.rungs.length === 0) throw new MaiError('no-model', 'No model to load: the models folder is empty.');

    // Load before the scaler exists: a first model that fails to load falls back down the ladder.
    const first = this.pickInitial(request.preferredPath, this.monitor.latest());
    this.lastReason = request.preferredPath === first.path ? 'your choice' : 'the largest model that fits this machine now';
    const initial = await this.loadFirstThatWorks(first);
    this.lastRequest = request;
    const profiles: ModelProfile[] = this.rungs.map((rung) => ({
      id: rung.id,
      memBytes: rung.footprint.memBytes,
      vramBytes: rung.footprint.vramBytes,
      loadSeconds: this.stats.loadSeconds(rung.id) ?? Math.max(0.5, rung.footprint.memBytes / 400e6),
      ...(this.stats.tokensPerSecond(rung.id) ? { tokensPerSecond: this.stats.tokensPerSecond(rung.id) } : {}),
    }));
    const scaler = new ProactiveScaler({
      clock: this.clock,
      ladder: profiles,
      initialModelId: initial.id,
      hardware,
      settings: scalerSettingsFor(request.settings, this.tierDetector.detect(hardware)),
      tierDetector: this.tierDetector,
      monitor: this.monitor,
      log: (line) => this.options.log('info', line),
    });
    this.scaler = scaler;
    this.switcher = new ModelSwitcher({ policy: scaler, loader: this, interruptReply: () => this.interruptReply() });
    this.applyPause();
    this.unsubscribe.push(
      scaler.on('decision', (decision) => this.onDecision(decision)),
      this.monitor.onSample((sample) => this.afterSample(sample)),
    );
    await scaler.startContinuousMonitoring();
    this.prepareNeighbours(initial);
    return this.options.runtime.model;
  }

  /** Tells the user, once per file, that a file was left off the ladder and why. */
  private reportRefused(model: LadderInput, error: Error): void {
    const reason = error instanceof MaiError ? error.message : `Mai cannot read it (${error.message}).`;
    this.options.log('warn', `${model.path} left off the model list: ${reason}`);
    const key = `${model.path}|${model.sizeBytes}`;
    if (this.refusedNotified.has(key)) return;
    this.refusedNotified.add(key);
    this.emit('notice', { level: 'warn', message: `${path.basename(model.path)} was left out of the model list: ${reason}` });
  }

  /** In the background, while idle: chat wrappers of the rungs a switch would go to (nearest first). */
  private prepareNeighbours(current: LadderRung): void {
    this.cancelNeighbours();
    const generation = this.neighbourGeneration;
    const index = this.rungs.indexOf(current);
    const order = this.rungs
      .map((rung, i) => ({ rung, distance: Math.abs(i - index) + (i > index ? 0.5 : 0) }))
      .filter(({ rung }) => rung !== current)
      .sort((a, b) => a.distance - b.distance)
      .map(({ rung }) => rung.path);
    const next = () => {
      const modelPath = order.shift();
      if (!modelPath || generation !== this.neighbourGeneration) return;
      this.neighbourTimer = this.clock.setTimeout(() => {
        this.neighbourTimer = null;
        if (generation !== this.neighbourGeneration) return;
        const preparing = this.options.runtime
          .prepareChatWrapper(modelPath)
          .catch((error: Error) => this.options.log('debug', `chat format of ${path.basename(modelPath)} not prepared: ${error.message}`))
          .finally(next);
        this.track(preparing);
      }, NEIGHBOUR_PREPARE_GAP_MS);
    };
    next();
  }

  private cancelNeighbours(): void {
    this.neighbourGeneration++;
    if (this.neighbourTimer) this.clock.clearTimeout(this.neighbourTimer);
    this.neighbourTimer = null;
  }

  /** Loads `first`, else each smaller rung, else each bigger one; throws only when none loads. */
  private async loadFirstThatWorks(first: LadderRung): Promise<LadderRung> {
    const index = this.rungs.indexOf(first);
    const order = [...this.rungs.slice(0, index + 1).reverse(), ...this.rungs.slice(index + 1)];
    const failures: string[] = [];
    for (const rung of order) {
      if (this.options.runtime.model?.path === rung.path) return rung;
      try {
        await this.load(rung.id);
        if (failures.length > 0) this.emit('notice', { level: 'warn', message: `${failures.join(' ')} Mai is using ${rung.name} instead.` });
        return rung;
      } catch (error) {
        failures.push(`${rung.name} failed to load: ${(error as Error).message}`);
        this.options.log('warn', failures.at(-1)!);
      }
    }
    throw new MaiError('model-load-failed', `No model could be loaded. ${failures.join(' ')}`);
  }

  /** The preferred model if it is on the ladder, else the largest that fits under the upgrade threshold. */
  private pickInitial(preferredPath: string | null, sample: ResourceSample | null): LadderRung {
    const preferred = this.rungs.find((rung) => rung.path === preferredPath);
    if (preferred) return preferred;
    const fits = (rung: LadderRung) =>
      !sample || sample.memUsedBytes - sample.ownMemBytes + rung.footprint.memBytes < sample.memTotalBytes * 0.6;
    return [...this.rungs].reverse().find(fits) ?? this.rungs[0]!;
  }

  /**
   * Replies to the last user turn, checking resources first and acting on what the check says:
   * `critical` (or `degrade-first` unless scaling is paused) switches before the reply; any other
   * verdict but `go` runs this reply at lower cost (fewer tokens, fewer threads when the cores are
   * taken) and, for `go-degraded`, schedules the step down for when the reply ends (re-validated
   * then; never while paused).
   */
  async generateResponse(request: GenerateRequest, onText: (text: string) => void): Promise<GenerateResult> {
    const scaler = this.requireScaler();
    await this.whenModelReady();
    const expectedTokens = Math.min(request.maxTokens, DEFAULT_EXPECTED_TOKENS);
    let preflight = scaler.checkPreflightResources({ expectedOutputTokens: expectedTokens });
    this.emit('preflight', preflight);
    const switchFirst = preflight.verdict === 'critical' || (preflight.verdict === 'degrade-first' && !this.paused);
    if (switchFirst && preflight.modelId !== scaler.getCurrentModelId()) {
      // It cannot run here at all: switch first, then answer on the smaller model.
      scaler.initiateGracefulDegradation({ reason: preflight.reason, path: 'preflight', urgency: 'critical', toModelId: preflight.modelId });
      await this.whenModelReady();
      preflight = scaler.checkPreflightResources({ expectedOutputTokens: expectedTokens });
    }
    // Paused, a reply the check wanted on a smaller model runs here, said so in the note.
    const told = preflight.verdict === 'degrade-first' && this.paused ? { ...preflight, reason: `${preflight.reason.replace(/: switch to .* before starting$/, '')}; automatic scaling is paused, so it runs on this model` } : preflight;
    const cost = this.costOf(told, request.maxTokens, expectedTokens);
    this.options.runtime.setThreads(cost.threads);
    const reduced = { ...request, maxTokens: cost.maxTokens };
    // The step down waits for this reply: asked for once the reply has started, so the switcher
    // defers it to the reply's end and re-validates it there (a faded pressure drops it).
    const scheduleDegrade = preflight.verdict === 'go-degraded' && !this.paused;
    const onStarted = scheduleDegrade
      ? () => scaler.initiateGracefulDegradation({ reason: `pre-flight: ${preflight.reason}`, path: 'preflight', urgency: 'normal' })
      : undefined;
    const first = await this.runReply(reduced, onText, onStarted);
    this.lastHistory = [...request.history, { role: 'assistant', text: first.text }];
    if (this.interruptedRequestId !== request.requestId) return this.withNotes(first, cost.note);
    // Memory was nearly exhausted: the reply was cut and the model switched at once. Answer again
    // on the smaller model, saying so.
    this.interruptedRequestId = null;
    const from = first.model;
    await this.whenModelReady();
    const second = await this.runReply(reduced, onText);
    return this.withNotes(second, `Memory was nearly exhausted, so Mai stopped ${from} mid-reply and answered again with ${second.model}.`);
  }

  /** The lower-cost settings the pre-flight answer calls for. */
  private costOf(preflight: PreflightAnswer, requestedMaxTokens: number, expectedTokens: number) {
    const index = this.rungs.findIndex((rung) => rung.id === preflight.modelId);
    const smaller = index > 0 ? this.rungs[index - 1] : undefined;
    const switchSeconds = smaller ? (this.stats.loadSeconds(smaller.id) ?? Math.max(0.5, smaller.footprint.memBytes / 400e6)) : 0;
    const latest = this.monitor.latest();
    return replyCost({
      preflight,
      requestedMaxTokens,
      expectedTokens,
      switchSeconds,
      cpuOtherLoad: latest ? latest.cpuOtherLoad : null,
      logicalCores: this.monitor.getHardware()?.logicalCores ?? 1,
    });
  }

  /** Adds the notes a user should see beside the reply, and a notice when old turns were left out. */
  private withNotes(result: GenerateResult, costNote: string | null): GenerateResult {
    const notes = costNote ? [costNote] : [];
    const dropped = result.droppedTurns ?? 0;
    if (dropped > 0) {
      const model = this.options.runtime.model;
      const sentence = `${dropped} earlier turn${dropped === 1 ? '' : 's'} of this conversation did not fit the ${model?.contextSize ?? ''}-token context of ${result.model} and ${dropped === 1 ? 'was' : 'were'} left out of what it saw.`;
      notes.push(sentence);
      // Once per loaded model: every later reply on it would say the same.
      if (this.trimNoticeFor !== model?.path) {
        this.trimNoticeFor = model?.path ?? null;
        this.emit('notice', { level: 'info', message: `${sentence} The conversation itself is kept in full.` });
      }
    }
    const note = [result.note, ...notes].filter(Boolean).join(' ');
    return note ? { ...result, note } : result;
  }

  private async runReply(request: GenerateRequest, onText: (text: string) => void, onStarted?: () => void): Promise<GenerateResult> {
    const switcher = this.switcher!;
    const modelId = this.requireScaler().getCurrentModelId();
    switcher.beginReply();
    this.activeRequestId = request.requestId;
    try {
      const running = this.options.runtime.generate(request, onText);
      onStarted?.();
      const result = await running;
      this.stats.recordReply(modelId, result.stats, true);
      if (result.stats.tokens > 0) this.measureAfterFirstReply(modelId);
      switcher.endReply({ modelId, ok: true, tokensPerSecond: result.stats.tokensPerSecond, ttftMs: result.stats.ttftMs, ...(result.stopReason === 'abort' ? { error: 'aborted' as const } : {}) });
      return result;
    } catch (error) {
      const outOfMemory = /alloc|memory|VRAM/i.test((error as Error).message);
      this.stats.recordReply(modelId, null, false);
      switcher.endReply({ modelId, ok: false, error: outOfMemory ? 'out-of-memory' : 'failed' });
      throw error;
    } finally {
      this.activeRequestId = null;
    }
  }

  /**
   * Records what the model really takes, once, after its first reply: its weights are mmapped, so
   * right after the load most of them are not yet resident; a reply has touched every one, and its
   * context buffers are allocated.
   */
  private measureAfterFirstReply(modelId: string): void {
    const pending = this.measurement;
    if (!pending || pending.rungId !== modelId) return;
    this.measurement = null;
    const rung = this.rungs.find((r) => r.id === modelId);
    if (!rung) return;
    const measuredMem = process.memoryUsage.rss() - pending.rssBefore;
    this.track(
      this.options.runtime
        .vramUsedBytes()
        .catch(() => pending.vramBefore)
        .then((vram) => this.footprints.record(rung.footprint, measuredMem, Math.max(0, vram - pending.vramBefore))),
    );
  }

  /** Loads a model now because the user chose it; the ladder is rebuilt around it. */
  async selectModel(modelPath: string, models: LadderInput[]): Promise<LoadedModel> {
    // Refuse a missing or damaged file before anything is unloaded: the current model stays.
    const sizeBytes = await assertLooksLikeGguf(modelPath);
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
    await this.switcher?.whenIdle();
    if (this.options.runtime.model) return;
    if (!this.lastRequest) throw new MaiError('no-model', 'No model is loaded.');
    this.emit('notice', { level: 'warn', message: 'The model switch failed and left no model loaded; Mai is loading the next one that works.' });
    await this.configure({ ...this.lastRequest, preferredPath: this.scaler?.getCurrentModelId() ?? null });
  }

  private requireScaler(): ProactiveScaler {
    if (!this.scaler) throw new MaiError('no-model', 'No model is loaded yet.');
    return this.scaler;
  }

  // --- ModelLoader: how the switcher changes models ---------------------------------------------

  async unload(_modelId: string): Promise<void> {
    // A reply being stopped must unwind before its context is disposed ("Object is disposed").
    await this.options.runtime.whenIdle();
    await this.options.runtime.unload();
  }

  async load(modelId: string): Promise<void> {
    const rung = this.rungs.find((r) => r.id === modelId);
    if (!rung) throw new MaiError('model-not-found', `${modelId} is not on the ladder.`);
    if (this.closing) throw new MaiError('engine-unavailable', 'Mai is shutting down.');
    // Refuse a file changed on disk since the ladder was built before anything is unloaded.
    await checkGguf(rung.path);
    const previous = this.options.runtime.model;
    // The baseline is taken with nothing loaded, so the measurement is this model's alone.
    if (previous) await this.unload(previous.path);
    // Loaded ahead during the last reply: already in the baseline, so not measured this time.
    const ahead = this.options.runtime.isPrepared(rung.path);
    const rssBefore = process.memoryUsage.rss();
    const vramBefore = await this.options.runtime.vramUsedBytes().catch(() => 0);
    const loaded = await this.options.runtime.load({ path: rung.path, ...(rung.contextSize ? { contextSize: rung.contextSize } : {}) });
    // A swap says nothing about how long a load takes (the scaler's horizon).
    if (!ahead) this.stats.recordLoad(modelId, loaded.loadMs / 1000);
    this.measurement = ahead ? null : { rungId: rung.id, rssBefore, vramBefore };
    this.trimNoticeFor = null;
    this.emit('modelChanged', { model: loaded, previous: previous?.name ?? null, reason: this.lastReason });
    // Warm the new model with the conversation so the next reply starts as fast as a fresh one.
    this.track(this.options.runtime.preloadHistory(this.lastHistory));
  }

  // --- decisions -----------------------------------------------------------------------------------

  private onDecision(decision: ScalerDecision): void {
    this.emit('decision', decision);
    switch (decision.action) {
      case 'degrade':
      case 'upgrade':
        this.lastReason = decision.reason;
        if (decision.action === 'degrade') this.prepareAhead(decision);
        break;
      case 'threads':
        this.options.runtime.setThreads(decision.to);
        break;
      case 'switch':
        // A chain of fallbacks is one change for the user: from the model they had.
        this.switchFrom ??= decision.from;
        break;
      case 'loaded': {
        if (!decision.ok) {
          this.emit('notice', { level: 'warn', message: `${this.rungs.find((r) => r.id === decision.modelId)?.name ?? decision.modelId} failed to load: ${decision.reason}` });
          break;
        }
        const from = this.rungs.find((r) => r.id === this.switchFrom);
        const to = this.rungs.find((r) => r.id === decision.modelId);
        this.switchFrom = null;
        if (from && to && from !== to) this.emit('capability', describeChange(from, to, this.lastReason, this.scaler!, this.settings.scaler?.stabilizationSeconds ?? 300));
        break;
      }
      case 'cancel':
        this.track(this.options.runtime.discardPrepared());
        break;
      default:
        decision satisfies never;
    }
  }

  /**
   * A normal step down waits for the reply in progress: load its model meanwhile, so the switch at
   * the reply's end is only a swap. Only while memory (and VRAM) with both models resident stays
   * under the critical line: the overlap lasts the rest of one reply.
   */
  private prepareAhead(decision: ModelDecision): void {
    if (decision.urgency !== 'normal' || !this.switcher?.isGenerating || this.closing) return;
    const rung = this.rungs.find((r) => r.id === decision.to);
    const sample = this.monitor.latest();
    if (!rung || !sample) return;
    const critical = this.thresholds().critical;
    const memory = sample.memUsedBytes + rung.footprint.memBytes;
    const vramTotal = sample.vramTotalBytes ?? 0;
    const vram = (sample.vramUsedBytes ?? 0) + rung.footprint.vramBytes;
    if (memory >= critical * sample.memTotalBytes || (vramTotal > 0 && vram >= critical * vramTotal)) {
      this.options.log('info', `${rung.name} not loaded ahead: with both models memory would reach ${((memory / sample.memTotalBytes) * 100).toFixed(1)} %, over the ${(critical * 100).toFixed(0)} % critical line`);
      return;
    }
    // Both models are resident now: a first-reply measurement would be charged the second one.
    this.measurement = null;
    this.options.runtime.prepare({ path: rung.path, ...(rung.contextSize ? { contextSize: rung.contextSize } : {}) });
  }

  private interruptReply(): void {
    if (!this.activeRequestId) return;
    this.interruptedRequestId = this.activeRequestId;
    this.options.runtime.stop(this.activeRequestId);
  }

  private afterSample(sample: ResourceSample): void {
    const state = this.scaler?.getState();
    if (state) this.emit('sample', { sample, state, performance: this.stats.snapshot() });
  }

  private stopScaler(): void {
    for (const off of this.unsubscribe.splice(0)) off();
    // The decisions still waiting are dropped with the switcher, so is a model loaded ahead for one.
    if (this.switcher) this.track(this.options.runtime.discardPrepared());
    this.switcher?.dispose();
    this.scaler?.stop();
    this.scaler = null;
    this.switcher = null;
  }

  /**
   * Leaves nothing running: stops the reply in progress (its partial text is its result), lets a
   * switch that is loading finish and drops the decisions still waiting, cancels the neighbour
   * preparations, stops the scaler and the monitor, waits for the warm-ups and disk writes, and
   * disposes the context and the model.
   */
  async shutdown(): Promise<void> {
    this.closing = true;
    this.cancelNeighbours();
    // No new switch from here on; the one loading (if any) is awaited below.
    this.switcher?.dispose();
    if (this.activeRequestId) this.options.runtime.stop(this.activeRequestId);
    await this.options.runtime.whenIdle();
    await this.switcher?.whenIdle();
    this.stopScaler();
    this.monitor.stop();
    while (this.background.size > 0) await Promise.all([...this.background]);
    await this.options.runtime.discardPrepared();
    await this.options.runtime.unload();
  }
}
