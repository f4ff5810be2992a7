/**
 * Small read-outs of a resource track: the median of the last few seconds (for re-validation and
 * the CPU picture) and the trend snapshot the resource panel shows.
 */
import type { ResourceTrack } from './resource-track';
import type { TrendSnapshot } from './scaler-types';
import type { TimeSeries } from './time-series';

/** Median of the last `seconds` of a series (0 when empty). */
export function recentMedian(series: TimeSeries, seconds = 3): number {
  const values: number[] = [];
  const last = series.lastTime();
  if (last === undefined) return 0;
  for (let back = 0; ; back++) {
    const t = series.timeBack(back);
    if (t === undefined || t < last - seconds * 1000 + 1) break;
    values.push(series.valueBack(back)!);
  }
  values.sort((a, b) => a - b);
  return values[values.length >>> 1] ?? 0;
}

/** The panel's view of a track: fractions for the current model. */
export function snapshotOf(track: ResourceTrack): TrendSnapshot {
  const trend = track.trend;
  if (!track.available || !trend) return emptySnapshot(track.kind, track.thresholds.degrade);
  const f = track.footprint;
  return {
    resource: track.kind,
    available: true,
    latest: trend.latest + f,
    level: trend.level + f,
    slopePerSecond: trend.slopePerSecond,
    longSlopePerSecond: trend.longSlopePerSecond,
    threshold: track.thresholds.degrade,
    secondsToThreshold: trend.secondsToThreshold,
    change: trend.change,
    reliable: trend.reliable,
  };
}

/** A snapshot for a sensor that gives nothing. */
export function emptySnapshot(resource: TrendSnapshot['resource'], threshold: number): TrendSnapshot {
  return {
    resource,
    available: false,
    latest: 0,
    level: 0,
    slopePerSecond: 0,
    longSlopePerSecond: 0,
    threshold,
    secondsToThreshold: null,
    change: 'warming-up',
    reliable: false,
  };
}
