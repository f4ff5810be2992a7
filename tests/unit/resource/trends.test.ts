/** Trend maths on series whose answer is known: lines, outliers, steps, spikes and noise. */
import { describe, expect, it } from 'vitest';
import { TimeSeries } from '../../../electron/engine/resource/policy/time-series';
import {
  analyzeSeriesTrend,
  forecastSecondsToThreshold,
  robustNoise,
  theilSen,
  windowMedian,
  windowQuantile,
  type TrendOptions,
} from '../../../electron/engine/resource/policy/trends';

/** A series sampled at 1 Hz from `value(t)` for t = 0..seconds. */
function seriesOf(seconds: number, value: (t: number) => number): TimeSeries {
  const series = new TimeSeries(3_600_000);
  for (let t = 0; t <= seconds; t++) series.push(t * 1000, value(t));
  return series;
}

/** Deterministic uniform noise in [-amplitude, amplitude]. */
function noise(seed: number, amplitude: number): (t: number) => number {
  return (t) => {
    const x = Math.sin((t + 1) * 12.9898 * seed) * 43758.5453;
    return (2 * (x - Math.floor(x)) - 1) * amplitude;
  };
}

const options = (threshold: number, trendFromT = 0): TrendOptions => ({
  levelWindowMs: 15_000,
  shortWindowMs: 60_000,
  longWindowMs: 180_000,
  trendFromT,
  warmupMs: 180_000,
  threshold,
  stepMin: 0.08,
});

describe('robust line fit', () => {
  it('recovers the slope and level of an exact line', () => {
    const series = seriesOf(120, (t) => 0.4 + 0.001 * t);
    const line = theilSen(series.since(60_000), 120_000);
    expect(line.slopePerSecond).toBeCloseTo(0.001, 9);
    expect(line.levelAtReference).toBeCloseTo(0.52, 9);
  });

  it('ignores a few wild outliers that would swing least squares', () => {
    const series = seriesOf(60, (t) => (t === 20 || t === 40 ? 0.95 : 0.5 + 0.0005 * t));
    const line = theilSen(series.since(0), 60_000);
    expect(line.slopePerSecond).toBeCloseTo(0.0005, 6);
  });

  it('thins long windows without losing the slope', () => {
    const series = seriesOf(600, (t) => 0.2 + 0.0002 * t);
    expect(theilSen(series.since(0), 600_000).slopePerSecond).toBeCloseTo(0.0002, 7);
  });
});

describe('levels, quantiles and noise', () => {
  it('median and quantiles of a window', () => {
    const series = seriesOf(9, (t) => t / 10); // 0.0 … 0.9
    expect(windowMedian(series.since(0))).toBeCloseTo(0.45, 9);
    expect(windowQuantile(series.since(0), 0.95)).toBeCloseTo(0.9, 9);
  });

  it('noise is measured around a ramp, not confused with it', () => {
    const ramp = seriesOf(120, (t) => 0.3 + 0.002 * t);
    expect(robustNoise(ramp.since(0))).toBeCloseTo(0, 9);
    const noisy = seriesOf(120, (t) => 0.5 + noise(3, 0.05)(t));
    expect(robustNoise(noisy.since(0))).toBeGreaterThan(0.015);
    expect(robustNoise(noisy.since(0))).toBeLessThan(0.05);
  });
});

