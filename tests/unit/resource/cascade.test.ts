/**
 * The cascade (docs/scaling-policy.md, "The cascade"): cheaper steps of one model (Q8_0 KV cache,
 * shorter contexts) before a smaller model. Committed traces replayed through the proactive
 * scaler and the reactive baseline, and scripted runs of the real scaler and switcher with the
 * simulator's loader under a virtual clock.
 */
import { describe, expect, it } from 'vitest';
import { ResourceInputError } from '../../../electron/engine/resource/policy/settings';
import { parseTrace } from '../../../electron/engine/tools/trace';
import type { ModelProfile } from '../../../electron/engine/resource/types';
import { createHarness, linesOf, report, runBoth } from './helpers';

/** The large model: 5 GB of weights, a 2 GB F16 KV cache at 32k tokens (Q8_0: 34/64 of it); a step takes 0.8 s. */
const kv = (tokens: number, q8: boolean): number => Math.round(2_000_000_000 * (tokens / 32768) * (q8 ? 34 / 64 : 1));
const step = (id: string, tokens: number, q8: boolean): ModelProfile => ({
  id,
  memBytes: 5_000_000_000 + kv(tokens, q8),
  vramBytes: 0,
  loadSeconds: 7,
  modelKey: 'large',
  stepSeconds: 0.8,
  contextSize: tokens,
});
const CASCADE: ModelProfile[] = [
  { id: 'small', memBytes: 1_500_000_000, vramBytes: 0, loadSeconds: 2, tokensPerSecond: 40 },
  { id: 'medium', memBytes: 4_000_000_000, vramBytes: 0, loadSeconds: 4, tokensPerSecond: 25 },
  step('large?kv=q8_0&ctx=8192', 8192, true),
  step('large?kv=q8_0&ctx=16384', 16384, true),
  step('large?kv=q8_0', 32768, true),
  step('large', 32768, false),
];
const SETTINGS = { degradeThreshold: 0.8, upgradeThreshold: 0.6 };

