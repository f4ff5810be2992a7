/**
 * Whether closing the window may hide it in the tray. On Linux, Electron's Tray is a
 * StatusNotifierItem that a panel shows only if it runs the D-Bus service
 * `org.kde.StatusNotifierWatcher` (KDE, XFCE, Cinnamon, MATE, GNOME *with* the AppIndicator
 * extension); stock GNOME has none, so a hidden window could only come back by launching Mai
 * again. Electron has no API that says whether its tray icon is shown, so main asks the session
 * bus whether that name has an owner — with `gdbus` or `dbus-send`, which come with GLib and
 * D-Bus on every desktop, rather than a native module — at each close, since the panel may
 * start after Mai. No Electron import here, so tests can load it.
 */
import { execFile } from 'node:child_process';

export const STATUS_NOTIFIER_WATCHER = 'org.kde.StatusNotifierWatcher';

/** `unknown`: no session bus, or neither tool could ask it. */
export type TrayHost = 'present' | 'absent' | 'unknown';

/** What a close of the window does when "Close to tray" is on. */
export type CloseToTrayAction = 'hide' | 'minimize';

/**
 * Hide where a tray shows Mai (Windows' notification area and macOS's menu bar always do; Linux
 * when a StatusNotifierWatcher runs); otherwise minimise, which keeps Mai running, as the setting
 * asks, and reachable from the taskbar or dock.
 */
export function closeToTrayAction(platform: NodeJS.Platform, host: TrayHost): CloseToTrayAction {
  if (platform !== 'linux') return 'hide';
  return host === 'present' ? 'hide' : 'minimize';
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<string | null> {
  return new Promise((resolve) => {
    execFile(command, args, { env, timeout: timeoutMs, windowsHide: true }, (error, stdout) => resolve(error ? null : stdout));
  });
}

export interface TrayHostProbeOptions {
  /** The environment (its DBUS_SESSION_BUS_ADDRESS); default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Per tool, milliseconds. Default 1000. */
  timeoutMs?: number;
}

/** Asks the session bus whether a StatusNotifierWatcher is running (Linux). */
export async function probeTrayHost(options: TrayHostProbeOptions = {}): Promise<TrayHost> {
  const env = options.env ?? process.env;
  const timeoutMs = options.timeoutMs ?? 1000;
  // org.freedesktop.DBus.NameHasOwner(s) → b. gdbus prints "(true,)"; dbus-send's literal reply "   boolean true".
  const gdbus = await run(
    'gdbus',
    [
      'call',
      '--session',
      '--dest',
      'org.freedesktop.DBus',
      '--object-path',
      '/org/freedesktop/DBus',
      '--method',
      'org.freedesktop.DBus.NameHasOwner',
      STATUS_NOTIFIER_WATCHER,
    ],
    env,
    timeoutMs,
  );
  const gdbusAnswer = /\((true|false),\)/.exec(gdbus ?? '')?.[1];
  if (gdbusAnswer) return gdbusAnswer === 'true' ? 'present' : 'absent';
  const dbusSend = await run(
    'dbus-send',
    [
      '--session',
      '--print-reply=literal',
      '--dest=org.freedesktop.DBus',
      '/org/freedesktop/DBus',
      'org.freedesktop.DBus.NameHasOwner',
      `string:${STATUS_NOTIFIER_WATCHER}`,
    ],
    env,
    timeoutMs,
  );
  const dbusSendAnswer = /boolean (true|false)/.exec(dbusSend ?? '')?.[1];
  if (dbusSendAnswer) return dbusSendAnswer === 'true' ? 'present' : 'absent';
  return 'unknown';
}
