/** Which app events become native OS notifications, against a recording stand-in for Electron's Notification. */
import { describe, expect, it } from 'vitest';
import { NotificationPolicy, type NotificationSettings } from '../../../electron/main/core/status/notification-policy';
import { capability, engine, FakeSource, model, RecordingNotifier, sample } from './fixtures';

function setup(initial: { focused?: boolean; settings?: Partial<NotificationSettings> } = {}) {
  const notifier = new RecordingNotifier();
  const world = { focused: initial.focused ?? false, now: 1_000_000, settings: { silentSwitching: false, ...initial.settings } as NotificationSettings };
  const errors: Error[] = [];
  const policy = new NotificationPolicy({
    notifier,
    isWindowVisibleAndFocused: () => world.focused,
    settings: () => world.settings,
    now: () => world.now,
    onError: (error) => errors.push(error),
  });
  const source = new FakeSource();
  policy.attach(source);
  return { notifier, world, policy, source, errors };
}

describe('capability changes', () => {
  it('hidden or unfocused window + degrade → one native notification naming the models, with why and what brings it back', () => {
    const { notifier, source } = setup({ focused: false });
    source.emit('onModelChanged', { model: model('medium') });
    source.emit('onCapabilityChanged', capability('down'));
    expect(notifier.shown).toHaveLength(1);
    const [shown] = notifier.shown;
    expect(shown!.title).toBe('Mai switched to Demo 30 MB (from Demo 120 MB)');
    expect(shown!.body).toMatch(/^Why: memory use would reach 80\.0% in 42 s \(now 76\.3%, rising 0\.09%\/s\)\. Demo 120 MB comes back by itself/);
    expect(shown!.body.length).toBeLessThanOrEqual(300);
    expect(shown!.urgency).toBe('normal');
  });

  it('a cascade step down: the title says the model stayed, the body says what changed and what brings it back', () => {
    const { notifier, source } = setup({ focused: false });
    source.emit('onCapabilityChanged', {
      ...capability('down', 'Demo 120 MB', 'Demo 120 MB (Q8_0 KV cache, 8,192 tokens)'),
      kind: 'step',
      what: 'Mai now remembers the last 8,192 tokens of this conversation instead of 32,768: older parts are left out of what it sees.',
      bringBack: 'The longer memory (32,768 tokens) comes back by itself in 5 minutes at the earliest.',
    });
    expect(notifier.shown).toHaveLength(1);
    const [shown] = notifier.shown;
    expect(shown!.title).toBe('Mai made room without changing model');
    expect(shown!.body).toMatch(
      /^Mai now remembers the last 8,192 tokens of this conversation instead of 32,768.* The longer memory \(32,768 tokens\) comes back/,
    );
    expect(shown!.body.length).toBeLessThanOrEqual(300);
  });

  it('focused window → none (the in-app notice is enough)', () => {
    const { notifier, source } = setup({ focused: true });
    source.emit('onCapabilityChanged', capability('down'));
    expect(notifier.shown).toEqual([]);
  });

  it('silentSwitching → none, read at the time of the event', () => {
    const { notifier, source, world } = setup({ settings: { silentSwitching: true } });
    source.emit('onCapabilityChanged', capability('down'));
    expect(notifier.shown).toEqual([]);
    world.settings = { silentSwitching: false };
    source.emit('onCapabilityChanged', capability('down'));
    expect(notifier.shown).toHaveLength(1);
  });

  it('upgrade → none by default, even with the window hidden', () => {
    const { notifier, source } = setup({ focused: false });
    source.emit('onCapabilityChanged', capability('up', 'Demo 30 MB', 'Demo 120 MB'));
    expect(notifier.shown).toEqual([]);
  });

  it('upgrade → a quiet one when the settings ask for it (and not while focused or silent)', () => {
    const { notifier, source, world } = setup({ settings: { notifyUpgrades: true } });
    source.emit('onCapabilityChanged', capability('up', 'Demo 30 MB', 'Demo 120 MB'));
    expect(notifier.shown).toEqual([{ title: 'Mai is back on Demo 120 MB', body: 'Why: memory use stayed under 60.0% for 300 s.', urgency: 'low' }]);
    world.now += 60_000;
    world.focused = true;
    source.emit('onCapabilityChanged', capability('up', 'Demo 30 MB', 'Demo 120 MB'));
    world.focused = false;
    world.settings = { silentSwitching: true, notifyUpgrades: true };
    source.emit('onCapabilityChanged', capability('up', 'Demo 30 MB', 'Demo 120 MB'));
    expect(notifier.shown).toHaveLength(1);
  });

  it('other events never notify', () => {
    const { notifier, source } = setup();
    source.emit('onResourceSample', sample({ fraction: 0.95, status: 'degrading' }));
    source.emit('onNotice', { level: 'error', message: 'Something went wrong.' });
    source.emit('onModelChanged', { model: null });
    expect(notifier.shown).toEqual([]);
  });
});

