/**
 * What a model change means to the user: what changed, why (with the figure), and what would bring
 * the bigger model back. The sentences go to the in-app notice and the notification centre. A
 * cascade step (the same model at another cost: KV-cache type, context, GPU layers) is told in
 * words about what the user notices — how much of the conversation Mai remembers, the precision of
 * its working memory, the speed — not in rung ids.
 */
import { upgradeHoldLabel, type CapabilityChangeData } from '../../../shared/resource';
import type { ProactiveScaler } from '../resource/policy/proactive-scaler';
import { contextSizeOf } from './model-shape';
import { rungBytes, type Rung } from './rung';

/** What a model change means to the user (the wire's `capabilityChangeSchema` is its one definition). */
export type CapabilityChange = CapabilityChangeData;

const mb = (bytes: number) => `${Math.round(bytes / 1e6).toLocaleString('en')} MB`;
const percent = (fraction: number) => `${Math.round(fraction * 100)} %`;
const tokens = (count: number) => count.toLocaleString('en');

/** 45 s, 5 minutes, 1 min 30 s. */
function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 120) return `${s} s`;
  return s % 60 === 0 ? `${s / 60} minutes` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

/** A rung's context, tokens, when known. */
function contextOf(rung: Rung): number | undefined {
  return rung.footprint.shape ? contextSizeOf(rung.footprint.shape, rung.cost) : rung.cost.contextSize;
}

/** Whether a rung is a cascade step (a cheaper cost than its model's full rung). */
export function isCascadeStep(rung: Rung): boolean {
  return rung.cost.kvCacheType === 'q8_0' || rung.cost.gpuLayers !== undefined;
}

/** A cascade step's cost in words, "Q8_0 KV cache, 8,192 tokens, 8 GPU layers"; null for a full rung. */
export function stepLabel(rung: Rung): string | null {
  if (!isCascadeStep(rung)) return null;
  const context = contextOf(rung);
  return [
    rung.cost.kvCacheType === 'q8_0' ? 'Q8_0 KV cache' : 'F16 KV cache',
    ...(context !== undefined ? [`${tokens(context)} tokens`] : []),
    ...(rung.cost.gpuLayers !== undefined ? [`${rung.cost.gpuLayers} GPU layer${rung.cost.gpuLayers === 1 ? '' : 's'}`] : []),
  ].join(', ');
}

/** The display name of a rung: the model's, with the step's cost when it is one. */
export function rungLabel(rung: Rung): string {
  const step = stepLabel(rung);
  return step ? `${rung.model.name} (${step})` : rung.model.name;
}

/** Sentences for what changed between two rungs of one model, and what would come back on the way up. */
function stepSentences(from: Rung, to: Rung): { what: string[]; back: string[] } {
  const what: string[] = [];
  const back: string[] = [];
  const fromContext = contextOf(from);
  const toContext = contextOf(to);
  if (fromContext !== undefined && toContext !== undefined && fromContext !== toContext) {
    if (toContext < fromContext) {
      what.push(
        `Mai now remembers the last ${tokens(toContext)} tokens of this conversation instead of ${tokens(fromContext)}: older parts are left out of what it sees.`,
      );
      back.push(`the longer memory (${tokens(fromContext)} tokens)`);
    } else what.push(`Mai again remembers the last ${tokens(toContext)} tokens of this conversation instead of ${tokens(fromContext)}.`);
  }
  const fromKv = from.cost.kvCacheType ?? 'f16';
  const toKv = to.cost.kvCacheType ?? 'f16';
  if (fromKv !== toKv) {
    if (toKv === 'q8_0') {
      what.push(
        'Mai now stores its working memory of the conversation at lower precision (Q8_0 KV cache instead of F16): it takes about half the room; replies may differ slightly.',
      );
      back.push('full precision');
    } else what.push('Mai again stores its working memory of the conversation at full precision (F16 KV cache).');
  }
  if (from.cost.gpuLayers !== to.cost.gpuLayers) {
    const layers = (rung: Rung) =>
      rung.cost.gpuLayers === undefined ? 'all its layers' : `${rung.cost.gpuLayers} layer${rung.cost.gpuLayers === 1 ? '' : 's'}`;
    const fewer = (to.cost.gpuLayers ?? Infinity) < (from.cost.gpuLayers ?? Infinity);
    what.push(
      fewer
        ? `Mai now runs ${layers(to)} on the GPU instead of ${layers(from)}, leaving the rest to the CPU: replies come more slowly.`
        : `Mai again runs ${layers(to)} on the GPU instead of ${layers(from)}.`,
    );
    if (fewer) back.push('the GPU layers');
  }
  return { what, back };
}

