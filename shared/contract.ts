/**
 * The window.mai contract: what the renderer may ask main, and the events main pushes. Electron
 * IPC (preload) and the web host's WebSocket carry exactly this, validated by the same schemas.
 */
import { z } from 'zod';
import {
  chatMessageSchema,
  conversationSchema,
  conversationSearchHitSchema,
  conversationSummarySchema,
  suggestionSchema,
  engineStatusSchema,
  loadedModelSchema,
  MAX_MESSAGE_CHARS,
  modelEntrySchema,
} from './domain';
import type { Result } from './errors';
import { catalogItemSchema, downloadInfoSchema } from './catalog';
import { hubRepoIdSchema, hubRepoSchema, hubSearchResultSchema, hubTokenStatusSchema } from './hub';
import { remoteEngineSchema, remotePolicySchema, remoteProbeResultSchema, remoteSettingsViewSchema, remoteStatusSchema } from './remote';
import { appSettingsSchema } from './settings';
import { capabilityChangeSchema, decisionSchema, ladderRungSchema, resourceSnapshotSchema, tierSchema } from './resource';
import { traceStatusSchema } from './trace-recording';
import type { Contract, EventName, Handlers, MethodName, ParamsOf, PayloadOf, ResultOf } from './rpc';

export const appStateSchema = z.object({
  /** Where the renderer is hosted. */
  mode: z.enum(['electron', 'web']),
  engine: engineStatusSchema,
  model: loadedModelSchema.nullable(),
  models: z.array(modelEntrySchema),
  conversation: conversationSchema,
  generating: z.boolean(),
  /** The newest resource frame; null until the first sample. */
  resource: resourceSnapshotSchema.nullable(),
  /** The scaler's decisions, newest last (main keeps the last 200). */
  decisions: z.array(decisionSchema),
  ladder: z.array(ladderRungSchema),
  tier: tierSchema.nullable(),
  scalingPaused: z.boolean(),
  conversations: z.array(conversationSummarySchema),
  suggestions: z.array(suggestionSchema),
  /** Notices Mai had while starting, before any window could hear them; given to the first window. */
  startupNotices: z.array(z.lazy(() => noticeSchema)).max(50),
});
export type AppState = z.infer<typeof appStateSchema>;

export const noticeSchema = z.object({
  level: z.enum(['info', 'warn', 'error']),
  message: z.string().max(10_000),
});
export type Notice = z.infer<typeof noticeSchema>;

