/**
 * The proactive scaler: a function of samples, reply feedback and a clock that decides which rung
 * of the model ladder the assistant should be on, and how many threads it should use. It does no
 * I/O: the ResourceMonitor brings samples, the ModelSwitcher carries decisions out and reports
 * back. Every method is synchronous, and samples that arrive while one is being processed (from a
 * decision listener, say) are queued, so samples, pre-flight calls and feedback cannot interleave
 * half-way through a decision.
 */
import { chooseStepDown, nextModelDown, switchSeconds } from './cascade';
import { assessDownPaths, pct, type DownSignal } from './down-paths';
import { PerformanceTracker } from './performance';
import { answerPreflight } from './preflight';
import { ResourceTrack } from './resource-track';
import { ScalerBase } from './scaler-base';
import { prepareScalerOptions, type SampleStream, type ScalerOptions } from './scaler-options';
import type {
  DecisionMetrics,
  ModelDecision,
  ResourceTrends,
  ScalerState,
  ScalerStatus,
  ScalingPolicy,
  ThreadsDecision,
  TrendSnapshot,
  UpgradeCheck,
} from './scaler-types';
import { ThreadAdvisor } from './threads';
import { TimeSeries } from './time-series';
import { analyzeSeriesTrend } from './trends';
import { emptySnapshot, recentMedian, snapshotOf } from './trend-snapshot';
import { checkUpgrade } from './upgrade-check';
import type { PreflightAnswer, PreflightRequest, ReplyFeedback, ResourceSample } from '../types';

const PATH_RANK: Record<DownSignal['path'], number> = { emergency: 0, step: 1, velocity: 2, ramp: 3, climb: 4, level: 5, pressure: 6, trend: 7 };
const PRESSURE_PATHS = new Set(['step', 'velocity', 'ramp', 'climb', 'level', 'pressure', 'trend', 'preflight']);
/**
 * PSI avg10 is a 10 s running average: after the stall that caused an emergency switch it stays
 * over the limit for about 10 s more, plus the load of the smaller model. Acting on it again in
 * that time would walk one stall down the whole ladder.
 */
const PSI_AFTERGLOW_MS = 10_000;

/**
 * Decides the model rung and thread count from samples, reply feedback and the clock; emits every
 * decision on `on('decision')` and as a log line. See docs/scaling-policy.md for the rules.
 */
export class ProactiveScaler extends ScalerBase implements ScalingPolicy {
  readonly policy = 'proactive' as const;
  private readonly memory: ResourceTrack;
  private readonly vram: ResourceTrack;
  private readonly cpu: TimeSeries;
  private readonly threads: ThreadAdvisor;
  private readonly performance: PerformanceTracker;
  private readonly monitor: SampleStream | undefined;
  private unsubscribeMonitor: (() => void) | null = null;
  private paused: string | null = null;
  private lastSample: ResourceSample | null = null;
  private firstSampleT: number | null = null;
  private droppedSamples = 0;
  private ingesting = false;
  private readonly pendingSamples: ResourceSample[] = [];
  private pressureOverSince: number | null = null;
  private lastPressureSignalAt: number | null = null;
  private upgradeGapMs: number;
  private lastRevertAt: number | null = null;
  private readonly failedRoom = new Map<string, number>();
  /** PSI-only emergencies are ignored until then (ms): the load after the last emergency switch plus PSI_AFTERGLOW_MS. */
  private psiQuietUntil = -Infinity;
  /** Tokens the conversation needs plus the reply's room: cascade steps with a shorter context are passed over. */
  private contextNeed = 0;

  constructor(options: ScalerOptions) {
    super(prepareScalerOptions(options));
    const start = options.clock.now();
    this.memory = new ResourceTrack('memory', this.settings.memory, this.settings, start);
    this.vram = new ResourceTrack('vram', this.settings.vram, this.settings, start);
    this.cpu = new TimeSeries(1000 * Math.max(this.settings.stabilizationSeconds, this.settings.longWindowSeconds, this.settings.threadCalmSeconds, 60));
    this.threads = new ThreadAdvisor(this.tier.mathCores, this.tier.logicalCores, this.settings);
    this.performance = new PerformanceTracker(this.settings);
    this.upgradeGapMs = this.settings.upgradeGapSeconds * 1000;
    this.monitor = options.monitor;
  }

