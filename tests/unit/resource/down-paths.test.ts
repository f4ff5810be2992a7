/**
 * The step-down rules on scripted seconds (virtual clock, real scaler and switcher): the velocity
 * rule acts on a climb heading for the critical line but not on a fast burst that stops under the
 * act line, and one memory stall (PSI full) costs one emergency switch, not the whole ladder.
 * The harness runs a 32 GiB machine: act line 80 %, critical 93 %, the large model 20.4 %.
 */
import { describe, expect, it } from 'vitest';
import type { ModelDecision } from '../../../electron/engine/resource/policy/scaler-types';
import { LADDER, createHarness } from './helpers';

const LARGE = LADDER[2]!.memBytes / (32 * 2 ** 30);

describe('velocity rule', () => {
  it('steps down before the act line when a climb of 4 points a second heads for critical', async () => {
    const h = createHarness();
    await h.run(200, () => ({ background: 0.4 }));
    await h.run(30, (t) => ({ background: Math.min(0.75, 0.4 + 0.04 * (t - 200)) }));
    const [first] = h.modelDecisions() as ModelDecision[];
    expect(first).toMatchObject({ action: 'degrade', path: 'velocity', from: 'large' });
    const crossing = 200 + Math.ceil((0.8 - LARGE - 0.4) / 0.04);
    expect(first!.t / 1000, 'decided before the use crossed 80 %').toBeLessThan(crossing);
    expect(first!.metrics.projectedAtLoad).toBeGreaterThanOrEqual(0.93);
  });

  it('ignores a burst of 3 points a second for 5 s that peaks at 75 %, under the act line', async () => {
    const h = createHarness();
    await h.run(200, () => ({ background: 0.4 }));
    const burst = (t: number): number => (t <= 205 ? 0.03 * (t - 200) : t <= 210 ? 0.15 : Math.max(0, 0.15 - 0.015 * (t - 210)));
    await h.run(100, (t) => ({ background: 0.4 + burst(t) }));
    expect(0.4 + 0.15 + LARGE).toBeLessThan(0.8);
    expect(h.modelDecisions()).toEqual([]);
  });
});

describe('PSI full emergency', () => {
  /** A 2 s stall whose avg10 (a 10 s average) stays over the 5 % limit for 12 s. */
  const stall = (from: number) => (t: number) => ({ background: 0.4, psiFull: t >= from && t < from + 12 ? 0.2 : 0 });

  it('one stall steps down once, to the largest model that fits, not down the whole ladder', async () => {
    const h = createHarness();
    await h.run(200, stall(100));
    const decisions = h.modelDecisions() as ModelDecision[];
    expect(decisions.map((d) => [d.path, d.from, d.to])).toEqual([['emergency', 'large', 'medium']]);
    expect(h.scaler.getCurrentModelId()).toBe('medium');
  });

  it('a second stall after the quiet time (load + 10 s) acts again', async () => {
    const h = createHarness();
    await h.run(300, (t) => (t < 200 ? stall(100)(t) : stall(250)(t)));
    const decisions = h.modelDecisions() as ModelDecision[];
    expect(decisions.map((d) => [d.path, d.to, Math.round(d.t / 1000)])).toEqual([
      ['emergency', 'medium', 100],
      ['emergency', 'small', 250],
    ]);
  });

  it('memory over the critical line still acts during the quiet time', async () => {
    const h = createHarness();
    await h.run(103, stall(100));
    await h.run(10, () => ({ background: 0.93, psiFull: 0.2 }));
    const decisions = h.modelDecisions() as ModelDecision[];
    expect(decisions.map((d) => [d.path, d.to])).toEqual([
      ['emergency', 'medium'],
      ['emergency', 'small'],
    ]);
    expect(decisions[1]!.reason).toMatch(/critical line/);
  });
});
