/**
 * The ModelManager's state machine, transition by transition, over a fake runtime on a virtual
 * clock (the real scaler, switcher and monitor run unchanged). Each test reads the phases the
 * manager went through and what a user would see: the reply, its notes, the notices, the model.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ChatTurn } from '../../../shared/domain';
import { MaiError } from '../../../shared/errors';
import { VirtualClock } from '../../../electron/engine/resource/clock';
import { ManagerStateMachine, type ManagerPhase } from '../../../electron/engine/models/manager-state';
import { ModelManager, type ManagerSettings } from '../../../electron/engine/models/model-manager';
import type { ScalerDecision } from '../../../electron/engine/resource/policy/scaler-types';
import { FakeRuntime, GiB, fakeMachine, type FakeModel, type FakeTiming } from './fake-runtime';

const SMALL: FakeModel = { path: 'small.gguf', memBytes: 1 * GiB, loadMs: 1000 };
const MEDIUM: FakeModel = { path: 'medium.gguf', memBytes: 2 * GiB, loadMs: 2000 };
const LARGE: FakeModel = { path: 'large.gguf', memBytes: 4 * GiB, loadMs: 4000 };

/** Quick rules so that a scripted jump acts within a few samples. */
const SCALER: ManagerSettings['scaler'] = {
  degradeThreshold: 0.8,
  criticalThreshold: 0.95,
  upgradeThreshold: 0.6,
  levelHoldSeconds: 2,
  levelWindowSeconds: 2,
  settleSeconds: 5,
  stabilizationSeconds: 600,
};

interface Harness {
  clock: VirtualClock;
  runtime: FakeRuntime;
  manager: ModelManager;
  other: { bytes: number };
  phases: ManagerPhase[];
  notices: string[];
  decisions: ScalerDecision[];
}

let current: Harness | null = null;
afterEach(async () => {
  if (current && current.manager.phase !== 'closed') {
    const closing = current.manager.shutdown();
    await current.clock.advanceAsync(60_000);
    await closing;
  }
  current = null;
});

function harness(models: FakeModel[], timing?: FakeTiming): Harness {
  const clock = new VirtualClock(0);
  const runtime = new FakeRuntime(clock, models, timing);
  const other = { bytes: 4 * GiB };
  const phases: ManagerPhase[] = ['unconfigured'];
  const manager = new ModelManager({
    runtime,
    source: fakeMachine(runtime, other),
    clock,
    dataDir: null,
    log: (_level, message) => {
      const to = /^model manager: \S+ --\S+--> (\S+)$/.exec(message)?.[1];
      if (to) phases.push(to as ManagerPhase);
    },
  });
  const notices: string[] = [];
  const decisions: ScalerDecision[] = [];
  manager.on('notice', (notice) => notices.push(notice.message));
  manager.on('decision', (decision) => decisions.push(decision));
  current = { clock, runtime, manager, other, phases, notices, decisions };
  return current;
}

/** Runs `work` while the virtual clock moves in steps of `stepMs`, until it settles. */
async function run<T>(h: Harness, work: Promise<T>, stepMs = 100, limitMs = 600_000): Promise<T> {
  let settled = false;
  const done = work.finally(() => {
    settled = true;
  });
  for (let elapsed = 0; !settled && elapsed < limitMs; elapsed += stepMs) await h.clock.advanceAsync(stepMs);
  return done;
}

/** What main sends on startup and on every settings change: the models, the preferred one, the settings. */
function request(preferred: string | null, settings: ManagerSettings, models: FakeModel[] = [SMALL, MEDIUM, LARGE]) {
  return { models: models.map((m) => ({ path: m.path, sizeBytes: m.memBytes, synthetic: true })), preferredPath: preferred, settings };
}

async function configure(h: Harness, preferred: string | null, models: FakeModel[] = [SMALL, MEDIUM, LARGE]) {
  return run(h, h.manager.configure(request(preferred, { scaler: SCALER }, models)));
}

let nextId = 0;
const question: ChatTurn[] = [{ role: 'user', text: 'Tell me a story.' }];
const ask = (h: Harness, maxTokens = 400) => h.manager.generateResponse({ requestId: `r${++nextId}`, history: question, maxTokens }, () => {});

/** Advances the clock until `predicate` holds (or fails after `limitMs`). */
async function until(h: Harness, predicate: () => boolean, limitMs = 120_000, stepMs = 100): Promise<void> {
  for (let elapsed = 0; !predicate(); elapsed += stepMs) {
    if (elapsed >= limitMs) throw new Error(`condition not met within ${limitMs} ms of virtual time (phase ${h.manager.phase})`);
    await h.clock.advanceAsync(stepMs);
  }
}