describe('the cascade on committed traces', () => {
  it('a climb that a cheaper KV cache absorbs: one step, the model stays loaded, decided before the crossing', async () => {
    const file = 'cascade-step.json';
    const result = await runBoth(file);
    report(file, result);
    const { proactive } = result;
    const degrades = linesOf(proactive, 'degrade');
    expect(degrades).toHaveLength(1);
    expect(degrades[0]!.to).toBe('large?kv=q8_0');
    const switches = linesOf(proactive, 'switch');
    expect(switches).toHaveLength(1);
    // A step recreates the context (0.8 s) instead of loading a model (7 s for the large one).
    expect(switches[0]).toMatchObject({ step: true, loadSeconds: 0.8 });
    expect(proactive.summary.cascadeSteps).toBe(1);
    expect(proactive.summary.finalModel).toBe('large?kv=q8_0');
    expect(proactive.summary.leadSeconds!, 'decided before the crossing').toBeGreaterThan(0);
    expect(proactive.summary.secondsOverDegradeThreshold).toBe(0);
  });

  it('a jump no step absorbs: straight past the steps to the smaller model, where the baseline walks every step over the line', async () => {
    const file = 'cascade-switch.json';
    const result = await runBoth(file);
    report(file, result);
    const { proactive, reactive } = result;
    const degrades = linesOf(proactive, 'degrade');
    expect(degrades).toHaveLength(1);
    expect(degrades[0]).toMatchObject({ from: 'large', to: 'medium' });
    expect(proactive.summary.cascadeSteps).toBe(0);
    expect(proactive.summary.finalModel).toBe('medium');
    // The baseline takes one rung at a time: three steps, then the same model switch, much later.
    expect(reactive.summary.finalModel).toBe('medium');
    expect(reactive.summary.switches).toBeGreaterThan(proactive.summary.switches);
    expect(proactive.summary.secondsOverDegradeThreshold).toBeLessThan(reactive.summary.secondsOverDegradeThreshold);
  });

  it('a VRAM jump on a GPU machine: fewer GPU layers (the rest in RAM, which has room) before the smaller model', async () => {
    const file = 'cascade-gpu.json';
    const result = await runBoth(file);
    report(file, result);
    const { proactive, reactive } = result;
    const degrades = linesOf(proactive, 'degrade');
    expect(degrades).toHaveLength(1);
    // A Q8_0 KV cache at 16k tokens still leaves VRAM at 80.2 %; 24 of 32 layers on the GPU: 67.5 %.
    expect(degrades[0]).toMatchObject({ from: 'large', to: 'large?kv=q8_0&ctx=16384&gpu=24' });
    // node-llama-cpp fixes the GPU layers at load: this step reloads the model (7 s), it stays the large one.
    expect(linesOf(proactive, 'switch')[0]).toMatchObject({ step: true, loadSeconds: 7 });
    expect(proactive.summary.finalModel).toBe('large?kv=q8_0&ctx=16384&gpu=24');
    expect(proactive.summary.switches).toBeLessThan(reactive.summary.switches);
    expect(proactive.summary.secondsOverDegradeThreshold).toBeLessThan(reactive.summary.secondsOverDegradeThreshold);
  });

  it('two steps at once, then undone in reverse order: the context first, the KV cache last, each after the stabilization period', async () => {
    const file = 'cascade-undo.json';
    const result = await runBoth(file);
    report(file, result);
    const { proactive } = result;
    const degrades = linesOf(proactive, 'degrade');
    expect(degrades).toHaveLength(1);
    expect(degrades[0]).toMatchObject({ from: 'large', to: 'large?kv=q8_0&ctx=16384' });
    const upgrades = linesOf(proactive, 'upgrade');
    expect(upgrades.map((line) => line.to)).toEqual(['large?kv=q8_0', 'large']);
    // Relief at 600 s and 1000 s; stabilization 300 s: never earlier, and within a minute of it.
    expect(upgrades[0]!.t).toBeGreaterThanOrEqual(900);
    expect(upgrades[0]!.t).toBeLessThan(960);
    expect(upgrades[1]!.t).toBeGreaterThanOrEqual(1300);
    expect(upgrades[1]!.t).toBeLessThan(1360);
    expect(proactive.summary.cascadeSteps).toBe(3);
    expect(proactive.summary.finalModel).toBe('large');
  });
});

