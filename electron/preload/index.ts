/**
 * Builds window.mai from the contract and nothing else. Runs sandboxed: only contextBridge and
 * ipcRenderer are available, and the contract (with zod) is bundled in.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { z } from 'zod';
import { appContract, EVENT_CHANNEL, type MaiApi } from '../../shared/contract';
import { MaiError, type Result } from '../../shared/errors';

// zod probes for eval at first use; the renderer's CSP forbids it, and the probe would log a violation.
z.config({ jitless: true });

type Listener = (payload: unknown) => void;
const listeners = new Map<string, Set<Listener>>();

ipcRenderer.on(EVENT_CHANNEL, (_event, name: unknown, payload: unknown) => {
  if (typeof name !== 'string' || !Object.hasOwn(appContract.events, name)) return;
  const parsed = appContract.events[name as keyof typeof appContract.events].safeParse(payload);
  if (!parsed.success) return;
  for (const listener of listeners.get(name) ?? []) listener(parsed.data);
});

const mai: MaiApi = {
  async invoke(method, params) {
    if (!Object.hasOwn(appContract.methods, method)) {
      return { ok: false, error: { name: 'MaiError', code: 'unknown-method', message: `Unknown method ${String(method)}.` } };
    }
    return (await ipcRenderer.invoke(method, params)) as Result<never>;
  },
  on(event, listener) {
    if (!Object.hasOwn(appContract.events, event)) throw new MaiError('unknown-method', `Unknown event ${String(event)}.`);
    let set = listeners.get(event);
    if (!set) listeners.set(event, (set = new Set()));
    const wrapped = listener as Listener;
    set.add(wrapped);
    return () => set.delete(wrapped);
  },
};

contextBridge.exposeInMainWorld('mai', mai);