describe('ModelManager state machine (fake runtime, virtual clock)', () => {
  it('configures, replies and goes back to idle', async () => {
    const h = harness([SMALL, MEDIUM, LARGE]);
    const model = await configure(h, LARGE.path);
    expect(model?.path).toBe(LARGE.path);
    expect(h.manager.ladder.map((rung) => rung.model.path)).toEqual([SMALL.path, MEDIUM.path, LARGE.path]);
    const result = await run(h, ask(h));
    expect(result.text.length).toBeGreaterThan(0);
    expect(result.stopReason).toBe('maxTokens');
    expect(h.phases).toEqual(['unconfigured', 'configuring', 'idle', 'replying', 'idle']);
  });

  it('a step down decided during a reply waits for its end, with the smaller model loaded ahead meanwhile', async () => {
    const h = harness([SMALL, MEDIUM, LARGE], { promptMs: 500, tokenMs: 100, replyTokens: 100 });
    await configure(h, LARGE.path);
    const capability: string[] = [];
    h.manager.on('capability', (change) => capability.push(`${change.direction} ${change.from} → ${change.to}`));
    const reply = ask(h);
    await until(h, () => h.manager.phase === 'replying');
    // Other programs jump to 9 GiB: 81 % in use, over the 80 % line but under critical; with both
    // models resident it would be 94 %, so the medium one may load beside the large one.
    h.other.bytes = 9 * GiB;
    await until(h, () => h.manager.phase === 'loading-ahead');
    expect(h.runtime.model?.path).toBe(LARGE.path);
    const result = await run(h, reply);
    expect(result.stopReason).toBe('maxTokens');
    expect(result.text.split(' ').filter(Boolean)).toHaveLength(100);
    await until(h, () => h.manager.phase === 'idle' && h.runtime.model?.path === MEDIUM.path);
    expect(h.runtime.calls).toContain(`prepare:${MEDIUM.path}`);
    expect(h.runtime.calls).toContain(`swap:${MEDIUM.path}`);
    expect(capability).toEqual(['down large → medium']);
    expect(h.phases).toEqual(['unconfigured', 'configuring', 'idle', 'replying', 'loading-ahead', 'idle', 'switching', 'idle']);
  });

  it('memory nearly exhausted mid-reply: the reply is cut, the model switched, and the answer given again on it', async () => {
    const h = harness([SMALL, MEDIUM, LARGE], { promptMs: 500, tokenMs: 100, replyTokens: 100 });
    await configure(h, LARGE.path);
    const reply = ask(h);
    await until(h, () => h.manager.phase === 'replying');
    h.other.bytes = 12 * GiB;
    await until(h, () => h.manager.phase === 'switching');
    h.other.bytes = 4 * GiB;
    const result = await run(h, reply);
    expect(result.model).not.toBe('large');
    expect(result.stopReason).toBe('maxTokens');
    expect(result.note).toMatch(/^Memory was nearly exhausted, so Mai stopped large mid-reply and answered again with (small|medium)\.$/);
    expect(h.phases.slice(0, 6)).toEqual(['unconfigured', 'configuring', 'idle', 'replying', 'switching', 'idle']);
    expect(h.phases.slice(-2)).toEqual(['replying', 'idle']);
  });

  it('a first model that fails to load falls back to the next smaller one, saying so', async () => {
    const h = harness([SMALL, MEDIUM, { ...LARGE, failsToLoad: true }]);
    const model = await configure(h, LARGE.path);
    expect(model?.path).toBe(MEDIUM.path);
    expect(h.notices.some((notice) => /large failed to load: Could not load large\.gguf: not enough memory\. Mai is using medium instead\./.test(notice))).toBe(
      true,
    );
    expect(h.phases).toEqual(['unconfigured', 'configuring', 'idle']);
  });

  it('a switch whose model fails to load goes one rung further down', async () => {
    const h = harness([SMALL, { ...MEDIUM, failsToLoad: true }, LARGE]);
    await configure(h, LARGE.path);
    h.other.bytes = 9 * GiB;
    await until(h, () => h.runtime.model?.path === SMALL.path && h.manager.phase === 'idle');
    expect(h.notices.some((notice) => notice.startsWith('medium failed to load'))).toBe(true);
    expect(h.phases).toEqual(['unconfigured', 'configuring', 'idle', 'switching', 'empty', 'switching', 'idle']);
    const result = await run(h, ask(h));
    expect(result.model).toBe('small');
  });

  it('a crash while loading leaves no model; the next reply reloads one that works and answers', async () => {
    const h = harness([{ ...MEDIUM, crashesWhileLoading: true }, LARGE]);
    await configure(h, LARGE.path);
    // Memory exhausted: the emergency path switches at once, to a model that dies while loading.
    h.other.bytes = 12 * GiB;
    await until(h, () => h.manager.phase === 'empty');
    expect(h.runtime.model).toBeNull();
    h.other.bytes = 2 * GiB;
    const result = await run(h, ask(h));
    expect(result.text.length).toBeGreaterThan(0);
    expect(result.model).toBe('large');
    expect(h.notices).toContain('The model switch failed and left no model loaded; Mai is loading the next one that works.');
    expect(h.phases).toEqual(['unconfigured', 'configuring', 'idle', 'switching', 'empty', 'configuring', 'idle', 'replying', 'idle']);
  });

  it('shutdown during a switch lets the load finish, then leaves no model and no timer', async () => {
    const h = harness([SMALL, MEDIUM, LARGE]);
    await configure(h, LARGE.path);
    h.other.bytes = 9 * GiB;
    await until(h, () => h.manager.phase === 'switching' && h.runtime.calls.includes(`load:${MEDIUM.path}`));
    const closing = h.manager.shutdown();
    expect(h.manager.phase).toBe('closing');
    await run(h, closing);
    expect(h.manager.phase).toBe('closed');
    expect(h.runtime.model).toBeNull();
    expect(h.clock.pendingTimers()).toBe(0);
    expect(h.phases.slice(-3)).toEqual(['switching', 'closing', 'closed']);
    await expect(ask(h)).rejects.toMatchObject({ code: 'no-model' });
  });

  it('a stop during prompt evaluation ends the reply with nothing said, and the next reply runs', async () => {
    const h = harness([SMALL, MEDIUM, LARGE], { promptMs: 3000, tokenMs: 100, replyTokens: 20 });
    await configure(h, LARGE.path);
    const requestId = `r${++nextId}`;
    let streamed = '';
    const reply = h.manager.generateResponse({ requestId, history: question, maxTokens: 400 }, (text) => (streamed += text));
    await h.clock.advanceAsync(1000);
    expect(h.manager.phase).toBe('replying');
    expect(h.runtime.stop(requestId)).toBe(true);
    const stopped = await run(h, reply);
    expect(stopped.stopReason).toBe('abort');
    expect(stopped.text).toBe('');
    expect(streamed).toBe('');
    expect(h.manager.phase).toBe('idle');
    const next = await run(h, ask(h));
    expect(next.stopReason).toBe('maxTokens');
    expect(h.phases).toEqual(['unconfigured', 'configuring', 'idle', 'replying', 'idle', 'replying', 'idle']);
  });

  it('a settings change during a reply is applied when the reply ends; the reply completes', async () => {
    const h = harness([SMALL, MEDIUM, LARGE], { promptMs: 500, tokenMs: 100, replyTokens: 60 });
    await configure(h, LARGE.path);
    const reply = ask(h);
    await until(h, () => h.manager.phase === 'replying');
    // Two changes in quick succession (a quality floor, then another one): the latest wins, both resolve.
    const first = h.manager.configure(request(LARGE.path, { scaler: SCALER, qualityFloorPath: SMALL.path }));
    const second = h.manager.configure(request(LARGE.path, { scaler: SCALER, qualityFloorPath: MEDIUM.path }));
    expect(h.manager.phase).toBe('replying');
    const result = await run(h, reply);
    expect(result.stopReason).toBe('maxTokens');
    expect(result.text.split(' ').filter(Boolean)).toHaveLength(60);
    expect((await run(h, first))?.path).toBe(LARGE.path);
    expect((await run(h, second))?.path).toBe(LARGE.path);
    expect(h.manager.ladder.map((rung) => rung.model.path)).toEqual([MEDIUM.path, LARGE.path]);
    expect(h.runtime.calls.filter((call) => call.startsWith('load:'))).toEqual([`load:${LARGE.path}`]);
    expect(h.phases).toEqual(['unconfigured', 'configuring', 'idle', 'replying', 'idle', 'configuring', 'idle']);
  });

  it('a settings change while the first model loads is applied after it', async () => {
    const h = harness([SMALL, MEDIUM, LARGE]);
    const starting = h.manager.configure(request(LARGE.path, { scaler: SCALER }));
    await h.clock.advanceAsync(1000);
    expect(h.manager.phase).toBe('configuring');
    const change = h.manager.configure(request(LARGE.path, { scaler: SCALER, qualityFloorPath: MEDIUM.path }));
    expect((await run(h, starting))?.path).toBe(LARGE.path);
    expect((await run(h, change))?.path).toBe(LARGE.path);
    expect(h.manager.ladder.map((rung) => rung.model.path)).toEqual([MEDIUM.path, LARGE.path]);
    expect(h.phases).toEqual(['unconfigured', 'configuring', 'idle', 'configuring', 'idle']);
  });

  it('choosing a model during a switch loads it once the switch ends', async () => {
    const h = harness([SMALL, MEDIUM, LARGE]);
    await configure(h, LARGE.path);
    h.other.bytes = 9 * GiB;
    await until(h, () => h.manager.phase === 'switching');
    h.other.bytes = 4 * GiB;
    const chosen = h.manager.selectModel(
      SMALL.path,
      [SMALL, MEDIUM, LARGE].map((m) => ({ path: m.path, sizeBytes: m.memBytes, synthetic: true })),
    );
    expect((await run(h, chosen)).path).toBe(SMALL.path);
    expect(h.runtime.model?.path).toBe(SMALL.path);
    expect(h.phases).toEqual(['unconfigured', 'configuring', 'idle', 'switching', 'idle', 'configuring', 'idle']);
  });

  it('shutdown while the first model loads leaves no model and no timer; the load reports the shutdown', async () => {
    const h = harness([SMALL, MEDIUM, LARGE]);
    const starting = h.manager.configure(request(LARGE.path, { scaler: SCALER }));
    const outcome = starting.then(
      () => 'loaded',
      (error: MaiError) => `${error.code}: ${error.message}`,
    );
    await h.clock.advanceAsync(1000);
    expect(h.manager.phase).toBe('configuring');
    await run(h, h.manager.shutdown());
    expect(h.manager.phase).toBe('closed');
    await h.clock.advanceAsync(10_000);
    expect(h.runtime.model).toBeNull();
    expect(h.clock.pendingTimers()).toBe(0);
    expect(await outcome).toBe('engine-unavailable: Mai is shutting down.');
    expect(h.notices).toEqual([]);
    expect(h.phases).toEqual(['unconfigured', 'configuring', 'closing', 'closed']);
  });

  it('a settings change waiting for a reply is dropped by shutdown, saying so', async () => {
    const h = harness([SMALL, MEDIUM, LARGE]);
    await configure(h, LARGE.path);
    const reply = ask(h);
    await until(h, () => h.manager.phase === 'replying');
    const change = h.manager.configure(request(LARGE.path, { scaler: SCALER }));
    const outcome = change.then(
      () => 'applied',
      (error: MaiError) => `${error.code}: ${error.message}`,
    );
    await run(h, h.manager.shutdown());
    expect((await reply).stopReason).toBe('abort');
    expect(await outcome).toBe('engine-unavailable: Mai shut the model down before the new settings were applied.');
    expect(h.runtime.model).toBeNull();
  });
});

