/**
 * Where a model load goes when remote rungs are on the ladder (docs/remote.md, "Where remote rungs
 * go"). The scaler keeps moving along the local rungs only, by measured local memory, as before;
 * every load it (or the first start) asks for passes through `placeLoad`, which says whether to
 * load that local rung or a remote one instead. Pure: reads its input only.
 *
 * - `local-only`: always the local rung; nothing is sent anywhere.
 * - `remote-first` (or the user chose the remote rung): the remote rung whenever its server is
 *   usable; the local rung the scaler is on is the fallback. A local model the user chose stays
 *   local (until they choose a remote one or the remote settings change).
 * - `local-first`: the local rung, unless memory is short: the scaler steps down to a rung that is
 *   *much smaller* than the one Mai is leaving (under SHORT_FRACTION of its memory) and a server
 *   is usable → the remote rung instead (never for a cost step of the same model: the same model
 *   answers on this machine). Mai stays there while the scaler's rung stays much
 *   smaller than the one it left (the anchor), and comes back to local once the scaler moves up
 *   again to a rung that is not much smaller (its upgrade rule already waits for the
 *   stabilization period of calm memory).
 */
import type { RemotePolicy } from '../../../../shared/remote';

/**
 * A smaller local rung is "much smaller" than the one Mai leaves under this fraction of its memory
 * (RAM and VRAM together). 0.75: one step of a typical quantization ladder (Q8 → Q6, Q6 → Q4) is
 * 0.7–0.8 of the size, a step to a smaller model (8B → 3B) is under half.
 */
export const SHORT_FRACTION = 0.75;

/** A local rung as the placement compares it. */
export interface PlacedRung {
  id: string;
  /** RAM and VRAM together, bytes. */
  bytes: number;
  /** The model it runs (its file): the cost steps of one model share it. */
  model?: string;
}

/** What the placement reads. */
export interface PlacementInput {
  policy: RemotePolicy;
  /** The local rung the scaler asked for. */
  target: PlacedRung;
  /** The local rung loaded last (the one a step down leaves), null before the first. */
  lastLocal: PlacedRung | null;
  /** local-first: the local rung Mai left for the remote one because memory was short; null otherwise. */
  anchor: PlacedRung | null;
  /** A remote rung whose server may be used now (healthy and past its stabilization period), or null. */
  usableRemote: string | null;
  /** The user chose a remote rung (`remote`) or a local model (`local`) themselves; null: the policy decides. */
  preferred: 'remote' | 'local' | null;
}

/** Where the load goes: the remote rung (`remoteId`) or the local target (`remoteId: null`), the anchor to keep, and why. */
export interface Placement {
  remoteId: string | null;
  anchor: PlacedRung | null;
  why: string;
}

/** Decides where a load of `input.target` goes (see the file comment). */
export function placeLoad(input: PlacementInput): Placement {
  const { policy, target, lastLocal, anchor, usableRemote } = input;
  if (policy === 'local-only') return { remoteId: null, anchor: null, why: 'local only' };
  if (input.preferred === 'local') return { remoteId: null, anchor: null, why: 'you chose a model on this machine' };
  if (input.preferred === 'remote' && usableRemote) return { remoteId: usableRemote, anchor, why: 'you chose the remote model' };
  if (policy === 'remote-first') {
    return usableRemote
      ? { remoteId: usableRemote, anchor: null, why: 'remote first' }
      : { remoteId: null, anchor: null, why: 'no server is usable now; the local model is the fallback' };
  }
  // local-first
  if (anchor) {
    if (target.bytes >= SHORT_FRACTION * anchor.bytes) return { remoteId: null, anchor: null, why: `memory is fine again for ${target.id}` };
    return usableRemote
      ? { remoteId: usableRemote, anchor, why: `memory is still short for ${anchor.id}` }
      : { remoteId: null, anchor, why: 'no server is usable now; the local model is the fallback' };
  }
  // A cost step of the model in use (a smaller context, a Q8_0 KV cache) stays local however much it saves: the same model answers.
  const sameModel = target.model !== undefined && target.model === lastLocal?.model;
  if (usableRemote && lastLocal && !sameModel && target.bytes < SHORT_FRACTION * lastLocal.bytes) {
    return { remoteId: usableRemote, anchor: lastLocal, why: `memory is short for ${lastLocal.id} and ${target.id} is much smaller` };
  }
  return { remoteId: null, anchor: null, why: 'local first' };
}
