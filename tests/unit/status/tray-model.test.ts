/**
 * The tray's state, tooltip and menu from sequences of real-shaped app events, against a recording
 * stand-in for Electron's Tray (no Electron runtime can run here).
 */
import { describe, expect, it, vi } from 'vitest';
import { defaultAppSettings } from '../../../shared/settings';
import { observeUserChoices } from '../../../electron/main/core/status/events';
import {
  computeTrayState,
  initialTrayInputs,
  TrayPresenter,
  trayToolTip,
  type TrayActions,
  type TrayState,
} from '../../../electron/main/core/status/tray-model';
import { capability, engine, FakeChoiceSources, FakeSource, ladder, model, RecordingTrayView, sample, type SampleOptions } from './fixtures';

/** Handlers that answer as ModelController's, EngineService's and SettingsService's do, then emit their choice events. */
function choiceHandlers(choices: FakeChoiceSources) {
  return {
    'models:select': vi.fn(async (_params: { path: string }) => {
      const picked = model('small');
      choices.models.fire('didSelectModel', picked);
      return picked;
    }),
    'scaler:pause': vi.fn(async ({ paused }: { paused: boolean }) => {
      choices.scaling.fire('didSetScalingPaused', paused);
      return { paused };
    }),
    'settings:update': vi.fn(async () => {
      choices.settings.fire('didChange', defaultAppSettings);
      return defaultAppSettings;
    }),
  };
}

function setup(options: { theme?: 'light' | 'dark'; actions?: Partial<TrayActions> } = {}) {
  const clock = { now: 1_000_000 };
  const view = new RecordingTrayView();
  const actions: TrayActions = {
    toggleWindow: vi.fn(),
    setScalingPaused: vi.fn(async () => {}),
    openResourcePanel: vi.fn(),
    quit: vi.fn(),
    ...options.actions,
  };
  const onError = vi.fn();
  const presenter = new TrayPresenter(view, actions, { theme: options.theme ?? 'light', onError, now: () => clock.now });
  const source = new FakeSource();
  presenter.attach(source);
  /** The next 1 Hz sample: wall clock and sample time move on by `seconds`. */
  const tick = (options: Omit<SampleOptions, 't'>, seconds = 1) => {
    clock.now += seconds * 1000;
    source.emit('onResourceSample', sample({ ...options, t: clock.now }));
  };
  return { view, actions, presenter, source, onError, clock, tick };
}

/** A running app on the largest model, memory at 50 %. */
function running() {
  const t = setup();
  t.presenter.seed({ ladder, tier: { id: 'medium', label: 'Medium', description: 'Medium machine', reasons: [] }, scalingPaused: false });
  t.source.emit('onEngineStatus', engine('ready'));
  t.source.emit('onModelChanged', { model: model('large') });
  t.tick({ fraction: 0.5 });
  return t;
}

const iconCalls = (view: RecordingTrayView) => view.calls.filter((call) => call[0] === 'setIcon');

