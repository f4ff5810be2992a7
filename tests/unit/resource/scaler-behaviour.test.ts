/**
 * The scaler driven directly (scripted samples, virtual clock): pre-flight answers, performance
 * feedback, upgrades, pausing, state for the UI, and safety when samples, feedback and pre-flight
 * calls interleave or re-enter from a listener.
 */
import { describe, expect, it } from 'vitest';
import { createHarness } from './helpers';
import type { ModelDecision } from '../../../electron/engine/resource/policy/scaler-types';

describe('pre-flight check', () => {
  it('answers go on a calm machine, with threads and the expected duration', async () => {
    const h = createHarness();
    await h.run(200, () => ({ background: 0.4 }));
    const answer = h.scaler.checkPreflightResources({ expectedOutputTokens: 300 });
    expect(answer.verdict).toBe('go');
    expect(answer.modelId).toBe('large');
    expect(answer.expectedSeconds).toBeGreaterThan(300 / 15);
    expect(answer.threads).toBeGreaterThanOrEqual(1);
    expect(answer.reason).toMatch(/fits/);
  });

  it('says degrade-first when the forecast crosses the line before a long reply would end', async () => {
    const h = createHarness();
    // 0.03 %/s for 5 minutes: 74 % now with the large model, 80 % in about 200 s.
    await h.run(300, (t) => ({ background: 0.45 + 0.0003 * t }));
    expect(h.scaler.checkPreflightResources({ expectedOutputTokens: 30 }).verdict).not.toBe('degrade-first');
    const long = h.scaler.checkPreflightResources({ expectedOutputTokens: 3000 });
    expect(long.verdict).toBe('degrade-first');
    expect(long.modelId).toBe('medium');
    expect(long.secondsToThreshold).not.toBeNull();
  });

  it('says critical, with the largest model that fits, near exhaustion', async () => {
    const h = createHarness({ settings: { degradeThreshold: 0.8, upgradeThreshold: 0.6, criticalThreshold: 0.9 } });
    h.scaler.setPaused('test holds the model'); // emergencies still act; keep the model to query it
    await h.run(60, () => ({ background: 0.45 }));
    const decisions: ModelDecision[] = [];
    h.scaler.on('decision', (d) => {
      if (d.action === 'degrade') decisions.push(d);
    });
    // 0.75 + 20.4 % for the large model = 95.4 %, over the 90 % critical line.
    await h.run(1, () => ({ background: 0.75 }));
    const answer = h.scaler.checkPreflightResources();
    // One sample over is not yet critical: the 15 s level is still 65 % and a spike may pass.
    expect(answer).toMatchObject({ verdict: 'go', modelId: 'large' });
    expect(decisions).toEqual([]);
    await h.run(1, () => ({ background: 0.75 }));
    // Two samples over: an emergency to the largest model under 80 % (medium would be 86.6 %).
    expect(decisions.map((d) => [d.path, d.urgency, d.to])).toEqual([['emergency', 'critical', 'small']]);
  });
});

