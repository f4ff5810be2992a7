/**
 * The ModelManager in this process, with the real node-llama-cpp on the synthetic models and the
 * real machine as resource source (under a memory budget, with "other programs" scripted through
 * the same overlay the engine exposes to the end-to-end tests). In-process so that the test can
 * see the manager's timers, its runtime and its footprint file directly. The switch tests turn the
 * cascade off (`cascade: false`): they are about moving between models; the cascade's own tests are
 * cascade-steps.test.ts and cascade-manager.test.ts.
 */
import { copyFileSync, existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ChatTurn, LogLevel } from '../../shared/domain';
import { LlamaEngine } from '../../electron/engine/llama-engine';
import { ModelManager, type LadderInput, type ManagerSettings } from '../../electron/engine/models/model-manager';
import { RealClock, type TimerHandle } from '../../electron/engine/resource/clock';
import type { ScalerDecision, TrendSnapshot } from '../../electron/engine/resource/policy/scaler-types';
import { SystemResourceSource } from '../../electron/engine/resource/monitoring/system-source';
import type { ResourceSample } from '../../electron/engine/resource/types';
import { tempDir } from '../helpers/app';
import { ensureTestModels, type TestModels } from '../helpers/models';

let models: TestModels;
let ladder: LadderInput[];
beforeAll(async () => {
  models = await ensureTestModels();
  ladder = [models.tiny, models.small, models.medium].map((p) => ({ path: p, sizeBytes: statSync(p).size, synthetic: true }));
});

const BUDGET = 2 * 2 ** 30;
const quietLog = (_level: LogLevel, _message: string) => {};

/**
 * One engine for the whole file, as in the engine process: a second node-llama-cpp instance in one
 * process is not how Mai runs, and one being collected can abort the other's work.
 */
const runtime = new LlamaEngine(quietLog);
let manager: ModelManager | null = null;
afterEach(async () => {
  await manager?.shutdown();
  manager = null;
  await runtime.unload();
});

/** The real clock, ref'd, counting the callbacks scheduled and not yet run or cancelled. */
class CountingClock extends RealClock {
  readonly pending = new Set<number>();
  constructor() {
    super({ unref: false });
  }
  override setTimeout(callback: () => void, delayMs: number): TimerHandle {
    const handle = super.setTimeout(() => {
      this.pending.delete(handle.id);
      callback();
    }, delayMs);
    this.pending.add(handle.id);
    return handle;
  }
  override clearTimeout(handle: TimerHandle): void {
    this.pending.delete(handle.id);
    super.clearTimeout(handle);
  }
}

interface Started {
  manager: ModelManager;
  runtime: LlamaEngine;
  decisions: ScalerDecision[];
  notices: string[];
}

function create(options: { dataDir?: string | null; clock?: RealClock } = {}): Started {
  manager = new ModelManager({
    runtime,
    source: new SystemResourceSource(),
    dataDir: options.dataDir ?? null,
    log: quietLog,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const decisions: ScalerDecision[] = [];
  const notices: string[] = [];
  manager.on('decision', (d) => decisions.push(d));
  manager.on('notice', (n) => notices.push(n.message));
  return { manager, runtime, decisions, notices };
}

/** Resolves with the first sample for which `predicate` holds. */
function sampleWhere(m: ModelManager, predicate: (sample: ResourceSample, memory: TrendSnapshot) => boolean, timeoutMs = 30_000): Promise<ResourceSample> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error('timed out waiting for a sample'));
    }, timeoutMs);
    const off = m.on('sample', ({ sample, state }) => {
      if (!predicate(sample, state.trends.memory)) return;
      clearTimeout(timer);
      off();
      resolve(sample);
    });
  });
}

const scripted: ManagerSettings['scaler'] = {
  degradeThreshold: 0.8,
  criticalThreshold: 0.95,
  upgradeThreshold: 0.6,
  levelHoldSeconds: 2,
  levelWindowSeconds: 2,
  settleSeconds: 120,
  stabilizationSeconds: 600,
  sampleIntervalSeconds: 0.25,
};

