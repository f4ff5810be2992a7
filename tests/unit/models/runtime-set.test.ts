/**
 * A ladder that mixes runtimes: the real ModelManager over a RuntimeSet of two fake runtimes on a
 * virtual clock (fake-runtime.ts says why fakes here; tests/integration/remote-llama-server.test.ts
 * runs a real llama-server). A rung addressed `<runtimeId>#<model>` loads and replies on that
 * runtime, a plain path on the local one, and a switch between them leaves one model loaded.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../electron/engine/resource/clock';
import { ModelManager } from '../../../electron/engine/models/model-manager';
import { modelAddress, RuntimeSet } from '../../../electron/engine/models/runtime-set';
import { FakeRuntime, GiB, fakeMachine, type FakeModel } from './fake-runtime';

class FakeRemote extends FakeRuntime {
  override readonly id: string = 'remote:box';
}

const SMALL: FakeModel = { path: 'small.gguf', memBytes: 1 * GiB, loadMs: 1000 };
// A remote model takes no memory here, as RemoteRuntime estimates it.
const BIG: FakeModel = { path: 'big-70b', memBytes: 0, loadMs: 300 };
const BIG_ADDRESS = modelAddress('remote:box', BIG.path);

let manager: ModelManager | null = null;
let clock: VirtualClock;
afterEach(async () => {
  if (manager && manager.phase !== 'closed') {
    const closing = manager.shutdown();
    await clock.advanceAsync(60_000);
    await closing;
  }
  manager = null;
});

async function settle<T>(work: Promise<T>): Promise<T> {
  let settled = false;
  const done = work.finally(() => {
    settled = true;
  });
  for (let elapsed = 0; !settled && elapsed < 600_000; elapsed += 100) await clock.advanceAsync(100);
  return done;
}

function setUp() {
  clock = new VirtualClock(0);
  const local = new FakeRuntime(clock, [SMALL]);
  const remote = new FakeRemote(clock, [BIG]);
  const runtimes = new RuntimeSet(local);
  runtimes.add(remote);
  manager = new ModelManager({ runtime: runtimes, source: fakeMachine(local, { bytes: 4 * GiB }), clock, dataDir: null, log: () => {} });
  return { local, remote, manager };
}

const models = [
  { path: SMALL.path, sizeBytes: SMALL.memBytes, synthetic: true },
  { path: BIG_ADDRESS, sizeBytes: 0, synthetic: true },
];

let nextId = 0;
const ask = (m: ModelManager) => settle(m.generateResponse({ requestId: `q${nextId++}`, history: [{ role: 'user', text: 'Hi' }], maxTokens: 8 }, () => {}));

describe('RuntimeSet under the ModelManager', () => {
  it('puts each rung on its runtime and replies on the runtime of the model in use', async () => {
    const { local, remote, manager: m } = setUp();
    const loaded = await settle(m.configure({ models, preferredPath: BIG_ADDRESS, settings: {} }));
    expect(loaded?.path).toBe(BIG_ADDRESS);
    expect(m.ladder.map((rung) => [rung.id, rung.runtimeId])).toEqual(
      expect.arrayContaining([
        [SMALL.path, 'fake'],
        [BIG_ADDRESS, 'remote:box'],
      ]),
    );
    const reply = await ask(m);
    expect(reply.model).toBe('big-70b');
    expect(remote.calls).toContain('load:big-70b');
    expect(local.calls).toEqual([]);
  });

  it('a switch from the remote rung to a local one unloads the remote model first, and back', async () => {
    const { local, remote, manager: m } = setUp();
    await settle(m.configure({ models, preferredPath: BIG_ADDRESS, settings: {} }));
    const onLocal = await settle(m.selectModel(SMALL.path, models));
    expect(onLocal.path).toBe(SMALL.path);
    expect(remote.calls.at(-1)).toBe('unload:big-70b');
    expect(remote.model).toBeNull();
    expect((await ask(m)).model).toBe('small');
    const back = await settle(m.selectModel(BIG_ADDRESS, models));
    expect(back.path).toBe(BIG_ADDRESS);
    expect(local.model).toBeNull();
    expect(local.calls.at(-1)).toBe('unload:small.gguf');
    expect((await ask(m)).model).toBe('big-70b');
  });

  it('an address on a runtime that is not registered goes to the local runtime, which refuses it', async () => {
    const { manager: m } = setUp();
    const notices: string[] = [];
    m.on('notice', (notice) => notices.push(notice.message));
    await settle(m.configure({ models: [...models, { path: 'remote:gone#x', sizeBytes: 0, synthetic: true }], preferredPath: null, settings: {} }));
    expect(m.ladder.map((rung) => rung.id)).not.toContain('remote:gone#x');
    expect(notices.join(' ')).toMatch(/remote:gone#x was left out of the model list/);
  });
});

describe('RuntimeSet.remove', () => {
  it('drops a runtime not in use, refuses one whose model is in use, and never drops the default runtime', async () => {
    clock = new VirtualClock(0);
    const local = new FakeRuntime(clock, [SMALL]);
    const remote = new FakeRemote(clock, [BIG]);
    const runtimes = new RuntimeSet(local);
    runtimes.add(remote);
    await settle(runtimes.load({ path: BIG_ADDRESS }));
    expect(() => runtimes.remove('remote:box')).toThrow(/in use/);
    await runtimes.unload();
    expect(runtimes.remove('remote:box')).toBe(true);
    expect(runtimes.get('remote:box')).toBeUndefined();
    // Its address now goes to the default runtime, which does not have it: refused, nothing sent to the server.
    await expect(runtimes.check(BIG_ADDRESS)).rejects.toThrow(/does not exist/);
    expect(runtimes.remove(local.id)).toBe(false);
    expect(runtimes.remove('remote:none')).toBe(false);
  });
});
