/**
 * Proactive scaling with real models: the engine's ModelManager, ProactiveScaler and ResourceMonitor
 * in the real engine process on the synthetic models, with pressure injected through the monitor's
 * overlay or made for real by a child process that allocates memory. The tests of switches between
 * models turn the cascade off (`cascade: false`); the cascade's own are cascade-*.test.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AppCore } from '../../electron/main/core/app-core';
import type { ResourceSnapshot } from '../../shared/resource';
import { ggufEncode, GGUF_VALUE_TYPE, withGgufMetadata } from '../fixtures/malformed-gguf';
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

/** The smoothed memory level (a median over its window) has caught up with use at or over `at`. */
function settled(s: ResourceSnapshot, at: number): boolean {
  const { level, latest } = s.trends.memory;
  return level !== null && latest !== null && level >= at && latest - level < 0.005;
}

describe('ModelManager with proactive scaling', () => {
  it('pressure during a reply on the 120 MB model: the reply completes, the next one comes from the 30 MB model and still knows the earlier turns', async () => {
    harness = createTestCore({
      initialModelPath: models.medium,
      maxTokens: 1200,
      manager: { memoryBudgetBytes: SCRIPTED_BUDGET, scaler: budgetThresholds, cascade: false },
    });
    const { core, events, waitFor } = harness;
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
    const decidedAt = events.length;
    console.log(`degrade decided: ${degrade.reason}`);
    expect(degrade.from).toBe(models.medium);
    expect(degrade.to).toBe(models.small);
    // Decided while the story was still streaming: it had not finished, and tokens kept coming.
    const storyEnded = (e: (typeof events)[number]) =>
      e.event === 'onChatMessage' &&
      (e.payload as { message: { id: string; status: string } }).message.id === sent.assistantMessageId &&
      (e.payload as { message: { status: string } }).message.status !== 'streaming';
    expect(events.slice(0, decidedAt).some(storyEnded)).toBe(false);

    // The reply in progress is not interrupted: it completes on the 120 MB model.
    const story = (await storySoon).message;
    expect(story.status).toBe('done');
    const tokensAfterDecision = events
      .slice(decidedAt)
      .filter((e) => e.event === 'onChatToken' && (e.payload as { messageId: string }).messageId === sent.assistantMessageId).length;
    console.log(`${tokensAfterDecision} tokens of the story streamed after the degrade was decided`);
    expect(tokensAfterDecision).toBeGreaterThan(0);
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
        cascade: false,
        scaler: {
          degradeThreshold: 0.8,
          criticalThreshold: 0.95,
          upgradeThreshold: 0.6,
          stabilizationSeconds,
          upgradeGapSeconds: 0,
          settleSeconds: 1,
          levelHoldSeconds: 2,
        },
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
    hog = spawn(process.execPath, [path.join(testsDir, 'fixtures/memory-hog.mjs'), String(Math.round(target)), String(64 * 2 ** 20), '250'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    hog.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('done')) hogDone = true;
    });
    const degrade = await waitFor('onScalerDecision', (d) => d.action === 'degrade', 60_000);
    const samples = events.filter((e) => e.event === 'onResourceSample').map((e) => e.payload as ResourceSnapshot);
    const atDecision = samples.at(-1)!;
    console.log(`degrade at ${(fraction(atDecision) * 100).toFixed(1)} % (${degrade.path}, ${degrade.urgency}): ${degrade.reason}`);
    // Before the budget ran short: under the critical line, and not as an emergency.
    expect(fraction(atDecision)).toBeLessThan(budgetThresholds.criticalThreshold);
    expect(degrade.path).not.toBe('emergency');
    expect(degrade.urgency).toBe('normal');
    expect(hogDone).toBe(false);
    await waitFor('onModelChanged', ({ model }) => model !== null && model.path !== models.medium, 60_000);

    // The other program exits; memory comes back.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const hogExited = new Promise<void>((resolve) => hog?.once('exit', () => resolve()));
    const releasedAt = Date.now();
    hog.kill('SIGKILL');
    await hogExited;
    const exitedAtEvent = events.length;
    hog = null;
    // No upgrade while the other program still held its memory.
    expect(events.filter((e) => e.event === 'onScalerDecision' && (e.payload as { action: string }).action === 'upgrade')).toEqual([]);
    const upgrade = await waitFor('onScalerDecision', (d) => d.action === 'upgrade', 90_000).catch((error: Error) => {
      const last = events.filter((e) => e.event === 'onResourceSample').at(-1)?.payload as ResourceSnapshot | undefined;
      throw new Error(`${error.message}; last status ${JSON.stringify(last?.status)} at ${last ? (fraction(last) * 100).toFixed(1) : '?'} %`);
    });
    expect(events.findIndex((e) => e.event === 'onScalerDecision' && (e.payload as { action: string }).action === 'upgrade')).toBeGreaterThanOrEqual(
      exitedAtEvent,
    );
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
    // Big on the ladder and a well-formed file, but of an architecture llama.cpp does not know:
    // it passes the header check and fails in llama.cpp's loader. (A damaged file never gets this
    // far: it is left off the ladder, see ladder-validation.test.ts.)
    const broken = path.join(dir, 'c-big.gguf');
    writeFileSync(broken, withGgufMetadata(readFileSync(models.medium), 'general.architecture', GGUF_VALUE_TYPE.STRING, ggufEncode.string('mai-unknown')));
    harness = createTestCore({ modelsDir: dir, initialModelPath: broken, maxTokens: 16 });
    const { core, events, waitFor } = harness;
    await core.start();
    expect(core.models.current?.path).toBe(path.join(dir, 'b-small.gguf'));
    // The user is told which model failed and why (llama.cpp's own reason), and what Mai uses instead.
    const notice = events.map((e) => (e.event === 'onNotice' ? (e.payload as { message: string }).message : '')).find((m) => /failed to load/.test(m));
    expect(notice).toMatch(/Demo 120 MB.*failed to load.*unknown model architecture: 'mai-unknown'.*Mai is using Demo 30 MB/);
    const reply = await ask(core, waitFor, 'are you there?');
    expect(reply.status).toBe('done');
  });

  it('pre-flight "go-degraded" while a switch settles: the reply runs shorter, and the step down it schedules waits for the reply to end', async () => {
    const settling = { ...budgetThresholds, settleSeconds: 120, levelWindowSeconds: 2, sampleIntervalSeconds: 0.25 };
    harness = createTestCore({
      initialModelPath: models.medium,
      maxTokens: 400,
      manager: { memoryBudgetBytes: SCRIPTED_BUDGET, scaler: settling, cascade: false },
    });
    const { core, events, waitFor } = harness;
    await startScripted(core);
    await ask(core, waitFor, 'hello');
    // Other programs take memory: the 120 MB model no longer fits under the line, the 30 MB one
    // does; the scaler steps down to it and the switch settles for 120 s.
    const onSmall = waitFor('onModelChanged', ({ model }) => model?.path === models.small, 60_000);
    await core.engine.call('resource:overlay', { otherMemBytes: 0.75 * SCRIPTED_BUDGET });
    await onSmall;
    // A little more: over the line on the 30 MB model too, while the switch settles.
    await core.engine.call('resource:overlay', { otherMemBytes: 0.82 * SCRIPTED_BUDGET });
    await waitFor('onResourceSample', (s) => settled(s, 0.82), 30_000);

    const preflights: string[] = [];
    const offPreflight = core.engine.onEngine('chat:preflight', (p) => preflights.push(p.verdict));
    const before = events.length;
    const reply = await ask(core, waitFor, 'Tell me everything about the sea.');
    offPreflight();
    const tiny = await waitFor('onModelChanged', ({ model }) => model?.path === models.tiny, 60_000).catch(() => null);
    const after = events.slice(before);
    const isToken = (e: (typeof events)[number]) => e.event === 'onChatToken' && (e.payload as { messageId: string }).messageId === reply.id;
    const decisionAt = after.findIndex(
      (e) =>
        e.event === 'onScalerDecision' &&
        (e.payload as { action: string; path: string }).action === 'degrade' &&
        (e.payload as { path: string }).path === 'preflight',
    );
    const switchAt = after.findIndex((e) => e.event === 'onScalerDecision' && (e.payload as { action: string }).action === 'switch');
    const lastToken = after.findLastIndex(isToken);
    console.log(
      `pre-flight ${preflights.join(', ')}; reply of ${reply.stats?.tokens} tokens; note: ${reply.note}; degrade decided at event ${decisionAt}, last token at ${lastToken}, switch at ${switchAt}`,
    );
    expect(preflights[0]).toBe('go-degraded');
    expect(reply.status).toBe('done');
    expect(reply.model).toMatch(/30 MB/);
    expect(reply.stats?.tokens).toBeLessThanOrEqual(32);
    expect(reply.note).toMatch(/Shortened to 32 tokens to ease the pressure/);
    // Decided while the reply streamed (tokens came after it), carried out only after the last token.
    expect(decisionAt).toBeGreaterThanOrEqual(0);
    expect(after.slice(decisionAt).some(isToken)).toBe(true);
    expect(switchAt).toBeGreaterThan(lastToken);
    const degrade = after[decisionAt]!.payload as { from: string; to: string; urgency: string };
    expect(degrade).toMatchObject({ from: models.small, to: models.tiny, urgency: 'normal' });
    expect(tiny?.model?.path).toBe(models.tiny);
  });

  it('a paused scaler never switches from the pre-flight unless memory is critical', async () => {
    harness = createTestCore({
      initialModelPath: models.small,
      maxTokens: 400,
      manager: { memoryBudgetBytes: SCRIPTED_BUDGET, scaler: { ...budgetThresholds, levelWindowSeconds: 2, sampleIntervalSeconds: 0.25 } },
    });
    const { core, events, waitFor } = harness;
    await startScripted(core);
    await core.handlers['scaler:pause']({ paused: true });
    await core.engine.call('resource:overlay', { otherMemBytes: 0.86 * SCRIPTED_BUDGET });
    await waitFor('onResourceSample', (s) => settled(s, 0.86), 30_000);
    const preflights: string[] = [];
    const offPreflight = core.engine.onEngine('chat:preflight', (p) => preflights.push(p.verdict));
    const reply = await ask(core, waitFor, 'Still with me?');
    offPreflight();
    console.log(`paused: pre-flight ${preflights.join(', ')}, reply on ${reply.model} (${reply.stats?.tokens} tokens): ${reply.note}`);
    expect(preflights[0]).toBe('degrade-first');
    expect(reply.status).toBe('done');
    expect(reply.model).toMatch(/30 MB/);
    expect(reply.note).toMatch(/automatic scaling is paused, so it runs on this model/);
    expect(core.models.current?.path).toBe(models.small);
    expect(events.filter((e) => e.event === 'onScalerDecision' && ['degrade', 'switch'].includes((e.payload as { action: string }).action))).toEqual([]);
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
