/**
 * Honest timers (docs/scaling-policy.md, "Timers"): the rule that holds an upgrade is named by its
 * one name, with the real earliest time, and the stabilization setting governs the calm after a
 * step down — the minimum gap between upgrades no longer stretches it. Real scaler and switcher,
 * pretend loads, virtual clock.
 */
import { describe, expect, it } from 'vitest';
import { createHarness } from './helpers';
import type { ScalerSettingsInput } from '../../../electron/engine/resource/policy/settings';

const base: ScalerSettingsInput = { degradeThreshold: 0.8, upgradeThreshold: 0.6, upgradeGapSeconds: 300 };

/** Calm for 200 s, pressure from 201 s for `pressureSeconds`, then calm again. */
const pressureThenRelief = (level: number, pressureSeconds: number) => (t: number) => ({ background: t > 200 && t <= 200 + pressureSeconds ? level : 0.3 });

function stabilizingStatus(h: ReturnType<typeof createHarness>) {
  const status = h.scaler.getState().status;
  if (status.kind !== 'stabilizing') throw new Error(`expected stabilizing, got ${status.kind}`);
  return status;
}

describe('upgrade timers', () => {
  for (const stabilizationSeconds of [30, 120]) {
    it(`stabilization ${stabilizationSeconds} s with a 300 s upgrade gap: the panel names the stabilization period and its real time`, async () => {
      const h = createHarness({ settings: { ...base, stabilizationSeconds } });
      await h.run(230, pressureThenRelief(0.65, 5));
      const down = h.modelDecisions().filter((d) => d.action === 'degrade');
      expect(down).toHaveLength(1);
      const downAt = down[0]!.t / 1000;
      // Past the load and the settle time (4 s + 15 s after the switch), only the stabilization period holds.
      await h.run(Math.max(0, Math.ceil(downAt + 21 - h.now)), () => ({ background: 0.3 }));
      const status = stabilizingStatus(h);
      expect(status.rule).toBe('stabilization');
      expect(status.blockedBy).toContain(`${stabilizationSeconds} s`);
      // From the step down, or from the last second of pressure if later: the calm must cover it.
      const expected = Math.max(downAt, 205) + stabilizationSeconds - h.now;
      expect(status.secondsUntilUpgrade).toBeGreaterThanOrEqual(Math.floor(expected));
      expect(status.secondsUntilUpgrade).toBeLessThanOrEqual(Math.ceil(expected) + 1);
      // …and the upgrade then happens at that time, not after the 300 s gap.
      await h.run(stabilizationSeconds + 5, () => ({ background: 0.3 }));
      const up = h.modelDecisions().filter((d) => d.action === 'upgrade');
      expect(up).toHaveLength(1);
      expect(up[0]!.t / 1000 - downAt).toBeGreaterThanOrEqual(stabilizationSeconds);
      expect(up[0]!.t / 1000 - 205).toBeLessThanOrEqual(stabilizationSeconds + 1);
    });
  }

  it('while the switch loads and settles, the cooldown is named when it ends after the stabilization period', async () => {
    const h = createHarness({ settings: { ...base, stabilizationSeconds: 5 } });
    await h.run(210, pressureThenRelief(0.65, 5));
    const status = stabilizingStatus(h);
    expect(status.rule).toBe('cooldown');
    expect(status.secondsUntilUpgrade).toBeGreaterThan(5);
  });

  it('after a step down of two rungs and a relief that held, back to the largest rung at once', async () => {
    const h = createHarness({ settings: { ...base, stabilizationSeconds: 30 } });
    // 75 % of background: the large model would be at 95 %, the medium one at 87 %: straight to small.
    await h.run(300, pressureThenRelief(0.75, 5));
    const decisions = h.modelDecisions().map((d) => `${d.action} ${'to' in d ? d.to : ''}`);
    expect(decisions).toEqual(['degrade small', 'upgrade large']);
    expect(h.scaler.getCurrentModelId()).toBe('large');
  });

  it('after an upgrade that did not hold, the backoff is named and the way back is one rung at a time', async () => {
    const h = createHarness({ settings: { ...base, stabilizationSeconds: 30, upgradeGapSeconds: 60 } });
    // Down, up after the stabilization period, down again within the revert window: the gap doubles to 120 s.
    await h.run(320, (t) => ({ background: (t > 200 && t <= 205) || (t > 280 && t <= 290) ? 0.75 : 0.3 }));
    const actions = h.modelDecisions().map((d) => d.action);
    expect(actions.slice(0, 3)).toEqual(['degrade', 'upgrade', 'degrade']);
    const status = stabilizingStatus(h);
    expect(status.rule).toBe('revert-backoff');
    expect(status.blockedBy).toContain('120 s');
    await h.run(200, () => ({ background: 0.3 }));
    const ups = h.modelDecisions().filter((d) => d.action === 'upgrade');
    expect(ups.length).toBeGreaterThanOrEqual(2);
    expect(ups[1]).toMatchObject({ from: 'small', to: 'medium' });
  });
});
