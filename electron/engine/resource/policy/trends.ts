/**
 * Trend maths, cheap enough for every sample: a median level, a robust slope (Theil–Sen, which
 * ignores a few outliers where least squares would swing), a noise estimate, a forecast of the
 * time to a threshold, and a spike-versus-sustained label. Scratch buffers are module-level and
 * reused (single-threaded, non-reentrant), so analysing a series allocates almost nothing.
 */
import { type SeriesWindow, type TimeSeries, windowLength } from './time-series';

/** Theil–Sen is O(n²): windows longer than this are evenly thinned first (60 points → 1 770 pairs). */
export const MAX_SLOPE_POINTS = 60;

const scratchValues = new Float64Array(MAX_SLOPE_POINTS * MAX_SLOPE_POINTS);
const scratchT = new Float64Array(MAX_SLOPE_POINTS);
const scratchV = new Float64Array(MAX_SLOPE_POINTS);
let scratchLarge = new Float64Array(1024);

/** In-place selection of the k-th smallest of buffer[0, n) (Hoare partition, median of three). */
function select(buffer: Float64Array, n: number, k: number): number {
  let low = 0;
  let high = n - 1;
  while (high > low) {
    const mid = (low + high) >>> 1;
    const a = buffer[low]!;
    const b = buffer[mid]!;
    const c = buffer[high]!;
    const pivot = a < b ? (b < c ? b : a < c ? c : a) : a < c ? a : b < c ? c : b;
    let i = low;
    let j = high;
    while (i <= j) {
      while (buffer[i]! < pivot) i++;
      while (buffer[j]! > pivot) j--;
      if (i <= j) {
        const swap = buffer[i]!;
        buffer[i] = buffer[j]!;
        buffer[j] = swap;
        i++;
        j--;
      }
    }
    if (k <= j) high = j;
    else if (k >= i) low = i;
    else break;
  }
  return buffer[k]!;
}

/** Median of buffer[0, n); reorders the buffer. NaN for n = 0. */
export function medianInPlace(buffer: Float64Array, n: number): number {
  if (n <= 0) return Number.NaN;
  const upper = select(buffer, n, n >>> 1);
  if (n % 2 === 1) return upper;
  let lower = -Infinity;
  for (let i = 0; i < n >>> 1; i++) if (buffer[i]! > lower) lower = buffer[i]!;
  return (lower + upper) / 2;
}

function scratchFor(n: number): Float64Array {
  if (scratchLarge.length < n) scratchLarge = new Float64Array(Math.max(n, scratchLarge.length * 2));
  return scratchLarge;
}

/** Median of a window's values. NaN when empty. */
export function windowMedian(window: SeriesWindow): number {
  const n = windowLength(window);
  const buffer = scratchFor(n);
  buffer.set(window.v.subarray(window.start, window.end));
  return medianInPlace(buffer, n);
}

/** The p-quantile (0–1, nearest rank) of a window's values. NaN when empty. */
export function windowQuantile(window: SeriesWindow, p: number): number {
  const n = windowLength(window);
  if (n === 0) return Number.NaN;
  const buffer = scratchFor(n);
  buffer.set(window.v.subarray(window.start, window.end));
  return select(buffer, n, Math.min(n - 1, Math.max(0, Math.ceil(p * n) - 1)));
}

/** Largest value of a window; -Infinity when empty. */
export function windowMax(window: SeriesWindow): number {
  let max = -Infinity;
  for (let i = window.start; i < window.end; i++) if (window.v[i]! > max) max = window.v[i]!;
  return max;
}

/** A robust straight-line fit. */
export interface RobustLine {
  /** Units per second. */
  slopePerSecond: number;
  /** The line's value at the reference time. */
  levelAtReference: number;
  /** Sen's rank-based confidence interval of the slope (about 99.7 %, z = 3), units per second. */
  slopeLow: number;
  slopeHigh: number;
}

/** z of the slope confidence interval: 3 keeps pure noise "significant" well under 1 % of the time. */
const SLOPE_Z = 3;

/**
 * Theil–Sen: the median of the slopes of all pairs, and the median intercept. Windows longer than
 * MAX_SLOPE_POINTS are thinned evenly. With `withInterval`, also Sen's confidence interval.
 * Returns slope 0 (and an unbounded interval) for a single point.
 */
