/**
 * The engine protocol: what main may ask the engine process and what the engine reports back.
 * Both sides parse every message against these schemas (see rpc.ts).
 */
import { z } from 'zod';
import { chatTurnSchema, generationStatsSchema, loadedModelSchema, logLevelSchema, stopReasonSchema } from './domain';
import {
  capabilityChangeSchema,
  decisionSchema,
  ladderRungSchema,
  managerSettingsSchema,
  preflightSchema,
  resourceSnapshotSchema,
  tierSchema,
} from './resource';
import { remoteConfigSchema, remoteEngineSchema, remoteProbeResultSchema, remoteStatusSchema } from './remote';
import type { Contract } from './rpc';
import { traceStartParamsSchema, traceStatusSchema } from './trace-recording';

const requestId = z.string().min(1).max(100);

/** A model Mai may use, as main lists it. */
export const ladderInputSchema = z.object({
  path: z.string().min(1).max(4096),
  sizeBytes: z.number().nonnegative(),
  synthetic: z.boolean(),
  /** Context size in tokens for this model, replacing the settings' `contextSize`; default: the settings'. */
  contextSize: z
    .number()
    .int()
    .min(256)
    .max(1 << 20)
    .optional(),
});
const ladderInput = z.array(ladderInputSchema).max(1000);

/** `manager:configure`: the models, the one to start on, and the settings. */
export const configureParamsSchema = z.object({
  models: ladderInput,
  /** The model to start on (the user's choice or the last one used); null lets Mai choose. */
  preferredPath: z.string().max(4096).nullable(),
  /** Models that crashed the engine: never loaded automatically. */
  avoidPaths: z.array(z.string().max(4096)).max(1000).default([]),
  settings: managerSettingsSchema,
  /** Folder for per-machine measurements (memory corrections); null keeps nothing. */
  dataDir: z.string().max(4096).nullable(),
  /** Remote servers (with their keys) whose chosen models become rungs, and where they go; default: none, local only. */
  remote: remoteConfigSchema.prefault({}),
});

/** `chat:generate`: a reply to the last user turn of `history`. */
export const generateParamsSchema = z.object({
  requestId,
  /** The whole conversation, oldest first, ending with the user turn to answer. */
  history: z.array(chatTurnSchema).min(1).max(10_000),
  /** Upper bound on generated tokens. */
  maxTokens: z
    .number()
    .int()
    .min(1)
    .max(1 << 20)
    .default(512),
  temperature: z.number().min(0).max(5).optional(),
  seed: z.number().int().nonnegative().optional(),
});

/** The finished (or stopped) reply. */
export const generateResultSchema = z.object({
  requestId,
  text: z.string(),
  stopReason: stopReasonSchema,
  stats: generationStatsSchema,
  model: z.string(),
  note: z.string().optional(),
});

