/** Pure rules for capability changes: how loud a notice is, and which generic notices repeat one. */
import type { CapabilityChangeData } from '../../../shared/resource';

export interface CapabilityEvent extends CapabilityChangeData {
  at: number;
}

/** How a capability change is shown: a warning that stays, an info notice that fades, or nothing. */
export function toastStyle(change: Pick<CapabilityChangeData, 'direction'>, silentSwitching: boolean): 'warn' | 'info' | null {
  if (silentSwitching) return null;
  return change.direction === 'down' ? 'warn' : 'info';
}

/**
 * Main also sends each capability change as a plain notice ("<what> Why: <why>. <bringBack>").
 * That echo is left out of the toasts (the capability notice says it better) but kept in the log.
 */
export function isCapabilityEcho(message: string, recent: readonly CapabilityEvent[], now: number, withinMs = 10_000): boolean {
  return recent.some((change) => now - change.at <= withinMs && change.what.length > 0 && message.startsWith(change.what));
}

/** Milliseconds an "up" notice stays before fading. */
export const INFO_TOAST_MS = 8000;