export function theilSen(window: SeriesWindow, referenceT: number, withInterval = true, z = SLOPE_Z): RobustLine {
  const n = windowLength(window);
  if (n === 0) return { slopePerSecond: 0, levelAtReference: Number.NaN, slopeLow: -Infinity, slopeHigh: Infinity };
  if (n === 1) return { slopePerSecond: 0, levelAtReference: window.v[window.start]!, slopeLow: -Infinity, slopeHigh: Infinity };
  const m = Math.min(n, MAX_SLOPE_POINTS);
  // Copy the (thinned) points once: the O(m²) loop below then runs on plain typed arrays.
  for (let k = 0; k < m; k++) {
    const i = window.start + (m === n ? k : Math.round((k * (n - 1)) / (m - 1)));
    scratchT[k] = (window.t[i]! - referenceT) / 1000;
    scratchV[k] = window.v[i]!;
  }
  let pairs = 0;
  for (let a = 0; a < m; a++) {
    const ta = scratchT[a]!;
    const va = scratchV[a]!;
    for (let b = a + 1; b < m; b++) {
      const dt = scratchT[b]! - ta;
      if (dt > 0) scratchValues[pairs++] = (scratchV[b]! - va) / dt;
    }
  }
  const slope = pairs > 0 ? medianInPlace(scratchValues, pairs) : 0;
  let slopeLow = -Infinity;
  let slopeHigh = Infinity;
  if (withInterval && pairs > 0) {
    // Sen (1968): with Kendall's variance n(n−1)(2n+5)/18, the slopes of rank (N ∓ C)/2 bound the
    // slope. Distribution-free, so it holds for light-tailed noise where a median is inefficient.
    const spread = z * Math.sqrt((m * (m - 1) * (2 * m + 5)) / 18);
    const lowRank = Math.floor((pairs - spread) / 2);
    const highRank = Math.ceil((pairs + spread) / 2);
    if (lowRank >= 0) slopeLow = select(scratchValues, pairs, lowRank);
    if (highRank < pairs) slopeHigh = select(scratchValues, pairs, highRank);
  }
  for (let k = 0; k < m; k++) scratchValues[k] = scratchV[k]! - slope * scratchT[k]!;
  return { slopePerSecond: slope, levelAtReference: medianInPlace(scratchValues, m), slopeLow, slopeHigh };
}

/**
 * Per-sample noise (a standard deviation), from the median absolute deviation of successive
 * differences: a steady ramp shifts every difference equally and so does not count as noise.
 */
export function robustNoise(window: SeriesWindow): number {
  const n = windowLength(window) - 1;
  if (n < 2) return 0;
  const buffer = scratchFor(n);
  for (let i = 0; i < n; i++) buffer[i] = window.v[window.start + i + 1]! - window.v[window.start + i]!;
  const center = medianInPlace(buffer, n);
  for (let i = 0; i < n; i++) buffer[i] = Math.abs(window.v[window.start + i + 1]! - window.v[window.start + i]! - center);
  return (medianInPlace(buffer, n) * 1.4826) / Math.SQRT2;
}

/** Seconds until `level`, moving at `slopePerSecond`, reaches `threshold`: 0 if there, null if never. */
export function forecastSecondsToThreshold(level: number, slopePerSecond: number, threshold: number): number | null {
  if (level >= threshold) return 0;
  if (!(slopePerSecond > 0)) return null;
  return (threshold - level) / slopePerSecond;
}

/**
 * The recent window (seconds) the forecast must agree with, and the z of that check (one-sided,
 * about 97.7 %): the climb the 60 s / 180 s slopes describe must not be contradicted by the last
 * 15 s. After a climb stops, the long slopes keep forecasting it for up to a minute; these samples
 * show it stopped within about 15 s.
 */
export const RECENT_WINDOW_MS = 15_000;
const RECENT_Z = 2;
/**
 * The fast-ramp window, ms: a climb must have risen through all of it (five successive medians
 * of 3 samples in order, about 14 s at 1 Hz) and be significant (z = 3) over it. Shorter rises
 * — the 5–9 s bursts of mixed-workload that stop under the line — are left to the rules that
 * wait for the line to be crossed.
 */