describe('tray state from app events', () => {
  it('is steady on the largest model with memory well under the threshold', () => {
    const { view, presenter } = running();
    expect(presenter.picture.state).toBe('steady');
    expect(view.icon).toEqual({ state: 'steady', theme: 'light' });
    expect(view.toolTip).toBe('Mai — Demo 120 MB · tier Medium · memory 50 % (act at 80 %)');
  });

  it('engine failed → down, with the failure in the tooltip and menu; the pause checkbox is disabled', () => {
    const { view, source } = running();
    source.emit('onEngineStatus', engine('failed', 'The engine went down 3 times in 2 minutes, so Mai stopped restarting it.'));
    expect(view.icon?.state).toBe('down');
    expect(view.toolTip).toBe('Mai — engine failed');
    expect(view.item('status')).toMatchObject({ label: 'The engine stopped — open Mai to restart it' });
    expect(view.item('toggle-scaling')).toMatchObject({ enabled: false });
  });

  it.each([
    ['restarting', 'Mai — engine restarting'],
    ['stopped', 'Mai — engine stopped'],
  ] as const)('engine %s → down', (state, toolTip) => {
    const { view, source } = running();
    source.emit('onEngineStatus', engine(state));
    expect(view.icon?.state).toBe('down');
    expect(view.toolTip).toBe(toolTip);
  });

  it('down wins over everything and ends when the engine is ready again', () => {
    const { view, source } = running();
    source.emit('onModelChanged', { model: model('medium') });
    source.emit('onCapabilityChanged', capability('down'));
    source.emit('onEngineStatus', engine('restarting'));
    expect(view.icon?.state).toBe('down');
    source.emit('onEngineStatus', engine('starting'));
    expect(view.icon?.state).toBe('degraded');
  });

  it('a degrade → degraded (model changed, then the capability change, as the engine sends them); an upgrade → steady', () => {
    const { view, source, tick } = running();
    tick({ fraction: 0.77, status: 'degrading' });
    expect(view.icon?.state).toBe('pressure');
    source.emit('onModelChanged', { model: model('medium') });
    source.emit('onCapabilityChanged', capability('down'));
    tick({ fraction: 0.6, status: 'stabilizing' }, 5);
    expect(view.icon?.state).toBe('degraded');
    expect(view.toolTip).toBe('Mai — Demo 30 MB · tier Medium · memory 60 % (act at 80 %) · smaller model for now');
    expect(view.item('current-model')).toMatchObject({ type: 'label', label: 'Model: Demo 30 MB' });
    expect(view.item('status')).toMatchObject({ label: 'On a smaller model until memory frees up' });

    source.emit('onModelChanged', { model: model('large') });
    source.emit('onCapabilityChanged', capability('up', 'Demo 30 MB', 'Demo 120 MB'));
    tick({ fraction: 0.45 }, 5);
    expect(view.icon?.state).toBe('steady');
    expect(view.toolTip).toBe('Mai — Demo 120 MB · tier Medium · memory 45 % (act at 80 %)');
  });

  it('degraded outranks pressure', () => {
    const { view, source, tick } = running();
    source.emit('onModelChanged', { model: model('small') });
    source.emit('onCapabilityChanged', capability('down', 'Demo 120 MB', 'Demo 8 MB'));
    tick({ fraction: 0.79 });
    expect(view.icon?.state).toBe('degraded');
  });

  it('a model the user picks clears degraded, whichever size it is', async () => {
    const { view, source, presenter } = running();
    source.emit('onModelChanged', { model: model('medium') });
    source.emit('onCapabilityChanged', capability('down'));
    expect(view.icon?.state).toBe('degraded');
    // The real path: the service's handler answers, then emits its choice event, which the tray
    // hears (as main.ts wires it); these stand-ins play ModelController and EngineService.
    const choices = new FakeChoiceSources();
    const handlers = choiceHandlers(choices);
    observeUserChoices(choices, {
      onUserModelPick: (picked) => presenter.noteUserModelPick(picked),
      onScalingPaused: (paused) => presenter.setScalingPaused(paused),
    });
    await handlers['models:select']({ path: model('small').path });
    expect(view.icon?.state).toBe('steady');
    expect(view.item('current-model')).toMatchObject({ label: 'Model: Demo 8 MB' });
  });

  it('a down change that leaves the largest model loaded (a chain that came back) is not degraded', () => {
    const { view, source } = running();
    source.emit('onCapabilityChanged', capability('down'));
    expect(view.icon?.state).toBe('steady');
  });

  it('without a ladder, the last change alone decides', () => {
    const inputs = { ...initialTrayInputs, model: model('large'), lastChange: { direction: 'down' as const, from: 'a', to: 'b', why: 'x' } };
    expect(computeTrayState(inputs)).toBe('degraded');
  });

  it('memory within 5 points of the act threshold → pressure; 5 s under the line → steady', () => {
    const { view, tick } = running();
    tick({ fraction: 0.749, degrade: 0.8 });
    expect(view.icon?.state).toBe('steady');
    tick({ fraction: 0.75, degrade: 0.8 });
    expect(view.icon?.state).toBe('pressure');
    expect(view.toolTip).toBe('Mai — Demo 120 MB · tier Medium · memory 75 % (act at 80 %) · memory is getting tight');
    // The threshold is the tier's: a stricter one moves the line.
    tick({ fraction: 0.66, degrade: 0.7, tier: 'Small' });
    expect(view.icon?.state).toBe('pressure');
    expect(view.toolTip).toBe('Mai — Demo 120 MB · tier Small · memory 66 % (act at 70 %) · memory is getting tight');
    for (let second = 1; second < 5; second += 1) {
      tick({ fraction: 0.5 });
      expect(view.icon?.state, `${second} s under the line`).toBe('pressure');
    }
    tick({ fraction: 0.5 });
    expect(view.icon?.state).toBe('steady');
    expect(view.toolTip).toBe('Mai — Demo 120 MB · tier Medium · memory 50 % (act at 80 %)');
  });

  it('memory hovering at the line does not make the icon blink', () => {
    const { view, tick } = running();
    const before = iconCalls(view).length;
    for (let second = 0; second < 60; second += 1) tick({ fraction: second % 3 === 0 ? 0.76 : 0.73 });
    expect(iconCalls(view).slice(before)).toEqual([['setIcon', 'pressure', 'light']]);
    for (let second = 0; second < 5; second += 1) tick({ fraction: 0.6 });
    expect(iconCalls(view).slice(before)).toEqual([
      ['setIcon', 'pressure', 'light'],
      ['setIcon', 'steady', 'light'],
    ]);
  });

  it('the scaler degrading → pressure even below the line', () => {
    const { view, tick } = running();
    tick({ fraction: 0.55, status: 'degrading' });
    expect(view.icon?.state).toBe('pressure');
    expect(view.toolTip).toContain('moving to a smaller model');
  });

  it('follows the theme: the same state drawn for the other panel', () => {
    const { view, presenter } = running();
    presenter.setTheme('dark');
    expect(view.icon).toEqual({ state: 'steady', theme: 'dark' });
    const before = view.calls.length;
    presenter.setTheme('dark');
    expect(view.calls.length).toBe(before);
  });

  it('the whole sequence: steady → pressure → degraded → down → degraded → steady, one icon call per change', () => {
    const { view, source, tick } = running();
    const seen: TrayState[] = [];
    const start = iconCalls(view).length;
    tick({ fraction: 0.78 });
    tick({ fraction: 0.81, status: 'degrading' });
    source.emit('onModelChanged', { model: model('medium') });
    source.emit('onCapabilityChanged', capability('down'));
    tick({ fraction: 0.62, status: 'stabilizing' }, 6);
    source.emit('onEngineStatus', engine('restarting'));
    source.emit('onModelChanged', { model: null });
    source.emit('onEngineStatus', engine('ready'));
    source.emit('onModelChanged', { model: model('medium') });
    source.emit('onModelChanged', { model: model('large') });
    source.emit('onCapabilityChanged', capability('up', 'Demo 30 MB', 'Demo 120 MB'));
    tick({ fraction: 0.5 }, 10);
    for (const call of iconCalls(view).slice(start)) seen.push(call[1] as TrayState);
    expect(seen).toEqual(['pressure', 'degraded', 'down', 'degraded', 'steady']);
  });
});