  /** Follows the monitor's samples until `stop()`. Resolves once the monitor has started. */
  async startContinuousMonitoring(): Promise<void> {
    if (!this.monitor) throw new Error('startContinuousMonitoring needs a monitor in the ProactiveScaler options');
    if (this.unsubscribeMonitor) return;
    this.unsubscribeMonitor = this.monitor.onSample((sample) => this.ingest(sample));
    await this.monitor.start();
  }

  /**
   * Stops following the monitor. The monitor keeps running: it belongs to whoever created it (the
   * ModelManager keeps one across scalers). Decisions already emitted stand.
   */
  stop(): void {
    this.unsubscribeMonitor?.();
    this.unsubscribeMonitor = null;
  }

  /**
   * Tells the scaler how much context the conversation needs now (its tokens plus the room for a
   * reply): a cascade step with a shorter context is not chosen, down or up, while anything else
   * fits. 0 (the default) lets every rung be chosen.
   */
  setContextNeed(tokens: number): void {
    this.contextNeed = Number.isFinite(tokens) && tokens > 0 ? tokens : 0;
  }

  /** Pauses automatic decisions (emergencies still act: the machine must not freeze); null resumes. */
  setPaused(reason: string | null): void {
    this.paused = reason;
  }

  /** Feeds one sample. Samples older than one already seen are dropped and counted. */
  ingest(sample: ResourceSample): void {
    this.pendingSamples.push(sample);
    if (this.ingesting) return;
    this.ingesting = true;
    try {
      for (let next = this.pendingSamples.shift(); next; next = this.pendingSamples.shift()) this.process(next);
    } finally {
      this.ingesting = false;
    }
  }

  /** Trends of memory, VRAM and CPU as of the last sample, for the current model. */
  analyzeResourceTrends(): ResourceTrends {
    const now = this.lastSample?.t ?? this.clock.now();
    const cpuTrend =
      this.cpu.length > 0
        ? analyzeSeriesTrend(this.cpu, now, {
            levelWindowMs: this.settings.levelWindowSeconds * 1000,
            shortWindowMs: this.settings.shortWindowSeconds * 1000,
            longWindowMs: this.settings.longWindowSeconds * 1000,
            trendFromT: this.firstSampleT ?? now,
            warmupMs: this.settings.shortWindowSeconds * 1000,
            threshold: this.settings.upgradeMaxCpuLoad,
            stepMin: 0.2,
          })
        : null;
    const cpu: TrendSnapshot = cpuTrend
      ? {
          resource: 'cpu',
          available: true,
          latest: cpuTrend.latest,
          level: cpuTrend.level,
          slopePerSecond: cpuTrend.slopePerSecond,
          longSlopePerSecond: cpuTrend.longSlopePerSecond,
          threshold: this.settings.upgradeMaxCpuLoad,
          secondsToThreshold: cpuTrend.secondsToThreshold,
          change: cpuTrend.change,
          reliable: cpuTrend.reliable,
        }
      : emptySnapshot('cpu', this.settings.upgradeMaxCpuLoad);
    return { memory: snapshotOf(this.memory), vram: snapshotOf(this.vram), cpu };
  }

  /** Synchronous pre-flight answer from the cached state (no I/O, no re-analysis). */
  checkPreflightResources(request: PreflightRequest = {}): PreflightAnswer {
    return answerPreflight({
      request,
      ladder: this.ladder,
      modelIndex: this.modelIndex,
      memory: this.memory,
      vram: this.vram,
      settings: this.settings,
      threads: this.threads.current,
      performance: this.performance,
      settling: this.switching !== null || this.clock.now() < this.cooldownUntil,
      stepDown: this.modelIndex > 0 ? this.ladder[this.defaultStepDown()]! : undefined,
    });
  }

