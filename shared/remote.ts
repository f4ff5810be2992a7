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

/**
 * Where remote rungs go on the ladder. `local-only` (the default) sends nothing anywhere;
 * `local-first` moves up to a healthy remote rung instead of down to a much smaller local model
 * when local memory is short; `remote-first` starts on the remote rung and keeps the local ones
 * as the fallback.
 */
export const remotePolicySchema = z.enum(['local-only', 'local-first', 'remote-first']);
export type RemotePolicy = z.infer<typeof remotePolicySchema>;

/** A model on a server that the user chose as a rung (its id as `/v1/models` lists it). */
const remoteModelId = z.string().min(1).max(1000);

/** A remote engine as settings.json keeps it: the address and the models chosen as rungs; the API key is kept apart (encrypted). */
export const remoteEngineSettingSchema = z.object({
  baseUrl: z.string().url().max(2000),
  models: z.array(remoteModelId).max(100).default([]),
});
export type RemoteEngineSetting = z.infer<typeof remoteEngineSettingSchema>;

/** What main tells the engine (`remote:configure`): the servers with their keys, and the policy. */
export const remoteConfigSchema = z.object({
  policy: remotePolicySchema.default('local-only'),
  engines: z
    .array(remoteEngineSchema.extend({ models: z.array(remoteModelId).max(100) }))
    .max(16)
    .default([]),
});
export type RemoteConfig = z.infer<typeof remoteConfigSchema>;

/** A "Test connection" answer: what the server said, and a warning when the address is plain http beyond this machine. */
export const remoteProbeResultSchema = z.object({
  /** `host:port`, as Mai names the server to the user. */
  host: z.string(),
  /** Model ids the server lists. */
  models: z.array(remoteModelId).max(10_000),
  /** Context size per slot, tokens, when the server says (llama-server's `/props`). */
  contextSize: z.number().int().positive().nullable(),
  /** Parallel slots, when the server says. */
  slots: z.number().int().nonnegative().nullable(),
  /** Round trip of the `/v1/models` request, ms. */
  rttMs: z.number().nonnegative(),
  /** Set for `http://` to a host that is not loopback: the conversation would cross the network unencrypted. */
  warning: z.string().nullable(),
});
export type RemoteProbeResult = z.infer<typeof remoteProbeResultSchema>;

/** One remote server's state for the panel and Settings: health and the figures of each of its rungs. */
export const remoteStatusSchema = z.object({
  host: z.string(),
  baseUrl: z.string(),
  /** `healthy` answered the last check; `unreachable` failed it (the rungs are skipped until it passes again for the stabilization period). */
  health: z.enum(['unknown', 'healthy', 'unreachable']),
  /** When the health was last checked, ms since 1970; null before the first check. */
  checkedAt: z.number().nullable(),
  /** The last failure's sentence, if any. */
  lastError: z.string().nullable(),
  /** Figures per model id. */
  models: z.record(remoteModelId, remoteFiguresSchema),
});
export type RemoteStatus = z.infer<typeof remoteStatusSchema>;

/** A saved remote engine as Settings shows it (never the key). */
export const remoteEngineViewSchema = z.object({
  baseUrl: z.string(),
  host: z.string(),
  models: z.array(remoteModelId),
  /** An API key is saved for this server. */
  hasApiKey: z.boolean(),
  /** For a saved key: true when the OS encrypted it before it reached the disk (as for the Hub token); null without a key. */
  keyEncrypted: z.boolean().nullable(),
  /** Set for plain `http://` beyond this machine (see remoteProbeResultSchema). */
  warning: z.string().nullable(),
});
export type RemoteEngineView = z.infer<typeof remoteEngineViewSchema>;

/** Settings' remote section: the policy, the servers, and their health. */
export const remoteSettingsViewSchema = z.object({
  policy: remotePolicySchema,
  engines: z.array(remoteEngineViewSchema),
  statuses: z.array(remoteStatusSchema),
});
export type RemoteSettingsView = z.infer<typeof remoteSettingsViewSchema>;
