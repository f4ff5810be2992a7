/** Number and time formatting shared by the panels; pure, so it is unit-tested in node. */

const GiB = 2 ** 30;
const MiB = 2 ** 20;

/** "1.4 GiB", "512 MiB", "—" for missing values. */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return '—';
  if (Math.abs(bytes) >= GiB) return `${(bytes / GiB).toFixed(bytes >= 10 * GiB ? 0 : 1)} GiB`;
  if (Math.abs(bytes) >= MiB) return `${Math.round(bytes / MiB)} MiB`;
  if (Math.abs(bytes) >= 1024) return `${Math.round(bytes / 1024)} KiB`;
  return `${Math.round(bytes)} B`;
}

/** A fraction as a percentage: 0.8312 → "83.1 %"; `digits` decimals. */
export function formatPercent(fraction: number | null | undefined, digits = 1): string {
  if (fraction === null || fraction === undefined || !Number.isFinite(fraction)) return '—';
  return `${(fraction * 100).toFixed(digits)} %`;
}

/** Seconds as a countdown: 272 → "4:32", 3725 → "1:02:05". */
export function formatCountdown(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '—';
  const total = Math.max(0, Math.ceil(seconds));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const mm = h > 0 ? String(m).padStart(2, '0') : String(m);
  return `${h > 0 ? `${h}:` : ''}${mm}:${String(s).padStart(2, '0')}`;
}

/** Clock time of an epoch-milliseconds instant, "14:03:27". */
export function formatClock(ms: number): string {
  const d = new Date(ms);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

/** How long ago, for lists: "just now", "5 min ago", "3 h ago", else the date. */
export function formatAgo(ms: number, now: number = Date.now()): string {
  const seconds = Math.max(0, (now - ms) / 1000);
  if (seconds < 45) return 'just now';
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.round(seconds / 3600)} h ago`;
  const d = new Date(ms);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/** Tokens per second, "12.3 tok/s". */
export function formatRate(tokensPerSecond: number | null | undefined): string {
  if (tokensPerSecond === null || tokensPerSecond === undefined || !Number.isFinite(tokensPerSecond)) return '—';
  return `${tokensPerSecond.toFixed(tokensPerSecond >= 100 ? 0 : 1)} tok/s`;
}

/** Milliseconds, "420 ms" or "1.8 s". */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}

/** Metric keys whose values are fractions of a whole (memory in use, load, thresholds). */
const FRACTION_KEYS =
  /^(latest|level|threshold|jump|stepThreshold|rise|fittedLevel|memory|vram|cpu|projectedUp|projected|otherCpuLoad|degradeThreshold|upgradeThreshold|criticalThreshold|psiSomeAvg10|psiFullAvg10|fraction|memoryFraction|vramFraction)$/;

/**
 * One number of a scaler decision, in the unit its name implies: fractions as percentages, rates
 * of fractions as points per second, bytes in MiB/GiB, seconds with an "s".
 */
export function formatMetric(key: string, value: number | string | boolean | null): string {
  if (value === null) return '—';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'string') return value;
  if (!Number.isFinite(value)) return String(value);
  if (/bytes$/i.test(key) && !/persecond/i.test(key)) return formatBytes(value);
  if (/bytesPerSecond$/i.test(key)) return `${formatBytes(value)}/s`;
  if (FRACTION_KEYS.test(key)) return formatPercent(value);
  if (/^(slopePerSecond|longSlopePerSecond|risePerSecond)$/.test(key)) return `${(value * 100).toFixed(2)} pts/s`;
  if (/seconds$/i.test(key)) return `${Number(value.toFixed(1))} s`;
  if (/tokensPerSecond$/i.test(key)) return formatRate(value);
  return Number.isInteger(value) ? String(value) : String(Number(value.toFixed(3)));
}

/** "secondsToThreshold" → "seconds to threshold". */
export function humanizeKey(key: string): string {
  return key
    .replace(/Avg10$/, ' avg 10 s')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase();
}
