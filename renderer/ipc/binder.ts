/**
 * The one module that turns window.mai events into store actions. Token deltas are coalesced and
 * applied on an animation frame at most every TOKEN_FLUSH_MS, so a fast stream costs at most ~30
 * renders a second whatever its rate (painting the page is the expensive part of a render).
 * Resource samples go to the resource store only, never to the chat's.
 */
import type { MaiApi } from '../../shared/contract';
import { isCapabilityEcho, toastStyle } from '../features/notifications/capability';
import * as store from '../stores/app-store';
import * as remote from '../stores/remote-store';
import * as resources from '../stores/resource-store';
import { call } from './api';

/** Shortest time between two renders of streamed text. */
export const TOKEN_FLUSH_MS = 30;

export function bindMai(mai: MaiApi): () => void {
  const pending = new Map<string, { conversationId: string; text: string }>();
  let frame: number | null = null;
  let lastFlush = 0;
  const flush = (at: number = performance.now()) => {
    frame = null;
    lastFlush = at;
    for (const [messageId, { conversationId, text }] of pending) store.appendTokens(conversationId, messageId, text);
    pending.clear();
  };
  const onFrame = (now: number) => {
    if (now - lastFlush < TOKEN_FLUSH_MS) frame = requestAnimationFrame(onFrame);
    else flush(now);
  };
  const flushNow = () => {
    if (frame !== null) cancelAnimationFrame(frame);
    flush();
  };

  const offs = [
    mai.on('onChatToken', ({ conversationId, messageId, text }) => {
      const entry = pending.get(messageId);
      if (entry) entry.text += text;
      else pending.set(messageId, { conversationId, text });
      frame ??= requestAnimationFrame(onFrame);
    }),
    mai.on('onChatMessage', ({ conversationId, message }) => {
      flushNow();
      store.upsertMessage(conversationId, message);
    }),
    mai.on('onConversation', (conversation) => {
      flushNow();
      store.setConversation(conversation);
    }),
    mai.on('onConversations', (conversations) => store.setConversations(conversations)),
    mai.on('onEngineStatus', (status) => store.setEngineStatus(status)),
    mai.on('onModelChanged', ({ model }) => store.setModel(model)),
    mai.on('onNotice', (notice) => {
      // A capability change's plain-text echo is logged, not shown twice.
      const echo = isCapabilityEcho(notice.message, store.useAppStore.getState().recentCapabilities, Date.now());
      store.pushNotice(notice, { toast: !echo });
    }),
    mai.on('onResourceSample', (snapshot) => resources.addSnapshot(snapshot)),
    mai.on('onScalerDecision', (decision) => resources.addDecision(decision)),
    mai.on('onSuggestions', (suggestions) => store.setSuggestions(suggestions)),
    mai.on('onOpenPanel', () => store.setPanelOpen(true)),
    mai.on('onModels', (models) => store.setModels(models)),
    mai.on('onDownload', (download) => store.upsertDownload(download)),
    mai.on('onRemoteStatus', (statuses) => remote.setRemoteStatuses(statuses)),
    mai.on('onCapabilityChanged', (change) => {
      const silent = store.useAppStore.getState().settings?.silentSwitching ?? false;
      store.addCapabilityChange(change, toastStyle(change, silent));
    }),
  ];
  return () => offs.forEach((off) => off());
}

/** Loads the whole state (at start and after a reconnect). */
export async function refreshState(): Promise<void> {
  const settings = call('settings:get', {}).then(store.setSettings, () => {
    // Settings are optional for the chat: the page opens without them and the settings view retries.
  });
  // The servers' names mark "on <host>" wherever a model is named; a main without them is no reason not to open.
  call('remote:list', {}).then(remote.setRemoteView, () => {});
  const state = await call('app:get-state', {});
  store.setMode(state.mode);
  store.setEngineStatus(state.engine);
  store.setModel(state.model);
  store.setModels(state.models);
  store.setConversation(state.conversation);
  store.setConversations(state.conversations);
  store.setSuggestions(state.suggestions);
  for (const notice of state.startupNotices) store.pushNotice(notice, { toast: true });
  resources.resetResources(state);
  await settings;
}

/** The ladder again after a change that rebuilt it (a server saved or removed, the policy changed). */
export async function refreshLadder(): Promise<void> {
  const state = await call('app:get-state', {}).catch(() => null);
  if (state) resources.setLadder(state.ladder, state.tier);
}
