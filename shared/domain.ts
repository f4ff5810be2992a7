/** Domain types every process agrees on, as zod schemas with their inferred types. */
import { z } from 'zod';
import { modelProvenanceSchema } from './hub';

/** Longest user message accepted, in characters; longer ones are refused with a sentence. */
export const MAX_MESSAGE_CHARS = 100_000;

export const roleSchema = z.enum(['system', 'user', 'assistant']);
export type Role = z.infer<typeof roleSchema>;

/** One turn as the engine needs it to rebuild a conversation. */
export const chatTurnSchema = z.object({
  role: roleSchema,
  text: z.string().max(4 * MAX_MESSAGE_CHARS),
});
export type ChatTurn = z.infer<typeof chatTurnSchema>;

/** Measured figures of one reply. */
export const generationStatsSchema = z.object({
  /** Tokens generated. */
  tokens: z.number().int().nonnegative(),
  /** Milliseconds from the request to the first token. */
  ttftMs: z.number().nonnegative(),
  /** Generated tokens per second, measured from the first token to the last. */
  tokensPerSecond: z.number().nonnegative(),
  /** Milliseconds from the request to the end of the reply. */
  durationMs: z.number().nonnegative(),
});
export type GenerationStats = z.infer<typeof generationStatsSchema>;

/** Why a reply ended. `abort` means the user stopped it; the partial text is kept. */
export const stopReasonSchema = z.enum(['abort', 'maxTokens', 'eogToken', 'stopGenerationTrigger', 'customStopTrigger', 'functionCalls']);
export type StopReason = z.infer<typeof stopReasonSchema>;

export const messageStatusSchema = z.enum(['streaming', 'done', 'stopped', 'interrupted', 'error']);
export type MessageStatus = z.infer<typeof messageStatusSchema>;

export const chatMessageSchema = z.object({
  id: z.string().max(100),
  role: roleSchema,
  text: z.string(),
  createdAt: z.number(),
  status: messageStatusSchema,
  /** The model that wrote an assistant message. */
  model: z.string().optional(),
  stats: generationStatsSchema.optional(),
  /** Why an assistant message ended in `error` or `interrupted`. */
  error: z.string().optional(),
  /** A remark shown beside a reply: it ran at reduced cost, lost old turns, or is a retry. */
  note: z.string().optional(),
});
export type ChatMessage = z.infer<typeof chatMessageSchema>;

export const conversationSchema = z.object({
  id: z.string().max(100),
  title: z.string().max(500),
  systemPrompt: z.string().max(20_000),
  messages: z.array(chatMessageSchema),
  createdAt: z.number(),
  updatedAt: z.number(),
});
export type Conversation = z.infer<typeof conversationSchema>;

/** A model file Mai can offer. */
export const modelEntrySchema = z.object({
  path: z.string(),
  fileName: z.string(),
  sizeBytes: z.number().nonnegative(),
  /** True for the generated demo models, whose text is gibberish. */
  synthetic: z.boolean(),
  /** Where Mai found it: its models folder, a file the user opened, or another app's folder. */
  source: z.enum(['folder', 'imported', 'lmstudio', 'jan']).default('folder'),
  /** When Mai last loaded it, ms since 1970. */
  lastUsedAt: z.number().optional(),
  /** For a model downloaded from the Hub: the repository, commit and SHA-256 it was verified against. */
  provenance: modelProvenanceSchema.optional(),
});
export type ModelEntry = z.infer<typeof modelEntrySchema>;

/** The model loaded in the engine and how it runs. */
export const loadedModelSchema = z.object({
  path: z.string(),
  name: z.string(),
  sizeBytes: z.number().nonnegative(),
  synthetic: z.boolean(),
  contextSize: z.number().int().positive(),
  threads: z.number().int().nonnegative(),
  gpu: z.union([z.literal(false), z.string()]),
  gpuLayers: z.number().int().nonnegative(),
  loadMs: z.number().nonnegative(),
});
export type LoadedModel = z.infer<typeof loadedModelSchema>;

/** What the engine supervisor knows about the engine process. */
export const engineStateSchema = z.enum(['starting', 'ready', 'loading', 'generating', 'restarting', 'stopped', 'failed']);
export type EngineState = z.infer<typeof engineStateSchema>;

export const engineStatusSchema = z.object({
  state: engineStateSchema,
  pid: z.number().int().optional(),
  restarts: z.number().int().nonnegative(),
  /** The last way the engine went away, if it did. */
  lastExit: z.object({ kind: z.enum(['exit', 'crash', 'hang']), detail: z.string(), at: z.number() }).optional(),
  detail: z.string().optional(),
});
export type EngineStatus = z.infer<typeof engineStatusSchema>;

export const logLevelSchema = z.enum(['debug', 'info', 'warn', 'error']);
export type LogLevel = z.infer<typeof logLevelSchema>;

/** A conversation as the list shows it. */
export const conversationSummarySchema = z.object({
  id: z.string(),
  title: z.string(),
  updatedAt: z.number(),
  messageCount: z.number().int().nonnegative(),
  /** The start of the last message. */
  preview: z.string(),
});
export type ConversationSummaryData = z.infer<typeof conversationSummarySchema>;

/** A search result: the conversation and where the query matched. */
export const conversationSearchHitSchema = conversationSummarySchema.extend({
  matchedIn: z.enum(['title', 'message']),
  messageId: z.string().optional(),
  snippet: z.string(),
  highlight: z.object({ start: z.number().int(), length: z.number().int() }),
});
export type ConversationSearchHitData = z.infer<typeof conversationSearchHitSchema>;

/** An optimisation Mai suggests from what it measured; `action` when Mai can do it itself. */
export const suggestionSchema = z.object({
  id: z.string(),
  kind: z.enum(['memory-hogs', 'threads', 'context', 'gpu-offload', 'battery', 'idle-model']),
  title: z.string(),
  /** The sentence with the figure behind it. */
  detail: z.string(),
  action: z.object({ label: z.string() }).optional(),
});
export type Suggestion = z.infer<typeof suggestionSchema>;