describe('no churn', () => {
  it('100 identical samples at 1 Hz cost no view call', () => {
    const { view, tick } = running();
    const before = view.calls.length;
    for (let second = 0; second < 100; second += 1) tick({ fraction: 0.5 });
    expect(view.calls.length).toBe(before);
  });

  it('samples that only move below a whole percent cost no call; a new percentage costs one tooltip call', () => {
    const { view, tick } = running();
    const before = view.calls.length;
    for (let i = 0; i < 100; i += 1) tick({ fraction: 0.5 + (i % 4) * 0.001 });
    expect(view.calls.length).toBe(before);
    tick({ fraction: 0.52 });
    expect(view.calls.slice(before)).toEqual([['setToolTip', 'Mai — Demo 120 MB · tier Medium · memory 52 % (act at 80 %)']]);
  });

  it('a memory figure that moves every second reaches the tooltip at most every 5 s', () => {
    const { view, tick } = running();
    tick({ fraction: 0.3 }, 5);
    const before = view.calls.length;
    for (let second = 0; second < 60; second += 1) tick({ fraction: 0.3 + (second % 7) * 0.02 });
    const toolTips = view.calls.slice(before);
    expect(toolTips.every((call) => call[0] === 'setToolTip')).toBe(true);
    expect(toolTips.length).toBeGreaterThanOrEqual(10);
    expect(toolTips.length).toBeLessThanOrEqual(12);
  });

  it('a new model name in the tooltip goes at once, whatever the pace', () => {
    const { view, source, tick } = running();
    tick({ fraction: 0.31 });
    source.emit('onModelChanged', { model: model('medium') });
    expect(view.toolTip).toBe('Mai — Demo 30 MB · tier Medium · memory 31 % (act at 80 %)');
  });

  it('the same engine status and model again cost nothing', () => {
    const { view, source } = running();
    const before = view.calls.length;
    source.emit('onEngineStatus', engine('ready'));
    source.emit('onEngineStatus', engine('generating'));
    source.emit('onModelChanged', { model: model('large') });
    expect(view.calls.length).toBe(before);
  });

  it('draws everything once at start', () => {
    const { view } = setup();
    expect(view.calls.map((call) => call[0])).toEqual(['setIcon', 'setToolTip', 'setMenu']);
    expect(view.toolTip).toBe('Mai — no model loaded');
  });
});

