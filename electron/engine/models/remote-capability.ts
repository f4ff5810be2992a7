/**
 * The capability change for a scaler step that takes the conversation to a server or brings it
 * back to the machine (local first, remote when short; docs/remote.md). Like a local switch's
 * (capability.ts) it says what changed, why, and what brings the local model back; and since the
 * conversation now leaves the machine (or no longer does), it names the server's host, so the user
 * always knows where their words go.
 */
import type { LoadedModel } from '../../../shared/domain';
import type { ProactiveScaler } from '../resource/policy/proactive-scaler';
import { describeChange, type CapabilityChange } from './capability';
import type { RemoteLadder } from './ladder-remote';
import { rungBytes, type Rung } from './rung';

/** One scaler switch as the DecisionHandler saw it end. */
export interface RemoteMoveInput {
  remote: RemoteLadder;
  /** The model loaded when the switch began, and the one loaded now. */
  before: LoadedModel | null;
  after: LoadedModel | null;
  /** The local rungs the scaler stepped from and to (the scaler never sees a remote rung). */
  from: Rung | undefined;
  to: Rung | undefined;
  /** The local rung that was loaded when the switch began (undefined when a server was). */
  left: Rung | undefined;
  /** The scaler's reason for the step, with its numbers. */
  why: string;
  scaler: ProactiveScaler | null;
  /** The stabilization period in force, seconds. */
  stabilizationSeconds: number;
}

/**
 * What the user is told when a scaler switch crossed between the machine and a server: a change,
 * `null` when the switch stayed on a server (only the local fallback moved: nothing the user has
 * changed), or `undefined` when neither side is remote (a local switch: capability.ts says it).
 */
export function describeRemoteMove(input: RemoteMoveInput): CapabilityChange | null | undefined {
  const { remote, before, after, from, to, left, why, scaler } = input;
  const wasRemote = remote.activeRung(before?.path);
  const isRemote = remote.activeRung(after?.path);
  if (!wasRemote && !isRemote) return undefined;
  // Still on a server: the failover or the health checks tell of a change of server, never a scaler step.
  if (wasRemote && isRemote) return null;
  if (isRemote) {
    const leftName = left?.model.name ?? before?.name ?? 'the model on this machine';
    // What brings it back is the scaler's way up to the rung Mai left (its upgrade rule), as for a local step down.
    const local = left && to && scaler ? describeChange(left, to, why, scaler, input.stabilizationSeconds) : null;
    return {
      direction: 'down',
      from: leftName,
      to: isRemote.model.name,
      what: `Mai now answers with ${isRemote.model.name} instead of ${leftName} on this machine: the conversation now leaves this machine for ${remote.hostOf(isRemote)}.`,
      why: `memory on this machine is short for ${leftName} — ${why}`,
      bringBack: local
        ? `${local.bringBack} Then Mai answers on this machine again.`
        : `Mai answers on this machine again once memory allows ${leftName} for the stabilization period.`,
      ...(local?.upgradeHold ? { upgradeHold: local.upgradeHold } : {}),
    };
  }
  const back = after!;
  const host = remote.hostOf(wasRemote!);
  // Back because the scaler moved up (memory is fine again), or because the server cannot be used now.
  const stepUp = Boolean(from && to && rungBytes(to) > rungBytes(from));
  const whyNot = remote.whyNot(wasRemote!);
  return {
    direction: stepUp ? 'up' : 'down',
    from: wasRemote!.model.name,
    to: back.name,
    what: `Mai is back on ${back.name} on this machine: the conversation no longer leaves it for ${host}.`,
    why: stepUp ? `memory on this machine is fine again — ${why}` : whyNot ? `${host} is not usable now (${whyNot.replace(/\.$/, '')})` : why,
    bringBack: stepUp ? '' : `Mai goes back to ${host} once it has answered its health checks for the stabilization period.`,
  };
}
