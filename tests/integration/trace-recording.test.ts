/**
 * A trace recorded from the running app replays through `npm run simulate` to the same decisions.
 * The real engine in a child process on the synthetic models, a scripted machine (a 2 GiB budget
 * whose "other programs" use what the test says, through the test-hooks overlay), a reply, then
 * pressure that makes the scaler step down; the recording is started from Settings' method, stopped,
 * and its file handed to the simulate command as a user would (one spawned process).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DecisionData } from '../../shared/resource';
import { parseTraceText } from '../../electron/engine/tools/trace';
import { createTestCore, tempDir } from '../helpers/app';
import { ensureTestModels, type TestModels } from '../helpers/models';

let models: TestModels;
beforeAll(async () => {
  models = await ensureTestModels();
});

let harness: ReturnType<typeof createTestCore> | null = null;
afterEach(async () => {
  await harness?.core.shutdown();
  harness = null;
});

const SCRIPTED_BUDGET = 2 * 2 ** 30;
/** Explicit thresholds (a budget of a few GiB would otherwise fall in the strictest tier). */
const thresholds = { degradeThreshold: 0.8, criticalThreshold: 0.95, upgradeThreshold: 0.6, settleSeconds: 1, levelHoldSeconds: 2 };
const SECRET = 'My favourite colour is ultramarine, remember it.';

/** What both sides decided, without the sentences (compared separately) and times (compared with a tolerance). */
type Line = { t: number; action: string; from?: unknown; to?: unknown; model?: unknown; ok?: unknown };
const key = (line: Line) => JSON.stringify([line.action, line.from ?? line.model ?? null, line.to ?? line.ok ?? null]);

describe('recorded traces', () => {
  it('a trace recorded from the running app replays through `npm run simulate` to the same decisions, in order, at the same times', async () => {
    const dataDir = tempDir('mai-trace-');
    harness = createTestCore({
      initialModelPath: models.medium,
      maxTokens: 16,
      dataDir,
      manager: { memoryBudgetBytes: SCRIPTED_BUDGET, scaler: thresholds },
    });
    const { core, waitFor, events } = harness;
    await core.engine.start();
    await core.engine.call('resource:overlay', { otherMemBytes: 0.3 * SCRIPTED_BUDGET });
    await core.start();
    expect(core.models.current?.path).toBe(models.medium);

    const started = await core.handlers['trace:start']({});
    expect(started.recording).toBe(true);
    expect(started.path).toMatch(new RegExp(`^${dataDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/traces/mai-trace-.*\\.json$`));
    const fromEvent = events.length;

    // A reply (its start, end and speed go into the trace; its text must not).
    const { assistantMessageId } = await core.handlers['chat:send']({ text: SECRET });
    await waitFor('onChatMessage', ({ message }) => message.id === assistantMessageId && message.status !== 'streaming', 120_000);

    // Other programs take memory: use goes over the 80 % line and stays there.
    const snapshot = await waitFor('onResourceSample');
    const loadedSoon = waitFor('onScalerDecision', (d) => d.action === 'loaded', 60_000);
    await core.engine.call('resource:overlay', { otherMemBytes: 0.83 * snapshot.sample.memTotalBytes - (snapshot.sample.ownMemBytes ?? 0) });
    const loaded = await loadedSoon;
    expect(loaded.ok).toBe(true);
    // A few samples on the smaller model, then stop.
    for (let i = 0; i < 3; i++) await waitFor('onResourceSample');
    const stopped = await core.handlers['trace:stop']({});
    expect(stopped).toMatchObject({ recording: false, stopReason: 'user', path: started.path });

    const file = stopped.path!;
    const text = readFileSync(file, 'utf8');
    // No conversation text, no folder names: resource samples, settings, sizes and decisions only.
    expect(text).not.toContain('ultramarine');
    expect(text).not.toContain(path.dirname(models.medium));
    const trace = parseTraceText(text);
    expect(trace.models.map((m) => m.id)).toContain(path.basename(models.medium));
    expect(trace.initialModel).toBe(path.basename(models.medium));
    expect(trace.events.map((e) => e.type)).toEqual(['generation-start', 'generation-end']);

    // The live decisions, as the window heard them, in the trace's terms.
    const live = events
      .slice(fromEvent)
      .filter((e) => e.event === 'onScalerDecision')
      .map((e) => e.payload as DecisionData)
      .map((d) => ({
        action: d.action,
        ...(d.action === 'loaded'
          ? { model: path.basename(String(d.modelId)), ok: d.ok }
          : { from: typeof d.from === 'string' ? path.basename(d.from) : d.from, to: typeof d.to === 'string' ? path.basename(d.to) : d.to }),
        t: 0,
      }));
    const recorded = JSON.parse(text).recordedDecisions as Line[];
    expect(live.some((d) => d.action === 'degrade')).toBe(true);
    // Every load's real duration is in the file, for the replay's loads.
    expect(trace.loads?.length).toBe(recorded.filter((line) => line.action === 'loaded').length);
    // Every decision taken since the recording started is in the file, last in it (it begins with the configuration).
    expect(recorded.slice(recorded.length - live.length).map(key)).toEqual(live.map(key));

    // The replay, through the command a user runs.
    const run = spawnSync(process.execPath, ['build/run-ts.mjs', 'electron/engine/tools/simulate-cli.ts', file], { encoding: 'utf8', timeout: 120_000 });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const replay = run.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Line)
      .filter((line) => ['degrade', 'upgrade', 'switch', 'loaded', 'cancel', 'threads'].includes(line.action));
    console.log(`live: ${recorded.map((l) => `${l.t}s ${l.action}`).join(', ')}\nreplay: ${replay.map((l) => `${l.t}s ${l.action}`).join(', ')}`);
    expect(replay.map(key)).toEqual(recorded.map(key));
    // The same times. A load ends in the replay when the real one did. A decision is stamped in
    // the replay at the time of the sample that caused it, live a little later: after the panel's
    // frame for that sample was built and sent (a few ms; more on a busy machine).
    replay.forEach((line, i) => {
      const lag = recorded[i]!.t - line.t;
      if (line.action === 'loaded') expect(Math.abs(lag)).toBeLessThanOrEqual(0.001);
      else expect(lag).toBeGreaterThanOrEqual(-0.001);
      expect(lag).toBeLessThan(0.5);
    });
    const degrade = replay.find((line) => line.action === 'degrade') as Line & { reason: string };
    expect(degrade.reason).toBe((recorded.find((line) => line.action === 'degrade') as Line & { reason: string }).reason);
  });
});
