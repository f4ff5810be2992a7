/**
 * What a reply may cost when the pre-flight check says resources run tight: a token limit the time
 * left before the degrade line allows, and fewer threads when other programs hold the cores. Pure
 * arithmetic on the pre-flight answer and the latest sample.
 */
import type { PreflightAnswer } from '../resource/types';

/** A shortened reply still says something useful; below this it is not worth starting. */
export const MIN_DEGRADED_TOKENS = 32;

export interface ReplyCostInput {
  preflight: PreflightAnswer;
  /** The reply's own limit, tokens. */
  requestedMaxTokens: number;
  /** Tokens the pre-flight assumed for the reply (its `expectedSeconds` is for this many). */
  expectedTokens: number;
  /** Seconds a switch to the next smaller model takes (its load); 0 when there is none. */
  switchSeconds: number;
  /** Other programs' CPU load now, fraction (0–1) of all logical cores; null when unmeasured. */
  cpuOtherLoad: number | null;
  logicalCores: number;
}

export interface ReplyCost {
  maxTokens: number;
  threads: number;
  /** One sentence for the note beside the reply; null when nothing was reduced. */
  note: string | null;
}

/**
 * Threads for a reply under pressure: the pre-flight's count (the scaler's, which follows a median
 * of a few seconds), lowered at once when the latest sample shows other programs leaving fewer
 * free cores than that plus one for the system. llama.cpp's threads spin on shared cores.
 */
export function tightThreads(preflightThreads: number, cpuOtherLoad: number | null, logicalCores: number): number {
  if (cpuOtherLoad === null) return preflightThreads;
  const freeCores = Math.floor(logicalCores * (1 - Math.min(1, Math.max(0, cpuOtherLoad))) + 0.25);
  return Math.max(1, Math.min(preflightThreads, freeCores - 1));
}

/**
 * The token limit and threads for this reply. `go` runs as asked. Otherwise the reply is given
 * the seconds left before the forecast crosses the degrade line, minus the switch that follows it,
 * at the speed the pre-flight assumed; a verdict with no forecast keeps the pre-flight's own
 * expected length.
 */
export function replyCost(input: ReplyCostInput): ReplyCost {
  const { preflight, requestedMaxTokens } = input;
  if (preflight.verdict === 'go') return { maxTokens: requestedMaxTokens, threads: preflight.threads, note: null };
  const tokensPerSecond = input.expectedTokens / Math.max(0.1, preflight.expectedSeconds);
  const budgetSeconds = preflight.secondsToThreshold !== null ? Math.max(0, preflight.secondsToThreshold - input.switchSeconds) : preflight.expectedSeconds;
  const fitting = Math.floor(tokensPerSecond * budgetSeconds);
  const maxTokens = Math.min(requestedMaxTokens, Math.max(MIN_DEGRADED_TOKENS, fitting));
  const threads = tightThreads(preflight.threads, input.cpuOtherLoad, input.logicalCores);
  const cuts: string[] = [];
  if (maxTokens < requestedMaxTokens) cuts.push(`shortened to ${maxTokens} tokens`);
  if (threads < preflight.threads) cuts.push(`run on ${threads} thread${threads === 1 ? '' : 's'}`);
  const note = cuts.length > 0 ? `${cuts.join(' and ')} to ease the pressure: ${preflight.reason}`.replace(/^./, (c) => c.toUpperCase()) : null;
  return { maxTokens, threads, note };
}