export const RAMP_WINDOW_MS = 15_000;
const RAMP_MEDIANS = 5;

/** How the newest movement of a series reads. */
export type ChangeKind = 'warming-up' | 'steady' | 'spike' | 'sustained-rise' | 'sustained-fall';

/** Windows and thresholds for `analyzeSeriesTrend`. Times in ms. */
export interface TrendOptions {
  levelWindowMs: number;
  shortWindowMs: number;
  longWindowMs: number;
  /** Slopes use only points at or after this time (start, or the last upward jump). */
  trendFromT: number;
  /** History after `trendFromT` needed before the slope may drive a decision. */
  warmupMs: number;
  /** Value to forecast reaching, in the series' units. */
  threshold: number;
  /** Smallest jump that counts as a step, in the series' units (also ≥ 4× the noise). */
  stepMin: number;
  /** The long slope must be at least this fraction of the short one (same sign). Default 0.5. */
  agreement?: number;
}

/** Everything the scaler and the UI need about one series, in the series' units. */
export interface SeriesTrend {
  latest: number;
  /** Median over the level window: the smoothed level. */
  level: number;
  /** Theil–Sen line over the short window, evaluated now: the level the forecast starts from. */
  fittedLevel: number;
  slopePerSecond: number;
  longSlopePerSecond: number;
  /** Per-sample noise (standard deviation). */
  noise: number;
  /** Newest value minus the median of the level window before it. */
  jump: number;
  /** Jump size that counts as a step here: max(stepMin, 4 × noise). */
  stepThreshold: number;
  /** Forecast seconds to `threshold` from the fitted level and short slope; null = not rising. */
  secondsToThreshold: number | null;
  /** True when the slope is significant, warmed up and agrees with the long slope. */
  reliable: boolean;
  /** True when the short slope alone is significantly positive (a climb, whatever its history). */
  rising: boolean;
  change: ChangeKind;
  /** Seconds of history behind the slopes. */
  historySeconds: number;
  /** Theil–Sen slope of the last RECENT_WINDOW_MS; its upper bound (z = 2) decides `agreesWithRecent`. */
  recentSlopePerSecond: number;
  recentSlopeHigh: number;
  /** False when the last 15 s significantly contradict the short slope (a climb that stopped). */
  agreesWithRecent: boolean;
  /**
   * A fast ramp: the last RAMP_WINDOW_MS rise significantly (z = 3), and three successive medians
   * of 3 samples over the last 6+ s rise in order. Null when there is none.
   */
  ramp: { slopePerSecond: number; fittedLevel: number; seconds: number } | null;
}