describe('ManagerStateMachine', () => {
  it('refuses what the table does not list, with a code and a sentence', () => {
    const machine = new ManagerStateMachine();
    const refused = (event: Parameters<ManagerStateMachine['apply']>[0]) => {
      try {
        machine.apply(event);
      } catch (error) {
        return error instanceof MaiError ? `${error.code}: ${error.message}` : String(error);
      }
      return 'allowed';
    };
    expect(refused('reply-start')).toBe('no-model: Cannot start a reply now: no model list has been given yet.');
    expect(machine.apply('configure')).toBe('configuring');
    expect(refused('reply-start')).toBe('busy: Cannot start a reply now: the model list is being built.');
    expect(machine.apply('configured')).toBe('idle');
    expect(refused('switch-end')).toBe('busy: Cannot finish changing the model now: nothing is running.');
    expect(refused('load-ahead')).toBe('busy: Cannot load the next model ahead now: nothing is running.');
    expect(machine.apply('reply-start')).toBe('replying');
    expect(refused('reply-start')).toBe('busy: Cannot start a reply now: a reply is being generated.');
    // A new model list waits for the reply (the manager queues it); only the immediate form is refused.
    expect(machine.can('configure-queued')).toBe(true);
    expect(refused('configure')).toBe('busy: Cannot change the model list now: a reply is being generated.');
    expect(machine.apply('close')).toBe('closing');
    expect(refused('reply-start')).toBe('engine-unavailable: Cannot start a reply now: Mai is shutting down.');
    expect(refused('configure-queued')).toBe('engine-unavailable: Cannot change the model list now: Mai is shutting down.');
    expect(machine.phase).toBe('closing');
  });
});
