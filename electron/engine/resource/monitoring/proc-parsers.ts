/**
 * Parsers for the Linux files the monitor reads every second. Pure functions over text, so they
 * are tested on fixtures and cost only a scan of a few hundred bytes each (reading
 * /proc/meminfo 0.4 ms, /proc/pressure/memory 0.2 ms — against 104 ms for systeminformation's
 * currentLoad, which samples for 100 ms; docs/scaling-policy.md, "Where the design comes from").
 */

/** Cumulative CPU time of all cores, in jiffies. */
export interface CpuTimes {
  busy: number;
  total: number;
}

/** The aggregate `cpu` line of /proc/stat. */
export function parseProcStat(text: string): CpuTimes | null {
  const line = text.slice(0, text.indexOf('\n') >>> 0);
  if (!line.startsWith('cpu ')) return null;
  const fields = line.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = fields;
  // guest and guest_nice are already counted in user and nice.
  const busy = user + nice + system + irq + softirq + steal;
  return { busy, total: busy + idle + iowait };
}

/** Fraction of CPU busy between two readings (0 when no time passed). */
export function cpuBusyFraction(previous: CpuTimes, current: CpuTimes): number {
  const total = current.total - previous.total;
  if (total <= 0) return 0;
  return Math.min(1, Math.max(0, (current.busy - previous.busy) / total));
}

/** The fields of /proc/meminfo the monitor uses, in bytes. */
export interface MemInfo {
  memTotalBytes: number;
  memAvailableBytes: number;
  swapTotalBytes: number;
  swapFreeBytes: number;
}

/** Reads `Key:   123 kB` lines of /proc/meminfo or /proc/self/status into a map of bytes. */
export function parseKiloByteFields(text: string, keys: readonly string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const key of keys) {
    // Only at the start of a line: `Cached:` must not match inside `SwapCached:`.
    const newline = text.indexOf(`\n${key}:`);
    const at = text.startsWith(`${key}:`) ? 0 : newline < 0 ? -1 : newline + 1;
    if (at < 0) continue;
    const match = /^\s*(\d+)\s*(kB)?/.exec(text.slice(at + key.length + 1, at + key.length + 40));
    if (match) out.set(key, Number(match[1]) * (match[2] ? 1024 : 1));
  }
  return out;
}

/** /proc/meminfo. MemAvailable (kernel ≥ 3.14) is the right basis for "used"; MemFree is not. */
export function parseMemInfo(text: string): MemInfo | null {
  const fields = parseKiloByteFields(text, ['MemTotal', 'MemAvailable', 'MemFree', 'Buffers', 'Cached', 'SwapTotal', 'SwapFree']);
  const total = fields.get('MemTotal');
  if (total === undefined) return null;
  // Kernels without MemAvailable: approximate it the way `free` used to.
  const available = fields.get('MemAvailable') ?? (fields.get('MemFree') ?? 0) + (fields.get('Buffers') ?? 0) + (fields.get('Cached') ?? 0);
  return { memTotalBytes: total, memAvailableBytes: available, swapTotalBytes: fields.get('SwapTotal') ?? 0, swapFreeBytes: fields.get('SwapFree') ?? 0 };
}

/** /proc/pressure/memory: avg10 of `some` and `full`, as fractions. Null when the file is absent or odd. */
export function parsePressure(text: string): { someAvg10: number; fullAvg10: number } | null {
  const some = /^some\s+avg10=([\d.]+)/m.exec(text);
  const full = /^full\s+avg10=([\d.]+)/m.exec(text);
  if (!some) return null;
  return { someAvg10: Number(some[1]) / 100, fullAvg10: full ? Number(full[1]) / 100 : 0 };
}

/** Pages swapped in since boot (`pswpin` of /proc/vmstat). */
export function parseSwapInPages(text: string): number | null {
  const match = /^pswpin\s+(\d+)/m.exec(text);
  return match ? Number(match[1]) : null;
}

/** The engine's own memory from /proc/self/status: anonymous RSS (what counts as used) and total RSS. */
export function parseSelfStatus(text: string): { rssAnonBytes: number; rssBytes: number } | null {
  const fields = parseKiloByteFields(text, ['VmRSS', 'RssAnon']);
  const rss = fields.get('VmRSS');
  if (rss === undefined) return null;
  return { rssAnonBytes: fields.get('RssAnon') ?? rss, rssBytes: rss };
}
