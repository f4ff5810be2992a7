/**
 * Native notifications in Electron: implements core/status's Notifier with `Notification`.
 * NotificationPolicy decides what to show; clicking a notification shows the window.
 *
 * Windows shows nothing unless the app has an AppUserModelID (`app.setAppUserModelId`, set by
 * main.ts, equal to electron-builder's appId in a packaged build).
 */
import { Notification } from 'electron';
import type { NotificationContent, Notifier } from '../core/status/notification-policy';

export interface ElectronNotifierOptions {
  /** Clicking a notification: show and focus the window. */
  onClick: () => void;
  /** The icon shown in the notification (Linux, Windows); default the system's. */
  iconPath?: string;
  log?: (message: string) => void;
}

/** What was handed to the OS (the e2e test hook). Whether the OS displayed it cannot be read back. */
export interface SentNotification extends NotificationContent {
  at: number;
  shown: boolean;
  failed: string | null;
}

export class ElectronNotifier implements Notifier {
  /**
   * Notifications not yet closed. Holding them keeps their `click` listener alive: a collected
   * Notification object no longer reports clicks.
   */
  private readonly alive = new Set<Notification>();
  readonly sent: SentNotification[] = [];
  private readonly log: (message: string) => void;

  constructor(private readonly options: ElectronNotifierOptions) {
    this.log = options.log ?? ((message) => console.warn(`[mai] ${message}`));
  }

  show({ title, body, urgency }: NotificationContent): void {
    if (!Notification.isSupported()) {
      this.log(`native notifications are not supported here; not shown: ${title}`);
      return;
    }
    const record: SentNotification = { title, body, urgency, at: Date.now(), shown: false, failed: null };
    this.sent.push(record);
    if (this.sent.length > 50) this.sent.splice(0, this.sent.length - 50);
    const notification = new Notification({
      title,
      body,
      urgency,
      silent: urgency === 'low',
      ...(this.options.iconPath ? { icon: this.options.iconPath } : {}),
    });
    const release = () => this.alive.delete(notification);
    notification.on('show', () => {
      record.shown = true;
    });
    notification.on('click', () => {
      release();
      this.options.onClick();
    });
    notification.on('close', release);
    notification.on('failed', (_event, error) => {
      record.failed = error;
      release();
      this.log(`notification failed: ${error}`);
    });
    this.alive.add(notification);
    // Never hold more than a few: some platforms never report 'close'.
    if (this.alive.size > 10) this.alive.delete(this.alive.values().next().value as Notification);
    notification.show();
  }
}