export const appContract = {
  methods: {
    'app:get-state': { params: z.object({}), result: appStateSchema },
    /**
     * Sends a user message; answers once it is accepted (saved), the reply streams as events.
     * The length limit is checked by the handler so that the error names it in a sentence.
     */
    'chat:send': {
      params: z.object({ text: z.string().max(40 * MAX_MESSAGE_CHARS) }),
      result: z.object({ userMessageId: z.string(), assistantMessageId: z.string() }),
    },
    'chat:stop': { params: z.object({}), result: z.object({ stopped: z.boolean() }) },
    /** Starts a new conversation (saved at once) and makes it the current one. */
    'chat:new': { params: z.object({}), result: conversationSchema },
    /** Replaces the last reply with a new one. */
    'chat:regenerate': { params: z.object({}), result: z.object({ assistantMessageId: z.string() }) },
    'chat:set-system-prompt': { params: z.object({ systemPrompt: z.string().max(20_000) }), result: conversationSchema },
    /** Conversations, newest first. */
    'conversations:list': { params: z.object({}), result: z.array(conversationSummarySchema) },
    'conversations:open': { params: z.object({ id: z.string().min(1).max(100) }), result: conversationSchema },
    'conversations:rename': { params: z.object({ id: z.string().min(1).max(100), title: z.string().max(500) }), result: conversationSummarySchema },
    'conversations:delete': { params: z.object({ id: z.string().min(1).max(100) }), result: z.object({ deleted: z.boolean() }) },
    'conversations:search': { params: z.object({ query: z.string().max(500) }), result: z.array(conversationSearchHitSchema) },
    /** Carries out a suggestion's action. */
    'suggestions:apply': { params: z.object({ id: z.string().min(1).max(100) }), result: z.object({ applied: z.boolean(), message: z.string() }) },
    /** After Mai stopped restarting a crashing engine, the user asks to try again. */
    'engine:restart': { params: z.object({}), result: engineStatusSchema },
    'models:list': { params: z.object({}), result: z.array(modelEntrySchema) },
    'settings:get': { params: z.object({}), result: appSettingsSchema },
    /** Changes some settings; out-of-range values are refused with a sentence naming the field and range. */
    'settings:update': { params: z.object({ patch: z.record(z.string(), z.unknown()) }), result: appSettingsSchema },
    /** The curated catalog with each entry's fit on this machine. */
    'catalog:list': { params: z.object({}), result: z.array(catalogItemSchema) },
    /** Adds a GGUF file from elsewhere on disk (validated first); it stays where it is. */
    'models:import': { params: z.object({ path: z.string().min(1).max(4096) }), result: modelEntrySchema },
    /** Deletes a model in Mai's models folder, or forgets an imported one (its file stays). */
    'models:remove': { params: z.object({ path: z.string().min(1).max(4096) }), result: z.object({ removed: z.boolean(), message: z.string() }) },
    /**
     * Asks the host for a GGUF file with its own file dialog (Electron). Answers `{path: null}` when
     * the user closed the dialog; refused with 'bad-request' where there is no dialog (the browser,
     * whose page cannot learn a file's path: type the path into the import field instead).
     */
    'models:open-dialog': { params: z.object({}), result: z.object({ path: z.string().max(4096).nullable() }) },
    'downloads:list': { params: z.object({}), result: z.array(downloadInfoSchema) },
    'downloads:start': { params: z.object({ catalogId: z.string().min(1).max(200) }), result: downloadInfoSchema },
    'downloads:pause': { params: z.object({ id: z.string().min(1).max(200) }), result: downloadInfoSchema },
    'downloads:resume': { params: z.object({ id: z.string().min(1).max(200) }), result: downloadInfoSchema },
    'downloads:cancel': { params: z.object({ id: z.string().min(1).max(200) }), result: downloadInfoSchema },
    /** Searches the Hub's GGUF models (sorted by downloads); `cursor` continues a previous page. */
    'hub:search': {
      params: z.object({ query: z.string().max(200), cursor: z.string().max(4096).nullable().default(null) }),
      result: hubSearchResultSchema,
    },
    /** A repository's chat-model GGUF files with their fit on this machine. */
    'hub:repo': { params: z.object({ repo: hubRepoIdSchema }), result: hubRepoSchema },
    /**
     * Downloads one model of a repository (a split model's first part brings all parts). The
     * revision (default `main`) is resolved to a commit when the download starts; every byte is read
     * at that commit and checked against the SHA-256 the Hub states.
     */
    'hub:download': {
      params: z.object({ repo: hubRepoIdSchema, file: z.string().min(1).max(1000), revision: z.string().min(1).max(200).default('main') }),
      result: downloadInfoSchema,
    },
    /** Where the Hub token in use comes from (never the token). */
    'hub:token-status': { params: z.object({}), result: hubTokenStatusSchema },
    /** Stores the Hub token (encrypted by the OS where it can be), or forgets it with null. */
    'hub:set-token': { params: z.object({ token: z.string().min(1).max(1000).nullable() }), result: hubTokenStatusSchema },
    /** Hashes an installed model again and compares it with the SHA-256 recorded when it was downloaded. */
    'models:verify': { params: z.object({ path: z.string().min(1).max(4096) }), result: z.object({ ok: z.boolean(), message: z.string() }) },
    /** Pauses or resumes automatic scaling (emergencies still act). */
    'scaler:pause': { params: z.object({ paused: z.boolean() }), result: z.object({ paused: z.boolean() }) },
    'models:select': { params: z.object({ path: z.string().min(1).max(4096) }), result: loadedModelSchema },
    /** The remote engines, the policy and the servers' health (never a key). */
    'remote:list': { params: z.object({}), result: remoteSettingsViewSchema },
    /**
     * "Test connection": reads the server's `/health`, `/v1/models` and `/props` from the engine
     * process. Without `apiKey`, the key saved for that server (if any) is used; while a saved
     * server is edited (`previousBaseUrl`), its key, which a save would move to the new address.
     */
    'remote:test': { params: remoteEngineSchema.extend({ previousBaseUrl: z.string().url().max(2000).optional() }), result: remoteProbeResultSchema },
    /**
     * Adds or updates a server and the models chosen as rungs. `apiKey`: a string saves it
     * (encrypted where the OS can), null forgets it, absent keeps the saved one. `previousBaseUrl`:
     * the saved server being edited, which this one replaces (its key moves with it when the
     * origin changes). One server per `host:port`: a second one is refused with a sentence.
     */
    'remote:save': {
      params: z.object({
        baseUrl: z.string().url().max(2000),
        models: z.array(z.string().min(1).max(1000)).max(100),
        apiKey: z.string().min(1).max(4096).nullable().optional(),
        previousBaseUrl: z.string().url().max(2000).optional(),
      }),
      result: remoteSettingsViewSchema,
    },
    /** Removes a server, its rungs and its saved key. */
    'remote:remove': { params: z.object({ baseUrl: z.string().max(2000) }), result: remoteSettingsViewSchema },
    /** Chooses where remote rungs go on the ladder (see remotePolicySchema). */
    'remote:set-policy': { params: z.object({ policy: remotePolicySchema }), result: remoteSettingsViewSchema },
    /** Starts recording a scaler trace (Settings → Record a trace) into a new file in the data folder's `traces/`. */
    'trace:start': { params: z.object({}), result: traceStatusSchema },
    /** Stops the recording and writes the file. */
    'trace:stop': { params: z.object({}), result: traceStatusSchema },
    'trace:status': { params: z.object({}), result: traceStatusSchema },
    /** Shows the last trace file in the system's file manager; refused where there is none (the browser). */
    'trace:reveal': { params: z.object({}), result: z.object({ path: z.string() }) },
  },
  events: {
    onChatToken: z.object({ conversationId: z.string(), messageId: z.string(), text: z.string() }),
    onChatMessage: z.object({ conversationId: z.string(), message: chatMessageSchema }),
    onConversation: conversationSchema,
    onEngineStatus: engineStatusSchema,
    onModelChanged: z.object({ model: loadedModelSchema.nullable() }),
    onNotice: noticeSchema,
    onResourceSample: resourceSnapshotSchema,
    /** The conversation list changed (a save, a rename, a delete). */
    onConversations: z.array(conversationSummarySchema),
    /** The current suggestions (replaces the previous list; an empty list clears them). */
    onSuggestions: z.array(suggestionSchema),
    /** The models Mai can offer changed (a download landed, a file appeared in the folder). */
    onModels: z.array(modelEntrySchema),
    /** A download's state or progress (at most every 250 ms per download). */
    onDownload: downloadInfoSchema,
    /** Main asks the window to open a panel (the tray's "Open resource panel"). */
    onOpenPanel: z.object({ panel: z.literal('resources') }),
    onScalerDecision: decisionSchema,
    onCapabilityChanged: capabilityChangeSchema.extend({ at: z.number() }),
    /** The remote servers' health or figures changed. */
    onRemoteStatus: z.array(remoteStatusSchema),
    /** A trace recording started, stopped (by the user, at its size limit, …) or failed. */
    onTraceStatus: traceStatusSchema,
  },
} satisfies Contract;