describe('performance feedback', () => {
  const healthy = { ok: true, tokensPerSecond: 20, ttftMs: 300 };

  it('steps down after replies collapse to under 70 % of the model’s usual speed twice', async () => {
    const h = createHarness();
    await h.run(30, () => ({ background: 0.3 }));
    for (let i = 0; i < 5; i++) {
      h.switcher.beginReply();
      h.switcher.endReply(healthy);
    }
    expect(h.modelDecisions()).toHaveLength(0);
    h.switcher.beginReply();
    h.switcher.endReply({ ok: true, tokensPerSecond: 9 });
    expect(h.modelDecisions()).toHaveLength(0);
    h.switcher.beginReply();
    h.switcher.endReply({ ok: true, tokensPerSecond: 8 });
    const [degrade] = h.modelDecisions() as ModelDecision[];
    expect(degrade).toMatchObject({ action: 'degrade', path: 'performance', from: 'large', to: 'medium' });
    expect(degrade!.reason).toMatch(/tokens\/s/);
  });

  it('never moves a pinned (paused) model for slow or failing replies', async () => {
    const h = createHarness();
    await h.run(30, () => ({ background: 0.3 }));
    h.scaler.setPaused('model pinned by the user');
    for (let i = 0; i < 5; i++) {
      h.switcher.beginReply();
      h.switcher.endReply(healthy);
    }
    for (let i = 0; i < 6; i++) {
      h.switcher.beginReply();
      h.switcher.endReply(i % 2 ? { ok: true, tokensPerSecond: 3 } : { ok: false });
    }
    expect(h.modelDecisions()).toHaveLength(0);
  });

  it('cuts threads first when other programs compete for the cores', async () => {
    const h = createHarness();
    await h.run(30, () => ({ background: 0.3, cpu: 0.1 }));
    for (let i = 0; i < 5; i++) {
      h.switcher.beginReply();
      h.switcher.endReply(healthy);
    }
    await h.run(40, () => ({ background: 0.3, cpu: 0.5 }));
    const threadsBefore = h.scaler.getState().threads;
    h.switcher.beginReply();
    h.switcher.endReply({ ok: true, tokensPerSecond: 5 });
    h.switcher.beginReply();
    h.switcher.endReply({ ok: true, tokensPerSecond: 5 });
    const last = h.decisions.at(-1)!;
    expect(last.action).toBe('threads');
    expect(last.path).toBe('performance');
    expect(h.scaler.getState().threads).toBe(threadsBefore - 1);
    expect(h.modelDecisions()).toHaveLength(0);
  });

  it('steps down when replies keep failing, and at once on an allocation failure', async () => {
    const h = createHarness();
    await h.run(30, () => ({ background: 0.3 }));
    for (let i = 0; i < 6; i++) {
      h.switcher.beginReply();
      h.switcher.endReply(i % 3 === 2 ? { ok: false, error: 'failed' } : healthy);
    }
    expect(h.modelDecisions()[0]).toMatchObject({ path: 'failure', to: 'medium' });

    const oom = createHarness();
    await oom.run(30, () => ({ background: 0.3 }));
    oom.switcher.beginReply();
    oom.switcher.endReply({ ok: false, error: 'out-of-memory' });
    expect(oom.modelDecisions()[0]).toMatchObject({ path: 'emergency', urgency: 'critical' });
  });

  it('ignores replies the user aborted', async () => {
    const h = createHarness();
    await h.run(10, () => ({ background: 0.3 }));
    for (let i = 0; i < 10; i++) {
      h.switcher.beginReply();
      h.switcher.endReply({ ok: false, error: 'aborted' });
    }
    expect(h.modelDecisions()).toHaveLength(0);
  });
});