export const engineContract = {
  methods: {
    /** Liveness and load: answered at once even while generating (inference runs off the JS thread). */
    'engine:ping': {
      params: z.object({}),
      result: z.object({ busy: z.boolean(), rssBytes: z.number().nonnegative(), uptimeMs: z.number().nonnegative() }),
    },
    /**
     * Builds the model ladder from the given files, starts the resource monitor and the scaler, and
     * loads the first model (the preferred one, else the largest that fits).
     */
    'manager:configure': {
      params: configureParamsSchema,
      result: z.object({ model: loadedModelSchema.nullable(), ladder: z.array(ladderRungSchema), tier: tierSchema }),
    },
    /** "Test connection" for a remote server: `/health`, `/v1/models` and `/props`, read from this process. */
    'remote:probe': { params: remoteEngineSchema, result: remoteProbeResultSchema },
    /** The user picked a model: load it now and rebuild the ladder around it. */
    'manager:select': { params: z.object({ path: z.string().min(1).max(4096), models: ladderInput }), result: loadedModelSchema },
    /** Pauses or resumes automatic scaling (emergencies still act). */
    'manager:pause': { params: z.object({ paused: z.boolean() }), result: z.object({ paused: z.boolean() }) },
    /**
     * Adds load on top of what the machine reports. Refused unless the engine runs with
     * MAI_TEST_HOOKS=1: end-to-end tests drive pressure through the real stack with it.
     */
    'resource:overlay': {
      params: z.object({
        extraOtherMemBytes: z
          .number()
          .min(0)
          .max(2 ** 50)
          .optional(),
        /** Replaces the memory other programs use; may be set before `manager:configure`. */
        otherMemBytes: z
          .number()
          .min(0)
          .max(2 ** 50)
          .optional(),
        cpuOtherLoad: z.number().min(0).max(1).optional(),
      }),
      result: z.object({}),
    },
    /** Validates a GGUF file's header (bounded by its real size) and says what it holds. */
    'model:inspect': {
      params: z.object({ path: z.string().min(1).max(4096) }),
      result: z.object({
        sizeBytes: z.number(),
        name: z.string().nullable(),
        architecture: z.string().nullable(),
        contextLength: z.number().nullable(),
        synthetic: z.boolean(),
      }),
    },
    /** Loads a GGUF file directly, outside the ladder (tests and benchmarks). */
    'model:load': {
      params: z.object({
        path: z.string().min(1).max(4096),
        /** Context size in tokens; default 4096 or the model's training context, whichever is smaller. */
        contextSize: z
          .number()
          .int()
          .min(256)
          .max(1 << 20)
          .optional(),
        /** CPU threads; default chosen from free cores. */
        threads: z.number().int().min(1).max(1024).optional(),
      }),
      result: loadedModelSchema,
    },
    'model:unload': { params: z.object({}), result: z.object({ unloaded: z.boolean() }) },
    /** Generates a reply to the last user turn of `history`; tokens arrive as `chat:token` events. */
    'chat:generate': { params: generateParamsSchema, result: generateResultSchema },
    /** Stops a reply; the partial text is the result of its `chat:generate`. */
    'chat:stop': { params: z.object({ requestId }), result: z.object({ stopped: z.boolean() }) },
    /** The prompt text the model saw on the last reply (for tests and diagnostics). */
    'chat:last-prompt': { params: z.object({}), result: z.object({ text: z.string().nullable() }) },
    /**
     * Starts recording a scaler trace into `path` (written when it stops): the current
     * configuration's life so far, then what follows. Refused before the first model is loaded.
     */
    'trace:start': { params: traceStartParamsSchema, result: traceStatusSchema },
    /** Stops the recording and writes its file. */
    'trace:stop': { params: z.object({}), result: traceStatusSchema },
    'trace:status': { params: z.object({}), result: traceStatusSchema },
  },
  events: {
    /** A small piece of reply text. */
    'chat:token': z.object({ requestId, text: z.string() }),
    'scaler:sample': resourceSnapshotSchema,
    'scaler:decision': decisionSchema,
    'chat:preflight': preflightSchema,
    /**
     * The engine starts loading `path` (`done: false`) and has finished or given up (`done: true`).
     * Sent before every load, whoever asked for it (main, the scaler, a fallback), so that main blames
     * the right file when the engine dies while loading.
     */
    'model:loading': z.object({ path: z.string().max(4096), done: z.boolean() }),
    /** The model in memory changed (a switch, a user choice, a fallback). */
    'model:changed': z.object({ model: loadedModelSchema, previous: z.string().nullable(), reason: z.string() }),
    'model:capability': capabilityChangeSchema,
    /** The remote servers' health or figures changed (at most once per health check or reply). */
    'remote:status': z.array(remoteStatusSchema),
    'engine:notice': z.object({ level: z.enum(['info', 'warn', 'error']), message: z.string().max(10_000) }),
    /** A recording stopped on its own (size limit, new configuration): its file is written. */
    'trace:status': traceStatusSchema,
    /** A log line forwarded to main's log. */
    'engine:log': z.object({ level: logLevelSchema, message: z.string().max(20_000) }),
  },
} satisfies Contract;

export type EngineContract = typeof engineContract;

/** The empty contract, for a side that serves nothing. */
export const emptyContract = { methods: {}, events: {} } satisfies Contract;
export type EmptyContract = typeof emptyContract;
