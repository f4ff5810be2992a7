/**
 * One bound store from typed slices (zustand docs). Actions are plain module functions so the IPC
 * binder can call them without hooks. Messages are kept by id so a streaming reply re-renders only
 * its own bubble. Resource samples live in their own store (resource-store.ts) so that a sample
 * never runs the chat's selectors.
 */
import { create, type StateCreator } from 'zustand';
import type { CatalogItem, DownloadData } from '../../shared/catalog';
import type { Notice } from '../../shared/contract';
import type {
  ChatMessage,
  Conversation,
  ConversationSearchHitData,
  ConversationSummaryData,
  EngineStatus,
  LoadedModel,
  ModelEntry,
  Suggestion,
} from '../../shared/domain';
import type { AppSettings } from '../../shared/settings';
import type { CapabilityEvent } from '../features/notifications/capability';

export interface ChatSlice {
  conversationId: string | null;
  title: string;
  systemPrompt: string;
  messageIds: string[];
  messages: Record<string, ChatMessage>;
  generating: boolean;
  /** The draft kept while a send is refused, so nothing typed is lost. */
  draft: string;
}

export interface EngineSlice {
  mode: 'electron' | 'web' | null;
  connected: boolean;
  engine: EngineStatus;
  model: LoadedModel | null;
  models: ModelEntry[];
}

export interface NoticeEntry extends Notice {
  id: number;
  at: number;
}

export interface NoticeSlice {
  notices: NoticeEntry[];
}

/** One line of the notification centre. */
export interface HistoryEntry {
  id: number;
  at: number;
  kind: 'notice' | 'capability';
  level: 'info' | 'warn' | 'error';
  title: string;
  detail?: string;
  direction?: 'up' | 'down';
}

export interface CapabilityToast extends CapabilityEvent {
  id: number;
  level: 'warn' | 'info';
}

export interface NotificationSlice {
  history: HistoryEntry[];
  unread: number;
  capabilityToasts: CapabilityToast[];
  /** Capability changes as received (receive time in `at`), to recognise main's notice echo. */
  recentCapabilities: CapabilityEvent[];
}

export interface ConversationsSlice {
  conversations: ConversationSummaryData[];
  searchQuery: string;
  searchHits: ConversationSearchHitData[] | null;
}

export interface SuggestionsSlice {
  suggestions: Suggestion[];
  /** What applying a suggestion answered, by suggestion id (kept after the suggestion goes). */
  suggestionResults: Record<string, { applied: boolean; message: string }>;
}

export interface SettingsSlice {
  settings: AppSettings | null;
}

export interface ModelsSlice {
  /** The catalog with this machine's fit; null until the models page first loads it. */
  catalog: CatalogItem[] | null;
  /** Downloads in queue order (main's list, then updated by onDownload). */
  downloads: DownloadData[];
}

export interface UiSlice {
  panelOpen: boolean;
  settingsOpen: boolean;
  modelsOpen: boolean;
  centreOpen: boolean;
  /** Bumped to ask the search box to take focus (Ctrl/Cmd+K). */
  searchFocusRequest: number;
}

export type AppState = ChatSlice &
  EngineSlice &
  NoticeSlice &
  NotificationSlice &
  ConversationsSlice &
  SuggestionsSlice &
  SettingsSlice &
  ModelsSlice &
  UiSlice;

const PANEL_KEY = 'mai:resource-panel-open';

function readPanelOpen(): boolean {
  try {
    return globalThis.localStorage?.getItem(PANEL_KEY) !== 'false';
  } catch {
    return true;
  }
}

const createChatSlice: StateCreator<AppState, [], [], ChatSlice> = () => ({
  conversationId: null,
  title: '',
  systemPrompt: '',
  messageIds: [],
  messages: {},
  generating: false,
  draft: '',
});