describe('upgrades, pausing and state', () => {
  it('shows how long until an upgrade may happen, then upgrades while idle', async () => {
    const h = createHarness({ initialModelId: 'medium' });
    await h.run(100, () => ({ background: 0.2 }));
    const state = h.scaler.getState();
    expect(state.status.kind).toBe('stabilizing');
    if (state.status.kind === 'stabilizing') expect(state.status.secondsUntilUpgrade).toBeGreaterThan(150);
    expect(h.scaler.shouldUpgradeModel().upgrade).toBe(false);
    await h.run(250, () => ({ background: 0.2 }));
    expect(h.modelDecisions()[0]).toMatchObject({ action: 'upgrade', to: 'large', path: 'stabilized' });
    expect(h.scaler.getCurrentModelId()).toBe('large');
  });

  it('does not upgrade during a reply, nor when paused', async () => {
    const h = createHarness({ initialModelId: 'medium' });
    h.switcher.beginReply();
    await h.run(400, () => ({ background: 0.2 }));
    expect(h.modelDecisions()).toHaveLength(0);
    expect(h.scaler.shouldUpgradeModel().reason).toMatch(/reply in progress/);
    h.scaler.setPaused('user pinned the model');
    h.switcher.endReply({ ok: true });
    await h.run(30, () => ({ background: 0.2 }));
    expect(h.modelDecisions()).toHaveLength(0);
    expect(h.scaler.getState().status).toEqual({ kind: 'paused', reason: 'user pinned the model' });
    h.scaler.setPaused(null);
    await h.run(2, () => ({ background: 0.2 }));
    expect(h.modelDecisions()[0]?.action).toBe('upgrade');
  });

  it('exposes tier, trends and recent decisions with their numbers', async () => {
    const h = createHarness();
    await h.run(240, (t) => ({ background: 0.4 + 0.0005 * t }));
    const state = h.scaler.getState();
    expect(state.tier.id).toBe('large');
    expect(state.tier.reasons.length).toBeGreaterThan(2);
    expect(state.trends.memory.available).toBe(true);
    expect(state.trends.memory.slopePerSecond).toBeGreaterThan(0);
    expect(state.trends.vram.available).toBe(false);
    expect(state.lastSampleT).toBe(240_000);
    const trends = h.scaler.analyzeResourceTrends();
    expect(trends.memory.level).toBeCloseTo(0.4 + 0.0005 * 233 + 7e9 / 2 ** 35, 2);
  });

  it('initiateGracefulDegradation steps one rung, and returns the pending step when asked twice', async () => {
    const h = createHarness();
    h.switcher.beginReply();
    await h.run(5, () => ({ background: 0.3 }));
    const first = h.scaler.initiateGracefulDegradation('user asked for a lighter model');
    expect(first).toMatchObject({ from: 'large', to: 'medium', path: 'manual' });
    expect(h.scaler.initiateGracefulDegradation('again')).toBe(first);
    expect(h.scaler.getState().status).toMatchObject({ kind: 'degrading', waitingForReply: true });
  });
});

describe('anti-thrash', () => {
  it('the hourly cap stops upgrades even when every other guard is switched off', async () => {
    const h = createHarness({
      initialModelId: 'medium',
      settings: {
        degradeThreshold: 0.8,
        upgradeThreshold: 0.6,
        stabilizationSeconds: 20,
        upgradeGapSeconds: 0,
        maxUpgradeGapSeconds: 0,
        settleSeconds: 0,
        maxSwitchesPerHour: 3,
      },
    });
    // Two minutes calm, one minute of pressure, over and over for an hour.
    await h.run(3600, (t) => ({ background: t % 180 < 120 ? 0.2 : 0.7 }));
    // Up, down, up (the third switch reaches the cap of 3), down (steps down are never capped),
    // then no upgrade for the rest of the hour although every calm stretch would allow one.
    expect(h.modelDecisions().map((d) => d.action)).toEqual(['upgrade', 'degrade', 'upgrade', 'degrade']);
    const check = h.scaler.shouldUpgradeModel();
    expect(check.upgrade).toBe(false);
    expect(check.reason).toContain('4 switches in the last hour (limit 3)');
    // The cap is the rule that holds the upgrade, and it ends when the oldest counted switch is an hour old.
    expect(check.hold).toMatchObject({ rule: 'hourly-cap' });
    expect(check.hold!.seconds!).toBeGreaterThan(0);
    expect(check.hold!.seconds!).toBeLessThanOrEqual(3600);
  });
});

