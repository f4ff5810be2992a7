/**
 * The cascade through the ModelManager (docs/scaling-policy.md, "The cascade"): the ladder's steps of a
 * model whose KV cache is large, a step taken at a reply's end (the model stays loaded, only its
 * context is recreated), the notice in words a user understands, and the step undone after the
 * stabilization period. Fake runtime on a virtual clock (tests/unit/models/fake-runtime.ts); the
 * real node-llama-cpp steps are in tests/integration/cascade-steps.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ChatTurn } from '../../../shared/domain';
import type { CapabilityChangeData } from '../../../shared/resource';
import { VirtualClock } from '../../../electron/engine/resource/clock';
import { ModelManager, type ManagerSettings } from '../../../electron/engine/models/model-manager';
import { contextNeedOf } from '../../../electron/engine/models/ladder-cascade';
import { FakeRuntime, GiB, fakeMachine, type FakeModel } from './fake-runtime';

const SMALL: FakeModel = { path: 'small.gguf', memBytes: 1 * GiB, loadMs: 1000 };
const MEDIUM: FakeModel = { path: 'medium.gguf', memBytes: 2 * GiB, loadMs: 2000 };
/** 2 GiB of weights; its F16 KV cache takes 2 GiB at 32,768 tokens (32,768 elements a token). */
const LONG: FakeModel = {
  path: 'long.gguf',
  memBytes: 2 * GiB,
  loadMs: 4000,
  shape: { layers: 16, kvElementsPerToken: 32768, trainContextSize: 32768, layerWeightBytes: (2 * GiB) / 16 },
};
const MODELS = [SMALL, MEDIUM, LONG];

const SCALER: ManagerSettings['scaler'] = {
  degradeThreshold: 0.8,
  criticalThreshold: 0.95,
  upgradeThreshold: 0.6,
  levelHoldSeconds: 2,
  levelWindowSeconds: 2,
  settleSeconds: 5,
  stabilizationSeconds: 120,
  upgradeGapSeconds: 120,
};

let close: (() => Promise<void>) | null = null;
afterEach(async () => {
  await close?.();
  close = null;
});

function harness() {
  const clock = new VirtualClock(0);
  const runtime = new FakeRuntime(clock, MODELS, { promptMs: 300, tokenMs: 100, replyTokens: 20 });
  const other = { bytes: 4 * GiB };
  const manager = new ModelManager({ runtime, source: fakeMachine(runtime, other), clock, dataDir: null, log: () => {} });
  const changes: CapabilityChangeData[] = [];
  manager.on('capability', (change) => changes.push(change));
  const advanceUntil = async (predicate: () => boolean, limitMs = 900_000) => {
    for (let elapsed = 0; !predicate(); elapsed += 100) {
      if (elapsed >= limitMs) throw new Error(`not reached within ${limitMs} ms of virtual time (phase ${manager.phase})`);
      await clock.advanceAsync(100);
    }
  };
  const settle = async <T>(work: Promise<T>): Promise<T> => {
    let done = false;
    const result = work.finally(() => {
      done = true;
    });
    await advanceUntil(() => done);
    return result;
  };
  close = async () => {
    const closing = manager.shutdown();
    await clock.advanceAsync(60_000);
    await closing;
  };
  const configure = (settings: ManagerSettings = { scaler: SCALER, contextSize: 32768 }) =>
    settle(manager.configure({ models: MODELS.map((m) => ({ path: m.path, sizeBytes: m.memBytes, synthetic: true })), preferredPath: LONG.path, settings }));
  return { clock, runtime, other, manager, changes, advanceUntil, settle, configure };
}

const question: ChatTurn[] = [{ role: 'user', text: 'Tell me a story.' }];
let nextId = 0;

