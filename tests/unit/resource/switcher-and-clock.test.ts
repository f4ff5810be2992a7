/** The virtual clock, and the switching policy the ModelManager shares with the simulator. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { flushPromises, RealClock, sleep, VirtualClock } from '../../../electron/engine/resource/clock';
import { ModelSwitcher } from '../../../electron/engine/resource/actuation/model-switcher';
import { SimulatedLoader } from '../../../electron/engine/tools/simulated-loader';
import { ProactiveScaler } from '../../../electron/engine/resource/policy/proactive-scaler';
import { HARDWARE_32, LADDER, createHarness } from './helpers';

describe('real clock', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('keeps counting forward when the system clock is set back an hour', () => {
    const clock = new RealClock();
    const before = clock.now();
    expect(Math.abs(before - Date.now()), 'reads like the epoch time at start').toBeLessThan(1000);
    // Only Date is faked: the wall clock jumps back, the monotonic timer does not.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() - 3_600_000);
    const after = clock.now();
    expect(after).toBeGreaterThanOrEqual(before);
    expect(after - before, 'an interval measured across the jump stays short').toBeLessThan(1000);
  });

  it('follows the wall clock forward after a suspend, so decision times read as the time of day', () => {
    const clock = new RealClock();
    const before = clock.now();
    // A laptop that slept for an hour: the wall clock moved on, the monotonic timer did not.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 3_600_000);
    const after = clock.now();
    expect(Math.abs(after - Date.now())).toBeLessThan(1000);
    expect(after - before).toBeGreaterThan(3_599_000);
    vi.setSystemTime(Date.now() - 60_000);
    expect(clock.now(), 'and still never goes back').toBeGreaterThanOrEqual(after);
  });
});

describe('virtual clock', () => {
  it('runs due timers in time order, then insertion order, at their own time', () => {
    const clock = new VirtualClock(1000);
    const seen: string[] = [];
    clock.setTimeout(() => seen.push(`b@${clock.now()}`), 20);
    clock.setTimeout(() => seen.push(`a@${clock.now()}`), 10);
    clock.setTimeout(() => seen.push(`c@${clock.now()}`), 20);
    const cancelled = clock.setTimeout(() => seen.push('never'), 5);
    clock.clearTimeout(cancelled);
    clock.advance(15);
    expect(seen).toEqual(['a@1010']);
    clock.advance(100);
    expect(seen).toEqual(['a@1010', 'b@1020', 'c@1020']);
    expect(clock.now()).toBe(1115);
  });

  it('timers set by timers run within the same advance when due', () => {
    const clock = new VirtualClock();
    let ticks = 0;
    const tick = (): void => {
      ticks++;
      clock.setTimeout(tick, 1000);
    };
    clock.setTimeout(tick, 1000);
    clock.advance(30 * 60 * 1000);
    expect(ticks).toBe(1800);
  });

  it('advanceAsync lets promise chains started by timers settle', async () => {
    const clock = new VirtualClock();
    const done: number[] = [];
    void (async () => {
      await sleep(clock, 100);
      await sleep(clock, 100);
      done.push(clock.now());
    })();
    await clock.advanceAsync(250);
    expect(done).toEqual([200]);
  });
});

describe('model switcher', () => {
  it('a load failure falls back to the next smaller model', async () => {
    const clock = new VirtualClock();
    const scaler = new ProactiveScaler({ clock, ladder: LADDER, initialModelId: 'large', hardware: HARDWARE_32 });
    const loader = new SimulatedLoader(clock, LADDER, 'large', new Set(['medium']));
    const switcher = new ModelSwitcher({ policy: scaler, loader });
    scaler.initiateGracefulDegradation('test');
    await clock.advanceAsync(10_000);
    await switcher.whenIdle();
    expect(scaler.getCurrentModelId()).toBe('small');
    expect(loader.resident).toBe('small');
    const loaded = scaler.getState().recentDecisions.filter((d) => d.action === 'loaded');
    expect(loaded.map((d) => (d.action === 'loaded' ? `${d.modelId}:${d.ok}` : ''))).toEqual(['medium:false', 'small:true']);
  });

  it('a newer decision supersedes one waiting for the reply, and the old one is reported cancelled', async () => {
    const h = createHarness();
    h.switcher.beginReply();
    await h.run(5, () => ({ background: 0.3 }));
    h.scaler.initiateGracefulDegradation('first');
    h.scaler.initiateGracefulDegradation({ reason: 'deeper', toModelId: 'small', urgency: 'normal' });
    expect(h.decisions.some((d) => d.action === 'cancel' && /superseded/.test(d.reason))).toBe(true);
    h.switcher.endReply({ ok: true });
    await flushPromises();
    expect(h.loader.resident).toBe('small');
  });

  it('critical decisions interrupt the reply and say so', async () => {
    let interrupted = 0;
    const clock = new VirtualClock();
    const scaler = new ProactiveScaler({ clock, ladder: LADDER, initialModelId: 'large', hardware: HARDWARE_32 });
    const switcher = new ModelSwitcher({ policy: scaler, loader: new SimulatedLoader(clock, LADDER, 'large'), interruptReply: () => interrupted++ });
    switcher.beginReply();
    scaler.initiateGracefulDegradation({ reason: 'memory nearly gone', urgency: 'critical' });
    expect(interrupted).toBe(1);
    expect(switcher.interruptedReplies).toBe(1);
    const switchEvent = scaler.getState().recentDecisions.find((d) => d.action === 'switch');
    expect(switchEvent && switchEvent.action === 'switch' && switchEvent.interruptedReply).toBe(true);
  });
});