/** "a", "a and b", "a, b and c". */
function list(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

/**
 * The notice for a change of rung: what changed, why, and the real earliest time the bigger model
 * (or the undone step) can come back and what holds it. `ladder` (quality order, smallest first)
 * says which way the change went; without it, the memory taken does.
 */
export function describeChange(
  from: Rung,
  to: Rung,
  why: string,
  scaler: ProactiveScaler,
  stabilizationSeconds: number,
  ladder?: readonly Rung[],
): CapabilityChange {
  const down =
    ladder && ladder.includes(from) && ladder.includes(to) ? ladder.indexOf(to) < ladder.indexOf(from) : to.footprint.memBytes < from.footprint.memBytes;
  const step = from.model.path === to.model.path && from.runtimeId === to.runtimeId;
  const state = scaler.getState();
  const thresholds = scaler.getThresholds().memory;
  const stabilization = duration(stabilizationSeconds);
  const sentences = step ? stepSentences(from, to) : null;
  const freed = rungBytes(from) - rungBytes(to);
  const names = { from: rungLabel(from), to: rungLabel(to), kind: step ? ('step' as const) : ('model' as const) };
  if (down) {
    // The real earliest time and the rule that holds the upgrade until then (not the
    // stabilization setting's value when another timer ends later).
    const check = scaler.shouldUpgradeModel();
    const hold = check.hold;
    const when =
      hold && hold.seconds === null
        ? `once this clears — ${upgradeHoldLabel(hold.rule).toLowerCase()}: ${hold.text} —`
        : `in ${duration(check.secondsUntilEligible)} at the earliest${hold ? ` (held until then by the ${hold.text})` : ''}`;
    const condition = `if memory use with it stays under ${percent(thresholds.upgrade)} for the stabilization period of ${stabilization} (tier: ${state.tier.label}). Closing memory-hungry programs brings that sooner.`;
    const upgradeHold = { rule: hold?.rule ?? 'stabilization', seconds: hold?.seconds === null ? null : check.secondsUntilEligible };
    if (sentences) {
      const back = sentences.back.length > 0 ? list(sentences.back) : 'the previous setting';
      return {
        direction: 'down',
        ...names,
        what: `${sentences.what.join(' ')}${freed > 0 ? ` This frees about ${mb(freed)}.` : ''} ${from.model.name} stays loaded and the conversation is kept.`,
        why,
        bringBack: `${back.charAt(0).toUpperCase()}${back.slice(1)} ${sentences.back.length > 1 ? 'come back by themselves' : 'comes back by itself'} ${when}, ${condition}`,
        upgradeHold,
      };
    }
    return {
      direction: 'down',
      ...names,
      what: `Mai now answers with ${to.model.name} (${mb(to.footprint.memBytes)}) instead of ${from.model.name} (${mb(from.footprint.memBytes)}): replies may be simpler; the conversation is kept.`,
      why,
      bringBack: `${from.model.name} comes back by itself ${when}, ${condition}`,
      upgradeHold,
    };
  }
  return {
    direction: 'up',
    ...names,
    what: sentences ? sentences.what.join(' ') || `Mai is back on ${names.to}.` : `Mai is back on ${to.model.name} (${mb(to.footprint.memBytes)}).`,
    why,
    bringBack: '',
  };
}
