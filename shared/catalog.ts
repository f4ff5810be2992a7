/** Catalog entries with their fit on this machine, and downloads, as the models page shows them. */
import { z } from 'zod';

/**
 * Whether an entry fits this machine: fully on the GPU, partly, on the CPU, not at all, or
 * 'unknown' until the first resource sample (a second or so after the engine starts).
 */
export const fitSchema = z.object({ kind: z.enum(['gpu', 'partial', 'cpu', 'no', 'unknown']), detail: z.string() });

export const catalogItemSchema = z.object({
  id: z.string(),
  name: z.string(),
  repo: z.string(),
  file: z.string(),
  sizeBytes: z.number(),
  sizeIsApproximate: z.boolean(),
  quantization: z.string(),
  parameters: z.string(),
  contextLength: z.number(),
  licence: z.string(),
  /** Pinned to a revision and SHA-256: only pinned entries can be downloaded. */
  pinned: z.boolean(),
  installed: z.boolean(),
  recommended: z.boolean(),
  fit: fitSchema,
});
export type CatalogItem = z.infer<typeof catalogItemSchema>;

export const downloadInfoSchema = z.object({
  id: z.string(),
  fileName: z.string(),
  url: z.string(),
  state: z.enum(['queued', 'downloading', 'paused', 'verifying', 'done', 'failed', 'cancelled']),
  receivedBytes: z.number(),
  totalBytes: z.number().nullable(),
  bytesPerSecond: z.number().nullable(),
  secondsLeft: z.number().nullable(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
});
export type DownloadData = z.infer<typeof downloadInfoSchema>;
