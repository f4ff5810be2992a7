/**
 * The figures measured for each remote rung (time to first token, tokens per second, failures,
 * round trip), over the last replies, for the scaler and the panel to compare with local rungs.
 */
import type { RemoteFigures } from '../../../shared/remote';

/** Replies a median is taken over. */
const WINDOW = 20;

function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

interface Series {
  replies: number;
  failures: number;
  ttftMs: number[];
  tokensPerSecond: number[];
  rttMs: number | null;
  lastError: string | null;
}

/** Figures per model on one server. */
export class RemoteFigureBook {
  private readonly series = new Map<string, Series>();

  private of(model: string): Series {
    let series = this.series.get(model);
    if (!series) {
      series = { replies: 0, failures: 0, ttftMs: [], tokensPerSecond: [], rttMs: null, lastError: null };
      this.series.set(model, series);
    }
    return series;
  }

  /** A finished reply (a stopped one with no token says nothing about speed and is not counted). */
  recordReply(model: string, ttftMs: number, tokensPerSecond: number): void {
    const series = this.of(model);
    series.replies++;
    series.ttftMs = [...series.ttftMs, ttftMs].slice(-WINDOW);
    if (tokensPerSecond > 0) series.tokensPerSecond = [...series.tokensPerSecond, tokensPerSecond].slice(-WINDOW);
  }

  recordFailure(model: string, sentence: string): void {
    const series = this.of(model);
    series.failures++;
    series.lastError = sentence;
  }

  recordRtt(model: string, rttMs: number): void {
    this.of(model).rttMs = rttMs;
  }

  /** The figures of `model` now. */
  figures(model: string): RemoteFigures {
    const series = this.of(model);
    return {
      replies: series.replies,
      failures: series.failures,
      ttftMs: median(series.ttftMs),
      tokensPerSecond: median(series.tokensPerSecond),
      rttMs: series.rttMs,
      lastError: series.lastError,
    };
  }
}
