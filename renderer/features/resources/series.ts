/**
 * The resource panel's chart data, kept outside React and outside the chat's store: a sliding
 * five-minute window of samples as columns (what uPlot draws), and the forecast projection. Pure
 * and DOM-free, so it is unit-tested in node and costs microseconds per sample.
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
 * Samples of the last `windowSeconds`, as one array per metric plus the times (seconds). Appends
 * are amortised O(1): old points are dropped by moving a start index, and the arrays are compacted
 * only once the dead prefix is as long as the window.
 */
export class SampleWindow {
  private times: number[] = [];
  private columns: Record<Metric, Array<number | null>> = { cpuOther: [], cpuTotal: [], memory: [], swap: [], vram: [] };
  private start = 0;

  constructor(
    readonly windowSeconds: number = WINDOW_SECONDS,
    /** Upper bound on points kept, whatever the timestamps say. */
    readonly maxPoints: number = 2 * WINDOW_SECONDS,
  ) {}

  get length(): number {
    return this.times.length - this.start;
  }

  /** Seconds of the newest sample, or null when empty. */
  get lastTime(): number | null {
    return this.length > 0 ? (this.times[this.times.length - 1] ?? null) : null;
  }

  last(metric: Metric): number | null {
    return this.length > 0 ? (this.columns[metric][this.columns[metric].length - 1] ?? null) : null;
  }

  /** Adds a sample (`t` in epoch milliseconds). A sample not newer than the last replaces it. */
  push(sample: ResourceSampleData): void {
    const t = sample.t / 1000;
    const point = pointFromSample(sample);
    const lastTime = this.lastTime;
    if (lastTime !== null && t <= lastTime) {
      if (t < lastTime - this.windowSeconds) this.clear(); // The clock went back far: start over.
      else {
        const i = this.times.length - 1;
        for (const metric of METRICS) this.columns[metric][i] = point[metric];
        return;
      }
    }
    this.times.push(t);
    for (const metric of METRICS) this.columns[metric].push(point[metric]);
    const oldest = t - this.windowSeconds;
    while (this.start < this.times.length && ((this.times[this.start] ?? t) < oldest || this.times.length - this.start > this.maxPoints)) this.start += 1;
    if (this.start >= Math.max(64, this.maxPoints / 2)) this.compact();
  }

  clear(): void {
    this.times = [];
    for (const metric of METRICS) this.columns[metric] = [];
    this.start = 0;
  }

  /** Copies of the live part: the times and the requested metrics, in uPlot's column order. */
  slice(metrics: readonly Metric[]): { times: number[]; values: Array<Array<number | null>> } {
    return { times: this.times.slice(this.start), values: metrics.map((m) => this.columns[m].slice(this.start)) };
  }

  /** True when any point of `metric` in the window is a number. */
  has(metric: Metric): boolean {
    const column = this.columns[metric];
    for (let i = this.start; i < column.length; i += 1) if (column[i] !== null) return true;
    return false;
  }

  private compact(): void {
    this.times = this.times.slice(this.start);
    for (const metric of METRICS) this.columns[metric] = this.columns[metric].slice(this.start);
    this.start = 0;
  }
}

/** A straight dashed line from the newest value ahead by `horizonSeconds`. */
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

export type ChartColumns = [number[], ...Array<Array<number | null>>];

/**
 * uPlot's aligned data for one chart: the window's metrics, plus (when given) a forecast series that
 * is empty over the history and runs from the newest point to the horizon.
 */
export function chartColumns(window: SampleWindow, metrics: readonly Metric[], projection: Projection | null): ChartColumns {
  const { times, values } = window.slice(metrics);
  if (!projection || times.length === 0) return [times, ...values];
  const n = times.length;
  const forecast: Array<number | null> = new Array<number | null>(n + 1).fill(null);
  forecast[n - 1] = projection.values[0];
  forecast[n] = projection.values[1];
  times.push(projection.times[1]);
  for (const column of values) column.push(null);
  return [times, ...values, forecast];
}

/** The x range a chart shows: the full window behind the newest sample, and the horizon ahead. */
export function xRange(lastTime: number | null, ahead: number, windowSeconds: number = WINDOW_SECONDS): [number, number] {
  const now = lastTime ?? Date.now() / 1000;
  return [now - windowSeconds, now + ahead];
}
