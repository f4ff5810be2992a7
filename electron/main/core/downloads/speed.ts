/**
 * Download speed and time left. A plain average since the start lags badly after a resume or a
 * throttle change, and an instantaneous rate jumps with every chunk; a sliding window of ~5 s is
 * what browsers and package managers show, steady enough to read and quick to follow changes.
 */

interface Sample {
  t: number;
  bytes: number;
}

/** Sliding-window byte rate. Feed it cumulative byte counts; ask for bytes/s at any time. */
export class SpeedMeter {
  private samples: Sample[] = [];

  constructor(
    private readonly windowMs = 5_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records that `totalBytes` (cumulative) had arrived at time `t`. */
  record(totalBytes: number, t = this.now()): void {
    const last = this.samples[this.samples.length - 1];
    // A restart from zero (server ignored Range) makes the count go back: start a new window.
    if (last && totalBytes < last.bytes) this.samples = [];
    this.samples.push({ t, bytes: totalBytes });
    this.prune(t);
  }

  /**
   * Bytes per second over the last window, measured up to `t` (not up to the last sample) so that the
   * rate decays towards 0 while nothing arrives instead of freezing at the last value.
   */
  bytesPerSecond(t = this.now()): number {
    this.prune(t);
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    if (!first || !last || first === last) return 0;
    const elapsedMs = t - first.t;
    if (elapsedMs <= 0) return 0;
    return ((last.bytes - first.bytes) * 1000) / elapsedMs;
  }

  reset(): void {
    this.samples = [];
  }

  /** Keeps one sample at or before the window start as the anchor, so the window stays ~full. */
  private prune(t: number): void {
    const start = t - this.windowMs;
    // With nothing new for a whole window only the last sample is left, and the rate reads 0.
    while (this.samples.length > 1 && (this.samples[1]?.t ?? Infinity) <= start) this.samples.shift();
  }
}

/** Seconds until done at the current rate; null when the total or the rate is unknown. */
export function secondsLeft(receivedBytes: number, totalBytes: number | null, bytesPerSecond: number): number | null {
  if (totalBytes === null) return null;
  const remaining = Math.max(0, totalBytes - receivedBytes);
  if (remaining === 0) return 0;
  if (!(bytesPerSecond > 0)) return null;
  return remaining / bytesPerSecond;
}
