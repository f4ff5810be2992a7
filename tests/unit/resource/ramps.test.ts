/**
 * Fast ramps and climbs that stop (docs/scaling-policy.md, "Fast ramps" and "The forecast must
 * agree with the last samples"), replayed from committed traces through the proactive scaler and
 * the reactive baseline (same switcher, pretend loader, virtual clock).
 */
import { describe, expect, it } from 'vitest';
import { linesOf, report, runBoth } from './helpers';

describe('fast ramps and climbs that stop', () => {
  it('a 30 s climb is acted on before it crosses the line, where the baseline acts after', async () => {
    const file = 'ramp-30s.json';
    const result = await runBoth(file);
    report(file, result);
    const { proactive, reactive } = result;
    const degrades = linesOf(proactive, 'degrade');
    expect(degrades[0]!.path).toBe('ramp');
    // The climb starts at 300 s and crosses about 25 s later: decided while it is still under the line.
    expect(proactive.summary.leadSeconds!, 'decided before the crossing').toBeGreaterThan(0);
    expect(reactive.summary.leadSeconds!, 'the baseline acts after it').toBeLessThan(0);
    expect(proactive.summary.secondsOverDegradeThreshold).toBeLessThan(reactive.summary.secondsOverDegradeThreshold);
    // …and steps down once: the medium model fits where the climb stopped.
    expect(degrades).toHaveLength(1);
    expect(proactive.summary.finalModel).toBe('medium');
  });

  it('a climb that stops: one step down, not two (the forecast must agree with the last samples)', async () => {
    const file = 'climb-stops.json';
    const result = await runBoth(file);
    report(file, result);
    const { proactive, reactive } = result;
    expect(linesOf(proactive, 'degrade')).toHaveLength(1);
    expect(proactive.summary.finalModel).toBe('medium');
    expect(proactive.summary.finalModel).toBe(reactive.summary.finalModel);
    expect(proactive.summary.switches).toBeLessThanOrEqual(reactive.summary.switches);
  });

  it('a VRAM climb of 30 s on a GPU machine that then holds: one step down, to the rung that fits', async () => {
    const file = 'gpu-vram-climb.json';
    const result = await runBoth(file);
    report(file, result);
    const { proactive, reactive } = result;
    const degrades = linesOf(proactive, 'degrade');
    expect(degrades).toHaveLength(1);
    expect(String(degrades[0]!.reason)).toContain('VRAM');
    expect(proactive.summary.finalModel).toBe('medium');
    expect(proactive.summary.secondsOverDegradeThreshold).toBeLessThanOrEqual(reactive.summary.secondsOverDegradeThreshold);
  });
});
