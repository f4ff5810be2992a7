/**
 * One watched resource (memory or VRAM) as the proactive scaler sees it. The series holds the
 * *background* — use minus the assistant's own footprint, as a fraction of the total — so that
 * the scaler's own switches never look like load (forecast the background, not yourself:
 * docs/scaling-policy.md, "Where the design comes from"). Any model's projected use is that background plus the model's footprint.
 */
import type { ResourceThresholds } from './resolved-settings';
import type { ScalerSettings } from './settings';
import { TimeSeries } from './time-series';
import { analyzeSeriesTrend, type SeriesTrend } from './trends';

/** The resources that can force a smaller model. */
export type TrackedResource = 'memory' | 'vram';

/** A reading of one resource. */
export interface ResourceReading {
  totalBytes: number;
  usedBytes: number;
  /** The assistant's share of `usedBytes`. */
  ownBytes: number;
}

/** Series, trend and down-rule timers of one resource. */
export class ResourceTrack {
  readonly series: TimeSeries;
  /** False while the sensor gives nothing (no GPU, VRAM callback missing or failing). */
  available = false;
  totalBytes = 0;
  /** Analysis of the background as of the last sample; null before the first. */
  trend: SeriesTrend | null = null;
  /** Slopes use only points from here: the start, or the last upward jump. */
  private trendFromT: number;
  private warmupMs: number;
  /** Consecutive samples with the current model's projected use over critical. */
  criticalCount = 0;
  /** A jump over the degrade line waiting for one confirming sample. */
  stepCandidate: { t: number; jump: number; stepThreshold: number } | null = null;
  /** Since when the smoothed level has been over the degrade line. */
  levelOverSince: number | null = null;
  /** Since when the newest samples have been over the degrade line (for the climb rule). */
  overSince: number | null = null;
  /** Since when the forecast has crossed within the horizon. */
  trendSince: number | null = null;
  /** Consecutive intervals rising at least `velocityPerSecond`, and where the run started. */
  risingIntervals = 0;
  riseStartValue = 0;
  riseStartT = 0;
  /** Footprint fraction of the current model, as of the last update. */
  footprint = 0;

  constructor(
    readonly kind: TrackedResource,
    readonly thresholds: ResourceThresholds,
    private readonly settings: ScalerSettings,
    startT: number,
  ) {
    // The upgrade window can grow to the longest upgrade gap after reverted upgrades.
    const maxAgeMs =
      1000 * (Math.max(settings.longWindowSeconds, settings.stabilizationSeconds, settings.maxUpgradeGapSeconds) + 2 * settings.sampleIntervalSeconds);
    this.series = new TimeSeries(maxAgeMs, Math.min(8192, Math.ceil(maxAgeMs / 1000 / settings.sampleIntervalSeconds) + 16));
    this.trendFromT = startT;
    // No trend decision until the long window has filled once (a cold start has no context).
    this.warmupMs = settings.longWindowSeconds * 1000;
  }

  /** Fraction of the total that `bytes` is. */
  fractionOf(bytes: number): number {
    return this.totalBytes > 0 ? bytes / this.totalBytes : 0;
  }

  /** Projected use of a model with this footprint, from the newest sample. */
  projectedLatest(footprintBytes: number): number {
    return (this.trend?.latest ?? 0) + this.fractionOf(footprintBytes);
  }

  /** Projected smoothed level of a model with this footprint. */
  projectedLevel(footprintBytes: number): number {
    return (this.trend?.level ?? 0) + this.fractionOf(footprintBytes);
  }

  /**
   * Adds a reading (or marks the sensor missing) and re-analyses. `footprintBytes` is the current
   * model's footprint; the forecast is made against the degrade line minus it.
   */
  update(t: number, reading: ResourceReading | undefined, footprintBytes: number): void {
    if (!reading || !(reading.totalBytes > 0)) {
      // A missing sensor is never read as "fine": it blocks upgrades and its timers restart.
      if (this.available) this.resetTimers();
      this.available = false;
      this.trend = null;
      return;
    }
    this.available = true;
    this.totalBytes = reading.totalBytes;
    this.footprint = this.fractionOf(footprintBytes);
    const background = Math.min(1, Math.max(0, (reading.usedBytes - reading.ownBytes) / reading.totalBytes));
    const previous = this.series.lastValue();
    const previousT = this.series.lastTime();
    this.series.push(t, background);

    const trend = analyzeSeriesTrend(this.series, t, {
      levelWindowMs: this.settings.levelWindowSeconds * 1000,
      shortWindowMs: this.settings.shortWindowSeconds * 1000,
      longWindowMs: this.settings.longWindowSeconds * 1000,
      trendFromT: this.trendFromT,
      warmupMs: this.warmupMs,
      threshold: this.thresholds.degrade - this.footprint,
      stepMin: this.settings.stepMinFraction,
    });
    if (trend.jump >= trend.stepThreshold) {
      // A step is not a trend: regressing across it would invent a slope. Restart the slope
      // windows at the jump, and trust them again once the short window has refilled.
      this.trendFromT = t;
      this.warmupMs = this.settings.shortWindowSeconds * 1000;
      trend.reliable = false;
      if (trend.secondsToThreshold !== 0) trend.secondsToThreshold = null;
    }
    this.trend = trend;

    if (previous !== undefined && previousT !== undefined && t > previousT) {
      const rate = ((background - previous) * 1000) / (t - previousT);
      if (rate >= this.settings.velocityPerSecond) {
        if (this.risingIntervals === 0) {
          this.riseStartValue = previous;
          this.riseStartT = previousT;
        }
        this.risingIntervals++;
      } else {
        this.risingIntervals = 0;
      }
    }
  }

  /** Forgets the down-path timers (after a switch: they were about the previous model). */
  resetTimers(): void {
    this.criticalCount = 0;
    this.stepCandidate = null;
    this.levelOverSince = null;
    this.overSince = null;
    this.trendSince = null;
  }
}
