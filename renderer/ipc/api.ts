/** The renderer's one way to main: window.mai (Electron preload) or the WebSocket bridge. */
import type { AppMethod, AppParams, AppResult, MaiApi } from '../../shared/contract';
import { fromErrorData } from '../../shared/errors';
import { createWebSocketMai } from './web-bridge';

declare global {
  interface Window {
    mai?: MaiApi;
  }
}

let api: MaiApi | null = null;

export function getMai(onConnection?: (connected: boolean) => void): MaiApi {
  api ??= window.mai ?? createWebSocketMai(onConnection);
  return api;
}

/** Calls main and throws a MaiError (with its code and sentence) on a refusal. */
export async function call<M extends AppMethod>(method: M, params: AppParams<M>): Promise<AppResult<M>> {
  const result = await getMai().invoke(method, params);
  if (!result.ok) throw fromErrorData(result.error);
  return result.value;
}
