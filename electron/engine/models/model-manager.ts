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
import { RealClock, type Clock } from '../resource/clock';
import { HardwareTierDetector } from '../resource/hardware-tiers';
import { ModelSwitcher, type ModelLoader } from '../resource/model-switcher';
import { ProactiveScaler } from '../resource/proactive-scaler';
import { ResourceMonitor } from '../resource/resource-monitor';
import type { ResourceSource } from '../resource/resource-source';
import type { ScalerDecision, ScalerState } from '../resource/scaler-types';
import type { ScalerSettingsInput } from '../resource/settings';
import type { ModelProfile, PreflightAnswer, ResourceSample } from '../resource/types';
import type { GenerateRequest, GenerateResult, LlamaEngine } from '../llama-engine';
import { assertLooksLikeGguf } from '../gguf-peek';
import { BudgetedSource, type SourceOverlay } from './budget-source';
import { describeChange, type CapabilityChange } from './capability';
import { FootprintEstimator, type Footprint } from './footprint';
import { ModelStats, type ModelPerformance } from './model-stats';

/** A model Mai may use, as main lists it. */
export interface LadderInput {
  path: string;
  sizeBytes: number;
  synthetic: boolean;
}

/** Manager settings (beyond the scaler's own). */
export interface ManagerSettings {
  scaler?: ScalerSettingsInput;
  /** Treat the machine as having at most this much RAM, bytes; null = the real total. */
  memoryBudgetBytes?: number | null;
  /** Context size in tokens for every model. Default 4096 (or the model's training size if smaller). */
  contextSize?: number;
  /** False pins the model: no automatic switches except emergencies. Default true. */
  autoScaling?: boolean;
  /** Degrade threshold per tier id, replacing the tier's default. */
  actThresholds?: Record<string, number>;
  /** Models smaller than this one stay off the ladder ("never below model X"). */
  qualityFloorPath?: string | null;
  /** `speed` acts 5 points earlier, `quality` 5 points later than the tier's threshold. */
  preference?: 'balanced' | 'speed' | 'quality';
}

/** The scaler settings for this machine's tier: the user's per-tier threshold, else the tier's adjusted by preference. */
function scalerSettingsFor(settings: ManagerSettings, tier: { id: string; budgets: { degradeThreshold: number; criticalThreshold: number } }): ScalerSettingsInput {
  const explicit = settings.actThresholds?.[tier.id];
  const shift = settings.preference === 'speed' ? -0.05 : settings.preference === 'quality' ? 0.05 : 0;
  const degrade = explicit ?? (shift ? Math.min(tier.budgets.criticalThreshold - 0.03, tier.budgets.degradeThreshold + shift) : undefined);
  return { ...(settings.scaler ?? {}), ...(degrade !== undefined ? { degradeThreshold: Math.round(degrade * 1000) / 1000 } : {}) };
}

export interface ConfigureRequest {
  models: LadderInput[];
  /** The model to start on (the user's choice or the last one used); null lets Mai choose. */
  preferredPath: string | null;
  /** Models never loaded automatically (they crashed the engine). */
  avoidPaths?: string[];
  settings: ManagerSettings;
}

/** One rung as the UI shows it. */
export interface LadderRung {
  id: string;
  path: string;
  name: string;
  synthetic: boolean;
  footprint: Footprint;
}

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

export class ModelManager extends Emitter<ModelManagerEvents> implements ModelLoader {
  readonly monitor: ResourceMonitor;
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