describe('concurrency safety', () => {
  it('samples older than the newest are dropped and counted', async () => {
    const h = createHarness();
    await h.run(10, () => ({ background: 0.3 }));
    const stale = { t: 5_000, cpuOtherLoad: 0, memTotalBytes: 2 ** 35, memUsedBytes: 2 ** 34, ownMemBytes: 7e9 };
    h.scaler.ingest(stale);
    expect(h.scaler.getState().droppedSamples).toBe(1);
    expect(h.scaler.getState().lastSampleT).toBe(10_000);
  });

  it('a listener that feeds samples, feedback and pre-flight calls back in sees a consistent scaler', async () => {
    const h = createHarness();
    let reentered = 0;
    h.scaler.on('decision', (decision) => {
      // Re-enter from inside the event: these must queue or answer from consistent state.
      reentered++;
      const answer = h.scaler.checkPreflightResources();
      expect(answer.modelId).toBe(h.scaler.getCurrentModelId());
      h.scaler.recordReplyEnded({ ok: true, tokensPerSecond: 20 });
      h.scaler.ingest({ t: decision.t + 500, cpuOtherLoad: 0.1, memTotalBytes: 2 ** 35, memUsedBytes: 0.88 * 2 ** 35, ownMemBytes: 7e9 });
    });
    await h.run(60, () => ({ background: 0.4 }));
    await h.run(30, () => ({ background: 0.7 }));
    expect(reentered).toBeGreaterThan(0);
    const switches = h.decisions.filter((d) => d.action === 'switch');
    const ids = new Set(switches.map((d) => (d.action === 'switch' ? d.decisionId : 0)));
    expect(ids.size, 'no decision is carried out twice').toBe(switches.length);
    expect(h.decisions.map((d) => d.t)).toEqual([...h.decisions.map((d) => d.t)].sort((a, b) => a - b));
  });

  it('random interleavings of samples, replies and pre-flight calls never double-switch or throw', async () => {
    let seed = 42;
    const random = (): number => {
      seed = (seed * 1664525 + 1013904223) >>> 0;
      return seed / 2 ** 32;
    };
    const h = createHarness();
    let generating = false;
    for (let step = 0; step < 1500; step++) {
      const r = random();
      if (r < 0.05 && !generating) {
        h.switcher.beginReply();
        generating = true;
      } else if (r < 0.1 && generating) {
        h.switcher.endReply({ ok: random() > 0.1, tokensPerSecond: 5 + 20 * random() });
        generating = false;
      } else if (r < 0.15) {
        h.scaler.checkPreflightResources({ expectedOutputTokens: Math.floor(random() * 2000) });
      }
      await h.run(1, (t) => ({ background: 0.35 + 0.3 * Math.abs(Math.sin(t / 97)) + 0.05 * random(), cpu: random() }));
      const state = h.scaler.getState();
      expect(state.switching === null || state.switching.to === state.modelId).toBe(true);
    }
    const started = h.decisions.filter((d) => d.action === 'switch');
    expect(new Set(started.map((d) => (d.action === 'switch' ? d.decisionId : -1))).size).toBe(started.length);
    // Each routine decision comes at least the settle time (15 s) after the previous load ended,
    // and each upgrade with fewer than 6 routine switches (the hourly cap) in the 25 minutes before.
    const models = h.decisions.filter((d): d is ModelDecision => d.action === 'degrade' || d.action === 'upgrade');
    const carried = started.map((s) => models.find((d) => s.action === 'switch' && d.id === s.decisionId)!);
    expect(carried.length, 'the run must exercise switches for the checks below to mean anything').toBeGreaterThan(0);
    const loads = h.decisions.filter((d) => d.action === 'loaded').map((d) => d.t);
    for (const decision of models.filter((d) => d.urgency === 'normal')) {
      const previousLoad = loads.filter((t) => t <= decision.t).at(-1);
      if (previousLoad !== undefined) expect(decision.t - previousLoad, `decision #${decision.id}`).toBeGreaterThanOrEqual(15_000);
    }
    carried.forEach((decision, i) => {
      if (decision.action === 'upgrade') expect(carried.slice(0, i).filter((d) => d.urgency === 'normal').length).toBeLessThan(6);
    });
    expect(carried.filter((d) => d.action === 'upgrade').length).toBeLessThanOrEqual(6);
  });
});
