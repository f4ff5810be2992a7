/** Turns the ModelManager's events into engine-protocol events (mapped in wire.ts, validated on emit). */
import type { EmptyContract, EngineContract } from '../../shared/engine-protocol';
import type { RpcPeer } from '../../shared/rpc';
import type { ModelManager } from './models/model-manager';
import { toWireCapability, toWireDecision, toWirePreflight, toWireSnapshot } from './wire';

/**
 * `beforeEvent` runs before every event but the samples: the engine sends reply text queued so far
 * (wire.ts createTextStream), so main hears text and model changes in the order they happened.
 */
export function forwardManagerEvents(
  manager: ModelManager,
  peer: RpcPeer<EngineContract, EmptyContract>,
  log: (message: string) => void,
  beforeEvent: () => void = () => {},
): () => void {
  const send = (emit: () => void, ordered = true) => {
    try {
      if (ordered) beforeEvent();
      emit();
    } catch (error) {
      log(`engine event dropped: ${(error as Error).message}`);
    }
  };
  const offs = [
    manager.on('sample', ({ sample, state, performance }) =>
      send(() => peer.emit('scaler:sample', toWireSnapshot(sample, state, manager.thresholds(), performance)), false),
    ),
    manager.on('decision', (decision) => send(() => peer.emit('scaler:decision', toWireDecision(decision)))),
    manager.on('preflight', (answer) => send(() => peer.emit('chat:preflight', toWirePreflight(answer)))),
    manager.on('modelChanged', (change) => send(() => peer.emit('model:changed', change))),
    manager.on('capability', (change) => send(() => peer.emit('model:capability', toWireCapability(change)))),
    manager.on('notice', (notice) => send(() => peer.emit('engine:notice', notice))),
  ];
  return () => offs.forEach((off) => off());
}
