/**
 * One bound store from typed slices (zustand docs). Actions are plain module functions so the IPC
 * binder can call them without hooks. Messages are kept by id so a streaming reply re-renders only
 * its own bubble.
 */
import { create, type StateCreator } from 'zustand';
import type { Notice } from '../../shared/contract';
import type { ChatMessage, Conversation, EngineStatus, LoadedModel, ModelEntry } from '../../shared/domain';

export interface ChatSlice {
  conversationId: string | null;
  title: string;
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

export type AppState = ChatSlice & EngineSlice & NoticeSlice;

const createChatSlice: StateCreator<AppState, [], [], ChatSlice> = () => ({
  conversationId: null,
  title: '',
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

export const useAppStore = create<AppState>()((...args) => ({
  ...createChatSlice(...args),
  ...createEngineSlice(...args),
  ...createNoticeSlice(...args),
}));

const set = useAppStore.setState;
const get = useAppStore.getState;

export function setConversation(conversation: Conversation): void {
  const messages: Record<string, ChatMessage> = {};
  for (const message of conversation.messages) messages[message.id] = message;
  set({
    conversationId: conversation.id,
    title: conversation.title,
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

export function setDraft(draft: string): void {
  set({ draft });
}

let noticeId = 0;
/** Shows a notice; keeps the last 50. */
export function pushNotice(notice: Notice): void {
  set({ notices: [...get().notices, { ...notice, id: ++noticeId, at: Date.now() }].slice(-50) });
}

export function dismissNotice(id: number): void {
  set({ notices: get().notices.filter((n) => n.id !== id) });
}
