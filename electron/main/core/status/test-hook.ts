/**
 * A test hook on `globalThis.__maiStatus`, installed by main.ts only when MAI_TEST_HOOKS=1, so that
 * the Playwright `_electron` spec can read the tray and the notifications with `app.evaluate`
 * (the tray and OS notifications are outside any page Playwright can see).
 */
import type { NativeNotification } from './notification-policy';
import type { MenuActionId, TrayPicture } from './tray-model';

export const STATUS_TEST_HOOK_KEY = '__maiStatus';

export interface StatusTestHook {
  /** What the presenter computed and what the native tray was given (read back from Electron). */
  tray(): { picture: TrayPicture; native: unknown };
  /**
   * What the policy decided to show, what the notifier handed to the OS, and whether this system
   * supports native notifications at all (Electron's Notification.isSupported()).
   */
  notifications(): { decided: NativeNotification[]; native: unknown[]; supported: boolean };
  /** Clicks a tray menu entry as the user would; false when it is absent or disabled. */
  clickMenu(id: MenuActionId): boolean;
  /** Makes memory use look like `fraction` of the total through the engine's test overlay. */
  pushMemoryTo(fraction: number): Promise<void>;
}

export function installStatusTestHook(hook: StatusTestHook, target: object = globalThis): () => void {
  (target as Record<string, unknown>)[STATUS_TEST_HOOK_KEY] = hook;
  return () => {
    delete (target as Record<string, unknown>)[STATUS_TEST_HOOK_KEY];
  };
}

/** Extra "other programs" bytes that bring memory use from `used / total` to `fraction`. */
export function overlayBytesFor(fraction: number, sample: { memUsedBytes: number; memTotalBytes: number }): number {
  return Math.max(0, Math.round(fraction * sample.memTotalBytes - sample.memUsedBytes));
}
