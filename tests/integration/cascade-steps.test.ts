/**
 * Cascade steps with the real node-llama-cpp on a synthetic model whose KV cache dominates (512
 * MiB in F16 at its 32,768-token context, ~68 MB of weights): the rung loader moves between rungs
 * of one model the way the model switcher does at a reply's end (`unload` then `load`), and each
 * step must free what its estimate says, keep the model loaded, keep the conversation, and let the
 * next reply run. Memory is the engine process's resident set less V8's heap (the JavaScript garbage
 * of a reply and a warm-up moves it by a few MiB either way): llama.cpp clears the KV cache when it
 * creates a context, so all of it is resident at once, and disposing the context returns it to the
 * system (docs/cascade.md).
 */
import { statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatTurn, LogLevel } from '../../shared/domain';
import { LlamaEngine } from '../../electron/engine/llama-engine';
import { createManagerContext, type ManagerContext } from '../../electron/engine/models/manager-context';
import type { Rung, RungCost } from '../../electron/engine/models/rung';
import { RungLoader } from '../../electron/engine/models/rung-loader';
import { RealClock } from '../../electron/engine/resource/clock';
import type { ResourceMonitor } from '../../electron/engine/resource/monitoring/resource-monitor';
import { LONG_CONTEXT_MODEL, writeSyntheticModel } from '../fixtures/synthetic-models';
import { ensureTestModels, testModelsDir } from '../helpers/models';

const MiB = 2 ** 20;
const quietLog = (_level: LogLevel, _message: string) => {};

const runtime = new LlamaEngine(quietLog);
const background = new Set<Promise<unknown>>();
let context: ManagerContext;
let loader: RungLoader;
let modelPath = '';
let smallerPath = '';

const COSTS: Record<string, RungCost> = {
  full: { contextSize: 32768 },
  q8: { contextSize: 32768, kvCacheType: 'q8_0' },
  half: { contextSize: 16384, kvCacheType: 'q8_0' },
  quarter: { contextSize: 8192, kvCacheType: 'q8_0' },
};

async function rungOf(id: string, path: string, cost: RungCost, base?: Rung): Promise<Rung> {
  const sizeBytes = statSync(path).size;
  const footprint = base
    ? await context.footprints.estimateStep(base.footprint, base.cost, cost, path, sizeBytes)
    : await context.footprints.estimate(await runtime.estimate(path, sizeBytes, cost.contextSize ?? 4096), path, sizeBytes, cost.contextSize ?? 4096, 0);
  if (!footprint) throw new Error(`no estimate for ${id}`);
  return { id, runtimeId: runtime.id, model: { path, name: id, synthetic: true }, cost, footprint };
}

beforeAll(async () => {
  modelPath = await writeSyntheticModel(LONG_CONTEXT_MODEL, testModelsDir);
  smallerPath = (await ensureTestModels()).tiny;
  runtime.setThreads(1);
  context = createManagerContext({
    runtime,
    clock: new RealClock({ unref: true }),
    dataDir: null,
    log: quietLog,
    monitor: () => ({ latest: () => null }) as unknown as ResourceMonitor,
    emit: () => {},
    background,
  });
  const full = await rungOf('full', modelPath, COSTS.full!);
  const steps = await Promise.all(['q8', 'half', 'quarter'].map((id) => rungOf(id, modelPath, COSTS[id]!, full)));
  const smaller = await rungOf('smaller', smallerPath, { contextSize: 2048 });
  context.rungs = [smaller, ...steps.reverse(), full];
  loader = new RungLoader(context);
  context.machine.apply('configure');
  await loader.loadFirstThatWorks(full);
  context.machine.apply('configured');
}, 120_000);

afterAll(async () => {
  await Promise.all([...background]);
  await runtime.unload();
});

const settled = async () => {
  while (background.size > 0) await Promise.all([...background]);
};

/** Resident bytes outside V8's heap: the model, its context, and the rest of the native side. */
const nativeResident = () => {
  const usage = process.memoryUsage();
  return usage.rss - usage.heapTotal;
};

let nextId = 0;
const conversation: ChatTurn[] = [{ role: 'user', text: 'Remember the word PELICAN for me.' }];