  /** Whether the next bigger model may be loaded now, and if not, why and for how long. */
  shouldUpgradeModel(): UpgradeCheck {
    return this.upgradeCheck(this.clock.now(), false);
  }

  /** Whether a deferred decision still holds now that the reply has ended. */
  revalidate(decision: ModelDecision): { keep: boolean; reason: string } {
    if (decision.action === 'upgrade') {
      const check = this.upgradeCheck(this.clock.now(), true);
      return { keep: check.upgrade, reason: check.reason };
    }
    if (!PRESSURE_PATHS.has(decision.path)) return { keep: true, reason: `${decision.path} decisions do not fade` };
    const model = this.currentModel();
    const horizon = this.horizonSeconds();
    for (const track of [this.memory, this.vram]) {
      if (!track.available || !track.trend) continue;
      const recent = recentMedian(track.series) + track.footprint;
      const forecast = track.trend.secondsToThreshold;
      if (recent >= track.thresholds.degrade || (forecast !== null && forecast <= horizon)) {
        return {
          keep: true,
          reason: `${track.kind} still at ${pct(recent)} on ${model.id}${forecast !== null ? `, forecast over the line in ${Math.round(forecast)} s` : ''}`,
        };
      }
    }
    if (this.pressureOverSince !== null) return { keep: true, reason: 'memory stalls or swapping continue' };
    const memory = this.memory.trend ? recentMedian(this.memory.series) + this.memory.footprint : 0;
    return {
      keep: false,
      reason: `the pressure faded: memory back to ${pct(memory)} (line ${pct(this.memory.thresholds.degrade)}) and not forecast to cross within ${Math.round(horizon)} s`,
    };
  }

  /** Snapshot for the resource panel. */
  getState(): ScalerState {
    return {
      policy: this.policy,
      tier: this.tier,
      modelId: this.currentModel().id,
      switching: this.switching ? { from: this.switching.decision.from, to: this.switching.decision.to } : null,
      generating: this.generating,
      threads: this.threads.current,
      trends: this.analyzeResourceTrends(),
      status: this.status(),
      recentDecisions: [...this.recent],
      lastSampleT: this.lastSample?.t ?? null,
      droppedSamples: this.droppedSamples,
    };
  }

  protected settleMs(): number {
    return this.settings.settleSeconds * 1000;
  }

  /**
   * One rung down because replies went slow or failed, unless paused (a pinned model: only
   * emergencies move it), already at the bottom, busy switching, or cooling down.
   */
  private stepDownAfterReplies(current: string, now: number, path: 'performance' | 'failure', reason: string, metrics: DecisionMetrics): void {
    if (this.paused !== null || this.modelIndex === 0 || this.busy() || now < this.cooldownUntil) return;
    // A cheaper KV cache or a shorter context does not make replies faster: the next model does.
    const to = nextModelDown(this.ladder, this.modelIndex) ?? this.modelIndex - 1;
    this.decide({ action: 'degrade', from: current, to: this.ladder[to]!.id, urgency: 'normal', path, reason, metrics });
  }

