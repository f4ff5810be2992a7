/** Turns the ModelManager's events into engine-protocol events (mapped in wire.ts, validated on emit). */
import type { EmptyContract, EngineContract } from '../../shared/engine-protocol';
import type { RpcPeer } from '../../shared/rpc';
import type { ModelManager } from './models/model-manager';
import { toWireCapability, toWireDecision, toWirePreflight, toWireSnapshot } from './wire';

export function forwardManagerEvents(manager: ModelManager, peer: RpcPeer<EngineContract, EmptyContract>, log: (message: string) => void): () => void {
  const send = (emit: () => void) => {
    try {
      emit();
    } catch (error) {
      log(`engine event dropped: ${(error as Error).message}`);
    }
  };
  const offs = [
    manager.on('sample', ({ sample, state, performance }) =>
      send(() => peer.emit('scaler:sample', toWireSnapshot(sample, state, manager.thresholds(), performance))),
    ),
    manager.on('decision', (decision) => send(() => peer.emit('scaler:decision', toWireDecision(decision)))),
    manager.on('preflight', (answer) => send(() => peer.emit('chat:preflight', toWirePreflight(answer)))),
    manager.on('modelChanged', (change) => send(() => peer.emit('model:changed', change))),
    manager.on('capability', (change) => send(() => peer.emit('model:capability', toWireCapability(change)))),
    manager.on('notice', (notice) => send(() => peer.emit('engine:notice', notice))),
  ];
  return () => offs.forEach((off) => off());
}