/** Analyses `series` as of `nowMs`. Cost: two Theil–Sen fits of ≤ 60 points and a few medians. */
export function analyzeSeriesTrend(series: TimeSeries, nowMs: number, options: TrendOptions): SeriesTrend {
  const latest = series.lastValue() ?? Number.NaN;
  const levelWindow = series.since(nowMs - options.levelWindowMs);
  const level = windowMedian(levelWindow);
  const before = series.since(nowMs - options.levelWindowMs, 1);
  const jump = windowLength(before) > 0 ? latest - windowMedian(before) : 0;

  const slopeFrom = Math.max(options.trendFromT, nowMs - options.shortWindowMs);
  const shortWindow = series.since(slopeFrom);
  const short = theilSen(shortWindow, nowMs);
  const long = theilSen(series.since(Math.max(options.trendFromT, nowMs - options.longWindowMs)), nowMs, false);
  const noise = robustNoise(series.since(nowMs - options.shortWindowMs));
  const stepThreshold = Math.max(options.stepMin, 4 * noise);

  // Significant: the slope's confidence interval excludes zero.
  const significant = short.slopeLow > 0 || short.slopeHigh < 0;
  const historySeconds = Math.max(0, (nowMs - Math.max(options.trendFromT, series.firstTime() ?? nowMs)) / 1000);
  const agreement = options.agreement ?? 0.5;
  const agrees =
    Math.sign(long.slopePerSecond) === Math.sign(short.slopePerSecond) && Math.abs(long.slopePerSecond) >= agreement * Math.abs(short.slopePerSecond);
  // The forecast must agree with the most recent samples: the short slope may not be significantly
  // steeper than what the last 15 s show (their upper bound must reach half of it).
  const recent = theilSen(series.since(Math.max(options.trendFromT, nowMs - RECENT_WINDOW_MS)), nowMs, true, RECENT_Z);
  const agreesWithRecent = !(short.slopePerSecond > 0) || recent.slopeHigh >= agreement * short.slopePerSecond;
  const reliable = significant && agrees && agreesWithRecent && historySeconds * 1000 >= options.warmupMs;
  const ramp = detectRamp(series, nowMs, Math.max(options.stepMin / 4, 4 * noise));
  const fittedLevel = Number.isFinite(short.levelAtReference) ? short.levelAtReference : level;
  // A reliable trend is forecast to the point where its noise envelope (2 sigma, at most 5 points)
  // starts touching the line: with noise, samples cross well before the mean does.
  const secondsToThreshold = reliable
    ? forecastSecondsToThreshold(fittedLevel, short.slopePerSecond, options.threshold - Math.min(0.05, 2 * noise))
    : forecastSecondsToThreshold(fittedLevel, 0, options.threshold);

  let change: ChangeKind = 'steady';
  const tolerance = Math.max(options.stepMin / 4, 3 * noise);
  const context = series.since(nowMs - options.longWindowMs);
  if (windowLength(context) < 3 || historySeconds * 1000 < options.levelWindowMs) change = 'warming-up';
  else if (Math.abs(latest - level) > Math.max(options.stepMin / 2, 4 * noise)) change = 'spike';
  else {
    const baseline = windowMedian(series.since(nowMs - options.longWindowMs));
    if (level - baseline > tolerance || (reliable && short.slopePerSecond > 0)) change = 'sustained-rise';
    else if (baseline - level > tolerance || (reliable && short.slopePerSecond < 0)) change = 'sustained-fall';
  }

  return {
    latest,
    level,
    fittedLevel,
    slopePerSecond: short.slopePerSecond,
    longSlopePerSecond: long.slopePerSecond,
    noise,
    jump,
    stepThreshold,
    secondsToThreshold: secondsToThreshold === null ? null : Math.max(0, secondsToThreshold),
    reliable,
    rising: significant && short.slopePerSecond > 0,
    change,
    historySeconds,
    recentSlopePerSecond: recent.slopePerSecond,
    recentSlopeHigh: recent.slopeHigh,
    agreesWithRecent,
    ramp,
  };
}

/** Median of three numbers. */
const median3 = (a: number, b: number, c: number): number => Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));

/**
 * A fast ramp over the last RAMP_WINDOW_MS: a significant slope (z = 3) whose rise over the window
 * is at least `minRise` (4× the noise: not a wobble of noise), confirmed by consecutive samples —
 * five successive medians of 3 samples each rising by at least half of what the slope predicts,
 * so that the climb fills the whole window (a 5–9 s burst does not) and one noisy sample can
 * neither make nor break it. Null otherwise.
 */
function detectRamp(series: TimeSeries, nowMs: number, minRise: number): SeriesTrend['ramp'] {
  const window = series.since(nowMs - RAMP_WINDOW_MS);
  const n = windowLength(window);
  if (n < 3 * RAMP_MEDIANS) return null;
  const line = theilSen(window, nowMs, true, SLOPE_Z);
  const seconds = (nowMs - window.t[window.start]!) / 1000;
  if (!(line.slopeLow > 0) || line.slopePerSecond * seconds < minRise) return null;
  const v = window.v;
  const t = window.t;
  const e = window.end;
  let previous = Infinity;
  let previousT = 0;
  for (let k = 0; k < RAMP_MEDIANS; k++) {
    const m = median3(v[e - 1 - 3 * k]!, v[e - 2 - 3 * k]!, v[e - 3 - 3 * k]!);
    const mt = t[e - 2 - 3 * k]!;
    if (k > 0 && !(previous - m >= (0.5 * line.slopePerSecond * (previousT - mt)) / 1000)) return null;
    previous = m;
    previousT = mt;
  }
  return { slopePerSecond: line.slopePerSecond, fittedLevel: line.levelAtReference, seconds };
}
