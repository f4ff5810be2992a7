/**
 * Proactive scaling with real models: the engine's ModelManager, ProactiveScaler and ResourceMonitor
 * in the real engine process on the synthetic models, with pressure injected through the monitor's
 * overlay or made for real by a child process that allocates memory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, readFileSync, truncateSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AppCore } from '../../electron/main/core/app-core';
import type { ResourceSnapshot } from '../../shared/resource';
import { createTestCore, tempDir } from '../helpers/app';
import { ensureTestModels, testsDir, type TestModels } from '../helpers/models';

let models: TestModels;
beforeAll(async () => {
  models = await ensureTestModels();
});

let harness: ReturnType<typeof createTestCore> | null = null;
let hog: ChildProcess | null = null;
afterEach(async () => {
  hog?.kill('SIGKILL');
  hog = null;
  await harness?.core.shutdown();
  harness = null;
});

type WaitFor = ReturnType<typeof createTestCore>['waitFor'];

async function ask(core: AppCore, waitFor: WaitFor, text: string) {
  const { assistantMessageId } = await core.handlers['chat:send']({ text });
  return (await waitFor('onChatMessage', ({ message }) => message.id === assistantMessageId && message.status !== 'streaming', 120_000)).message;
}

function memAvailableBytes(): number {
  const match = /MemAvailable:\s+(\d+) kB/.exec(readFileSync('/proc/meminfo', 'utf8'));
  return Number(match?.[1] ?? 0) * 1024;
}
function memUsedBytes(): number {
  const total = Number(/MemTotal:\s+(\d+) kB/.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? 0) * 1024;
  return total - memAvailableBytes();
}
const fraction = (s: ResourceSnapshot) => s.sample.memUsedBytes / s.sample.memTotalBytes;

/** Explicit thresholds (a budget of a few GiB would otherwise fall in the strictest tier). */
const budgetThresholds = { degradeThreshold: 0.8, criticalThreshold: 0.95, upgradeThreshold: 0.6, settleSeconds: 1, levelHoldSeconds: 2 };

/**
 * A scripted machine for the injected-pressure tests: a 2 GiB budget in which "other programs" use
 * exactly what the test says (the engine's own memory stays measured), so nothing else running on
 * the test host moves the figures.
 */
const SCRIPTED_BUDGET = 2 * 2 ** 30;
async function startScripted(core: AppCore): Promise<void> {
  await core.engine.start();
  await core.engine.call('resource:overlay', { otherMemBytes: 0.3 * SCRIPTED_BUDGET });
  await core.start();
}

/** Sets "other programs" memory so that use reaches `target` of the budget. */
async function pushMemoryTo(core: AppCore, waitFor: WaitFor, target: number): Promise<void> {
  const snapshot = await waitFor('onResourceSample');
  const own = snapshot.sample.ownMemBytes ?? 0;
  await core.engine.call('resource:overlay', { otherMemBytes: Math.max(0, target * snapshot.sample.memTotalBytes - own) });
}