  protected afterReply(feedback: ReplyFeedback): void {
    const current = this.currentModel().id;
    const modelId = feedback.modelId ?? current;
    const otherCores = recentMedian(this.cpu, 30) * this.tier.mathCores;
    const verdict = this.performance.record(modelId, feedback, otherCores);
    // Feedback about a model already switched away from says nothing about the current one.
    if (modelId !== current || verdict.kind === 'ok') return;
    const now = this.clock.now();
    if (verdict.kind === 'out-of-memory') {
      this.emergency(`an allocation failed on ${current}`, { failure: 'out-of-memory' });
      return;
    }
    if (verdict.kind === 'slow') {
      const sentence = `${verdict.consecutive} replies at ${verdict.tokensPerSecond.toFixed(1)} tokens/s, under ${Math.round(this.settings.slowdownFactor * 100)} % of ${current}'s usual ${verdict.baselineTokensPerSecond.toFixed(1)}`;
      // Threads first when other programs took cores since the model was measured fast: the
      // cheap knob for a CPU-bound slowdown. Otherwise the model itself is too heavy now.
      const tookCores = otherCores - (this.performance.usualOtherCores(current) ?? otherCores);
      if (tookCores >= 1) {
        const change = this.threads.cutForPerformance(`${sentence} while other programs took ${tookCores.toFixed(1)} more cores: fewer threads first`);
        if (change) {
          this.performance.resetStreaks(current);
          this.emit<ThreadsDecision>({
            action: 'threads',
            ...change,
            path: 'performance',
            metrics: { tokensPerSecond: verdict.tokensPerSecond, baselineTokensPerSecond: verdict.baselineTokensPerSecond, otherBusyCores: otherCores },
          });
          return;
        }
      }
      this.stepDownAfterReplies(current, now, 'performance', sentence, {
        tokensPerSecond: verdict.tokensPerSecond,
        baselineTokensPerSecond: verdict.baselineTokensPerSecond,
        consecutiveSlow: verdict.consecutive,
      });
      return;
    }
    this.stepDownAfterReplies(current, now, 'failure', `${verdict.failures} of the last ${verdict.replies} replies on ${current} failed`, {
      failures: verdict.failures,
      replies: verdict.replies,
    });
  }

  protected override onSwitchStarted(decision: ModelDecision): void {
    const now = this.clock.now();
    for (const track of [this.memory, this.vram]) track.resetTimers();
    this.pressureOverSince = null;
    if (decision.action === 'degrade' && this.lastUpAt !== null && now - this.lastUpAt <= this.settings.revertWindowSeconds * 1000) {
      // The last upgrade did not hold: wait twice as long before the next one.
      this.upgradeGapMs = Math.min(this.settings.maxUpgradeGapSeconds * 1000, Math.max(this.upgradeGapMs * 2, 1000));
      this.lastRevertAt = now;
    }
    this.performance.resetStreaks(decision.to);
    this.threads.clearCap();
    if (decision.path === 'emergency')
      this.psiQuietUntil = now + switchSeconds(this.profile(decision.from), this.profile(decision.to)) * 1000 + PSI_AFTERGLOW_MS;
  }

  protected override onLoadFailed(decision: ModelDecision): void {
    this.failedRoom.set(decision.to, this.memory.totalBytes * (1 - (this.memory.trend?.level ?? 0)));
  }

  private process(sample: ResourceSample): void {
    if (!Number.isFinite(sample.t) || (this.lastSample && sample.t <= this.lastSample.t)) {
      this.droppedSamples++;
      return;
    }
    const t = sample.t;
    this.lastSample = sample;
    this.firstSampleT ??= t;
    const model = this.currentModel();
    this.memory.update(
      t,
      { totalBytes: sample.memTotalBytes, usedBytes: sample.memUsedBytes, ownBytes: sample.ownMemBytes },
      Math.max(sample.ownMemBytes, model.memBytes),
    );
    const vramReading =
      sample.vramTotalBytes && sample.vramUsedBytes !== undefined
        ? { totalBytes: sample.vramTotalBytes, usedBytes: sample.vramUsedBytes, ownBytes: sample.ownVramBytes ?? 0 }
        : undefined;
    this.vram.update(t, vramReading, Math.max(sample.ownVramBytes ?? 0, model.vramBytes));
    this.cpu.push(t, Math.min(1, Math.max(0, sample.cpuOtherLoad)));

    const psiSome = sample.psiSomeAvg10 ?? 0;
    const swapIn = sample.swapInBytesPerSecond ?? 0;
    const pressed = psiSome >= this.settings.psiSomeDegrade || swapIn >= this.settings.swapInDegradeBytesPerSecond;
    this.pressureOverSince = pressed ? (this.pressureOverSince ?? t) : null;
    if (psiSome >= this.settings.psiSomeDegrade / 2 || swapIn >= this.settings.swapInDegradeBytesPerSecond / 2) this.lastPressureSignalAt = t;

    const threadChange = this.threads.update(t, this.cpu);
    if (threadChange) this.emit<ThreadsDecision>({ action: 'threads', ...threadChange, path: 'cpu' });

    const signal = this.strongestSignal(t, sample);
    if (signal?.path === 'emergency') {
      this.emergency(signal.reason, signal.metrics, signal.resource);
      return;
    }
    if (this.paused !== null || this.busy() || t < this.cooldownUntil) return;
    if (signal) {
      if (this.modelIndex === 0) return; // nothing smaller; the notice in getState says so
      const to = this.stepDownTarget(signal.reach, signal.resource);
      if (to === this.modelIndex) return; // every rung below takes more of what is short
      this.decide({
        action: 'degrade',
        from: model.id,
        to: this.ladder[to]!.id,
        urgency: signal.urgency,
        path: signal.path,
        reason: signal.reason,
        metrics: signal.metrics,
      });
      return;
    }
    if (this.generating || this.modelIndex === this.ladder.length - 1) return;
    const check = this.upgradeCheck(t, false);
    if (check.upgrade && check.to) {
      if (this.lastRevertAt === null || t - this.lastRevertAt > 3_600_000) this.upgradeGapMs = this.settings.upgradeGapSeconds * 1000;
      this.decide({ action: 'upgrade', from: model.id, to: check.to, urgency: 'normal', path: 'stabilized', reason: check.reason, metrics: check.metrics });
    }
  }

