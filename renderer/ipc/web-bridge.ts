/**
 * window.mai in a browser: the same contract as Electron's preload, carried over the web host's
 * WebSocket and validated by the same RpcPeer. Reconnects with backoff if the host restarts.
 */
import { appContract, type AppContract, type MaiApi } from '../../shared/contract';
import { toErrorData, type Result } from '../../shared/errors';
import type { EmptyContract } from '../../shared/engine-protocol';
import { RpcPeer, type MessagePortLike } from '../../shared/rpc';

const TOKEN_KEY = 'mai-token';

/** Takes the token from the address (once) and keeps it for this tab only. */
function takeToken(): string {
  const url = new URL(window.location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl) {
    sessionStorage.setItem(TOKEN_KEY, fromUrl);
    url.searchParams.delete('token');
    window.history.replaceState(null, '', url.pathname + url.search + url.hash);
    return fromUrl;
  }
  return sessionStorage.getItem(TOKEN_KEY) ?? '';
}

export function createWebSocketMai(onConnection: (connected: boolean) => void = () => {}): MaiApi {
  const token = takeToken();
  const handlers = new Set<(message: unknown) => void>();
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  let socket: WebSocket | null = null;
  let peer: RpcPeer<EmptyContract, AppContract> | null = null;
  let opened: Promise<void> = Promise.resolve();
  let retry = 0;

  const port: MessagePortLike = {
    send: (message) => socket?.send(JSON.stringify(message)),
    onMessage(handler) {
      handlers.add(handler);
      return () => handlers.delete(handler);
    },
  };

  const connect = () => {
    const ws = new WebSocket(`${window.location.protocol === 'https:' ? 'wss' : 'ws'}://${window.location.host}/ws?token=${encodeURIComponent(token)}`);
    socket = ws;
    opened = new Promise((resolve, reject) => {
      ws.addEventListener('open', () => resolve(), { once: true });
      ws.addEventListener('error', () => reject(new Error('Mai is not reachable.')), { once: true });
    });
    opened.catch(() => {});
    const current = new RpcPeer<EmptyContract, AppContract>(port, null, appContract, {});
    peer = current;
    // One dispatcher per event on each connection; subscribers live in `listeners` across reconnects.
    for (const event of Object.keys(appContract.events) as Array<keyof AppContract['events']>) {
      current.on(event, (payload) => listeners.get(event)?.forEach((listener) => listener(payload)));
    }
    ws.addEventListener('open', () => {
      retry = 0;
      onConnection(true);
    });
    ws.addEventListener('message', (event) => {
      let parsed: unknown = null;
      try {
        parsed = JSON.parse(String(event.data));
      } catch {
        // Left null: the peer refuses it.
      }
      for (const handler of handlers) handler(parsed);
    });
    ws.addEventListener('close', () => {
      current.close();
      onConnection(false);
      retry += 1;
      setTimeout(connect, Math.min(5000, 250 * 2 ** retry));
    });
  };
  connect();

  return {
    async invoke(method, params) {
      try {
        await opened;
        return { ok: true, value: await (peer as RpcPeer<EmptyContract, AppContract>).call(method, params) } as Result<never>;
      } catch (error) {
        return { ok: false, error: toErrorData(error) };
      }
    },
    on(event, listener) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      const wrapped = listener as (payload: unknown) => void;
      set.add(wrapped);
      return () => set.delete(wrapped);
    },
  };
}