describe('choosing a step', () => {
  it('a steady climb that goes on: the trend over the stabilization period outruns every step, so the model switches', async () => {
    const harness = createHarness({ ladder: CASCADE, settings: SETTINGS });
    // 0.05 points/s from 40 %: the large model (20.4 %) would cross 80 % about 390 s into the climb.
    await harness.run(700, (t) => ({ background: 0.4 + Math.max(0, t - 100) * 0.0005 }));
    const first = harness.modelDecisions()[0];
    expect(first).toMatchObject({ action: 'degrade', from: 'large', to: 'medium', path: 'trend' });
  });

  it("on a ladder where a big model's step takes less memory than a smaller model's full rung, a step down never goes to more memory", async () => {
    // small's full rung (a long context) takes more than big's cheapest step: the order is quality.
    const ladder: ModelProfile[] = [
      { id: 'small', memBytes: 5_500_000_000, vramBytes: 0, loadSeconds: 2 },
      { id: 'big?kv=q8_0&ctx=4096', memBytes: 4_800_000_000, vramBytes: 0, loadSeconds: 7, modelKey: 'big', stepSeconds: 0.5, contextSize: 4096 },
      { id: 'big', memBytes: 7_000_000_000, vramBytes: 0, loadSeconds: 7, modelKey: 'big', stepSeconds: 0.5, contextSize: 32768 },
    ];
    const jump = (t: number) => ({ background: t < 300 ? 0.4 : 0.64 });
    // 0.64 + big (20.4 %) = 84.4 %; its step: 78.0 %; small: 80.0 %, over the line and more memory than the step.
    const fromFull = createHarness({ ladder, settings: SETTINGS, initialModelId: 'big' });
    await fromFull.run(330, jump);
    expect(fromFull.modelDecisions()[0]).toMatchObject({ from: 'big', to: 'big?kv=q8_0&ctx=4096' });
    expect(fromFull.loader.steps).toBe(1);
    expect(fromFull.loader.loads).toBe(0);
    // Already on the step, with 0.70 (84 % in use): the rung below (small) would take more memory
    // (86 %), so there is nothing to step down to.
    const fromStep = createHarness({ ladder, settings: SETTINGS, initialModelId: 'big?kv=q8_0&ctx=4096' });
    await fromStep.run(360, (t) => ({ background: t < 300 ? 0.4 : 0.7 }));
    expect(fromStep.scaler.getState().trends.memory.latest).toBeGreaterThan(0.8);
    expect(fromStep.modelDecisions()).toEqual([]);
  });

  it('a step whose context is shorter than the conversation needs is passed over', async () => {
    const jump = (t: number) => ({ background: t < 300 ? 0.4 : 0.63 });
    const free = createHarness({ ladder: CASCADE, settings: SETTINGS });
    await free.run(330, jump);
    expect(free.modelDecisions()[0]).toMatchObject({ from: 'large', to: 'large?kv=q8_0&ctx=16384' });

    const long = createHarness({ ladder: CASCADE, settings: SETTINGS });
    long.scaler.setContextNeed(20_000);
    await long.run(330, jump);
    // Q8_0 at 32k is still over the line; 16k and 8k are too short for this conversation.
    expect(long.modelDecisions()[0]).toMatchObject({ from: 'large', to: 'medium' });
  });

  it('replies that turn slow go to the next model, not to a cheaper KV cache (which would not make them faster)', async () => {
    const harness = createHarness({ ladder: CASCADE, settings: SETTINGS });
    await harness.run(60, () => ({ background: 0.3 }));
    const reply = async (tokensPerSecond: number) => {
      harness.switcher.beginReply();
      await harness.run(5, () => ({ background: 0.3 }));
      harness.switcher.endReply({ ok: true, tokensPerSecond, ttftMs: 300 });
    };
    for (let i = 0; i < 4; i++) await reply(20);
    await reply(5);
    await reply(5);
    const decision = harness.modelDecisions()[0];
    expect(decision).toMatchObject({ action: 'degrade', path: 'performance', from: 'large', to: 'medium' });
  });
});

describe('a trace with cascade steps', () => {
  const trace = (models: object[]) => ({
    machine: { cpuCores: 4, memTotalBytes: 16e9 },
    models,
    initialModel: 'big',
    samples: [{ t: 0, cpuLoad: 0.1, otherMemUsedBytes: 4e9 }],
  });
  const step = { id: 'big?kv=q8_0', memBytes: 3e9, loadSeconds: 5, modelKey: 'big', stepSeconds: 0.5 };
  const full = { id: 'big', memBytes: 5e9, loadSeconds: 5, modelKey: 'big', stepSeconds: 0.5 };
  const small = { id: 'small', memBytes: 4e9, loadSeconds: 2 };

  it("accepts a big model's step that takes less than a smaller model's full rung (the order is quality)", () => {
    expect(parseTrace(trace([small, step, full])).models.map((model) => model.id)).toEqual(['small', 'big?kv=q8_0', 'big']);
  });

  it("refuses a model's rungs apart, or its steps out of order, naming the field", () => {
    const message = (models: object[]) => {
      try {
        parseTrace(trace(models));
      } catch (error) {
        if (error instanceof ResourceInputError) return error.message;
      }
      return 'accepted';
    };
    expect(message([step, small, full])).toContain('models[2].modelKey: the rungs of model "big" must be next to each other');
    expect(message([small, full, step])).toContain("models[2].memBytes: a model's steps go cheapest first");
  });
});
