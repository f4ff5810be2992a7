/**
 * Which app events become native OS notifications (no Electron here; the adapter is
 * electron/main/electron/notifications.ts). The in-app notice (onNotice) always exists; a native
 * notification is for when the user is not looking at Mai:
 *
 *  - a capability change down (Mai moved to a smaller model): when the window is hidden, minimised
 *    or unfocused, unless `silentSwitching` is on. Title names the models; body says why and what
 *    brings the bigger model back.
 *  - a capability change up: quiet by default (it is good news and comes by itself); shown under
 *    the same window rule only when the settings say `notifyUpgrades: true` and switching is not
 *    silent.
 *  - the engine failing for good (state `failed`, Mai stopped restarting it): always, even with the
 *    window focused, once per transition into `failed`, with urgency `critical`.
 *
 * At most one notification of each kind per 30 s; the ones in between are dropped (the in-app
 * notices and the tray still tell the whole story).
 */
import type { EngineStatus } from '../../../../shared/domain';
import type { CapabilityChangeData } from '../../../../shared/resource';
import type { StatusEventSink, StatusEventSource } from './events';

export type NotificationUrgency = 'low' | 'normal' | 'critical';
export type NotificationKind = 'degrade' | 'upgrade' | 'engine-failed';

export interface NotificationContent {
  title: string;
  body: string;
  urgency: NotificationUrgency;
}

/** What the Electron adapter implements. */
export interface Notifier {
  show(notification: NotificationContent): void;
}

export interface NativeNotification extends NotificationContent {
  kind: NotificationKind;
}

/** The settings the policy reads; AppSettings fits. `notifyUpgrades` is not in AppSettings yet. */
export interface NotificationSettings {
  silentSwitching: boolean;
  notifyUpgrades?: boolean;
}

export interface NotificationPolicyOptions {
  notifier: Notifier;
  /** True when the window is shown, not minimised, and has the focus. */
  isWindowVisibleAndFocused: () => boolean;
  settings: () => NotificationSettings;
  /** Milliseconds; default Date.now. */
  now?: () => number;
  /** Least time between two notifications of the same kind, ms. Default 30 000. */
  minIntervalMs?: number;
  /** Told when the notifier throws (the event is then counted as not shown). */
  onError?: (error: Error) => void;
}

export const DEFAULT_MIN_INTERVAL_MS = 30_000;
/** Bodies longer than this are cut at a word (Windows and macOS show a few lines at most). */
export const BODY_MAX_CHARS = 300;

const sentence = (text: string) => text.trim().replace(/[.\s]+$/, '');

function clip(text: string, max = BODY_MAX_CHARS): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max - 1);
  const space = cut.lastIndexOf(' ');
  return `${(space > max * 0.6 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

/** The notification a capability change would give, before the window and rate rules. */
export function capabilityNotification(change: CapabilityChangeData): NativeNotification {
  const why = sentence(change.why);
  if (change.kind === 'step') {
    // The same model at another cost: what changed is the news, not a model name.
    return change.direction === 'down'
      ? {
          kind: 'degrade',
          title: 'Mai made room without changing model',
          body: clip([change.what, change.bringBack.trim()].filter(Boolean).join(' ')),
          urgency: 'normal',
        }
      : { kind: 'upgrade', title: `Mai is back to ${change.to}`, body: clip(change.what), urgency: 'low' };
  }
  if (change.direction === 'down') {
    return {
      kind: 'degrade',
      title: `Mai switched to ${change.to} (from ${change.from})`,
      body: clip([why ? `Why: ${why}.` : '', change.bringBack.trim()].filter(Boolean).join(' ')),
      urgency: 'normal',
    };
  }
  return { kind: 'upgrade', title: `Mai is back on ${change.to}`, body: clip(why ? `Why: ${why}.` : change.what), urgency: 'low' };
}

export function engineFailedNotification(status: EngineStatus): NativeNotification {
  const detail = sentence(status.detail ?? status.lastExit?.detail ?? 'It went down too often');
  return { kind: 'engine-failed', title: "Mai's engine stopped", body: clip(`${detail}. Click to open Mai and restart it.`), urgency: 'critical' };
}

export class NotificationPolicy {
  private readonly lastShown = new Map<NotificationKind, number>();
  private engineState: EngineStatus['state'] | null = null;
  private readonly now: () => number;
  private readonly minIntervalMs: number;
  /** Every notification shown, oldest first (the last 50; tests and the e2e hook read it). */
  readonly shown: NativeNotification[] = [];

  constructor(private readonly options: NotificationPolicyOptions) {
    this.now = options.now ?? Date.now;
    this.minIntervalMs = options.minIntervalMs ?? DEFAULT_MIN_INTERVAL_MS;
  }

  /** The event sink to give AppCore.subscribe (or call `attach`). */
  readonly sink: StatusEventSink = (event, payload) => {
    this.handle(event, payload);
  };

  attach(source: StatusEventSource): () => void {
    return source.subscribe(this.sink);
  }

  /** Decides on one event and shows the notification if there is one; returns what was shown. */
  handle(event: string, payload: unknown): NativeNotification | null {
    const candidate = this.decide(event, payload);
    if (!candidate) return null;
    const at = this.now();
    const last = this.lastShown.get(candidate.kind);
    if (last !== undefined && at - last < this.minIntervalMs) return null;
    try {
      this.options.notifier.show({ title: candidate.title, body: candidate.body, urgency: candidate.urgency });
    } catch (error) {
      this.options.onError?.(error instanceof Error ? error : new Error(String(error)));
      return null;
    }
    this.lastShown.set(candidate.kind, at);
    this.shown.push(candidate);
    if (this.shown.length > 50) this.shown.splice(0, this.shown.length - 50);
    return candidate;
  }

  /** The notification an event calls for now (window and settings rules), ignoring the rate limit. */
  private decide(event: string, payload: unknown): NativeNotification | null {
    if (event === 'onEngineStatus') {
      const status = payload as EngineStatus;
      const entered = status.state === 'failed' && this.engineState !== 'failed';
      this.engineState = status.state;
      return entered ? engineFailedNotification(status) : null;
    }
    if (event === 'onCapabilityChanged') {
      const change = payload as CapabilityChangeData;
      const settings = this.options.settings();
      if (settings.silentSwitching) return null;
      if (change.direction === 'up' && settings.notifyUpgrades !== true) return null;
      if (this.options.isWindowVisibleAndFocused()) return null;
      return capabilityNotification(change);
    }
    return null;
  }
}
