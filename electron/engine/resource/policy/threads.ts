/**
 * The CPU thread count, the cheapest knob. llama.cpp's threads spin while they wait, so when
 * other programs take cores, throughput collapses (96–127× on a 2-core machine, see docs/scaling-policy.md); using
 * the cores actually free is worth more than any model switch. Decrease quickly, increase only
 * after a calm period, ignore changes under 10 %.
 */
import type { TimeSeries } from './time-series';
import { windowMedian, windowQuantile } from './trends';
import type { ScalerSettings } from './settings';
import type { DecisionMetrics } from './scaler-types';

/**
 * CPU threads for inference before the scaler has seen a sample: one core left for the rest of the
 * machine, never more than the math cores (on 2 cores, 4 threads ran about 100× slower than 1; see
 * docs/scaling-policy.md, "Threads").
 */
export function defaultThreadCount(mathCores: number, logicalCores: number): number {
  return Math.max(1, Math.min(mathCores, logicalCores - 1));
}

/** A thread change the scaler should announce. */
export interface ThreadChange {
  from: number;
  to: number;
  reason: string;
  metrics: DecisionMetrics;
}

/** Half-width of the hysteresis band, in cores. */
const HYSTERESIS_CORES = 0.25;

/** Recommends the CPU thread count (apply with node-llama-cpp's `llama.maxThreads`). */
export class ThreadAdvisor {
  /** Threads the model should use now; set from the first sample. */
  current: number;
  private initialized = false;
  private lastChangeAt = 0;

  constructor(
    private readonly mathCores: number,
    private readonly logicalCores: number,
    private readonly settings: ScalerSettings,
  ) {
    this.current = Math.max(1, mathCores - 1);
  }

  /**
   * `clamp(mathCores − ceil(otherBusyCores) − 1, 1, mathCores)`: leave the cores other programs
   * use, and one for the system and the UI. `otherLoad` is a fraction of all logical cores;
   * `bias` (cores) widens the estimate for the hysteresis band.
   */
  recommend(otherLoad: number, bias = -0.1): number {
    // Busy logical cores scaled to physical ones: the math runs one thread per physical core.
    const otherPhysical = otherLoad * this.mathCores;
    const taken = Math.max(0, Math.ceil(otherPhysical + bias));
    const threads = Math.min(this.mathCores, Math.max(1, this.mathCores - taken - 1));
    return this.cap ? Math.min(threads, this.cap) : threads;
  }

  /** Threads are no higher than this after replies slowed down on contended cores; cleared on a model switch. */
  private cap: number | null = null;

  /** Forgets the performance cap (a new model is judged afresh). */
  clearCap(): void {
    this.cap = null;
  }

  /** Follows other programs' load; returns a change to announce, or null. */
  update(now: number, cpuSeries: TimeSeries): ThreadChange | null {
    // "+ 1": a window of hold seconds at 1 Hz is `hold` samples, not hold + 1.
    const holdWindow = cpuSeries.since(now - this.settings.threadDecreaseHoldSeconds * 1000 + 1);
    const load = holdWindow.end > holdWindow.start ? windowMedian(holdWindow) : (cpuSeries.lastValue() ?? 0);
    if (!this.initialized) {
      // Start on the conservative side of the band, so ordinary background noise changes nothing.
      this.initialized = true;
      this.current = this.recommend(load, HYSTERESIS_CORES);
      this.lastChangeAt = now;
      return null;
    }
    const busy = (value: number): number => Math.round(value * this.logicalCores * 100) / 100;
    const metrics = { otherCpuLoad: Math.round(load * 1000) / 1000, otherBusyCores: busy(load), mathCores: this.mathCores };
    // Hysteresis: fewer threads only when other programs clearly took another core, more only
    // when they clearly gave one back. Background noise near a core boundary changes nothing.
    const lower = this.recommend(load, -HYSTERESIS_CORES);
    if (lower < this.current) {
      if ((this.current - lower) / this.current <= 0.1) return null;
      return this.change(
        now,
        lower,
        `other programs keep ${metrics.otherBusyCores} of ${this.logicalCores} cores busy (median of ${this.settings.threadDecreaseHoldSeconds} s): ${lower} thread${lower === 1 ? '' : 's'} avoid spinning on shared cores`,
        metrics,
      );
    }
    const calmMs = this.settings.threadCalmSeconds * 1000;
    if (now - this.lastChangeAt < calmMs) return null;
    // Up only to what the busiest part of the calm period allows (90th percentile: one blip is not a burst).
    const calmLoad = windowQuantile(cpuSeries.since(now - calmMs), 0.9);
    const higher = this.recommend(calmLoad, HYSTERESIS_CORES);
    if (higher > this.current && (higher - this.current) / this.current > 0.1) {
      return this.change(now, higher, `cores have been free for ${this.settings.threadCalmSeconds} s (other programs: at most ${busy(calmLoad)} cores busy)`, {
        ...metrics,
        otherBusyCores: busy(calmLoad),
      });
    }
    return null;
  }

  /** One thread fewer after replies slowed down while other programs were busy; null at 1. */
  cutForPerformance(reason: string): ThreadChange | null {
    if (this.current <= 1) return null;
    this.cap = this.current - 1;
    return this.change(this.lastChangeAt, this.current - 1, reason, {});
  }

  private change(now: number, to: number, reason: string, metrics: DecisionMetrics): ThreadChange {
    const from = this.current;
    this.current = to;
    this.lastChangeAt = now;
    return { from, to, reason, metrics };
  }
}