  /** Runs every down rule (advancing their timers) and returns the most urgent that fired. */
  private strongestSignal(t: number, sample: ResourceSample): DownSignal | null {
    // The fast-ramp rule acts from a rung reached in calm (the start, or an upgrade), or an hour
    // after the last step down: right after one, the climb that caused it may just have stopped
    // (or come back, as in an oscillation), and a second step waits for the line to be crossed.
    const rampAllowed = this.lastDownAt === null || (this.lastUpAt !== null && this.lastUpAt > this.lastDownAt) || t - this.lastDownAt >= 3_600_000;
    const context = { now: t, settings: this.settings, loadSeconds: this.stepDownSeconds(), horizonSeconds: this.horizonSeconds(), rampAllowed };
    const candidates = [assessDownPaths(this.memory, context), assessDownPaths(this.vram, context)];
    const psiFull = sample.psiFullAvg10 ?? 0;
    if (psiFull >= this.settings.psiFullEmergency && t >= this.psiQuietUntil) {
      candidates.push({
        path: 'emergency',
        resource: 'memory',
        urgency: 'critical',
        reach: 'fit',
        reason: `tasks stalled on memory ${pct(psiFull)} of the last 10 s (PSI full; limit ${pct(this.settings.psiFullEmergency)})`,
        metrics: { psiFullAvg10: psiFull },
      });
    }
    if (this.pressureOverSince !== null && t - this.pressureOverSince >= this.settings.levelHoldSeconds * 1000) {
      candidates.push({
        path: 'pressure',
        resource: 'memory',
        urgency: 'normal',
        reach: 'one',
        reason: `memory stalls (PSI some ${pct(sample.psiSomeAvg10 ?? 0)}) or swap-in (${((sample.swapInBytesPerSecond ?? 0) / 2 ** 20).toFixed(1)} MiB/s) held for ${this.settings.levelHoldSeconds} s`,
        metrics: { psiSomeAvg10: sample.psiSomeAvg10 ?? null, swapInBytesPerSecond: sample.swapInBytesPerSecond ?? null },
      });
    }
    let best: DownSignal | null = null;
    for (const candidate of candidates) if (candidate && (!best || PATH_RANK[candidate.path] < PATH_RANK[best.path])) best = candidate;
    return best;
  }

  /** Steps straight to the largest model that fits, unless a switch at least that deep is on its way. */
  private emergency(reason: string, metrics: ModelDecision['metrics'], resource: 'memory' | 'vram' = 'memory'): void {
    if (this.modelIndex === 0) return;
    const target = this.stepDownTarget('fit', resource);
    if (target === this.modelIndex) return;
    const pending = this.outstanding ?? this.switching?.decision;
    if (pending && pending.action === 'degrade' && this.indexOf(pending.to) <= target) return;
    this.failedRoom.set(this.currentModel().id, this.memory.totalBytes * (1 - (this.memory.trend?.latest ?? 0)));
    this.decide({ action: 'degrade', from: this.currentModel().id, to: this.ladder[target]!.id, urgency: 'critical', path: 'emergency', reason, metrics });
  }

