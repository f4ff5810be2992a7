/**
 * The resource panel's chart data, kept outside React and outside the chat's store: a sliding
 * five-minute window of samples as columns (what uPlot draws), and the forecast projection. Pure
 * and DOM-free, so it is unit-tested in node; an append allocates nothing and copies nothing.
 */
import type { ResourceSampleData, TrendData } from '../../../shared/resource';

/** Seconds of history the charts show. */
export const WINDOW_SECONDS = 300;
/** Seconds the forecast line reaches ahead of the newest sample. */
export const FORECAST_SECONDS = 60;

export type Metric = 'cpuOther' | 'cpuTotal' | 'memory' | 'swap' | 'vram';
export const METRICS: readonly Metric[] = ['cpuOther', 'cpuTotal', 'memory', 'swap', 'vram'];

type Point = Record<Metric, number | null>;

const fraction = (used: number | null | undefined, total: number | null | undefined): number | null =>
  used === null || used === undefined || !total || total <= 0 ? null : clamp01(used / total);

export function clamp01(value: number): number {
  return value < 0 ? 0 : value > 1 ? 1 : value;
}

/** The charted values of one sample, each a fraction 0–1 (null when the machine does not report it). */
export function pointFromSample(sample: ResourceSampleData): Point {
  return {
    cpuOther: sample.cpuOtherLoad === null ? null : clamp01(sample.cpuOtherLoad),
    cpuTotal: sample.cpuTotalLoad === null || sample.cpuTotalLoad === undefined ? null : clamp01(sample.cpuTotalLoad),
    memory: fraction(sample.memUsedBytes, sample.memTotalBytes),
    swap: fraction(sample.swapUsedBytes, sample.swapTotalBytes),
    vram: fraction(sample.vramUsedBytes, sample.vramTotalBytes),
  };
}

/**
 * Samples of the last `windowSeconds`, as one array per metric plus the times (seconds). The arrays
 * always hold exactly the live points, in order, so charts draw them as they are: no copy per
 * sample. Old points leave from the front with `shift()`, which V8 does without moving the rest
 * (it moves the array's start instead), so an append costs O(1) and allocates nothing.
 */
export class SampleWindow {
  private readonly times: number[] = [];
  private readonly series: Record<Metric, Array<number | null>> = { cpuOther: [], cpuTotal: [], memory: [], swap: [], vram: [] };

  constructor(
    readonly windowSeconds: number = WINDOW_SECONDS,
    /** Upper bound on points kept, whatever the timestamps say. */
    readonly maxPoints: number = 2 * WINDOW_SECONDS,
  ) {}

  get length(): number {
    return this.times.length;
  }

  /** Seconds of the newest sample, or null when empty. */
  get lastTime(): number | null {
    return this.times.length > 0 ? (this.times[this.times.length - 1] ?? null) : null;
  }

  last(metric: Metric): number | null {
    const column = this.series[metric];
    return column.length > 0 ? (column[column.length - 1] ?? null) : null;
  }

  /** Adds a sample (`t` in epoch milliseconds). A sample not newer than the last replaces it. */
  push(sample: ResourceSampleData): void {
    const t = sample.t / 1000;
    const point = pointFromSample(sample);
    const lastTime = this.lastTime;
    if (lastTime !== null && t <= lastTime) {
      if (t < lastTime - this.windowSeconds)
        this.clear(); // The clock went back far: start over.
      else {
        const i = this.times.length - 1;
        for (const metric of METRICS) this.series[metric][i] = point[metric];
        return;
      }
    }
    this.times.push(t);
    for (const metric of METRICS) this.series[metric].push(point[metric]);
    const oldest = t - this.windowSeconds;
    while (this.times.length > 0 && ((this.times[0] ?? t) < oldest || this.times.length > this.maxPoints)) {
      this.times.shift();
      for (const metric of METRICS) this.series[metric].shift();
    }
  }

  /** Empties the window; the arrays stay the same objects, so charts holding them stay attached. */
  clear(): void {
    this.times.length = 0;
    for (const metric of METRICS) this.series[metric].length = 0;
  }

  /**
   * The live arrays, in uPlot's column order: the times, then the requested metrics. Not copies:
   * they change with every sample, which is what a chart that redraws on each sample wants.
   */
  columns(metrics: readonly Metric[]): ChartColumns {
    return [this.times, ...metrics.map((m) => this.series[m])];
  }

  /** Copies of the live part: the times and the requested metrics. */
  slice(metrics: readonly Metric[]): { times: number[]; values: Array<Array<number | null>> } {
    return { times: this.times.slice(), values: metrics.map((m) => this.series[m].slice()) };
  }

  /** True when any point of `metric` in the window is a number. */
  has(metric: Metric): boolean {
    return this.series[metric].some((value) => value !== null);
  }
}

/** A straight dashed line from the newest value ahead by `horizonSeconds` (drawn by the chart's hook, not as a series). */
export interface Projection {
  times: [number, number];
  values: [number, number];
  /** Seconds until the line meets the threshold, when it does within the horizon. */
  crossesInSeconds: number | null;
}

/**
 * Where the trend says the value is heading: from (tNow, value) along the trend's slope for
 * `horizonSeconds`, clamped to 0–1. Null when the trend is not available or has no slope.
 */
export function projectTrend(
  tNow: number,
  value: number | null,
  trend: Pick<TrendData, 'available' | 'slopePerSecond' | 'secondsToThreshold'> | null | undefined,
  threshold: number | null,
  horizonSeconds: number = FORECAST_SECONDS,
): Projection | null {
  if (!trend || !trend.available || value === null || trend.slopePerSecond === null || !Number.isFinite(trend.slopePerSecond)) return null;
  const slope = trend.slopePerSecond;
  const end = clamp01(value + slope * horizonSeconds);
  let crossesInSeconds: number | null = null;
  if (threshold !== null && slope > 0 && value < threshold) {
    const seconds = (threshold - value) / slope;
    if (seconds <= horizonSeconds) crossesInSeconds = seconds;
  }
  return { times: [tNow, tNow + horizonSeconds], values: [value, end], crossesInSeconds };
}

/** uPlot's aligned data: the times (seconds), then one column per metric (fractions, null = gap). */
export type ChartColumns = [number[], ...Array<Array<number | null>>];

/** The x range a chart shows: the full window behind the newest sample, and the horizon ahead. */
export function xRange(lastTime: number | null, ahead: number, windowSeconds: number = WINDOW_SECONDS): [number, number] {
  const now = lastTime ?? Date.now() / 1000;
  return [now - windowSeconds, now + ahead];
}
