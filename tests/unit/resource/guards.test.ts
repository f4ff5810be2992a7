/**
 * The anti-thrash guards on scripted seconds (virtual clock, real scaler and switcher): the
 * cooldown after a switch, the upgrade gap that doubles after a reverted upgrade, the extra room
 * a model needs after it failed to load, low battery, and one log line with its numbers per
 * decision. The harness runs a 32 GiB machine: act line 80 %, upgrade line 60 %; the large model
 * takes 20.4 % and loads in 7 s, the medium one 11.6 % and 4 s.
 */
import { describe, expect, it } from 'vitest';
import type { ModelDecision, ScalerDecision } from '../../../electron/engine/resource/policy/scaler-types';
import { createHarness } from './helpers';

const MiB = 2 ** 20;
const seconds = (decision: ScalerDecision): number => decision.t / 1000;
const ofAction = (decisions: ScalerDecision[], action: ScalerDecision['action']) => decisions.filter((d) => d.action === action);

describe('cooldown after a switch', () => {
  it('holds routine decisions for the load plus settleSeconds (15 s), then acts on what was held', async () => {
    const h = createHarness();
    await h.run(100, () => ({ background: 0.4 }));
    h.scaler.initiateGracefulDegradation('test: step down by hand');
    // The medium model now sits at 0.7 + 11.6 % = 81.6 %, over the act line from 105 s on.
    await h.run(40, (t) => ({ background: t <= 104 ? 0.4 : 0.7 }));
    const [loaded] = ofAction(h.decisions, 'loaded');
    const degrades = ofAction(h.decisions, 'degrade') as ModelDecision[];
    expect(seconds(loaded!)).toBe(104); // switch at 100 s + 4 s load
    expect(degrades).toHaveLength(2);
    expect(degrades[1]).toMatchObject({ from: 'medium', to: 'small' });
    expect(seconds(degrades[1]!), 'first routine decision at the end of the cooldown').toBe(104 + 15);
  });
});

describe('upgrade gap', () => {
  const settings = { degradeThreshold: 0.8, upgradeThreshold: 0.6, stabilizationSeconds: 30, upgradeGapSeconds: 60 };

  it('doubles (60 s → 120 s) when an upgrade is reverted within 15 minutes', async () => {
    const h = createHarness({ settings, initialModelId: 'medium' });
    // Calm, then at 60 s a jump that the large model cannot take (0.62 + 20.4 % = 82.4 %) for 10 s.
    await h.run(300, (t) => ({ background: t >= 60 && t < 70 ? 0.62 : 0.3 }));
    const models = h.modelDecisions() as ModelDecision[];
    expect(models.map((d) => [d.action, d.to])).toEqual([
      ['upgrade', 'large'],
      ['degrade', 'medium'],
      ['upgrade', 'large'],
    ]);
    const [up, down, again] = models.map(seconds);
    expect(up).toBe(31); // 30 s of observation from the first sample at 1 s
    // The next upgrade needs a 120 s window (not 60 s) of calm samples, from the first at 70 s.
    expect(down).toBeLessThan(70);
    expect(again).toBe(70 + 120);
    expect(models[2]!.reason).toContain('over the last 120 s');
  });
});

describe('a model that failed to load', () => {
  const settings = { degradeThreshold: 0.8, upgradeThreshold: 0.6, stabilizationSeconds: 30, upgradeGapSeconds: 0 };

  it('is tried again only with 20 % more room than it failed with', async () => {
    const h = createHarness({ settings, initialModelId: 'medium', failing: ['large'] });
    await h.run(200, () => ({ background: 0.3 }));
    const models = h.modelDecisions() as ModelDecision[];
    expect(models.map((d) => [d.action, d.path, d.to])).toEqual([
      ['upgrade', 'stabilized', 'large'],
      ['degrade', 'load-failure', 'medium'],
    ]);
    // It failed with 70 % of 32 GiB free; it needs 20 % more (the 512 MiB floor is smaller).
    const failedRoom = 0.7 * 32 * 1024 * MiB;
    const check = h.scaler.shouldUpgradeModel();
    expect(check.upgrade).toBe(false);
    expect(check.reason).toBe(
      `large failed with ${Math.round(failedRoom / MiB)} MiB of room; it needs ${Math.round((failedRoom * 1.2) / MiB)} MiB before another try`,
    );
    // 85 % free is more than 1.2 × 70 % = 84 %: allowed again (the loader still fails: not the point).
    await h.run(60, () => ({ background: 0.15 }));
    expect((h.modelDecisions() as ModelDecision[]).map((d) => [d.action, d.to])[2]).toEqual(['upgrade', 'large']);
  });
});

describe('battery', () => {
  const settings = { degradeThreshold: 0.8, upgradeThreshold: 0.6, stabilizationSeconds: 30, upgradeGapSeconds: 0 };

  it('blocks upgrades on battery under 30 %, and not on mains', async () => {
    const h = createHarness({ settings, initialModelId: 'medium' });
    await h.run(120, () => ({ background: 0.3, onBattery: true, batteryPercent: 25 }));
    expect(h.modelDecisions()).toEqual([]);
    expect(h.scaler.shouldUpgradeModel().reason).toBe('on battery at 25 %');
    await h.run(2, () => ({ background: 0.3, onBattery: false, batteryPercent: 25 }));
    expect((h.modelDecisions() as ModelDecision[]).map((d) => [d.action, d.to, seconds(d)])).toEqual([['upgrade', 'large', 121]]);
  });
});

describe('decision log', () => {
  it('writes one line per decision with the numbers that caused it', async () => {
    const lines: string[] = [];
    const h = createHarness({ log: (line) => lines.push(line) });
    await h.run(100, () => ({ background: 0.4 }));
    await h.run(20, () => ({ background: 0.7 }));
    const models = h.modelDecisions() as ModelDecision[];
    expect(models.length).toBeGreaterThan(0);
    expect(lines).toHaveLength(h.decisions.length);
    for (const decision of models) {
      const line = lines.find((candidate) =>
        candidate.startsWith(`[scaler] t=${seconds(decision).toFixed(1)}s ${decision.action} ${decision.from}→${decision.to} (${decision.path}`),
      );
      expect(line, `log line of decision #${decision.id}`).toBeDefined();
      expect(line).toContain(JSON.stringify(decision.metrics));
      expect(Object.keys(decision.metrics).length).toBeGreaterThan(0);
    }
    expect(lines[0]).toContain('"latest":0.9037'); // 0.7 + 20.4 % on the large model
  });
});