  /**
   * The rung a step down goes to: the cheapest cascade step (or smaller model) that keeps the
   * forecast under the line for the stabilization period (`one`), or the best that fits now (`fit`).
   */
  private stepDownTarget(reach: 'fit' | 'one', resource: 'memory' | 'vram'): number {
    return chooseStepDown({
      ladder: this.ladder,
      modelIndex: this.modelIndex,
      memory: this.memory,
      vram: this.vram,
      reach,
      resource,
      stabilizationSeconds: this.settings.stabilizationSeconds,
      contextNeed: this.contextNeed,
    }).index;
  }

  /** Seconds the next step down would take: a context recreation for a cascade step, a load for a smaller model. */
  private stepDownSeconds(): number {
    if (this.modelIndex === 0) return 0;
    return switchSeconds(this.currentModel(), this.ladder[this.defaultStepDown()]!);
  }

  protected override defaultStepDown(): number {
    const target = this.stepDownTarget('one', 'memory');
    return target < this.modelIndex ? target : this.modelIndex - 1;
  }

  private horizonSeconds(): number {
    return this.stepDownSeconds() + this.settings.horizonMarginSeconds;
  }

  private busy(): boolean {
    return this.outstanding !== null || this.switching !== null;
  }

  private upgradeCheck(now: number, ignoreOwnDecision: boolean): UpgradeCheck {
    const pending = this.switching?.decision ?? this.outstanding;
    return checkUpgrade({
      now,
      settings: this.settings,
      ladder: this.ladder,
      modelIndex: this.modelIndex,
      memory: this.memory,
      vram: this.vram,
      cpu: this.cpu,
      historyStartT: this.firstSampleT ?? now,
      lastDownAt: this.lastDownAt,
      lastUpAt: this.lastUpAt,
      // While a switch loads, its cooldown ends at the load plus the settle time at the earliest.
      cooldownUntil: this.switching
        ? Math.max(
            this.cooldownUntil,
            this.switching.startedAt +
              switchSeconds(this.profile(this.switching.decision.from), this.profile(this.switching.decision.to)) * 1000 +
              this.settleMs(),
          )
        : this.cooldownUntil,
      upgradeGapMs: this.upgradeGapMs,
      busy: pending && !ignoreOwnDecision ? `a switch to ${pending.to} is on its way` : null,
      generating: ignoreOwnDecision ? false : this.generating,
      paused: this.paused,
      healthy: this.performance.isHealthy(this.currentModel().id),
      switchesInLastHour: this.switchesInLastHour(now),
      oldestSwitchInHourAt: this.switchTimes[0] ?? null,
      failedRoom: this.failedRoom,
      lastPressureSignalAt: this.lastPressureSignalAt,
      onBattery: this.lastSample?.onBattery,
      batteryPercent: this.lastSample?.batteryPercent,
      contextNeed: this.contextNeed,
    });
  }

  private status(): ScalerStatus {
    if (this.paused !== null) return { kind: 'paused', reason: this.paused };
    const pending = this.switching?.decision ?? this.outstanding;
    if (pending && pending.action === 'degrade') {
      return { kind: 'degrading', from: pending.from, to: pending.to, since: pending.t, waitingForReply: this.switching === null && this.generating };
    }
    if (this.modelIndex < this.ladder.length - 1 && !pending) {
      const check = this.upgradeCheck(this.clock.now(), false);
      if (!check.upgrade)
        return {
          kind: 'stabilizing',
          secondsUntilUpgrade: check.secondsUntilEligible,
          blockedBy: check.reason,
          rule: check.hold?.rule ?? 'stabilization',
          ...(check.to ? { to: check.to } : {}),
        };
    }
    return { kind: 'steady' };
  }
}