const createEngineSlice: StateCreator<AppState, [], [], EngineSlice> = () => ({
  mode: null,
  connected: false,
  engine: { state: 'starting', restarts: 0 },
  model: null,
  models: [],
});

const createNoticeSlice: StateCreator<AppState, [], [], NoticeSlice> = () => ({ notices: [] });

const createNotificationSlice: StateCreator<AppState, [], [], NotificationSlice> = () => ({
  history: [],
  unread: 0,
  capabilityToasts: [],
  recentCapabilities: [],
});

const createConversationsSlice: StateCreator<AppState, [], [], ConversationsSlice> = () => ({
  conversations: [],
  searchQuery: '',
  searchHits: null,
});

const createSuggestionsSlice: StateCreator<AppState, [], [], SuggestionsSlice> = () => ({ suggestions: [], suggestionResults: {} });

const createSettingsSlice: StateCreator<AppState, [], [], SettingsSlice> = () => ({ settings: null });

const createModelsSlice: StateCreator<AppState, [], [], ModelsSlice> = () => ({ catalog: null, downloads: [] });

const createUiSlice: StateCreator<AppState, [], [], UiSlice> = () => ({
  panelOpen: readPanelOpen(),
  settingsOpen: false,
  modelsOpen: false,
  centreOpen: false,
  searchFocusRequest: 0,
});

export const useAppStore = create<AppState>()((...args) => ({
  ...createChatSlice(...args),
  ...createEngineSlice(...args),
  ...createNoticeSlice(...args),
  ...createNotificationSlice(...args),
  ...createConversationsSlice(...args),
  ...createSuggestionsSlice(...args),
  ...createSettingsSlice(...args),
  ...createModelsSlice(...args),
  ...createUiSlice(...args),
}));

const set = useAppStore.setState;
const get = useAppStore.getState;

// ---- chat ----

export function setConversation(conversation: Conversation): void {
  const messages: Record<string, ChatMessage> = {};
  for (const message of conversation.messages) messages[message.id] = message;
  set({
    conversationId: conversation.id,
    title: conversation.title,
    systemPrompt: conversation.systemPrompt,
    messageIds: conversation.messages.map((m) => m.id),
    messages,
    generating: conversation.messages.some((m) => m.status === 'streaming'),
  });
}

export function upsertMessage(conversationId: string, message: ChatMessage): void {
  const state = get();
  if (state.conversationId !== conversationId) return;
  const known = message.id in state.messages;
  const messageIds = known ? state.messageIds : [...state.messageIds, message.id];
  const messages = { ...state.messages, [message.id]: message };
  set({ messageIds, messages, generating: Object.values(messages).some((m) => m.status === 'streaming') });
}

/** Appends streamed text (already batched per animation frame by the binder). */
export function appendTokens(conversationId: string, messageId: string, text: string): void {
  const state = get();
  const message = state.messages[messageId];
  if (state.conversationId !== conversationId || !message || message.status !== 'streaming') return;
  set({ messages: { ...state.messages, [messageId]: { ...message, text: message.text + text } } });
}

export function setDraft(draft: string): void {
  set({ draft });
}

// ---- engine ----

export function setEngineStatus(engine: EngineStatus): void {
  set({ engine });
}

export function setModel(model: LoadedModel | null): void {
  set({ model });
}

export function setModels(models: ModelEntry[]): void {
  set({ models });
}

export function setConnection(connected: boolean): void {
  set({ connected });
}

export function setMode(mode: 'electron' | 'web'): void {
  set({ mode });
}

// ---- notices and the notification centre ----

let entryId = 0;
const HISTORY_LIMIT = 200;

function addHistory(entry: Omit<HistoryEntry, 'id'>): void {
  const state = get();
  set({
    history: [{ ...entry, id: ++entryId }, ...state.history].slice(0, HISTORY_LIMIT),
    unread: state.centreOpen ? state.unread : state.unread + 1,
  });
}