let nextId = 0;
const ask = (m: ModelManager, history: ChatTurn[], maxTokens: number, onText: (t: string) => void = () => {}) =>
  m.generateResponse({ requestId: `r${++nextId}`, history, maxTokens, seed: 1 }, onText);

describe('ModelManager in process', () => {
  it('sampleIntervalSeconds sets the monitor period', async () => {
    const { manager: m } = create();
    const times: number[] = [];
    m.on('sample', ({ sample }) => times.push(sample.t));
    await m.configure({ models: ladder.slice(0, 1), preferredPath: models.tiny, settings: { scaler: { sampleIntervalSeconds: 0.2 } } });
    await sampleWhere(m, () => times.length >= 6);
    const gaps = times
      .slice(1)
      .map((t, i) => t - times[i]!)
      .sort((a, b) => a - b);
    const median = gaps[Math.floor(gaps.length / 2)]!;
    console.log(`sample gaps with sampleIntervalSeconds 0.2: median ${median} ms`);
    expect(median).toBeGreaterThanOrEqual(150);
    expect(median).toBeLessThan(400);
  });

  it('shutdown mid-reply: the reply stops, no model stays loaded and the manager leaves no timer', async () => {
    // A clock whose timers keep the event loop alive, so that they show in getActiveResourcesInfo().
    const clock = new CountingClock();
    const { manager: m, runtime: r } = create({ clock });
    // A scripted machine: what other programs on the test host use must not trigger a switch here.
    m.setOverlay({ otherMemBytes: 0.3 * BUDGET });
    await r.getLlama(); // node-llama-cpp's own start-up is not the manager's
    const timersBefore = process.getActiveResourcesInfo().filter((res) => res === 'Timeout').length;
    await m.configure({
      models: ladder.slice(0, 2),
      preferredPath: models.small,
      settings: { memoryBudgetBytes: BUDGET, scaler: { sampleIntervalSeconds: 0.25 } },
    });
    let streamed = 0;
    let resolveStarted: () => void = () => {};
    const started = new Promise<void>((resolve) => (resolveStarted = resolve));
    const reply = ask(m, [{ role: 'user', text: 'Tell me a very long story.' }], 4000, () => {
      if (++streamed === 5) resolveStarted();
    });
    await started;
    const during = process.getActiveResourcesInfo().filter((res) => res === 'Timeout').length;
    await m.shutdown();
    manager = null;
    const result = await reply;
    expect(result.stopReason).toBe('abort');
    expect(result.text.length).toBeGreaterThan(0);
    expect(r.model).toBeNull();
    const timersAfter = process.getActiveResourcesInfo().filter((res) => res === 'Timeout').length;
    console.log(`timers: ${timersBefore} before, ${during} while running, ${timersAfter} after shutdown`);
    expect(during).toBeGreaterThan(timersBefore);
    // Other parts of the process may end timers meanwhile, never the manager add one.
    expect(timersAfter).toBeLessThanOrEqual(timersBefore);
    expect(clock.pending.size).toBe(0);
  });

  it('a second start reads the memory measured after the first reply and applies the correction', async () => {
    const dataDir = tempDir('mai-footprint-');
    const file = path.join(dataDir, 'model-memory.json');
    const first = create({ dataDir });
    const medium = ladder.find((l) => l.path === models.medium)!;
    await first.manager.configure({ models: [medium], preferredPath: models.medium, settings: {} });
    // The model's full rung (its cascade steps sit under it): the one loaded.
    const estimate = first.manager.ladder.at(-1)!.footprint;
    // Right after the load the weights are mapped, not read: nothing is measured yet.
    expect(existsSync(file)).toBe(false);
    await ask(first.manager, [{ role: 'user', text: 'hello' }], 8);
    await first.manager.shutdown();
    manager = null;
    const saved = JSON.parse(readFileSync(file, 'utf8')) as Record<
      string,
      { ratio: number; measurements: number; lastMeasuredMemBytes: number; lastMeasuredVramBytes: number }
    >;
    const entry = saved[estimate.key];
    expect(entry, `an entry under the estimate's key ${estimate.key}`).toBeDefined();
    console.log(
      `120 MB model: estimated ${(estimate.estimatedMemBytes / 1e6).toFixed(0)} MB, measured after the first reply ${(entry!.lastMeasuredMemBytes / 1e6).toFixed(0)} MB (ratio ${entry!.ratio.toFixed(2)})`,
    );
    // The reply touched every weight: the measurement holds at least the file's tensor data.
    expect(entry!.lastMeasuredMemBytes).toBeGreaterThan(0.8 * medium.sizeBytes);
    expect(entry!.lastMeasuredVramBytes).toBe(0);
    expect(entry!.measurements).toBe(1);

    const second = create({ dataDir });
    await second.manager.configure({ models: [medium], preferredPath: models.medium, settings: {} });
    const corrected = second.manager.ladder.at(-1)!.footprint;
    expect(corrected.measurements).toBe(1);
    expect(corrected.correction).toBeCloseTo(entry!.ratio, 6);
    expect(corrected.memBytes).toBe(Math.round(corrected.estimatedMemBytes * entry!.ratio));
  });

  it('after a switch to a model with a smaller context, the oldest turns are left out with a notice; the system prompt and the question stay', async () => {
    const { manager: m, runtime: r, notices } = create();
    const small = { ...ladder.find((l) => l.path === models.small)!, contextSize: 1024 };
    const medium = ladder.find((l) => l.path === models.medium)!;
    m.setOverlay({ otherMemBytes: 0.3 * BUDGET });
    await m.configure({ models: [small, medium], preferredPath: models.medium, settings: { memoryBudgetBytes: BUDGET, scaler: scripted, cascade: false } });
    // About 2 400 byte-level tokens of conversation: fits 4096, not 1024.
    const history: ChatTurn[] = [{ role: 'system', text: 'You are Mai. Keep this rule: SYSTEM-RULE-42.' }];
    for (let i = 0; i < 12; i++) {
      history.push({ role: 'user', text: `Question ${i}: ${'tell me more about the sea. '.repeat(5)}` });
      history.push({ role: 'assistant', text: `Answer ${i}: ${'the sea is wide and deep. '.repeat(3)}` });
    }
    history.push({ role: 'user', text: 'FINAL QUESTION: what was the rule?' });
    const onBig = await ask(m, history, 16);
    expect(onBig.droppedTurns ?? 0).toBe(0);
    expect(r.lastPromptText()).toContain('Question 0:');

    // Other programs take memory: the scaler steps down to the small model (1024-token context).
    const switched = new Promise<void>((resolve) => m.on('modelChanged', ({ model }) => model.path === models.small && resolve()));
    m.setOverlay({ otherMemBytes: 0.85 * BUDGET });
    await switched;
    expect(r.model?.contextSize).toBe(1024);

    const onSmall = await ask(m, [...history.slice(0, -1), { role: 'assistant', text: onBig.text }, history.at(-1)!], 16);
    const prompt = r.lastPromptText() ?? '';
    console.log(`on the 1024-token model: ${onSmall.droppedTurns} turns left out; note: ${onSmall.note}`);
    expect(onSmall.droppedTurns).toBeGreaterThan(0);
    expect(prompt).toContain('SYSTEM-RULE-42');
    expect(prompt).toContain('FINAL QUESTION: what was the rule?');
    expect(prompt).not.toContain('Question 0:');
    expect(prompt).toContain('Answer 11:');
    const notice = notices.find((n) => /earlier turns? of this conversation did not fit/.test(n));
    expect(notice).toContain(`${onSmall.droppedTurns} earlier turns`);
    expect(notice).toContain('1024-token context');
    expect(onSmall.note).toContain(`${onSmall.droppedTurns} earlier turns`);
  });
  it('a model file removed after the ladder was built: the switch to it fails, Mai falls back and answers', async () => {
    // In the app, main rebuilds the ladder when the folder changes; this is the window before that.
    const dir = tempDir('mai-removed-');
    const files = { tiny: path.join(dir, 'a-tiny.gguf'), small: path.join(dir, 'b-small.gguf'), big: path.join(dir, 'c-big.gguf') };
    copyFileSync(models.tiny, files.tiny);
    copyFileSync(models.small, files.small);
    copyFileSync(models.medium, files.big);
    const inputs = Object.values(files).map((p) => ({ path: p, sizeBytes: statSync(p).size, synthetic: true }));
    // 8 GiB: this test process's own memory (far more than the engine process's) stays a small share.
    const budget = 8 * 2 ** 30;
    const { manager: m, runtime: r, decisions, notices } = create();
    m.setOverlay({ otherMemBytes: 0.3 * budget });
    await m.configure({ models: inputs, preferredPath: files.big, settings: { memoryBudgetBytes: budget, scaler: scripted, cascade: false } });
    rmSync(files.small);
    // The big model no longer fits under the line, the small one would: the step goes to it.
    const landed = new Promise<void>((resolve) => m.on('modelChanged', ({ model }) => model.path === files.tiny && resolve()));
    m.setOverlay({ otherMemBytes: 0.78 * budget });
    await landed;
    const failed = decisions.find((d) => d.action === 'loaded' && !d.ok);
    console.log(`switch to the removed file: ${failed?.action === 'loaded' ? failed.reason : 'no failure'}; notices: ${notices.join(' | ')}`);
    expect(failed).toMatchObject({ modelId: files.small, reason: expect.stringMatching(/No model file at .*b-small\.gguf/) });
    expect(notices.some((n) => /b-small\.gguf|Demo 30 MB/.test(n) && /failed to load/.test(n))).toBe(true);
    const reply = await ask(m, [{ role: 'user', text: 'and now?' }], 8);
    expect(reply.stopReason).not.toBe('abort');
    expect(reply.text.length).toBeGreaterThan(0);
    expect(r.model?.path).toBe(files.tiny);
  });
  it('a normal step down decided mid-reply loads the smaller model during the reply, and the switch at its end is a swap', async () => {
    // The smaller model's plain load time on this machine, for comparison (the second load: its
    // chat format is then known, as it is for a neighbour prepared while idle).
    await runtime.load({ path: models.small });
    await runtime.unload();
    const plain = await runtime.load({ path: models.small });
    await runtime.unload();
    const budget = 8 * 2 ** 30;
    const { manager: m, runtime: r, decisions } = create();
    m.setOverlay({ otherMemBytes: 0.3 * budget });
    await m.configure({ models: ladder, preferredPath: models.medium, settings: { memoryBudgetBytes: budget, scaler: scripted, cascade: false } });
    await ask(m, [{ role: 'user', text: 'hello' }], 8);
    let streamed = 0;
    let preparedDuringReply = false;
    const reply = ask(m, [{ role: 'user', text: 'Tell me a long story about the sea.' }], 800, () => {
      streamed++;
      if (streamed === 5) m.setOverlay({ otherMemBytes: 0.78 * budget });
      if (r.preparedPath === models.small) preparedDuringReply = true;
    });
    const result = await reply;
    const loaded = await new Promise<ScalerDecision>((resolve) => {
      const found = decisions.find((d) => d.action === 'loaded' && d.modelId === models.small);
      if (found) resolve(found);
      else m.on('decision', (d) => d.action === 'loaded' && d.modelId === models.small && resolve(d));
    });
    const degrade = decisions.find((d) => d.action === 'degrade');
    const started = decisions.find((d) => d.action === 'switch' && d.to === models.small)!;
    const switchMs = loaded.t - started.t;
    console.log(
      `degrade ${degrade?.action === 'degrade' ? `${degrade.urgency} (${degrade.path})` : 'none'}; loaded ahead during the reply: ${preparedDuringReply}; switch at the reply's end took ${switchMs.toFixed(0)} ms (unload + swap) against a plain load of ${plain.loadMs.toFixed(0)} ms`,
    );
    expect(degrade).toMatchObject({ action: 'degrade', urgency: 'normal', to: models.small });
    expect(result.stopReason).not.toBe('abort');
    expect(result.model).toMatch(/120 MB/);
    expect(preparedDuringReply).toBe(true);
    expect(r.model?.path).toBe(models.small);
    const next = await ask(m, [{ role: 'user', text: 'and now?' }], 8);
    expect(next.model).toMatch(/30 MB/);
  });
});
