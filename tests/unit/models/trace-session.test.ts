/**
 * The engine's trace recording around a real ModelManager (fake runtime, virtual clock; see
 * fake-runtime.ts): refused before the first model, a reply recorded as numbers only, the file
 * written at the size limit and when the settings change, each with its note, and a replay of what
 * was recorded reaching the same decisions.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { TraceStatus } from '../../../shared/trace-recording';
import { VirtualClock } from '../../../electron/engine/resource/clock';
import { ModelManager, type ManagerSettings } from '../../../electron/engine/models/model-manager';
import { TraceSession } from '../../../electron/engine/trace-session';
import { runSimulation } from '../../../electron/engine/tools/simulate';
import { parseTraceText } from '../../../electron/engine/tools/trace';
import { FakeRuntime, GiB, fakeMachine, type FakeModel } from './fake-runtime';

const SMALL: FakeModel = { path: '/private/models/small.gguf', memBytes: 1 * GiB, loadMs: 1000 };
const LARGE: FakeModel = { path: '/private/models/large.gguf', memBytes: 4 * GiB, loadMs: 3000 };
const SCALER: ManagerSettings['scaler'] = { degradeThreshold: 0.8, criticalThreshold: 0.95, upgradeThreshold: 0.6, levelHoldSeconds: 2, settleSeconds: 5 };

interface Harness {
  clock: VirtualClock;
  manager: ModelManager;
  session: TraceSession;
  other: { bytes: number };
  statuses: TraceStatus[];
  file: string;
}
let current: Harness | null = null;
afterEach(async () => {
  if (current) {
    const closing = current.manager.shutdown();
    await current.clock.advanceAsync(60_000);
    await closing;
  }
  current = null;
});

function harness(): Harness {
  const clock = new VirtualClock(1_000_000);
  const runtime = new FakeRuntime(clock, [SMALL, LARGE], { promptMs: 200, tokenMs: 50, replyTokens: 40 });
  const other = { bytes: 4 * GiB };
  const manager = new ModelManager({ runtime, source: fakeMachine(runtime, other), clock, dataDir: null, log: () => {} });
  const statuses: TraceStatus[] = [];
  const session = new TraceSession(
    clock,
    (status) => statuses.push(status),
    () => {},
  );
  session.attach(manager);
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'mai-trace-session-')), 'traces', 'trace.json');
  current = { clock, manager, session, other, statuses, file };
  return current;
}

async function settle<T>(h: Harness, work: Promise<T>): Promise<T> {
  let done = false;
  const result = work.finally(() => (done = true));
  for (let i = 0; i < 6000 && !done; i++) await h.clock.advanceAsync(100);
  return result;
}

async function until(h: Harness, predicate: () => boolean, limitMs = 600_000): Promise<void> {
  for (let elapsed = 0; !predicate(); elapsed += 100) {
    if (elapsed >= limitMs) throw new Error(`condition not met within ${limitMs} ms of virtual time`);
    await h.clock.advanceAsync(100);
  }
}

const configure = (h: Harness, scaler: ManagerSettings['scaler'] = SCALER) =>
  settle(
    h,
    h.manager.configure({
      models: [SMALL, LARGE].map((m) => ({ path: m.path, sizeBytes: m.memBytes, synthetic: true })),
      preferredPath: LARGE.path,
      settings: { scaler },
    }),
  );

describe('trace session', () => {
  it('is refused with a sentence before the first model is loaded', () => {
    const h = harness();
    expect(() => h.session.start(h.file, 65536)).toThrow(/No model is loaded yet/);
  });

  it('records a reply as numbers only and a step down; the file replays to the same decisions', async () => {
    const h = harness();
    await configure(h);
    expect(h.session.start(h.file, 4 * 2 ** 20)).toMatchObject({ recording: true, path: h.file });
    await h.clock.advanceAsync(5000);
    const reply = h.session.aroundReply(40, () =>
      h.manager.generateResponse({ requestId: 'r1', history: [{ role: 'user', text: 'Tell me about my secret garden.' }], maxTokens: 40 }, () => {}),
    );
    await settle(h, reply);
    h.other.bytes = 9.5 * GiB;
    await until(h, () => h.manager.state?.modelId === SMALL.path && h.manager.phase === 'idle');
    await h.clock.advanceAsync(3000);
    const status = h.session.stop();
    expect(status).toMatchObject({ recording: false, stopReason: 'user', note: null });

    const text = readFileSync(h.file, 'utf8');
    expect(text).not.toMatch(/secret garden|\/private\/models/);
    const trace = parseTraceText(text);
    expect(trace.events.map((event) => event.type)).toEqual(['generation-start', 'generation-end']);
    expect(trace.events[1]).toMatchObject({ ok: true });
    const recorded = (JSON.parse(text) as { recordedDecisions: Array<{ t: number; action: string; from?: unknown; to?: unknown; model?: unknown }> })
      .recordedDecisions;
    expect(recorded.map((line) => line.action)).toContain('degrade');
    const replay = await runSimulation(trace);
    const shape = (line: { t: number; action: string; from?: unknown; to?: unknown; model?: unknown }) => [
      line.t,
      line.action,
      line.from ?? line.model,
      line.to,
    ];
    // The virtual clock has no processing lag: the times are the same to the millisecond.
    expect(replay.lines.filter((line) => line.action !== 'summary' && line.action !== 'preflight').map(shape)).toEqual(recorded.map(shape));
  });

  it('after a stop, the status keeps reporting what the file holds while the next configuration’s life is kept', async () => {
    const h = harness();
    await configure(h);
    h.session.start(h.file, 4 * 2 ** 20);
    await h.clock.advanceAsync(20_000);
    const stopped = h.session.stop();
    const saved = parseTraceText(readFileSync(h.file, 'utf8'));
    expect(stopped.samples).toBe(saved.samples.length);
    expect(stopped.samples).toBeGreaterThan(5);
    // The monitor goes on sampling (the pre-roll of a later recording): the saved file does not grow.
    await h.clock.advanceAsync(60_000);
    expect(h.session.status()).toMatchObject({ recording: false, stopReason: 'user', samples: saved.samples.length, bytes: stopped.bytes });
    // A new recording counts from the pre-roll again.
    expect(h.session.start(`${h.file}.2`, 4 * 2 ** 20).samples).toBeGreaterThan(saved.samples.length);
  });

  it('stops at the size limit on its own: the file is written with a note and the window told', async () => {
    const h = harness();
    await configure(h);
    h.session.start(h.file, 64 * 1024);
    await until(h, () => h.statuses.length > 0, 3_600_000);
    expect(h.statuses[0]).toMatchObject({ recording: false, stopReason: 'size-limit', path: h.file });
    expect(h.statuses[0]!.note).toMatch(/size limit \(0\.1 MiB\)/);
    const text = readFileSync(h.file, 'utf8');
    expect(text.length).toBeLessThanOrEqual(64 * 1024);
    expect(parseTraceText(text).samples.length).toBe(h.statuses[0]!.samples);
    expect(JSON.parse(text).recorded).toMatchObject({ stopReason: 'size-limit' });
  });

  it('a settings change ends the recording (a trace replays one configuration) and the next one starts afresh', async () => {
    const h = harness();
    await configure(h);
    h.session.start(h.file, 4 * 2 ** 20);
    await h.clock.advanceAsync(4000);
    await configure(h, { ...SCALER, stabilizationSeconds: 120 });
    await until(h, () => h.statuses.length > 0);
    expect(h.statuses[0]).toMatchObject({ recording: false, stopReason: 'reconfigured' });
    // The status reports the saved file, not the new configuration's first samples.
    expect(h.session.status()).toMatchObject({ recording: false, stopReason: 'reconfigured', samples: h.statuses[0]!.samples });
    expect(parseTraceText(readFileSync(h.file, 'utf8')).settings).not.toHaveProperty('stabilizationSeconds', 120);
    const again = h.session.start(`${h.file}.2`, 4 * 2 ** 20);
    expect(again.samples).toBeLessThan(h.statuses[0]!.samples + 5);
  });
});
