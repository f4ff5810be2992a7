/** Per-model performance: time to first token, tokens/s, reply duration, failures, load time. */
import type { GenerationStats } from '../../../shared/domain';
import type { ModelPerformanceData } from '../../../shared/resource';

/** One model's measured performance (the wire's `modelPerformanceSchema` is its one definition). */
export type ModelPerformance = ModelPerformanceData;

const ALPHA = 0.3;
const ewma = (old: number | null, next: number) => (old === null ? next : old * (1 - ALPHA) + next * ALPHA);

export class ModelStats {
  private readonly byModel = new Map<string, ModelPerformance>();
  /**
   * Seconds a cascade step to a rung took (its context recreated, the model kept), by rung: apart
   * from `loadSeconds`, which is what reaching the rung from another model costs.
   */
  private readonly steps = new Map<string, number>();

  private entry(modelId: string): ModelPerformance {
    let entry = this.byModel.get(modelId);
    if (!entry) {
      entry = { modelId, replies: 0, failures: 0, tokensPerSecond: null, ttftMs: null, replySeconds: null, loadSeconds: null };
      this.byModel.set(modelId, entry);
    }
    return entry;
  }

  recordReply(modelId: string, stats: GenerationStats | null, ok: boolean): void {
    const entry = this.entry(modelId);
    entry.replies += 1;
    if (!ok || !stats) {
      entry.failures += 1;
      return;
    }
    // Replies of one or two tokens say nothing about speed.
    if (stats.tokens >= 4) entry.tokensPerSecond = ewma(entry.tokensPerSecond, stats.tokensPerSecond);
    entry.ttftMs = ewma(entry.ttftMs, stats.ttftMs);
    entry.replySeconds = ewma(entry.replySeconds, stats.durationMs / 1000);
  }

  recordLoad(modelId: string, seconds: number): void {
    const entry = this.entry(modelId);
    entry.loadSeconds = ewma(entry.loadSeconds, seconds);
  }

  recordStep(modelId: string, seconds: number): void {
    this.steps.set(modelId, ewma(this.steps.get(modelId) ?? null, seconds));
  }

  /** Measured seconds of a cascade step to the rung, if one was taken. */
  stepSeconds(modelId: string): number | undefined {
    return this.steps.get(modelId);
  }

  tokensPerSecond(modelId: string): number | undefined {
    return this.byModel.get(modelId)?.tokensPerSecond ?? undefined;
  }

  loadSeconds(modelId: string): number | undefined {
    return this.byModel.get(modelId)?.loadSeconds ?? undefined;
  }

  snapshot(): ModelPerformance[] {
    return [...this.byModel.values()].map((entry) => ({ ...entry }));
  }
}