export type AppContract = typeof appContract;
export type AppMethod = MethodName<AppContract>;
export type AppEvent = EventName<AppContract>;
export type AppParams<M extends AppMethod> = ParamsOf<AppContract, M>;
export type AppResult<M extends AppMethod> = ResultOf<AppContract, M>;
export type AppPayload<E extends AppEvent> = PayloadOf<AppContract, E>;
/** Every app event with its payload, as an Emitter's event map: services emit the ones they own. */
export type AppEvents = { [E in AppEvent]: AppPayload<E> };
/** The handlers of some of the contract's methods: what one service serves. */
export type AppHandlers<M extends AppMethod> = Pick<Handlers<AppContract>, M>;

/** window.mai as the renderer sees it, in Electron and in the browser alike. */
export interface MaiApi {
  /**
   * Calls main. Refusals come back as `{ok: false, error}` (code + sentence) rather than a
   * rejection, because Electron's contextBridge drops an Error's extra fields.
   */
  invoke<M extends AppMethod>(method: M, params: AppParams<M>): Promise<Result<AppResult<M>>>;
  /** Subscribes to an event from main; returns an unsubscribe function. */
  on<E extends AppEvent>(event: E, listener: (payload: AppPayload<E>) => void): () => void;
}

/** Electron IPC channel on which main pushes `[eventName, payload]`. */
export const EVENT_CHANNEL = 'mai:event';
