/**
 * Per-model reply feedback: tokens/s, time to first token, failures. A model's own recent history
 * is its baseline, so "slow" means slow for that model on this machine, not against a table.
 */
import type { ScalerSettings } from './settings';
import type { ReplyFeedback } from '../types';

/** How a model is doing after the latest reply. */
export type PerformanceVerdict =
  | { kind: 'ok' }
  | { kind: 'out-of-memory' }
  | { kind: 'slow'; tokensPerSecond: number; baselineTokensPerSecond: number; consecutive: number }
  | { kind: 'failing'; failures: number; replies: number };

interface ModelRecord {
  /** Outcomes of the last `failureWindow` replies (true = failed). */
  outcomes: boolean[];
  /** Speeds of recent replies that were not slow, tokens/s. */
  speeds: number[];
  ttfts: number[];
  /** Cores other programs kept busy during the healthy replies: what "usual" was measured under. */
  otherCores: number[];
  consecutiveSlow: number;
  /** Medians, refreshed on every push so the pre-flight check reads them without sorting. */
  expectedSpeed: number | undefined;
  expectedTtft: number | undefined;
}

/** Speeds kept per model; the baseline is their 80th percentile. */
const HISTORY = 20;
/** Replies needed before a slowdown can be judged. */
const MIN_BASELINE_REPLIES = 3;

/** Per-model speed and failure history, judged after every reply. */
export class PerformanceTracker {
  private readonly models = new Map<string, ModelRecord>();

  constructor(private readonly settings: ScalerSettings) {}

  /** Records one reply of `modelId` (with other programs' busy cores at the time) and judges the model. */
  record(modelId: string, feedback: ReplyFeedback, otherBusyCores = 0): PerformanceVerdict {
    const record = this.recordFor(modelId);
    if (feedback.error === 'aborted') return { kind: 'ok' }; // the user stopped it: no signal
    record.outcomes.push(!feedback.ok);
    if (record.outcomes.length > this.settings.failureWindow) record.outcomes.shift();
    if (!feedback.ok && feedback.error === 'out-of-memory') return { kind: 'out-of-memory' };

    if (feedback.ok && feedback.ttftMs !== undefined && feedback.ttftMs >= 0) {
      pushBounded(record.ttfts, feedback.ttftMs);
      record.expectedTtft = median(record.ttfts);
    }
    if (feedback.ok && feedback.tokensPerSecond !== undefined && feedback.tokensPerSecond >= 0) {
      const baseline = this.baselineTokensPerSecond(modelId);
      if (baseline !== undefined && feedback.tokensPerSecond < this.settings.slowdownFactor * baseline) {
        record.consecutiveSlow++;
        if (record.consecutiveSlow >= this.settings.slowdownCount) {
          return { kind: 'slow', tokensPerSecond: feedback.tokensPerSecond, baselineTokensPerSecond: baseline, consecutive: record.consecutiveSlow };
        }
      } else {
        // Slow replies stay out of the history, so a collapse cannot drag its own baseline down.
        record.consecutiveSlow = 0;
        pushBounded(record.speeds, feedback.tokensPerSecond);
        pushBounded(record.otherCores, otherBusyCores);
        record.expectedSpeed = median(record.speeds);
      }
    }

    const failures = record.outcomes.filter(Boolean).length;
    if (failures >= 2 && failures / record.outcomes.length > this.settings.failureRateLimit) {
      return { kind: 'failing', failures, replies: record.outcomes.length };
    }
    return { kind: 'ok' };
  }

  /** The model's usual speed (80th percentile of recent healthy replies), once known. */
  baselineTokensPerSecond(modelId: string): number | undefined {
    const speeds = this.models.get(modelId)?.speeds;
    if (!speeds || speeds.length < MIN_BASELINE_REPLIES) return undefined;
    const sorted = [...speeds].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.ceil(0.8 * sorted.length) - 1)];
  }

  /** Cores other programs used while the model was healthy (median), once known. */
  usualOtherCores(modelId: string): number | undefined {
    const cores = this.models.get(modelId)?.otherCores;
    return cores && cores.length > 0 ? median(cores) : undefined;
  }

  /** Median of recent speeds (what to expect of the next reply), once any is known. */
  expectedTokensPerSecond(modelId: string): number | undefined {
    return this.models.get(modelId)?.expectedSpeed;
  }

  /** Median of recent times to first token, ms. */
  expectedTtftMs(modelId: string): number | undefined {
    return this.models.get(modelId)?.expectedTtft;
  }

  /** False while the model is slow or failing: blocks upgrades away from (and judgement of) it. */
  isHealthy(modelId: string): boolean {
    const record = this.models.get(modelId);
    if (!record) return true;
    const failures = record.outcomes.filter(Boolean).length;
    return record.consecutiveSlow === 0 && !(failures >= 2 && failures / record.outcomes.length > this.settings.failureRateLimit);
  }

  /** Starts a model's judgement afresh (after it was switched away from, the causes may be gone). */
  resetStreaks(modelId: string): void {
    const record = this.models.get(modelId);
    if (!record) return;
    record.consecutiveSlow = 0;
    record.outcomes = [];
  }

  private recordFor(modelId: string): ModelRecord {
    let record = this.models.get(modelId);
    if (!record) {
      record = { outcomes: [], speeds: [], ttfts: [], otherCores: [], consecutiveSlow: 0, expectedSpeed: undefined, expectedTtft: undefined };
      this.models.set(modelId, record);
    }
    return record;
  }
}

function pushBounded(values: number[], value: number): void {
  values.push(value);
  if (values.length > HISTORY) values.shift();
}

function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >>> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