describe('menu', () => {
  it('has show/hide, the model as a disabled label, the pause checkbox, the resource panel and quit', () => {
    const { view } = running();
    expect(view.menu.map((item) => (item.type === 'separator' ? '---' : `${item.type}:${item.id}:${item.label}`))).toEqual([
      'normal:toggle-window:Hide Mai',
      '---',
      'label:status:Running normally',
      'label:current-model:Model: Demo 120 MB',
      'checkbox:toggle-scaling:Pause automatic scaling',
      'normal:open-resources:Open resource panel',
      '---',
      'normal:quit:Quit Mai',
    ]);
  });

  it('says Show when the window is hidden', () => {
    const { view, presenter } = running();
    presenter.setWindowVisible(false);
    expect(view.item('toggle-window')).toMatchObject({ label: 'Show Mai' });
  });

  it('reflects AppState.scalingPaused, and pausing from the menu calls scaler:pause and checks the box', async () => {
    const t = setup();
    t.presenter.seed({ scalingPaused: true, engine: engine('ready'), model: model('large') });
    expect(t.view.item('toggle-scaling')).toMatchObject({ type: 'checkbox', checked: true });
    expect(t.view.toolTip).toContain('scaling paused');
    await t.presenter.activate('toggle-scaling');
    expect(t.actions.setScalingPaused).toHaveBeenCalledWith(false);
    expect(t.view.item('toggle-scaling')).toMatchObject({ checked: false });
    await t.presenter.activate('toggle-scaling');
    expect(t.actions.setScalingPaused).toHaveBeenLastCalledWith(true);
    expect(t.view.item('toggle-scaling')).toMatchObject({ checked: true });
  });

  it('follows a pause from the window too (the scaler:pause handler observed)', async () => {
    const { view, presenter } = running();
    const choices = new FakeChoiceSources();
    const handlers = choiceHandlers(choices);
    const restore = observeUserChoices(choices, { onScalingPaused: (paused) => presenter.setScalingPaused(paused) });
    await expect(handlers['scaler:pause']({ paused: true })).resolves.toEqual({ paused: true });
    expect(view.item('toggle-scaling')).toMatchObject({ checked: true });
    restore();
    await handlers['scaler:pause']({ paused: false });
    expect(view.item('toggle-scaling')).toMatchObject({ checked: true });
  });

  it('a failed pause redraws the menu unchanged (the native checkbox flipped itself) and reports the error', async () => {
    const t = setup({ actions: { setScalingPaused: vi.fn(async () => Promise.reject(new Error('No model is loaded yet.'))) } });
    const before = t.view.calls.length;
    await t.presenter.activate('toggle-scaling');
    expect(t.view.calls.slice(before).map((call) => call[0])).toEqual(['setMenu']);
    expect(t.view.item('toggle-scaling')).toMatchObject({ checked: false });
    expect(t.onError).toHaveBeenCalledWith(expect.objectContaining({ message: 'No model is loaded yet.' }));
  });

  it('routes the other entries to their actions', async () => {
    const { actions, presenter } = running();
    await presenter.activate('toggle-window');
    await presenter.activate('open-resources');
    await presenter.activate('quit');
    expect(actions.toggleWindow).toHaveBeenCalledOnce();
    expect(actions.openResourcePanel).toHaveBeenCalledOnce();
    expect(actions.quit).toHaveBeenCalledOnce();
  });
});

describe('tooltip text', () => {
  it('keeps to Windows’ 127 characters', () => {
    const long = { ...model('large'), name: 'A very long model name '.repeat(8) };
    const text = trayToolTip({ ...initialTrayInputs, model: long, snapshot: sample({ fraction: 0.5 }) });
    expect(text.length).toBeLessThanOrEqual(127);
    expect(text.endsWith('…')).toBe(true);
  });

  it('says what the engine is doing before a model is there', () => {
    expect(trayToolTip({ ...initialTrayInputs, engine: engine('starting') })).toBe('Mai — starting');
    expect(trayToolTip({ ...initialTrayInputs, engine: engine('loading') })).toBe('Mai — loading a model');
  });
});

describe('subscription', () => {
  it('attach subscribes once and its return unsubscribes', () => {
    const { view, presenter } = setup();
    const source = new FakeSource();
    const off = presenter.attach(source);
    expect(source.listeners).toBe(1);
    off();
    expect(source.listeners).toBe(0);
    const before = view.calls.length;
    source.emit('onEngineStatus', engine('failed'));
    expect(view.calls.length).toBe(before);
  });
});