describe('the cascade in the ModelManager (fake runtime, virtual clock)', () => {
  it("the ladder holds the model's steps under its full rung, cheapest first, before the smaller models; the setting turns them off", async () => {
    const h = harness();
    await h.configure();
    expect(h.manager.ladder.map((rung) => rung.id)).toEqual([
      'small.gguf',
      'medium.gguf',
      'long.gguf?kv=q8_0&ctx=4096',
      'long.gguf?kv=q8_0&ctx=8192',
      'long.gguf?kv=q8_0&ctx=16384',
      'long.gguf?kv=q8_0&ctx=32768',
      'long.gguf',
    ]);
    // Q8_0 takes 34/64 of F16: the first step frees about 0.94 GiB of the 2 GiB cache.
    const [q8, full] = h.manager.ladder.slice(-2);
    expect((full!.footprint.memBytes - q8!.footprint.memBytes) / GiB).toBeCloseTo(2 * (1 - 34 / 64), 2);
    await h.configure({ scaler: SCALER, contextSize: 32768, cascade: false });
    expect(h.manager.ladder.map((rung) => rung.id)).toEqual(['small.gguf', 'medium.gguf', 'long.gguf']);
  });

  it('a step at the end of a reply keeps the model and the conversation, says what changed in words, and is undone after the stabilization period', async () => {
    const h = harness();
    await h.configure();
    const reply = h.manager.generateResponse({ requestId: `r${++nextId}`, history: question, maxTokens: 400 }, () => {});
    await h.advanceUntil(() => h.manager.phase === 'replying');
    // Other programs jump to 10 GiB of 16: the full rung would be at 87.5 %, Q8_0 at 32k at 81.6 %,
    // Q8_0 at 16k at 78.3 %: two steps at once, still the same model.
    h.other.bytes = 10 * GiB;
    const first = await h.settle(reply);
    expect(first.text.length).toBeGreaterThan(0);
    await h.advanceUntil(() => h.changes.length === 1 && h.manager.phase === 'idle');
    expect(h.runtime.model?.path).toBe(LONG.path);
    expect(h.runtime.model?.contextSize).toBe(16384);
    expect(h.runtime.calls.filter((call) => call.startsWith('unload:'))).toEqual([]);
    expect(h.runtime.calls).toContain(`context:${LONG.path}`);
    const down = h.changes[0]!;
    expect(down).toMatchObject({ direction: 'down', kind: 'step' });
    expect(down.what).toContain('Mai now remembers the last 16,384 tokens of this conversation instead of 32,768');
    expect(down.what).toContain('lower precision (Q8_0 KV cache instead of F16)');
    expect(down.what).toContain('long stays loaded and the conversation is kept');
    // The real earliest time and the rule that holds it: the stabilization period since this step down.
    expect(down.bringBack).toMatch(
      /^The longer memory \(32,768 tokens\) and full precision come back by themselves in 2 minutes at the earliest \(held until then by the stabilization period: 120 s of calm since the last step down\)/,
    );
    expect(down.upgradeHold?.rule).toBe('stabilization');

    // The next reply runs on the step, with the conversation.
    const history: ChatTurn[] = [...question, { role: 'assistant', text: first.text }, { role: 'user', text: 'Go on.' }];
    const second = await h.settle(h.manager.generateResponse({ requestId: `r${++nextId}`, history, maxTokens: 400 }, () => {}));
    expect(second.text.length).toBeGreaterThan(0);

    // Relief: after the stabilization period the full rung comes back (the same model again).
    const reliefAt = h.clock.now();
    h.other.bytes = 3 * GiB;
    await h.advanceUntil(() => h.changes.length === 2 && h.manager.phase === 'idle');
    const up = h.changes[1]!;
    expect(up).toMatchObject({ direction: 'up', kind: 'step' });
    expect(up.what).toContain('Mai again remembers the last 32,768 tokens of this conversation instead of 16,384.');
    expect(up.what).toContain('full precision (F16 KV cache)');
    expect(h.clock.now() - reliefAt).toBeGreaterThanOrEqual(120_000);
    expect(h.runtime.model?.contextSize).toBe(32768);
    expect(h.runtime.calls.filter((call) => call.startsWith('load:'))).toEqual([`load:${LONG.path}`]);
  });

  it('a settings change while on a step keeps the step: no context recreated at full cost, no second step, no second notice', async () => {
    const h = harness();
    await h.configure();
    const reply = h.manager.generateResponse({ requestId: `r${++nextId}`, history: question, maxTokens: 400 }, () => {});
    await h.advanceUntil(() => h.manager.phase === 'replying');
    h.other.bytes = 10 * GiB;
    await h.settle(reply);
    await h.advanceUntil(() => h.changes.length === 1 && h.manager.phase === 'idle');
    expect(h.runtime.model?.contextSize).toBe(16384);
    const contextsBefore = h.runtime.calls.filter((call) => call.startsWith('context:')).length;

    // The user changes an engine setting (the memory pressure has not gone): main rebuilds the ladder
    // with the loaded model as the preferred one.
    await h.configure({ scaler: { ...SCALER, upgradeGapSeconds: 180 }, contextSize: 32768 });
    expect(h.manager.state?.modelId).toBe('long.gguf?kv=q8_0&ctx=16384');
    expect(h.runtime.model?.contextSize).toBe(16384);
    await h.clock.advanceAsync(30_000);
    expect(h.runtime.calls.filter((call) => call.startsWith('context:')).length).toBe(contextsBefore);
    expect(h.changes).toHaveLength(1);
    expect(h.runtime.model?.contextSize).toBe(16384);
  });
});

describe('what the conversation needs', () => {
  it('counts the text at 3 characters a token plus the template, and the reply room up to 1,024 tokens', () => {
    const history: ChatTurn[] = [{ role: 'user', text: 'x'.repeat(3000) }];
    expect(contextNeedOf(history, 400)).toBe(1000 + 8 + 400);
    expect(contextNeedOf(history, 4000)).toBe(1000 + 8 + 1024);
  });
});