  constructor(private readonly options: ModelManagerOptions) {
    super();
    this.clock = options.clock ?? new RealClock({ unref: true });
    this.source = new BudgetedSource(options.source);
    this.monitor = new ResourceMonitor({ source: this.source, clock: this.clock, onError: (error) => options.log('warn', `resource sample failed: ${String(error)}`) });
    this.footprints = new FootprintEstimator(options.dataDir ? path.join(options.dataDir, 'model-memory.json') : null, (m) => options.log('warn', m));
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
    this.settings = request.settings;
    this.source.setBudget(request.settings.memoryBudgetBytes ?? null);
    const hardware = await this.monitor.start();
    const llama = await this.options.runtime.getLlama();
    const contextSize = request.settings.contextSize ?? 4096;
    const avoid = new Set(request.avoidPaths ?? []);
    const rungs: LadderRung[] = [];
    for (const model of request.models) {
      if (avoid.has(model.path) && model.path !== request.preferredPath) continue;
      const footprint = await this.footprints.estimate(llama, model.path, model.sizeBytes, contextSize, 0);
      rungs.push({ id: model.path, path: model.path, name: footprint.name ?? path.basename(model.path, '.gguf'), synthetic: model.synthetic, footprint });
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
    if (request.settings.autoScaling === false) scaler.setPaused('automatic scaling is off (model pinned)');
    this.unsubscribe.push(
      scaler.on('decision', (decision) => this.onDecision(decision)),
      this.monitor.onSample((sample) => this.afterSample(sample)),
    );
    await scaler.startContinuousMonitoring();
    this.prepareNeighbours(initial);
    return this.options.runtime.model;
  }

  /** In the background, while idle: chat wrappers of the rungs a switch would go to (nearest first). */
  private prepareNeighbours(current: LadderRung): void {
    const index = this.rungs.indexOf(current);
    const order = this.rungs
      .map((rung, i) => ({ rung, distance: Math.abs(i - index) + (i > index ? 0.5 : 0) }))
      .filter(({ rung }) => rung !== current)
      .sort((a, b) => a.distance - b.distance)
      .map(({ rung }) => rung.path);
    const rungs = this.rungs;
    const next = () => {
      const modelPath = order.shift();
      if (!modelPath || this.rungs !== rungs) return;
      const timer = setTimeout(() => {
        this.options.runtime
          .prepareChatWrapper(modelPath)
          .catch((error: Error) => this.options.log('debug', `chat format of ${path.basename(modelPath)} not prepared: ${error.message}`))
          .finally(next);
      }, 250);
      timer.unref?.();
    };
    next();
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

  /** Replies to the last user turn, checking resources first and acting on what the check says. */
  async generateResponse(request: GenerateRequest, onText: (text: string) => void): Promise<GenerateResult> {
    const scaler = this.requireScaler();
    await this.whenModelReady();
    let preflight = scaler.checkPreflightResources({ expectedOutputTokens: Math.min(request.maxTokens, DEFAULT_EXPECTED_TOKENS) });
    this.emit('preflight', preflight);
    if ((preflight.verdict === 'degrade-first' || preflight.verdict === 'critical') && preflight.modelId !== scaler.getCurrentModelId()) {
      // It cannot run here at all: switch first, then answer on the smaller model.
      scaler.initiateGracefulDegradation({ reason: preflight.reason, path: 'preflight', urgency: 'critical', toModelId: preflight.modelId });
      await this.whenModelReady();
      preflight = scaler.checkPreflightResources({ expectedOutputTokens: Math.min(request.maxTokens, DEFAULT_EXPECTED_TOKENS) });
    }
    const costly = preflight.verdict !== 'go';
    // Under pressure this reply finishes at lower cost: fewer tokens and the threads the check allows.
    const maxTokens = costly ? Math.max(64, Math.min(request.maxTokens, DEFAULT_EXPECTED_TOKENS)) : request.maxTokens;
    this.options.runtime.setThreads(preflight.threads);
    const note = costly && maxTokens < request.maxTokens ? `Shortened to ${maxTokens} tokens to ease the pressure: ${preflight.reason}` : undefined;
    const first = await this.runReply({ ...request, maxTokens }, onText);
    this.lastHistory = [...request.history, { role: 'assistant', text: first.text }];
    if (this.interruptedRequestId !== request.requestId) return { ...first, ...(note ? { note } : {}) };
    // Memory was nearly exhausted: the reply was cut and the model switched at once. Answer again
    // on the smaller model, saying so.
    this.interruptedRequestId = null;
    const from = first.model;
    await this.whenModelReady();
    const second = await this.runReply({ ...request, maxTokens }, onText);
    return { ...second, note: `Memory was nearly exhausted, so Mai stopped ${from} mid-reply and answered again with ${second.model}.` };
  }

  private async runReply(request: GenerateRequest, onText: (text: string) => void): Promise<GenerateResult> {
    const switcher = this.switcher!;
    const modelId = this.requireScaler().getCurrentModelId();
    switcher.beginReply();
    this.activeRequestId = request.requestId;
    try {
      const result = await this.options.runtime.generate(request, onText);
      this.stats.recordReply(modelId, result.stats, true);
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
    this.scaler?.setPaused(paused ? 'paused by the user' : this.settings.autoScaling === false ? 'automatic scaling is off (model pinned)' : null);
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
    const previous = this.options.runtime.model;
    const rssBefore = process.memoryUsage.rss();
    const contextSize = this.settings.contextSize;
    const loaded = await this.options.runtime.load({ path: rung.path, ...(contextSize ? { contextSize } : {}) });
    this.stats.recordLoad(modelId, loaded.loadMs / 1000);
    const measured = Math.max(0, process.memoryUsage.rss() - (previous ? rssBefore - previous.sizeBytes : rssBefore));
    void this.footprints.record(FootprintEstimator.key(rung.path, loaded.sizeBytes, loaded.contextSize, loaded.gpuLayers), rung.footprint, measured, 0);
    this.emit('modelChanged', { model: loaded, previous: previous?.name ?? null, reason: this.lastReason });
    // Warm the new model with the conversation so the next reply starts as fast as a fresh one.
    void this.options.runtime.preloadHistory(this.lastHistory);
  }

  // --- decisions -----------------------------------------------------------------------------------

  private onDecision(decision: ScalerDecision): void {
    this.emit('decision', decision);
    switch (decision.action) {
      case 'degrade':
      case 'upgrade':
        this.lastReason = decision.reason;
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
        break;
      default:
        decision satisfies never;
    }
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
    this.switcher?.dispose();
    this.scaler?.stop();
    this.scaler = null;
    this.switcher = null;
  }

  /** Stops monitoring and timers, unloads the model. Leaves nothing running. */
  async shutdown(): Promise<void> {
    this.stopScaler();
    this.monitor.stop();
    await this.options.runtime.unload();
  }
}
