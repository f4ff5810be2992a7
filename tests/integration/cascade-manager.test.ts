/**
 * The cascade end to end in the ModelManager, with the real node-llama-cpp on the synthetic model
 * whose KV cache dominates (512 MiB in F16 at 32,768 tokens, ~68 MB of weights) and the real
 * machine under a memory budget, "other programs" scripted through the engine's overlay: the
 * ladder offers the model's steps, a jump in memory use makes the scaler choose a step (not the
 * smaller model), the model stays loaded, the next reply runs with the conversation, the notice
 * names what changed, and the step is undone after the stabilization period
 * (docs/scaling-policy.md, "The cascade").
 */
import { statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatTurn, LogLevel } from '../../shared/domain';
import type { CapabilityChangeData } from '../../shared/resource';
import { LlamaEngine } from '../../electron/engine/llama-engine';
import { ModelManager, type LadderInput, type ManagerSettings } from '../../electron/engine/models/model-manager';
import { SystemResourceSource } from '../../electron/engine/resource/monitoring/system-source';
import { LONG_CONTEXT_MODEL, writeSyntheticModel } from '../fixtures/synthetic-models';
import { ensureTestModels, testModelsDir } from '../helpers/models';

const GiB = 2 ** 30;
/** The machine as the scaler sees it: large enough that this test process's own memory is a small share. */
const BUDGET = 8 * GiB;
const quietLog = (_level: LogLevel, _message: string) => {};
const runtime = new LlamaEngine(quietLog);
let manager: ModelManager | null = null;
let inputs: LadderInput[] = [];
let longPath = '';

beforeAll(async () => {
  longPath = await writeSyntheticModel(LONG_CONTEXT_MODEL, testModelsDir);
  const tiny = (await ensureTestModels()).tiny;
  runtime.setThreads(1);
  inputs = [tiny, longPath].map((p) => ({ path: p, sizeBytes: statSync(p).size, synthetic: true }));
});

afterAll(async () => {
  await manager?.shutdown();
  await runtime.unload();
});

const settings: ManagerSettings = {
  contextSize: 32768,
  memoryBudgetBytes: BUDGET,
  scaler: {
    degradeThreshold: 0.8,
    criticalThreshold: 0.97,
    upgradeThreshold: 0.6,
    levelHoldSeconds: 2,
    levelWindowSeconds: 2,
    settleSeconds: 2,
    stabilizationSeconds: 8,
    upgradeGapSeconds: 8,
    sampleIntervalSeconds: 0.25,
  },
};

/** Resolves with the next capability change that `predicate` accepts. */
function nextChange(m: ModelManager, predicate: (change: CapabilityChangeData) => boolean, timeoutMs = 60_000): Promise<CapabilityChangeData> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error('timed out waiting for a capability change'));
    }, timeoutMs);
    const off = m.on('capability', (change) => {
      if (!predicate(change)) return;
      clearTimeout(timer);
      off();
      resolve(change);
    });
  });
}

describe('the cascade in the ModelManager (real engine)', () => {
  it('a memory jump takes a step of the long-context model, not the smaller model; the reply runs on it; relief undoes it', async () => {
    const m = new ModelManager({ runtime, source: new SystemResourceSource(), dataDir: null, log: quietLog });
    manager = m;
    // Other programs at 1 GiB of the 8 GiB budget while the model loads, and a quiet CPU (this
    // shared test machine is often busy, which would hold the upgrade as "CPU busy").
    m.setOverlay({ otherMemBytes: 1 * GiB, cpuOtherLoad: 0.1 });
    await m.configure({ models: inputs, preferredPath: longPath, settings });
    const ids = m.ladder.map((rung) => rung.id);
    expect(ids.at(-1)).toBe(longPath);
    expect(ids).toContain(`${longPath}?kv=q8_0&ctx=32768`);
    const full = m.ladder.at(-1)!;
    const q8 = m.ladder.find((rung) => rung.id === `${longPath}?kv=q8_0&ctx=32768`)!;
    const freed = full.footprint.memBytes - q8.footprint.memBytes;
    expect(freed / 2 ** 20, 'Q8_0 frees ~47 % of the 512 MiB F16 cache').toBeGreaterThan(200);

    // A jump to where the full rung is over the 80 % line and the Q8_0 step under it. The scaler
    // counts the larger of the process's own memory and the rung's footprint as the model's share.
    const own = await new Promise<number>((resolve) => {
      const off = m.on('sample', ({ sample }) => {
        off();
        resolve(sample.ownMemBytes);
      });
    });
    const other = 0.8 * BUDGET - Math.max(own, full.footprint.memBytes) + 0.6 * freed;
    const down = nextChange(m, (change) => change.direction === 'down');
    m.setOverlay({ otherMemBytes: other, cpuOtherLoad: 0.1 });
    const change = await down;
    expect(change.kind).toBe('step');
    expect(change.what).toContain('Q8_0 KV cache instead of F16');
    expect(change.bringBack).toMatch(/comes back by itself in \d+ s at the earliest/);
    expect(runtime.model?.path, 'the model stays loaded').toBe(longPath);

    const history: ChatTurn[] = [
      { role: 'user', text: 'hello' },
      { role: 'assistant', text: 'hi' },
      { role: 'user', text: 'go on' },
    ];
    const reply = await m.generateResponse({ requestId: 'cascade-1', history, maxTokens: 8, seed: 1 }, () => {});
    expect(reply.stats.tokens).toBeGreaterThan(0);
    expect(runtime.model?.path).toBe(longPath);

    // Relief: the full rung comes back after the stabilization period, the model still the same.
    const up = nextChange(m, (c) => c.direction === 'up');
    const reliefAt = Date.now();
    m.setOverlay({ otherMemBytes: 0.5 * GiB, cpuOtherLoad: 0.1 });
    const back = await up;
    expect(back.kind).toBe('step');
    expect(back.what).toContain('full precision (F16 KV cache)');
    expect(Date.now() - reliefAt).toBeGreaterThanOrEqual(8_000);
    expect(runtime.model?.path).toBe(longPath);
    expect(runtime.model?.contextSize).toBe(32768);
  }, 180_000);
});
