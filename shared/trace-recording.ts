/**
 * Recording a scaler trace (Settings → "Record a trace"): what the engine and main say about a
 * recording. The file is in the format `npm run simulate` reads (docs/trace-format.md) and holds
 * resource samples, settings, ladder sizes and decisions only — never conversation text.
 */
import { z } from 'zod';

/** Default size limit of a recording, bytes (4 MiB: about six hours of 1 s samples). */
export const DEFAULT_TRACE_MAX_BYTES = 4 * 2 ** 20;

/** Why a recording ended. */
export const traceStopReasonSchema = z.enum(['user', 'size-limit', 'reconfigured', 'shutdown', 'failed']);
export type TraceStopReason = z.infer<typeof traceStopReasonSchema>;

/** A recording's state. */
export const traceStatusSchema = z.object({
  recording: z.boolean(),
  /** The file the recording goes to (written when it stops); null before the first recording. */
  path: z.string().max(4096).nullable(),
  /** Size of the trace so far, bytes; after a stop, of the trace written. */
  bytes: z.number().nonnegative(),
  /** The size limit, bytes: the recording stops there, with a note in the file. */
  maxBytes: z.number().positive(),
  /** Samples in the trace so far; after a stop, in the trace written (not the pre-roll kept since). */
  samples: z.number().int().nonnegative(),
  /** The scaler's decisions in the trace so far; after a stop, in the trace written. */
  decisions: z.number().int().nonnegative(),
  /** Why the last recording ended; null while recording or before the first. */
  stopReason: traceStopReasonSchema.nullable(),
  /** A sentence for the user when the recording stopped on its own or with a caveat; else null. */
  note: z.string().max(2000).nullable(),
});
export type TraceStatus = z.infer<typeof traceStatusSchema>;

/** `trace:start` on the engine protocol: where to write, and the size limit. */
export const traceStartParamsSchema = z.object({
  path: z.string().min(1).max(4096),
  /** Size limit, bytes, from 64 KiB to 64 MiB. Default DEFAULT_TRACE_MAX_BYTES. */
  maxBytes: z
    .number()
    .int()
    .min(64 * 1024)
    .max(64 * 2 ** 20)
    .default(DEFAULT_TRACE_MAX_BYTES),
});
