/**
 * Expected failures travel as data: a stable code for programs and a sentence for people.
 * Unexpected ones are wrapped as `internal` by the boundary that catches them.
 */
import { z } from 'zod';

export const errorCodes = [
  'bad-request',
  'unknown-method',
  'timeout',
  'busy',
  'engine-unavailable',
  'engine-crashed',
  'model-not-found',
  'model-invalid',
  'model-load-failed',
  'no-model',
  'message-empty',
  'message-too-long',
  'prompt-too-long',
  'not-found',
  /** The network or a remote server (the Hugging Face Hub) could not be reached or failed for now. */
  'network',
  /** A remote server refused access (a gated model, a refused token). */
  'forbidden',
  'internal',
] as const;

export type ErrorCode = (typeof errorCodes)[number];

/** An error as it crosses a process boundary (Signal Desktop's `{name, message, stack}` plus a code). */
export const errorDataSchema = z.object({
  name: z.string().max(200),
  code: z.enum(errorCodes),
  message: z.string().max(10_000),
  stack: z.string().max(20_000).optional(),
});
export type ErrorData = z.infer<typeof errorDataSchema>;

/** An expected failure with a code and a human sentence. */
export class MaiError extends Error {
  override readonly name = 'MaiError';
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Cuts text to a schema limit: an answer over the limit would be refused and its caller would wait forever. */
const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** Turns anything thrown into error data (always within the schema's limits); unknown errors become `internal`. */
export function toErrorData(error: unknown, includeStack = false): ErrorData {
  if (error instanceof MaiError) {
    return { name: clip(error.name, 200), code: error.code, message: clip(error.message, 10_000) };
  }
  if (error instanceof Error) {
    return {
      name: clip(String(error.name), 200),
      code: 'internal',
      message: clip(error.message || 'An unexpected error occurred.', 10_000),
      ...(includeStack && error.stack ? { stack: error.stack.slice(0, 20_000) } : {}),
    };
  }
  return { name: 'Error', code: 'internal', message: clip(String(error), 10_000) };
}

/** Rebuilds a throwable error from error data received from another process. */
export function fromErrorData(data: ErrorData): MaiError {
  const error = new MaiError(data.code, data.message);
  if (data.stack) error.stack = data.stack;
  return error;
}

/** The outcome of a call across a boundary where throwing does not serialise well (Electron IPC). */
export type Result<T> = { ok: true; value: T } | { ok: false; error: ErrorData };
