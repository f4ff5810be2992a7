/**
 * What a model change means to the user: what changed, why (with the figure), and what would bring
 * the bigger model back. The sentences go to the in-app notice and the notification centre.
 */
import type { CapabilityChangeData } from '../../../shared/resource';
import type { ProactiveScaler } from '../resource/policy/proactive-scaler';
import type { Rung } from './rung';

/** What a model change means to the user (the wire's `capabilityChangeSchema` is its one definition). */
export type CapabilityChange = CapabilityChangeData;

const mb = (bytes: number) => `${Math.round(bytes / 1e6).toLocaleString('en')} MB`;
const percent = (fraction: number) => `${Math.round(fraction * 100)} %`;

export function describeChange(from: Rung, to: Rung, why: string, scaler: ProactiveScaler, stabilizationSeconds: number): CapabilityChange {
  const down = to.footprint.memBytes < from.footprint.memBytes;
  const state = scaler.getState();
  const thresholds = scaler.getThresholds().memory;
  const stabilization = Math.round(stabilizationSeconds);
  const minutes = stabilization >= 120 ? `${Math.round(stabilization / 60)} minutes` : `${stabilization} s`;
  if (down) {
    return {
      direction: 'down',
      from: from.model.name,
      to: to.model.name,
      what: `Mai now answers with ${to.model.name} (${mb(to.footprint.memBytes)}) instead of ${from.model.name} (${mb(from.footprint.memBytes)}): replies may be simpler; the conversation is kept.`,
      why,
      bringBack: `${from.model.name} comes back by itself once memory use, with it loaded, would stay under ${percent(thresholds.upgrade)} for ${minutes} (tier: ${state.tier.label}). Closing memory-hungry programs brings that sooner.`,
    };
  }
  return {
    direction: 'up',
    from: from.model.name,
    to: to.model.name,
    what: `Mai is back on ${to.model.name} (${mb(to.footprint.memBytes)}).`,
    why,
    bringBack: '',
  };
}
