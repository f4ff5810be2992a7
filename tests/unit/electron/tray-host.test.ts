/**
 * Close-to-tray without a tray host (electron/main/electron/tray-host.ts): the decision, and the
 * probe against a real private D-Bus session bus (dbus-daemon) on which a client owns, then
 * releases, org.kde.StatusNotifierWatcher as a panel with a system tray does.
 */
import { execFile } from 'node:child_process';
import { existsSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeToTrayAction, probeTrayHost, STATUS_NOTIFIER_WATCHER, type TrayHost } from '../../../electron/main/electron/tray-host';
import { tempDir } from '../../helpers/app';
import { ownBusName, startSessionBus, type SessionBus } from '../../helpers/dbus';

const haveDbus = ['/usr/bin/dbus-daemon', '/usr/bin/gdbus', '/usr/bin/dbus-send'].every((tool) => existsSync(tool));

describe('closeToTrayAction', () => {
  it('hides where a tray shows Mai, minimises on Linux without a StatusNotifierWatcher (or when it cannot tell)', () => {
    const hosts: TrayHost[] = ['present', 'absent', 'unknown'];
    for (const host of hosts) {
      expect(closeToTrayAction('win32', host)).toBe('hide');
      expect(closeToTrayAction('darwin', host)).toBe('hide');
    }
    expect(closeToTrayAction('linux', 'present')).toBe('hide');
    expect(closeToTrayAction('linux', 'absent')).toBe('minimize');
    expect(closeToTrayAction('linux', 'unknown')).toBe('minimize');
  });
});

describe.skipIf(!haveDbus)('probeTrayHost on a real session bus', () => {
  let bus: SessionBus;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    bus = await startSessionBus();
    env = { PATH: process.env.PATH, DBUS_SESSION_BUS_ADDRESS: bus.address };
  });
  afterAll(() => bus?.stop());

  it('absent on a bus without a tray (stock GNOME), present while a panel owns the watcher, absent after it leaves', async () => {
    expect(await probeTrayHost({ env })).toBe('absent');
    const panel = await ownBusName(bus.address, STATUS_NOTIFIER_WATCHER);
    // gdbus wait returns once the name has an owner: an event, not a sleep.
    await new Promise<void>((resolve, reject) =>
      execFile('gdbus', ['wait', '--session', '--timeout', '10', STATUS_NOTIFIER_WATCHER], { env }, (error) => (error ? reject(error) : resolve())),
    );
    expect(await probeTrayHost({ env })).toBe('present');
    panel.release();
    let host: TrayHost = 'present';
    // The bus drops the name when the connection closes; each probe is a round trip to the bus.
    for (let i = 0; i < 50 && host === 'present'; i++) host = await probeTrayHost({ env });
    expect(host).toBe('absent');
  });

  it('uses dbus-send when gdbus is missing', async () => {
    const bin = tempDir('mai-path-');
    symlinkSync('/usr/bin/dbus-send', path.join(bin, 'dbus-send'));
    expect(await probeTrayHost({ env: { ...env, PATH: bin } })).toBe('absent');
  });

  it('unknown without a session bus or without either tool', async () => {
    expect(await probeTrayHost({ env: { PATH: process.env.PATH, DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus' } })).toBe('unknown');
    expect(await probeTrayHost({ env: { ...env, PATH: tempDir('mai-empty-path-') } })).toBe('unknown');
  });
});
