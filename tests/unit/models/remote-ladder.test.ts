/**
 * The RemoteLadder alone on a virtual clock, with a fake server (remote-harness.ts says why and
 * which contract it follows): placement of a cost step, health checks after stop, servers dropped
 * from the settings.
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../electron/engine/resource/clock';
import { RemoteLadder } from '../../../electron/engine/models/ladder-remote';
import type { Rung } from '../../../electron/engine/models/rung';
import { RuntimeSet } from '../../../electron/engine/models/runtime-set';
import { FakeRuntime, GiB } from './fake-runtime';
import { ADDRESS, BIG, FakeServer, HOST, HOST2, LARGE, MEDIUM } from './remote-harness';

function setup() {
  const clock = new VirtualClock(0);
  const local = new FakeRuntime(clock, [MEDIUM, LARGE]);
  const server = new FakeServer(clock);
  const server2 = new FakeServer(clock, undefined, HOST2);
  const runtimes = new RuntimeSet(local);
  const ladder = new RemoteLadder({ runtimes, clock, log: () => {}, createRuntime: (e) => (e.baseUrl.includes(HOST2) ? server2 : server) });
  const servers = (hosts: string[]) => ({ policy: 'local-first' as const, engines: hosts.map((host) => ({ baseUrl: `http://${host}`, models: [BIG.path] })) });
  return { clock, local, server, server2, runtimes, ladder, servers };
}

function rung(id: string, file: string, memBytes: number, cost: Rung['cost'] = {}): Rung {
  return {
    id,
    runtimeId: 'fake',
    model: { path: file, name: file.replace(/\.gguf$/, ''), synthetic: true },
    cost,
    footprint: { memBytes, vramBytes: 0, estimatedMemBytes: memBytes, estimatedVramBytes: 0, correction: 1, measurements: 0, key: id },
  };
}

describe('RemoteLadder', () => {
  it('local first: a cost step of the model in use stays local even at half its memory; another model that small goes to the server', async () => {
    const { clock, ladder, servers } = setup();
    await ladder.configure(servers([HOST]), 60);
    await clock.advanceAsync(10);
    expect(ladder.statuses()[0]?.health).toBe('healthy');
    const full = rung(LARGE.path, LARGE.path, 4 * GiB);
    ladder.loaded(full, full, ladder.place(full).placement);
    // A multi-step cascade jump: Q8_0 KV cache and a quarter of the context.
    expect(ladder.place(rung(`${LARGE.path}@q8_0/1024`, LARGE.path, 2 * GiB, { kvCacheType: 'q8_0', contextSize: 1024 })).rung).toBeNull();
    expect(ladder.place(rung(MEDIUM.path, MEDIUM.path, 2 * GiB)).rung?.id).toBe(ADDRESS);
    ladder.stop();
  });

  it('a health check in flight when stop() runs arms no further check: nothing more reaches the server', async () => {
    const { clock, server, ladder, servers } = setup();
    let release = () => {};
    server.holdChecks = new Promise<void>((resolve) => (release = resolve));
    const statuses: unknown[] = [];
    ladder.onStatus((s) => statuses.push(s));
    await ladder.configure(servers([HOST]), 60);
    statuses.length = 0;
    await clock.advanceAsync(10);
    expect(server.checks).toHaveLength(1);
    ladder.stop();
    release();
    server.holdChecks = null;
    await clock.advanceAsync(120_000);
    expect(server.checks).toHaveLength(1);
    expect(clock.pendingTimers()).toBe(0);
    expect(statuses).toEqual([]);
  });

  it('a server removed from the settings loses its runtime (its model unloaded first); the others stay', async () => {
    const { clock, runtimes, ladder, servers, server } = setup();
    await ladder.configure(servers([HOST, HOST2]), 60);
    await clock.advanceAsync(10);
    const loading = runtimes.load({ path: ADDRESS });
    await clock.advanceAsync(BIG.loadMs);
    await loading;
    expect(runtimes.model?.path).toBe(ADDRESS);
    await ladder.configure(servers([HOST2]), 60);
    expect(runtimes.get(`remote:${HOST}`)).toBeUndefined();
    expect(runtimes.get(`remote:${HOST2}`)).toBeDefined();
    expect(server.model).toBeNull();
    expect(runtimes.model).toBeNull();
    expect(ladder.rungs.map((r) => r.id)).toEqual([`remote:${HOST2}#${BIG.path}`]);
    await ladder.configure({ policy: 'local-only', engines: [] }, 60);
    expect(runtimes.get(`remote:${HOST2}`)).toBeUndefined();
    ladder.stop();
    expect(clock.pendingTimers()).toBe(0);
  });
});
