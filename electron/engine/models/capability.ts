/**
 * What a model change means to the user: what changed, why (with the figure), and what would bring
 * the bigger model back. The sentences go to the in-app notice and the notification centre.
 */
import { upgradeHoldLabel, type CapabilityChangeData } from '../../../shared/resource';
import type { ProactiveScaler } from '../resource/policy/proactive-scaler';
import type { Rung } from './rung';

/** What a model change means to the user (the wire's `capabilityChangeSchema` is its one definition). */
export type CapabilityChange = CapabilityChangeData;

const mb = (bytes: number) => `${Math.round(bytes / 1e6).toLocaleString('en')} MB`;
const percent = (fraction: number) => `${Math.round(fraction * 100)} %`;

/** 45 s, 5 minutes, 1 min 30 s. */
function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 120) return `${s} s`;
  return s % 60 === 0 ? `${s / 60} minutes` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

/** The notice for a model change: what changed, why, and the real earliest time the bigger model can come back and what holds it. */
export function describeChange(from: Rung, to: Rung, why: string, scaler: ProactiveScaler, stabilizationSeconds: number): CapabilityChange {
  const down = to.footprint.memBytes < from.footprint.memBytes;
  const state = scaler.getState();
  const thresholds = scaler.getThresholds().memory;
  const stabilization = duration(stabilizationSeconds);
  if (down) {
    // The real earliest time and the rule that holds the upgrade until then (not the
    // stabilization setting's value when another timer ends later).
    const check = scaler.shouldUpgradeModel();
    const hold = check.hold;
    const when =
      hold && hold.seconds === null
        ? `once this clears — ${upgradeHoldLabel(hold.rule).toLowerCase()}: ${hold.text} —`
        : `in ${duration(check.secondsUntilEligible)} at the earliest${hold ? ` (held until then by the ${hold.text})` : ''}`;
    return {
      direction: 'down',
      from: from.model.name,
      to: to.model.name,
      what: `Mai now answers with ${to.model.name} (${mb(to.footprint.memBytes)}) instead of ${from.model.name} (${mb(from.footprint.memBytes)}): replies may be simpler; the conversation is kept.`,
      why,
      bringBack: `${from.model.name} comes back by itself ${when}, if memory use with it loaded stays under ${percent(thresholds.upgrade)} for the stabilization period of ${stabilization} (tier: ${state.tier.label}). Closing memory-hungry programs brings that sooner.`,
      upgradeHold: { rule: hold?.rule ?? 'stabilization', seconds: hold?.seconds === null ? null : check.secondsUntilEligible },
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
