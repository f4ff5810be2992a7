/**
 * The cascade end to end in this process: the ModelManager with the real node-llama-cpp on the
 * 32k-context synthetic model (its KV cache dominates), the real machine as resource source under a
 * memory budget, and "other programs" scripted through the overlay the engine exposes to the
 * end-to-end tests. Memory climbs during a reply; at the reply's end the scaler's step (the KV cache
 * in Q8_0, the model kept) frees what its estimate said, the notice names it, the next reply runs
 * with the conversation, and once memory is calm for the stabilization period the step is undone.
 * The step's own mechanics on the engine are in cascade-steps.test.ts.
 */
import { statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatTurn, LogLevel } from '../../shared/domain';
import type { CapabilityChangeData } from '../../shared/resource';
import { LlamaEngine } from '../../electron/engine/llama-engine';
import { ModelManager, type ManagerSettings } from '../../electron/engine/models/model-manager';
import type { ScalerDecision } from '../../electron/engine/resource/policy/scaler-types';
import { SystemResourceSource } from '../../electron/engine/resource/monitoring/system-source';
import type { ResourceSample } from '../../electron/engine/resource/types';
import { LONG_CONTEXT_MODEL, writeSyntheticModel } from '../fixtures/synthetic-models';
import { ensureTestModels, testModelsDir } from '../helpers/models';

const quietLog = (_level: LogLevel, _message: string) => {};
const BUDGET = 3 * 2 ** 30;
const STABILIZATION_SECONDS = 8;
const SCALER: ManagerSettings['scaler'] = {
  degradeThreshold: 0.8,
  criticalThreshold: 0.95,
  upgradeThreshold: 0.7,
  levelHoldSeconds: 1,
  levelWindowSeconds: 2,
  settleSeconds: 2,
  stabilizationSeconds: STABILIZATION_SECONDS,
  upgradeGapSeconds: STABILIZATION_SECONDS,
  sampleIntervalSeconds: 0.25,
};

/** Resident bytes outside V8's heap (see cascade-steps.test.ts). */
const nativeResident = () => {
  const usage = process.memoryUsage();
  return usage.rss - usage.heapTotal;
};

const runtime = new LlamaEngine(quietLog);
let manager: ModelManager;
let longPath = '';
let tinyPath = '';

beforeAll(async () => {
  longPath = await writeSyntheticModel(LONG_CONTEXT_MODEL, testModelsDir);
  tinyPath = (await ensureTestModels()).tiny;
  manager = new ModelManager({ runtime, source: new SystemResourceSource(), dataDir: null, log: quietLog });
}, 60_000);

afterAll(async () => {
  await manager.shutdown();
});

/** Resolves with the first event of `name` that `predicate` accepts. */
function next<K extends 'decision' | 'capability' | 'sample'>(
  name: K,
  predicate: (payload: K extends 'decision' ? ScalerDecision : K extends 'capability' ? CapabilityChangeData : { sample: ResourceSample }) => boolean,
  timeoutMs = 120_000,
): Promise<K extends 'decision' ? ScalerDecision : K extends 'capability' ? CapabilityChangeData : { sample: ResourceSample }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no ${name} event within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = (manager.on as (event: string, listener: (payload: never) => void) => () => void)(name, (payload: never) => {
      if (!predicate(payload)) return;
      clearTimeout(timer);
      off();
      resolve(payload);
    });
  });
}

let nextId = 0;
const ask = (history: ChatTurn[], maxTokens: number, onText: (text: string) => void = () => {}) =>
  manager.generateResponse({ requestId: `m${++nextId}`, history, maxTokens, seed: 1 }, onText);

