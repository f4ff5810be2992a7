/** Words and figures of the models page; pure, so they can be unit-tested in node. */
import type { CatalogItem, DownloadData } from '../../../shared/catalog';
import type { ModelEntry } from '../../../shared/domain';
import { formatAgo, formatBytes, formatCountdown } from '../../lib/format';

/** The fit badge's short label. */
export function fitLabel(kind: CatalogItem['fit']['kind']): string {
  switch (kind) {
    case 'gpu':
      return 'Full GPU';
    case 'partial':
      return 'Partly on GPU';
    case 'cpu':
      return 'Fits on CPU';
    case 'no':
      return 'Does not fit';
    case 'unknown':
      return 'Measuring…';
    default:
      return kind satisfies never;
  }
}

/** "32k tokens" for a context length. */
export function contextText(tokens: number): string {
  return tokens >= 1024 ? `${Math.round(tokens / 1024)}k tokens` : `${tokens} tokens`;
}

/** A catalog size, marked "≈" while it is a rounded public figure. */
export function catalogSize(item: Pick<CatalogItem, 'sizeBytes' | 'sizeIsApproximate'>): string {
  return `${item.sizeIsApproximate ? '≈ ' : ''}${formatBytes(item.sizeBytes)}`;
}

/** States in which a download still has work to do. */
export const ACTIVE_DOWNLOAD_STATES: readonly DownloadData['state'][] = ['queued', 'downloading', 'paused', 'verifying'];

const STATE_WORDS: Record<DownloadData['state'], string> = {
  queued: 'Waiting',
  downloading: 'Downloading',
  paused: 'Paused',
  verifying: 'Checking SHA-256',
  done: 'Verified and installed',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

export function downloadStateText(state: DownloadData['state']): string {
  return STATE_WORDS[state];
}

/** "12 MiB of 30 MiB · 2 MiB/s · 0:09 left" (only the parts that are known). */
export function downloadFigures(d: DownloadData): string {
  const parts = [d.totalBytes !== null ? `${formatBytes(d.receivedBytes)} of ${formatBytes(d.totalBytes)}` : formatBytes(d.receivedBytes)];
  if (d.state === 'downloading') {
    if (d.bytesPerSecond !== null) parts.push(`${formatBytes(d.bytesPerSecond)}/s`);
    if (d.secondsLeft !== null) parts.push(`${formatCountdown(d.secondsLeft)} left`);
  }
  return parts.join(' · ');
}

/** Where an installed model came from, in words. */
export function sourceText(source: ModelEntry['source']): string {
  switch (source) {
    case 'folder':
      return 'Mai’s models folder';
    case 'imported':
      return 'Imported (stays where it is)';
    case 'lmstudio':
      return 'LM Studio’s folder';
    case 'jan':
      return 'Jan’s folder';
    default:
      return source satisfies never;
  }
}

/** The delete button's verb: files in Mai's folder are deleted, imported ones forgotten, others' kept. */
export function removeVerb(source: ModelEntry['source']): 'Delete' | 'Forget' | null {
  if (source === 'folder') return 'Delete';
  if (source === 'imported') return 'Forget';
  return null;
}

/** "1.2M", "34.5k", "812": a count as the Hub's pages show it. */
export function compactCount(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(n >= 1e7 ? 0 : 1)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(n >= 1e4 ? 0 : 1)}k`;
  return String(Math.round(n));
}

/** "Updated 2025-04-30" (or "Updated 3 h ago") from the Hub's ISO date; null when it gave none or an unreadable one. */
export function updatedText(iso: string | null, now: number = Date.now()): string | null {
  if (!iso) return null;
  const at = Date.parse(iso);
  return Number.isFinite(at) ? `Updated ${formatAgo(at, now)}` : null;
}

/** The first characters of a commit or hash, enough to recognise it. */
export function shortHash(hash: string, length: number): string {
  return hash.length > length ? hash.slice(0, length) : hash;
}

/** A repository's files grouped by quantization, in the order they come (smallest first). */
export function groupByQuantization<T extends { quantization: string | null }>(files: readonly T[]): { quantization: string; files: T[] }[] {
  const groups = new Map<string, T[]>();
  for (const file of files) {
    const key = file.quantization ?? 'Other';
    groups.set(key, [...(groups.get(key) ?? []), file]);
  }
  return [...groups].map(([quantization, list]) => ({ quantization, files: list }));
}
