/** Turns the ModelManager's events into engine-protocol events (JSON-safe, validated on emit). */
import type { EmptyContract, EngineContract } from '../../shared/engine-protocol';
import type { ResourceSnapshot } from '../../shared/resource';
import type { RpcPeer } from '../../shared/rpc';
import type { ModelManager } from './models/model-manager';

/** JSON turns Infinity and NaN into null; do it here so the schemas see what the wire will carry. */
function jsonSafe<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

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
      send(() => {
        const snapshot: ResourceSnapshot = jsonSafe({
          sample,
          tier: { id: state.tier.id, label: state.tier.label, description: state.tier.description, reasons: state.tier.reasons },
          modelId: state.modelId,
          switching: state.switching,
          generating: state.generating,
          threads: state.threads,
          trends: state.trends,
          status: state.status,
          thresholds: manager.thresholds(),
          performance,
        }) as ResourceSnapshot;
        peer.emit('scaler:sample', snapshot);
      }),
    ),
    manager.on('decision', (decision) => send(() => peer.emit('scaler:decision', jsonSafe(decision) as never))),
    manager.on('preflight', (answer) => send(() => peer.emit('chat:preflight', jsonSafe(answer)))),
    manager.on('modelChanged', (change) => send(() => peer.emit('model:changed', change))),
    manager.on('capability', (change) => send(() => peer.emit('model:capability', change))),
    manager.on('notice', (notice) => send(() => peer.emit('engine:notice', notice))),
  ];
  return () => offs.forEach((off) => off());
}