/** Shows a notice (keeps the last 50) and logs it in the notification centre. */
export function pushNotice(notice: Notice, options: { toast?: boolean } = {}): void {
  const at = Date.now();
  addHistory({ at, kind: 'notice', level: notice.level, title: notice.message });
  if (options.toast === false) return;
  set({ notices: [...get().notices, { ...notice, id: ++entryId, at }].slice(-50) });
}

export function dismissNotice(id: number): void {
  set({ notices: get().notices.filter((n) => n.id !== id) });
}

/** Logs a capability change and, unless `level` is null (silent switching), shows it as a toast. */
export function addCapabilityChange(change: CapabilityEvent, level: 'warn' | 'info' | null): void {
  const receivedAt = Date.now();
  addHistory({
    at: change.at,
    kind: 'capability',
    level: change.direction === 'down' ? 'warn' : 'info',
    title: change.what,
    detail: [change.why && `Why: ${change.why}`, change.bringBack].filter(Boolean).join(' · '),
    direction: change.direction,
  });
  const recentCapabilities = [...get().recentCapabilities, { ...change, at: receivedAt }].slice(-10);
  if (level === null) return set({ recentCapabilities });
  set({ recentCapabilities, capabilityToasts: [...get().capabilityToasts, { ...change, id: ++entryId, level }].slice(-5) });
}

export function dismissCapabilityToast(id: number): void {
  set({ capabilityToasts: get().capabilityToasts.filter((t) => t.id !== id) });
}

export function setCentreOpen(centreOpen: boolean): void {
  set(centreOpen ? { centreOpen, unread: 0 } : { centreOpen });
}

export function clearHistory(): void {
  set({ history: [], unread: 0 });
}

// ---- conversations ----

export function setConversations(conversations: ConversationSummaryData[]): void {
  set({ conversations });
}

export function setSearch(searchQuery: string, searchHits: ConversationSearchHitData[] | null): void {
  set({ searchQuery, searchHits });
}

export function requestSearchFocus(): void {
  set({ searchFocusRequest: get().searchFocusRequest + 1 });
}

// ---- suggestions ----

export function setSuggestions(suggestions: Suggestion[]): void {
  set({ suggestions });
}

export function setSuggestionResult(id: string, result: { applied: boolean; message: string }): void {
  set({ suggestionResults: { ...get().suggestionResults, [id]: result } });
}

// ---- settings ----

export function setSettings(settings: AppSettings): void {
  set({ settings });
}

// ---- models page ----

export function setCatalog(catalog: CatalogItem[]): void {
  set({ catalog });
}

export function setDownloads(downloads: DownloadData[]): void {
  set({ downloads });
}

/**
 * A download's new state or progress. State changes carry no speed; the last measured speed is
 * kept while the download runs so that the figures do not blink between progress ticks.
 */
export function upsertDownload(download: DownloadData): void {
  const downloads = get().downloads;
  const index = downloads.findIndex((d) => d.id === download.id);
  const before = index === -1 ? undefined : downloads[index];
  const keepSpeed = download.state === 'downloading' && download.bytesPerSecond === null && before?.state === 'downloading';
  const next = keepSpeed ? { ...download, bytesPerSecond: before.bytesPerSecond, secondsLeft: before.secondsLeft } : download;
  set({ downloads: index === -1 ? [...downloads, next] : downloads.map((d, i) => (i === index ? next : d)) });
}

// ---- ui ----

export function setPanelOpen(panelOpen: boolean): void {
  set({ panelOpen });
  try {
    globalThis.localStorage?.setItem(PANEL_KEY, String(panelOpen));
  } catch {
    // Storage can be unavailable (private mode): the panel still toggles.
  }
}

export function togglePanel(): void {
  setPanelOpen(!get().panelOpen);
}

export function setSettingsOpen(settingsOpen: boolean): void {
  set({ settingsOpen });
}

export function setModelsOpen(modelsOpen: boolean): void {
  set({ modelsOpen });
}