describe('engine failures', () => {
  it('engine failed → one critical notification with the reason, even with the window focused', () => {
    const { notifier, source } = setup({ focused: true });
    source.emit('onEngineStatus', engine('ready'));
    source.emit('onEngineStatus', engine('restarting', 'The engine crashed (exit code 139).'));
    expect(notifier.shown).toEqual([]);
    source.emit('onEngineStatus', engine('failed', 'The engine went down 3 times in 2 minutes, so Mai stopped restarting it. Last: exit code 139.'));
    expect(notifier.shown).toEqual([
      {
        title: "Mai's engine stopped",
        body: 'The engine went down 3 times in 2 minutes, so Mai stopped restarting it. Last: exit code 139. Click to open Mai and restart it.',
        urgency: 'critical',
      },
    ]);
  });

  it('the same failed status repeated is one notification; a new failure after a restart is another', () => {
    const { notifier, source, world } = setup();
    source.emit('onEngineStatus', engine('failed', 'Gave up.'));
    source.emit('onEngineStatus', engine('failed', 'Gave up.'));
    expect(notifier.shown).toHaveLength(1);
    world.now += 31_000;
    source.emit('onEngineStatus', engine('starting'));
    source.emit('onEngineStatus', engine('ready'));
    source.emit('onEngineStatus', engine('failed', 'Gave up again.'));
    expect(notifier.shown).toHaveLength(2);
  });

  it('stopped (a normal quit) and restarting do not notify', () => {
    const { notifier, source } = setup();
    source.emit('onEngineStatus', engine('restarting'));
    source.emit('onEngineStatus', engine('stopped'));
    expect(notifier.shown).toEqual([]);
  });
});

describe('rate limit', () => {
  it('no more than one per 30 s of the same kind; other kinds are not held back', () => {
    const { notifier, source, world, policy } = setup();
    source.emit('onCapabilityChanged', capability('down', 'Demo 120 MB', 'Demo 30 MB'));
    world.now += 10_000;
    source.emit('onCapabilityChanged', capability('down', 'Demo 30 MB', 'Demo 8 MB'));
    world.now += 5_000;
    source.emit('onEngineStatus', engine('failed', 'Gave up.'));
    world.now += 14_999;
    source.emit('onCapabilityChanged', capability('down', 'Demo 30 MB', 'Demo 8 MB'));
    expect(notifier.shown.map((n) => n.title)).toEqual(['Mai switched to Demo 30 MB (from Demo 120 MB)', "Mai's engine stopped"]);
    world.now += 1;
    source.emit('onCapabilityChanged', capability('down', 'Demo 30 MB', 'Demo 8 MB'));
    expect(notifier.shown.map((n) => n.title)).toEqual([
      'Mai switched to Demo 30 MB (from Demo 120 MB)',
      "Mai's engine stopped",
      'Mai switched to Demo 8 MB (from Demo 30 MB)',
    ]);
    expect(policy.shown.map((n) => n.kind)).toEqual(['degrade', 'engine-failed', 'degrade']);
  });

  it('a change not shown because the window was focused does not start the 30 s', () => {
    const { notifier, source, world } = setup({ focused: true });
    source.emit('onCapabilityChanged', capability('down'));
    world.focused = false;
    world.now += 1_000;
    source.emit('onCapabilityChanged', capability('down', 'Demo 30 MB', 'Demo 8 MB'));
    expect(notifier.shown).toHaveLength(1);
  });

  it('a notifier that throws is reported and does not count', () => {
    const { source, errors, policy, notifier } = setup();
    notifier.show = () => {
      throw new Error('DBus is not running');
    };
    source.emit('onCapabilityChanged', capability('down'));
    expect(errors.map((e) => e.message)).toEqual(['DBus is not running']);
    expect(policy.shown).toEqual([]);
  });
});