/** One reply on the rung in use, as the reply runner gives it: the conversation grows by the answer. */
async function reply(): Promise<void> {
  context.machine.apply('reply-start');
  const result = await runtime
    .generate({ requestId: `c${++nextId}`, history: conversation, maxTokens: 12, seed: 1 }, () => {})
    .finally(() => {
      context.machine.apply('reply-end');
    });
  expect(result.stats.tokens).toBeGreaterThan(0);
  expect(result.droppedTurns ?? 0).toBe(0);
  conversation.push({ role: 'assistant', text: result.text }, { role: 'user', text: `And now turn ${nextId + 1}?` });
  context.history = [...conversation];
}

/** The switcher's two calls at a reply's end; resolves with the resident bytes freed (negative: taken). */
async function step(fromId: string, toId: string): Promise<{ freed: number; estimated: number }> {
  await settled();
  const from = context.rungs.find((rung) => rung.id === fromId)!;
  const to = context.rungs.find((rung) => rung.id === toId)!;
  const before = nativeResident();
  await loader.unload(fromId);
  await loader.load(toId);
  await settled();
  return { freed: before - nativeResident(), estimated: from.footprint.estimatedMemBytes - to.footprint.estimatedMemBytes };
}

describe('cascade steps on the real engine', () => {
  it('each step down frees its estimated memory, keeps the model and the conversation, and the next reply runs', async () => {
    await reply();
    const loads = runtime.modelLoads;
    for (const [from, to, contextSize] of [
      ['full', 'q8', 32768],
      ['q8', 'half', 16384],
      ['half', 'quarter', 8192],
    ] as const) {
      const { freed, estimated } = await step(from, to);
      // F16 → Q8_0 at 32k: 240 MiB; each halving after it: 136, then 68 MiB.
      expect(estimated).toBeGreaterThan(60 * MiB);
      expect(Math.abs(freed - estimated)).toBeLessThanOrEqual(0.15 * estimated);
      expect(runtime.modelLoads).toBe(loads);
      expect(runtime.model?.contextSize).toBe(contextSize);
      // The scaler hears how long the step took, apart from what loading the model would take.
      expect(context.stats.stepSeconds(to)).toBeGreaterThan(0);
      expect(context.stats.loadSeconds(to)).toBeUndefined();
      await reply();
      // The conversation came along: the first turn is still in what the model saw.
      expect(runtime.lastPromptText()).toContain('PELICAN');
    }
  }, 120_000);

  it('each step back up takes its estimated memory again, still without reloading the model', async () => {
    const loads = runtime.modelLoads;
    for (const [from, to] of [
      ['quarter', 'half'],
      ['half', 'q8'],
      ['q8', 'full'],
    ] as const) {
      const { freed, estimated } = await step(from, to);
      expect(estimated).toBeLessThan(-60 * MiB);
      expect(Math.abs(freed - estimated)).toBeLessThanOrEqual(0.15 * Math.abs(estimated));
      expect(runtime.modelLoads).toBe(loads);
      await reply();
      expect(runtime.lastPromptText()).toContain('PELICAN');
    }
    expect(runtime.model?.contextSize).toBe(32768);
  }, 120_000);

  it('a step whose context cannot be created leaves the previous one in place, saying so', async () => {
    const loads = runtime.modelLoads;
    const huge = await rungOf(
      'huge',
      modelPath,
      { contextSize: 8_000_000 },
      context.rungs.find((rung) => rung.id === 'full'),
    );
    context.rungs = [...context.rungs, huge];
    await loader.unload('full');
    await expect(loader.load('huge')).rejects.toThrow(/keeps its previous 32768-token context/);
    expect(context.machine.phase).toBe('idle');
    expect(runtime.model?.contextSize).toBe(32768);
    expect(runtime.modelLoads).toBe(loads);
    context.rungs = context.rungs.filter((rung) => rung !== huge);
    context.history = [...conversation];
    await runtime.preloadHistory(conversation);
    await reply();
    expect(runtime.lastPromptText()).toContain('PELICAN');
  }, 120_000);

  it('a step that changes GPU layers reloads the model (llama.cpp fixes them at load), and a model switch loads another', async () => {
    const loads = runtime.modelLoads;
    const gpu = await rungOf(
      'gpu0',
      modelPath,
      { contextSize: 32768, gpuLayers: 0 },
      context.rungs.find((rung) => rung.id === 'full'),
    );
    context.rungs = [...context.rungs, gpu];
    await step('full', 'gpu0');
    expect(runtime.modelLoads).toBe(loads + 1);
    await reply();
    expect(runtime.lastPromptText()).toContain('PELICAN');
    await step('gpu0', 'smaller');
    expect(runtime.modelLoads).toBe(loads + 2);
    expect(runtime.model?.path).toBe(smallerPath);
  }, 120_000);
});
