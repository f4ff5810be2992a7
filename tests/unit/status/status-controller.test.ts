/**
 * The tray and notifications put together around a stand-in for AppCore (its event stream, its
 * handlers and settings), with recording stand-ins for Electron's tray, notifications and window.
 */
import { describe, expect, it, vi } from 'vitest';
import type { AppContract, AppState } from '../../../shared/contract';
import type { Handlers } from '../../../shared/rpc';
import { defaultAppSettings, type AppSettings } from '../../../shared/settings';
import { StatusController, type StatusCore, type WindowControl } from '../../../electron/main/core/status/status-controller';
import { capability, engine, FakeChoiceSources, FakeSource, ladder, model, RecordingNotifier, RecordingTrayView, sample } from './fixtures';

/** The handlers the test calls: the tray's own two, and the window's model pick and settings. */
type FakeHandlers = Pick<Handlers<AppContract>, 'app:get-state' | 'scaler:pause' | 'models:select' | 'settings:update'>;

class FakeCore extends FakeSource implements StatusCore {
  settings: AppSettings = { ...defaultAppSettings };
  paused = false;
  current = model('large');
  /** Each handler stand-in emits its service's choice event after answering, as the services do. */
  readonly userChoices = new FakeChoiceSources();
  readonly original: FakeHandlers;
  handlers: FakeHandlers;
  constructor() {
    super();
    this.handlers = {
      'app:get-state': async () =>
        ({
          mode: 'electron',
          engine: engine('ready'),
          model: this.current,
          models: [],
          resource: sample({ fraction: 0.4 }),
          ladder,
          tier: { id: 'medium', label: 'Medium', description: '', reasons: [] },
          scalingPaused: this.paused,
        }) as unknown as AppState,
      'scaler:pause': async ({ paused }) => {
        this.paused = paused;
        this.userChoices.scaling.fire('didSetScalingPaused', paused);
        return { paused };
      },
      'models:select': async ({ path }) => {
        this.current = model(path.includes('8mb') ? 'small' : path.includes('30mb') ? 'medium' : 'large');
        this.emit('onModelChanged', { model: this.current });
        this.userChoices.models.fire('didSelectModel', this.current);
        return this.current;
      },
      'settings:update': async ({ patch }) => {
        this.settings = { ...this.settings, ...(patch as Partial<AppSettings>) };
        if (this.settings.pinnedModelPath) this.paused = true;
        this.userChoices.settings.fire('didChange', this.settings);
        return this.settings;
      },
    };
    this.original = { ...this.handlers };
  }
}

class FakeWindow implements WindowControl {
  shown = true;
  focused = true;
  isShown = () => this.shown;
  isFocused = () => this.focused;
  show = vi.fn(() => {
    this.shown = true;
    this.focused = true;
  });
  hide = vi.fn(() => {
    this.shown = false;
    this.focused = false;
  });
}

function setup() {
  const core = new FakeCore();
  const view = new RecordingTrayView();
  const notifier = new RecordingNotifier();
  const window = new FakeWindow();
  const actions = { openResourcePanel: vi.fn(() => window.show()), quit: vi.fn() };
  const controller = new StatusController({ core, trayView: view, notifier, window, theme: 'dark', ...actions });
  return { core, view, notifier, window, actions, controller };
}

describe('StatusController', () => {
  it('seeds the tray from app:get-state after the core started', async () => {
    const { view, controller } = setup();
    await controller.refresh();
    expect(view.icon).toEqual({ state: 'steady', theme: 'dark' });
    expect(view.toolTip).toBe('Mai — Demo 120 MB · tier Medium · memory 40 % (act at 80 %)');
    expect(view.item('current-model')).toMatchObject({ label: 'Model: Demo 120 MB' });
  });

  it('the menu pauses scaling through the core handler, and a pause from the window shows in the menu', async () => {
    const { core, view, controller } = setup();
    await controller.refresh();
    await controller.presenter.activate('toggle-scaling');
    expect(core.paused).toBe(true);
    expect(view.item('toggle-scaling')).toMatchObject({ checked: true });
    // The renderer resumes it over IPC: the same handler object.
    await core.handlers['scaler:pause']({ paused: false });
    expect(view.item('toggle-scaling')).toMatchObject({ checked: false });
  });

  it('settings that pin a model re-read the state: the box shows scaling paused', async () => {
    const { core, view, controller } = setup();
    await controller.refresh();
    await core.handlers['settings:update']({ patch: { pinnedModelPath: model('medium').path } });
    await vi.waitFor(() => expect(view.item('toggle-scaling')).toMatchObject({ checked: true }));
  });

  it('show/hide from the menu drives the window and the entry’s label', async () => {
    const { view, window, controller } = setup();
    await controller.presenter.activate('toggle-window');
    expect(window.hide).toHaveBeenCalledOnce();
    expect(view.item('toggle-window')).toMatchObject({ label: 'Show Mai' });
    await controller.presenter.activate('toggle-window');
    expect(window.show).toHaveBeenCalledOnce();
    expect(view.item('toggle-window')).toMatchObject({ label: 'Hide Mai' });
    // Hidden some other way (close-to-tray): main.ts reports it.
    window.shown = false;
    controller.windowChanged();
    expect(view.item('toggle-window')).toMatchObject({ label: 'Show Mai' });
  });

  it('a degrade notifies natively only while the window is hidden or unfocused', async () => {
    const { core, notifier, window, controller } = setup();
    await controller.refresh();
    core.emit('onCapabilityChanged', capability('down', 'Demo 120 MB', 'Demo 30 MB', 1));
    expect(notifier.shown).toEqual([]);
    await controller.presenter.activate('toggle-window');
    expect(window.shown).toBe(false);
    core.emit('onModelChanged', { model: model('small') });
    core.emit('onCapabilityChanged', capability('down', 'Demo 30 MB', 'Demo 8 MB', 2));
    expect(notifier.shown.map((n) => n.title)).toEqual(['Mai switched to Demo 8 MB (from Demo 30 MB)']);
    // Shown but another app has the focus: still native.
    window.shown = true;
    window.focused = false;
    core.settings = { ...core.settings, silentSwitching: true };
    core.emit('onCapabilityChanged', capability('down', 'Demo 30 MB', 'Demo 8 MB', 3));
    expect(notifier.shown).toHaveLength(1);
  });

  it('a model picked by the user clears degraded', async () => {
    const { core, view, controller } = setup();
    await controller.refresh();
    core.emit('onModelChanged', { model: model('medium') });
    core.emit('onCapabilityChanged', capability('down'));
    expect(view.icon?.state).toBe('degraded');
    await core.handlers['models:select']({ path: model('small').path });
    expect(view.icon?.state).toBe('steady');
  });

  it('dispose unsubscribes and puts the core’s handlers back', async () => {
    const { core, view, notifier, controller } = setup();
    controller.dispose();
    expect(core.listeners).toBe(0);
    for (const name of Object.keys(core.original) as Array<keyof FakeHandlers>) expect(core.handlers[name]).toBe(core.original[name]);
    const before = view.calls.length;
    core.emit('onEngineStatus', engine('failed', 'Gave up.'));
    expect(view.calls.length).toBe(before);
    expect(notifier.shown).toEqual([]);
  });

  it('after dispose, a pause from the window no longer shows in the menu (unsubscribed from the services)', async () => {
    const { core, view, controller } = setup();
    await controller.refresh();
    controller.dispose();
    await core.handlers['scaler:pause']({ paused: true });
    expect(view.item('toggle-scaling')).toMatchObject({ checked: false });
  });
});