describe('ModelManager with proactive scaling', () => {
  it('pressure during a reply on the 120 MB model: the reply completes, the next one comes from the 30 MB model and still knows the earlier turns', async () => {
    harness = createTestCore({
      initialModelPath: models.medium,
      maxTokens: 1200,
      manager: { memoryBudgetBytes: SCRIPTED_BUDGET, scaler: budgetThresholds },
    });
    const { core, waitFor } = harness;
    await startScripted(core);
    expect(core.models.current?.path).toBe(models.medium);
    const first = await ask(core, waitFor, 'My favourite colour is ultramarine. Please remember it.');
    expect(first.model).toMatch(/120 MB/);

    const sent = await core.handlers['chat:send']({ text: 'Now tell me a long story.' });
    await waitFor('onChatToken', ({ messageId }) => messageId === sent.assistantMessageId);
    // Other programs suddenly take memory: just over the act threshold, far from critical.
    const degradeSoon = waitFor('onScalerDecision', (d) => d.action === 'degrade', 30_000);
    const storySoon = waitFor('onChatMessage', ({ message }) => message.id === sent.assistantMessageId && message.status !== 'streaming', 120_000);
    const changedSoon = waitFor('onModelChanged', ({ model }) => model?.path === models.small, 120_000);
    const capabilitySoon = waitFor('onCapabilityChanged', () => true, 120_000);
    await pushMemoryTo(core, waitFor, 0.83);
    const degrade = await degradeSoon;
    console.log(`degrade decided: ${degrade.reason}`);
    expect(degrade.from).toBe(models.medium);
    expect(degrade.to).toBe(models.small);

    // The reply in progress is not interrupted: it completes on the 120 MB model.
    const story = (await storySoon).message;
    expect(story.status).toBe('done');
    expect(story.model).toMatch(/120 MB/);
    const changed = await changedSoon;
    expect(changed.model?.name).toMatch(/30 MB/);
    // The user is told what changed, why, and what brings the bigger model back.
    const capability = await capabilitySoon;
    expect(capability.direction).toBe('down');
    expect(capability.why).toMatch(/80\.0%/);
    expect(capability.bringBack).toMatch(/comes back/);

    const next = await ask(core, waitFor, 'What is my favourite colour?');
    expect(next.status).toBe('done');
    expect(next.model).toMatch(/30 MB/);
    const prompt = (await core.engine.call('chat:last-prompt', {})).text ?? '';
    expect(prompt).toContain('My favourite colour is ultramarine.');
    expect(prompt).toContain('Now tell me a long story.');
    expect(prompt.indexOf('ultramarine')).toBeLessThan(prompt.indexOf('What is my favourite colour?'));
  });

  it('real memory pressure from another process: degrades before the budget is reached, upgrades only after the stabilization period once it is gone', async () => {
    const budget = memUsedBytes() + 2 * 2 ** 30;
    const stabilizationSeconds = 8;
    harness = createTestCore({
      initialModelPath: models.medium,
      maxTokens: 16,
      manager: {
        memoryBudgetBytes: budget,
        scaler: { degradeThreshold: 0.8, criticalThreshold: 0.95, upgradeThreshold: 0.6, stabilizationSeconds, upgradeGapSeconds: 0, settleSeconds: 1, levelHoldSeconds: 2 },
      },
    });
    const { core, events, waitFor } = harness;
    await core.start();
    await ask(core, waitFor, 'hello');
    const start = await waitFor('onResourceSample');
    console.log(`budget ${(budget / 2 ** 30).toFixed(2)} GiB, start at ${(fraction(start) * 100).toFixed(1)} %`);

    // Up to 92 % of the budget, 64 MiB every 250 ms.
    const target = Math.max(0, 0.92 * budget - start.sample.memUsedBytes);
    let hogDone = false;
    hog = spawn(process.execPath, [path.join(testsDir, 'fixtures/memory-hog.mjs'), String(Math.round(target)), String(64 * 2 ** 20), '250'], { stdio: ['ignore', 'pipe', 'inherit'] });
    hog.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('done')) hogDone = true;
    });
    const degrade = await waitFor('onScalerDecision', (d) => d.action === 'degrade', 60_000);
    const samples = events.filter((e) => e.event === 'onResourceSample').map((e) => e.payload as ResourceSnapshot);
    const atDecision = samples.at(-1)!;
    console.log(`degrade at ${(fraction(atDecision) * 100).toFixed(1)} % (${degrade.path}): ${degrade.reason}`);
    expect(fraction(atDecision)).toBeLessThan(1);
    expect(hogDone).toBe(false);
    await waitFor('onModelChanged', ({ model }) => model !== null && model.path !== models.medium, 60_000);

    // The other program exits; memory comes back.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const releasedAt = Date.now();
    hog.kill('SIGKILL');
    hog = null;
    const upgrade = await waitFor('onScalerDecision', (d) => d.action === 'upgrade', 90_000);
    const waitedSeconds = (Date.now() - releasedAt) / 1000;
    console.log(`upgrade ${waitedSeconds.toFixed(1)} s after the release: ${upgrade.reason}`);
    expect(waitedSeconds).toBeGreaterThanOrEqual(stabilizationSeconds - 1);
    const bigger = await waitFor('onModelChanged', ({ model }) => model?.path === upgrade.to, 60_000);
    expect(bigger.model?.sizeBytes).toBeGreaterThan(0);
    const reply = await ask(core, waitFor, 'still fine?');
    expect(reply.status).toBe('done');
  });

  it('a model that fails to load falls back to the next one and answers', async () => {
    const dir = tempDir('mai-ladder-');
    copyFileSync(models.tiny, path.join(dir, 'a-tiny.gguf'));
    copyFileSync(models.small, path.join(dir, 'b-small.gguf'));
    // Big on the ladder, but its tensor data is cut off: loading it fails.
    const broken = path.join(dir, 'c-big.gguf');
    copyFileSync(models.medium, broken);
    truncateSync(broken, 60e6);
    harness = createTestCore({ modelsDir: dir, initialModelPath: broken, maxTokens: 16 });
    const { core, events, waitFor } = harness;
    await core.start();
    expect(core.models.current?.path).toBe(path.join(dir, 'b-small.gguf'));
    // The user is told which model failed and why (the file is cut off), and what Mai uses instead.
    const notice = events.map((e) => (e.event === 'onNotice' ? (e.payload as { message: string }).message : '')).find((m) => /failed to load/.test(m));
    expect(notice).toMatch(/Demo 120 MB.*failed to load.*truncated.*Mai is using Demo 30 MB/);
    const reply = await ask(core, waitFor, 'are you there?');
    expect(reply.status).toBe('done');
  });

  it('a model file removed after listing: the switch to it fails, Mai falls back and answers', async () => {
    const dir = tempDir('mai-ladder-');
    copyFileSync(models.tiny, path.join(dir, 'a-tiny.gguf'));
    copyFileSync(models.small, path.join(dir, 'b-small.gguf'));
    copyFileSync(models.medium, path.join(dir, 'c-big.gguf'));
    harness = createTestCore({
      modelsDir: dir,
      initialModelPath: path.join(dir, 'c-big.gguf'),
      maxTokens: 16,
      manager: { memoryBudgetBytes: SCRIPTED_BUDGET, scaler: budgetThresholds },
    });
    const { core, waitFor } = harness;
    await startScripted(core);
    // The next smaller model disappears from disk after the ladder was built.
    const { rmSync } = await import('node:fs');
    rmSync(path.join(dir, 'b-small.gguf'));
    const failedSoon = waitFor('onScalerDecision', (d) => d.action === 'loaded' && d.ok === false, 30_000);
    const landedSoon = waitFor('onModelChanged', ({ model }) => model?.path === path.join(dir, 'a-tiny.gguf'), 30_000);
    await pushMemoryTo(core, waitFor, 0.83);
    const failed = await failedSoon;
    expect(String(failed.reason)).toMatch(/No model file/);
    const landed = await landedSoon;
    expect(landed.model).not.toBeNull();
    const reply = await ask(core, waitFor, 'and now?');
    expect(reply.status).toBe('done');
  });

  it('shutdown leaves no engine process behind', async () => {
    harness = createTestCore({ initialModelPath: models.tiny, maxTokens: 8 });
    const { core } = harness;
    await core.start();
    const pid = core.engine.pid!;
    expect(() => process.kill(pid, 0)).not.toThrow();
    await core.shutdown();
    harness = null;
    expect(() => process.kill(pid, 0)).toThrow(/ESRCH/);
    expect(core.engine.status.state).toBe('stopped');
  });
});