describe('forecast', () => {
  it('time to a threshold on a known line', () => {
    expect(forecastSecondsToThreshold(0.7, 0.001, 0.8)).toBeCloseTo(100, 9);
    expect(forecastSecondsToThreshold(0.85, 0.001, 0.8)).toBe(0);
    expect(forecastSecondsToThreshold(0.7, -0.001, 0.8)).toBeNull();
  });

  it('a steady climb is reliable and forecast to its crossing (a little early with noise)', () => {
    const series = seriesOf(400, (t) => 0.5 + 0.0005 * t + noise(5, 0.005)(t));
    const trend = analyzeSeriesTrend(series, 400_000, options(0.8));
    expect(trend.reliable).toBe(true);
    expect(trend.change).toBe('sustained-rise');
    // Mean line reaches 0.8 at t = 600, i.e. 200 s from now; the noise envelope a bit sooner.
    expect(trend.secondsToThreshold!).toBeGreaterThan(170);
    expect(trend.secondsToThreshold!).toBeLessThanOrEqual(200);
  });

  it('no trend decision before the warm-up, however steep', () => {
    const series = seriesOf(100, (t) => 0.5 + 0.002 * t);
    expect(analyzeSeriesTrend(series, 100_000, options(0.8)).reliable).toBe(false);
  });

  it('a ramp that started recently does not agree with the long window yet', () => {
    const series = seriesOf(400, (t) => (t < 370 ? 0.5 : 0.5 + 0.004 * (t - 370)));
    const trend = analyzeSeriesTrend(series, 400_000, options(0.8));
    expect(trend.slopePerSecond).toBeGreaterThan(0);
    expect(trend.reliable).toBe(false);
    expect(trend.secondsToThreshold).toBeNull();
  });

  it('30 minutes of pure noise never forecast a crossing within two minutes', () => {
    const series = seriesOf(1800, (t) => 0.7 + noise(7, 0.05)(t));
    let reliable = 0;
    let evaluations = 0;
    for (let now = 200; now <= 1800; now += 5) {
      const trend = analyzeSeriesTrend(series, now * 1000, options(0.8));
      evaluations++;
      if (trend.reliable) reliable++;
      if (trend.secondsToThreshold !== null) expect(trend.secondsToThreshold).toBeGreaterThan(120);
    }
    expect(reliable / evaluations).toBeLessThan(0.02);
  });
});

describe('spike versus sustained', () => {
  it('a single high sample is a spike', () => {
    const series = seriesOf(300, (t) => (t === 300 ? 0.75 : 0.5 + noise(2, 0.005)(t)));
    const trend = analyzeSeriesTrend(series, 300_000, options(0.8));
    expect(trend.change).toBe('spike');
    expect(trend.jump).toBeGreaterThan(trend.stepThreshold);
  });

  it('a level that moved and stayed is sustained', () => {
    const series = seriesOf(300, (t) => (t >= 270 ? 0.7 : 0.5) + noise(4, 0.005)(t));
    expect(analyzeSeriesTrend(series, 300_000, options(0.8)).change).toBe('sustained-rise');
    const down = seriesOf(300, (t) => (t >= 270 ? 0.3 : 0.5) + noise(4, 0.005)(t));
    expect(analyzeSeriesTrend(down, 300_000, options(0.8)).change).toBe('sustained-fall');
  });

  it('steady noise is steady', () => {
    const series = seriesOf(300, (t) => 0.6 + noise(9, 0.01)(t));
    expect(analyzeSeriesTrend(series, 300_000, options(0.8)).change).toBe('steady');
  });

  it('the step threshold grows with the noise, so noise is never a step', () => {
    const quiet = analyzeSeriesTrend(
      seriesOf(300, (t) => 0.6 + noise(9, 0.002)(t)),
      300_000,
      options(0.8),
    );
    const loud = analyzeSeriesTrend(
      seriesOf(300, (t) => 0.6 + noise(9, 0.05)(t)),
      300_000,
      options(0.8),
    );
    expect(quiet.stepThreshold).toBe(0.08);
    expect(loud.stepThreshold).toBeGreaterThan(0.08);
  });
});

describe('time series', () => {
  it('keeps only the configured age and windows by time', () => {
    const series = new TimeSeries(10_000, 4);
    for (let t = 0; t <= 100; t++) series.push(t * 1000, t);
    expect(series.firstTime()).toBe(90_000);
    const window = series.since(95_000);
    expect(window.end - window.start).toBe(6);
    expect(series.valueBack(0)).toBe(100);
    expect(series.valueBack(1)).toBe(99);
  });
});
