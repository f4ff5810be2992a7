/**
 * What an OpenAI-compatible server answers (llama.cpp's llama-server, vLLM, Ollama, LM Studio),
 * parsed at the engine's network edge. Only the fields Mai reads; everything else passes. The
 * shapes follow OpenAI's chat-completions streaming format and llama-server's documented extras
 * (`/health`, `/props`, the `timings` object of its last chunk).
 */
import { z } from 'zod';

/** A remote engine as the user configures it. */
export const remoteEngineSchema = z.object({
  /** The server's base URL, without `/v1` (e.g. `http://192.168.1.20:8080`). */
  baseUrl: z.string().url().max(2000),
  /** Sent as `Authorization: Bearer …` to that origin only; never logged. */
  apiKey: z.string().max(4096).optional(),
});
export type RemoteEngine = z.infer<typeof remoteEngineSchema>;

/** `GET /v1/models`. */
export const remoteModelsSchema = z.object({
  data: z.array(z.object({ id: z.string().min(1).max(1000) }).passthrough()).max(10_000),
});

/** `GET /props` (llama-server): the context size and the number of parallel slots. */
export const remotePropsSchema = z
  .object({
    default_generation_settings: z.object({ n_ctx: z.number().int().positive().optional() }).passthrough().optional(),
    total_slots: z.number().int().nonnegative().optional(),
  })
  .passthrough();

/** llama-server's figures for one reply, on its last chunk. */
export const remoteTimingsSchema = z
  .object({
    prompt_n: z.number().optional(),
    prompt_ms: z.number().optional(),
    predicted_n: z.number().optional(),
    predicted_ms: z.number().optional(),
    predicted_per_second: z.number().optional(),
  })
  .passthrough();
export type RemoteTimings = z.infer<typeof remoteTimingsSchema>;

/** One `data:` event of a streamed `/v1/chat/completions`. */
export const chatChunkSchema = z
  .object({
    choices: z
      .array(
        z
          .object({
            delta: z.object({ content: z.string().nullish() }).passthrough().nullish(),
            finish_reason: z.string().nullish(),
          })
          .passthrough(),
      )
      .max(16),
    usage: z.object({ prompt_tokens: z.number().optional(), completion_tokens: z.number().optional() }).passthrough().nullish(),
    timings: remoteTimingsSchema.nullish(),
  })
  .passthrough();
export type ChatChunk = z.infer<typeof chatChunkSchema>;

/** The figures measured for one remote rung (the panel shows them beside the local ones). */
export const remoteFiguresSchema = z.object({
  /** Replies finished. */
  replies: z.number().int().nonnegative(),
  /** Replies or probes that failed. */
  failures: z.number().int().nonnegative(),
  /** Median time to first token of the recent replies, ms; null before the first. */
  ttftMs: z.number().nonnegative().nullable(),
  /** Median tokens per second of the recent replies; null before the first. */
  tokensPerSecond: z.number().nonnegative().nullable(),
  /** Round trip of the last health probe, ms; null before the first. */
  rttMs: z.number().nonnegative().nullable(),
  /** The last failure's sentence, if any. */
  lastError: z.string().nullable(),
});
export type RemoteFigures = z.infer<typeof remoteFiguresSchema>;