describe('the cascade through the ModelManager on the real engine', () => {
  it('a climb during a reply is met at its end by a KV-cache step that frees its estimate, named in the notice, and undone after the stabilization period', async () => {
    manager.setOverlay({ otherMemBytes: 0.3 * BUDGET });
    const models = [
      { path: tinyPath, sizeBytes: statSync(tinyPath).size, synthetic: true, contextSize: 2048 },
      { path: longPath, sizeBytes: statSync(longPath).size, synthetic: true, contextSize: 32768 },
    ];
    await manager.configure({ models, preferredPath: longPath, settings: { memoryBudgetBytes: BUDGET, scaler: SCALER } });
    const ids = manager.ladder.map((rung) => rung.id);
    const q8Id = `${longPath}?kv=q8_0&ctx=32768`;
    expect(ids).toContain(q8Id);
    expect(ids.at(-1)).toBe(longPath);
    const conversation: ChatTurn[] = [{ role: 'user', text: 'Remember the word PELICAN for me.' }];
    const first = await ask(conversation, 8);
    const loads = runtime.modelLoads;

    // Other programs climb mid-reply to where the full rung sits over the 80 % line, and the Q8_0
    // step (240 MiB, 7.8 % of the budget) brings it back under.
    const { sample } = await next('sample', () => true);
    const own = sample.ownMemBytes;
    let pressed = false;
    let before = 0;
    let phaseAtSwitch = '';
    let phaseAtDegrade = '';
    const degraded = next('decision', (d) => {
      if (d.action !== 'degrade') return false;
      phaseAtDegrade = manager.phase;
      return true;
    });
    const switchStarted = next('decision', (d) => {
      if (d.action !== 'switch') return false;
      before = nativeResident();
      phaseAtSwitch = manager.phase;
      return true;
    });
    const loaded = next('decision', (d) => d.action === 'loaded');
    const change = next('capability', (c) => c.direction === 'down');
    const history: ChatTurn[] = [...conversation, { role: 'assistant', text: first.text }, { role: 'user', text: 'Tell me a long story about the sea.' }];
    const story = await ask(history, 600, () => {
      if (pressed) return;
      pressed = true;
      manager.setOverlay({ otherMemBytes: 0.83 * BUDGET - own });
    });
    expect(story.stopReason).not.toBe('abort');
    const started = await switchStarted;
    expect(started.action === 'switch' && started.from).toBe(longPath);
    // Decided during the reply, carried out at its end (not by cutting it).
    expect(await degraded).toMatchObject({ urgency: 'normal' });
    expect(phaseAtDegrade).toBe('replying');
    expect(phaseAtSwitch).toBe('idle');
    const done = await loaded;
    const after = nativeResident();
    const down = await change;

    // The model stayed loaded and only its context changed.
    expect(done).toMatchObject({ action: 'loaded', ok: true });
    const stepId = done.action === 'loaded' ? done.modelId : '';
    expect(stepId.startsWith(`${longPath}?`)).toBe(true);
    expect(runtime.modelLoads).toBe(loads);
    expect(runtime.model?.path).toBe(longPath);
    // It freed what the ladder estimated (RAM outside V8's heap, within 15 %).
    const full = manager.ladder.find((rung) => rung.id === longPath)!;
    const step = manager.ladder.find((rung) => rung.id === stepId)!;
    const estimated = full.footprint.estimatedMemBytes - step.footprint.estimatedMemBytes;
    expect(Math.abs(before - after - estimated)).toBeLessThanOrEqual(0.15 * estimated);
    // The notice names the step in words.
    expect(down.kind).toBe('step');
    expect(down.what).toMatch(/Q8_0|remembers the last/);
    // …and when it comes back: after the stabilization period the settings ask for.
    expect(down.bringBack).toContain('comes back by itself');
    expect(down.bringBack).toContain(`for the stabilization period of ${STABILIZATION_SECONDS} s`);

    // The next reply runs on the step, with the conversation.
    const more: ChatTurn[] = [...history, { role: 'assistant', text: story.text }, { role: 'user', text: 'And the word I asked you to remember?' }];
    const reply = await ask(more, 8);
    expect(reply.stats.tokens).toBeGreaterThan(0);
    expect(runtime.lastPromptText()).toContain('PELICAN');

    // Calm again: after the stabilization period the full rung comes back, the model still loaded.
    const calmAt = performance.now();
    const up = next('capability', (c) => c.direction === 'up');
    manager.setOverlay({ otherMemBytes: 0.3 * BUDGET });
    const restored = await up;
    expect(restored.kind).toBe('step');
    expect(performance.now() - calmAt).toBeGreaterThanOrEqual(STABILIZATION_SECONDS * 1000);
    expect(manager.state?.modelId).toBe(longPath);
    expect(runtime.model?.contextSize).toBe(32768);
    expect(runtime.modelLoads).toBe(loads);
    const last = await ask([...more, { role: 'assistant', text: reply.text }, { role: 'user', text: 'Thanks.' }], 8);
    expect(last.stats.tokens).toBeGreaterThan(0);
    expect(runtime.lastPromptText()).toContain('PELICAN');
  }, 240_000);
});
