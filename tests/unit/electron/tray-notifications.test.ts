/**
 * The tray and native notifications against a stand-in for Electron's Tray, Menu, nativeImage and
 * Notification (./fake-electron: the Electron runtime cannot be installed here). The pictures come
 * from the real tray model (core/status), so each state's icon, tooltip and menu are the ones the
 * user would see.
 */
import { fileURLToPath } from 'node:url';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { initialTrayInputs, trayPicture, trayStates, trayThemes, type TrayInputs, type TrayState } from '../../../electron/main/core/status/tray-model';
import { iconsDir, trayIconPath } from '../../../electron/main/electron/icons';
import { model } from '../status/fixtures';
import { Notification, Tray } from './fake-electron';

vi.mock('electron', async () => await import('./fake-electron'));

const { ElectronTrayView } = await import('../../../electron/main/electron/tray');
const { ElectronNotifier } = await import('../../../electron/main/electron/notifications');

const dir = iconsDir({ isPackaged: false, appPath: fileURLToPath(new URL('../../..', import.meta.url)), resourcesPath: undefined });

/** Inputs that put the tray in each state. */
const inputsFor: Record<TrayState, TrayInputs> = {
  steady: { ...initialTrayInputs, engine: { state: 'ready', restarts: 0 }, model: model('large') },
  pressure: { ...initialTrayInputs, engine: { state: 'ready', restarts: 0 }, model: model('large'), pressureHold: true },
  degraded: {
    ...initialTrayInputs,
    engine: { state: 'ready', restarts: 0 },
    model: model('small'),
    ladder: [],
    lastChange: { direction: 'down', from: 'Demo 120 MB', to: 'Demo 8 MB', why: 'memory at 91 %' },
  },
  down: { ...initialTrayInputs, engine: { state: 'failed', restarts: 2, detail: 'The engine went down 3 times in 5 minutes.' } },
};

beforeEach(() => {
  Tray.created.length = 0;
  Notification.created.length = 0;
  Notification.supported = true;
});

describe('ElectronTrayView', () => {
  it('macOS: every state is a template image (the menu bar recolours it), one file per state whatever the theme; elsewhere coloured images per theme', () => {
    for (const platform of ['darwin', 'linux', 'win32'] as const) {
      Tray.created.length = 0;
      const view = new ElectronTrayView({ iconsDir: dir, onAction: () => {}, platform, log: (m) => expect.fail(m) });
      const tray = Tray.created[0] as Tray;
      expect(tray.image.isTemplateImage(), `${platform}: the first image`).toBe(platform === 'darwin');
      for (const state of trayStates) {
        for (const theme of trayThemes) {
          view.setIcon(state, theme);
          expect(tray.image.isEmpty()).toBe(false);
          expect(tray.image.isTemplateImage(), `${platform} ${state} ${theme}`).toBe(platform === 'darwin');
          expect(tray.image.path).toBe(trayIconPath(dir, state, platform === 'darwin' ? 'light' : theme));
          expect(view.describe().iconPath).toBe(tray.image.path);
        }
      }
    }
  });

  it.each(trayStates.flatMap((state) => trayThemes.map((theme) => [state, theme] as const)))(
    'shows %s (%s panel) with its icon, tooltip and menu',
    (state, theme) => {
      const onAction = vi.fn();
      const logs: string[] = [];
      const view = new ElectronTrayView({ iconsDir: dir, onAction, log: (m) => logs.push(m) });
      const tray = Tray.created[0] as Tray;
      const picture = trayPicture(inputsFor[state], theme);
      expect(picture.state).toBe(state);

      view.setIcon(picture.state, picture.theme);
      view.setToolTip(picture.toolTip);
      view.setMenu(picture.menu);

      expect(tray.image.path).toBe(trayIconPath(dir, state, theme));
      expect(tray.image.isEmpty()).toBe(false);
      expect(logs).toEqual([]);
      expect(tray.toolTip).toBe(picture.toolTip);
      expect(tray.toolTip).toMatch(/^Mai/);
      const items = tray.contextMenu?.items ?? [];
      expect(items.map((i) => i.id)).toEqual(picture.menu.map((i) => i.id));
      for (const [index, item] of picture.menu.entries()) {
        const native = items[index];
        if (item.type === 'separator') expect(native?.type).toBe('separator');
        // Status lines are shown but cannot be clicked.
        if (item.type === 'label') expect({ label: native?.label, enabled: native?.enabled }).toEqual({ label: item.label, enabled: false });
        if (item.type === 'normal' || item.type === 'checkbox') {
          expect({ label: native?.label, enabled: native?.enabled }).toEqual({ label: item.label, enabled: item.enabled });
          if (item.type === 'checkbox') expect(native?.checked).toBe(item.checked);
        }
      }
      // A click on an entry reaches the presenter's action with the entry's id.
      expect(view.click('quit')).toBe(true);
      expect(onAction).toHaveBeenCalledWith('quit');
      expect(view.describe()).toMatchObject({ iconPath: trayIconPath(dir, state, theme), toolTip: picture.toolTip, destroyed: false });
      view.destroy();
      expect(tray.isDestroyed()).toBe(true);
      // Calls after the tray is gone are ignored, not thrown.
      expect(() => view.setToolTip('late')).not.toThrow();
    },
  );

  it('the down state names the failure in the tooltip', () => {
    const picture = trayPicture(inputsFor.down, 'dark');
    expect(picture.toolTip).toMatch(/engine failed/);
  });
});

describe('ElectronNotifier', () => {
  it('shows a native Notification with the content, and a click shows the window', () => {
    const onClick = vi.fn();
    const notifier = new ElectronNotifier({ onClick, iconPath: '/opt/mai/icon.png', log: () => {} });
    notifier.show({ title: 'Mai switched to a smaller model', body: 'Memory at 91 %.', urgency: 'normal' });
    const native = Notification.created[0] as Notification;
    expect(native.options).toEqual({
      title: 'Mai switched to a smaller model',
      body: 'Memory at 91 %.',
      urgency: 'normal',
      silent: false,
      icon: '/opt/mai/icon.png',
    });
    expect(native.shown).toBe(true);
    expect(notifier.sent[0]).toMatchObject({ title: 'Mai switched to a smaller model', shown: true, failed: null });
    native.emit('click');
    expect(onClick).toHaveBeenCalledTimes(1);
  });

  it('a low-urgency notification is silent; nothing is shown where notifications are unsupported', () => {
    const logs: string[] = [];
    const notifier = new ElectronNotifier({ onClick: () => {}, log: (m) => logs.push(m) });
    notifier.show({ title: 'Back to the bigger model', body: 'Memory is fine again.', urgency: 'low' });
    expect(Notification.created[0]?.options.silent).toBe(true);
    Notification.supported = false;
    notifier.show({ title: 'Not shown', body: '', urgency: 'normal' });
    expect(Notification.created).toHaveLength(1);
    expect(logs.join('\n')).toMatch(/not supported.*Not shown/);
  });
});
