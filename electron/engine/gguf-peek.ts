import { stat } from 'node:fs/promises';
import { validateGguf, type GgufSummary } from './models/gguf-validate';

/**
 * Files already checked, by path, with the identity (size, mtime, inode) they had then. A file
 * that changes on disk is checked again; an unchanged one is not re-read on every ladder rebuild,
 * footprint estimate and load (a real model's header holds a vocabulary of MBs).
 */
const checked = new Map<string, { identity: string; summary: GgufSummary }>();
/** Bounds the cache: a folder of thousands of files must not keep every summary alive. */
const MAX_CACHED = 1000;

async function identityOf(path: string): Promise<string | null> {
  const info = await stat(path).catch(() => null);
  return info ? `${info.size}|${info.mtimeMs}|${info.ino}` : null;
}

/**
 * The check before a file reaches node-llama-cpp: the whole GGUF header is read with every count
 * bounded by the file's size (a malformed header can make node-llama-cpp's own reader allocate
 * until the process dies). Every path into node-llama-cpp (load, footprint estimate, chat-format
 * preparation) calls this first. Throws a MaiError naming the file and the problem.
 */
export async function checkGguf(path: string): Promise<GgufSummary> {
  const identity = await identityOf(path);
  const known = checked.get(path);
  if (identity && known?.identity === identity) return known.summary;
  const summary = await validateGguf(path);
  // Stat again: a file replaced while it was being read is not vouched for.
  if (identity && identity === (await identityOf(path))) {
    if (checked.size >= MAX_CACHED) checked.delete(checked.keys().next().value as string);
    checked.set(path, { identity, summary });
  }
  return summary;
}

/** `checkGguf`, returning only the file size in bytes. */
export async function assertLooksLikeGguf(path: string): Promise<number> {
  return (await checkGguf(path)).fileSize;
}
