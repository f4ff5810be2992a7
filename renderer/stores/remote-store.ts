/**
 * Remote engines as the window knows them: the saved servers and policy (`remote:list`, answered
 * again by every change) and their health and figures (`onRemoteStatus`). Never a key: main sends
 * only whether one is saved.
 */
import { useMemo } from 'react';
import { create } from 'zustand';
import { useShallow } from 'zustand/react/shallow';
import type { RemoteSettingsView, RemoteStatus } from '../../shared/remote';
import { remoteHostOfPath } from '../lib/remote';
import { useAppStore } from './app-store';
import { useResourceStore } from './resource-store';

export interface RemoteState {
  view: RemoteSettingsView | null;
  statuses: RemoteStatus[];
}

export const useRemoteStore = create<RemoteState>()(() => ({ view: null, statuses: [] }));

/** Main's answer to a `remote:*` call. */
export function setRemoteView(view: RemoteSettingsView): void {
  useRemoteStore.setState({ view, statuses: view.statuses });
}

/** The engine's newest report of the servers' health and figures. */
export function setRemoteStatuses(statuses: RemoteStatus[]): void {
  useRemoteStore.setState({ statuses });
}

/**
 * Every `host:port` a model can run on besides this machine: the saved servers, those the engine
 * reports, the ladder's remote rungs and the model in use. Names of models are marked "on <host>"
 * against this list.
 */
export function useRemoteHosts(): string[] {
  const saved = useRemoteStore(useShallow((s) => [...(s.view?.engines.map((e) => e.host) ?? []), ...s.statuses.map((st) => st.host)]));
  const rungs = useResourceStore(useShallow((s) => s.ladder.flatMap((r) => (r.host ? [r.host] : []))));
  const current = useAppStore((s) => remoteHostOfPath(s.model?.path));
  return useMemo(() => [...new Set([...saved, ...rungs, ...(current ? [current] : [])])], [saved, rungs, current]);
}
