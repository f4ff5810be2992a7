/**
 * The honest baseline (docs/trace-format.md, "Policies"), for side-by-side comparison: degrade one rung when the
 * measured use has been over the degrade threshold for 3 s (at once mid-reply when it is over the
 * critical line), upgrade when the projected use after the upgrade has stayed under the upgrade
 * threshold for 60 s while idle, 30 s cooldown after any switch. It has hysteresis and a cooldown
 * (a bare threshold thrashes 15–80 times in 40 minutes and is no baseline worth beating), but no
 * forecast, no spike filter, no stabilization period and no re-validation.
 */
import { pct } from '../resource/policy/down-paths';
import { prepareScalerOptions, type ScalerOptions } from '../resource/policy/scaler-options';
import { ScalerBase } from '../resource/policy/scaler-base';
import type { ModelDecision, ResourceTrends, ScalerState, ScalingPolicy, TrendSnapshot } from '../resource/policy/scaler-types';
import type { PreflightAnswer, PreflightRequest, ReplyFeedback, ResourceSample } from '../resource/types';

const DEGRADE_HOLD_MS = 3_000;
const UPGRADE_HOLD_MS = 60_000;
const COOLDOWN_MS = 30_000;

/** The comparison baseline (see the file comment); drives the same ModelSwitcher as the proactive scaler. */
export class ReactiveScaler extends ScalerBase implements ScalingPolicy {
  readonly policy = 'reactive' as const;
  private overSince: number | null = null;
  private underSince: number | null = null;
  private last: ResourceSample | null = null;
  private droppedSamples = 0;

  constructor(options: ScalerOptions) {
    super(prepareScalerOptions(options));
  }

  ingest(sample: ResourceSample): void {
    if (this.last && sample.t <= this.last.t) {
      this.droppedSamples++;
      return;
    }
    this.last = sample;
    const t = sample.t;
    const model = this.currentModel();
    const memory = this.measured(sample);
    const vram = this.measuredVram(sample);
    const over = memory >= this.settings.memory.degrade || (vram !== null && vram >= this.settings.vram.degrade);
    this.overSince = over ? (this.overSince ?? t) : null;

    const bigger = this.ladder[this.modelIndex + 1];
    const projectedUp = bigger ? (sample.memUsedBytes - sample.ownMemBytes + bigger.memBytes) / sample.memTotalBytes : Infinity;
    const projectedVramUp =
      bigger && sample.vramTotalBytes ? ((sample.vramUsedBytes ?? 0) - (sample.ownVramBytes ?? 0) + bigger.vramBytes) / sample.vramTotalBytes : 0;
    const under = projectedUp < this.settings.memory.upgrade && projectedVramUp < this.settings.vram.upgrade;
    this.underSince = under ? (this.underSince ?? t) : null;

    if (this.outstanding || this.switching || t < this.cooldownUntil) return;
    const smaller = this.smallerRung();
    if (this.overSince !== null && t - this.overSince >= DEGRADE_HOLD_MS && smaller !== null) {
      const critical = memory >= this.settings.memory.critical || (vram !== null && vram >= this.settings.vram.critical);
      this.decide({
        action: 'degrade',
        from: model.id,
        to: this.ladder[smaller]!.id,
        urgency: critical ? 'critical' : 'normal',
        path: 'reactive',
        reason: `memory at ${pct(memory)}${vram !== null ? `, VRAM at ${pct(vram)}` : ''} over ${pct(this.settings.memory.degrade)} for ${((t - this.overSince) / 1000).toFixed(0)} s`,
        metrics: { memory, vram, heldSeconds: (t - this.overSince) / 1000 },
      });
      return;
    }
    if (bigger && !this.generating && this.underSince !== null && t - this.underSince >= UPGRADE_HOLD_MS) {
      this.decide({
        action: 'upgrade',
        from: model.id,
        to: bigger.id,
        urgency: 'normal',
        path: 'reactive',
        reason: `${bigger.id} would use ${pct(projectedUp)}, under ${pct(this.settings.memory.upgrade)} for ${((t - this.underSince) / 1000).toFixed(0)} s`,
        metrics: { projectedUp, heldSeconds: (t - this.underSince) / 1000 },
      });
    }
  }

  /** The baseline carries out what it decided; it has no notion of a faded spike. */
  revalidate(_decision: ModelDecision): { keep: boolean; reason: string } {
    return { keep: true, reason: 'the baseline does not re-validate' };
  }

  /** The baseline has no forecast: it answers from the measured level only. */
  checkPreflightResources(request: PreflightRequest = {}): PreflightAnswer {
    const memory = this.last ? this.measured(this.last) : 0;
    const critical = memory >= this.settings.memory.critical;
    return {
      verdict: critical ? 'critical' : 'go',
      modelId: request.modelId ?? this.currentModel().id,
      threads: Math.max(1, this.tier.mathCores - 1),
      expectedSeconds: 0,
      projectedMemoryFraction: memory,
      secondsToThreshold: null,
      reason: `memory at ${pct(memory)}`,
    };
  }

  getState(): ScalerState {
    const memory = this.last ? this.measured(this.last) : 0;
    const flat = (resource: TrendSnapshot['resource'], latest: number, threshold: number, available: boolean): TrendSnapshot => ({
      resource,
      available,
      latest,
      level: latest,
      slopePerSecond: 0,
      longSlopePerSecond: 0,
      threshold,
      secondsToThreshold: null,
      change: 'steady',
      reliable: false,
    });
    const vram = this.last ? this.measuredVram(this.last) : null;
    const trends: ResourceTrends = {
      memory: flat('memory', memory, this.settings.memory.degrade, this.last !== null),
      vram: flat('vram', vram ?? 0, this.settings.vram.degrade, vram !== null),
      cpu: flat('cpu', this.last?.cpuOtherLoad ?? 0, 1, this.last !== null),
    };
    const pending = this.switching?.decision ?? this.outstanding;
    return {
      policy: this.policy,
      tier: this.tier,
      modelId: this.currentModel().id,
      switching: this.switching ? { from: this.switching.decision.from, to: this.switching.decision.to } : null,
      generating: this.generating,
      threads: Math.max(1, this.tier.mathCores - 1),
      trends,
      status:
        pending?.action === 'degrade'
          ? { kind: 'degrading', from: pending.from, to: pending.to, since: pending.t, waitingForReply: !this.switching && this.generating }
          : { kind: 'steady' },
      recentDecisions: [...this.recent],
      lastSampleT: this.last?.t ?? null,
      droppedSamples: this.droppedSamples,
    };
  }

  protected settleMs(): number {
    return COOLDOWN_MS;
  }

  protected afterReply(_feedback: ReplyFeedback): void {}

  protected override onSwitchStarted(): void {
    this.overSince = null;
    this.underSince = null;
  }

  /**
   * The next rung down that takes less memory and VRAM together: on a ladder with cascade steps the
   * order is quality, and the rung under a small model's full rung can be a big model's step.
   */
  private smallerRung(): number | null {
    const bytes = (index: number) => this.ladder[index]!.memBytes + this.ladder[index]!.vramBytes;
    for (let index = this.modelIndex - 1; index >= 0; index--) if (bytes(index) < bytes(this.modelIndex)) return index;
    return null;
  }

  private measured(sample: ResourceSample): number {
    return sample.memUsedBytes / sample.memTotalBytes;
  }

  private measuredVram(sample: ResourceSample): number | null {
    return sample.vramTotalBytes && sample.vramUsedBytes !== undefined ? sample.vramUsedBytes / sample.vramTotalBytes : null;
  }
}
