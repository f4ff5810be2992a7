/**
 * The one module that turns window.mai events into store actions. Token deltas are coalesced per
 * animation frame so a fast stream costs at most one render per frame.
 */
import type { MaiApi } from '../../shared/contract';
import * as store from '../stores/app-store';
import { call } from './api';

export function bindMai(mai: MaiApi): () => void {
  const pending = new Map<string, { conversationId: string; text: string }>();
  let frame: number | null = null;
  const flush = () => {
    frame = null;
    for (const [messageId, { conversationId, text }] of pending) store.appendTokens(conversationId, messageId, text);
    pending.clear();
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
      frame ??= requestAnimationFrame(flush);
    }),
    mai.on('onChatMessage', ({ conversationId, message }) => {
      flushNow();
      store.upsertMessage(conversationId, message);
    }),
    mai.on('onConversation', (conversation) => {
      flushNow();
      store.setConversation(conversation);
    }),
    mai.on('onEngineStatus', (status) => store.setEngineStatus(status)),
    mai.on('onModelChanged', ({ model }) => store.setModel(model)),
    mai.on('onNotice', (notice) => store.pushNotice(notice)),
  ];
  return () => offs.forEach((off) => off());
}

/** Loads the whole state (at start and after a reconnect). */
export async function refreshState(): Promise<void> {
  const state = await call('app:get-state', {});
  store.setMode(state.mode);
  store.setEngineStatus(state.engine);
  store.setModel(state.model);
  store.setModels(state.models);
  store.setConversation(state.conversation);
}
