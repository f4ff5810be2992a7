/**
 * The user's choice between the machine and a server, as the engine's `manager:configure` and
 * `manager:select` handle it (manager-requests.ts), on the remote harness (remote-harness.ts:
 * the real manager and ladder over fake runtimes on a virtual clock).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ManagerRequests } from '../../../electron/engine/models/manager-requests';
import { GiB } from './fake-runtime';
import { ADDRESS, LARGE, MEDIUM, SMALL, closeHarness, harness, loaded, request, run, until, type Harness } from './remote-harness';

afterEach(closeHarness);

const files = [SMALL, MEDIUM, LARGE].map((m) => ({ path: m.path, sizeBytes: m.memBytes, synthetic: true }));
const onServer = (h: Harness) => h.server.model !== null && h.local.model === null && loaded(h);
const onLocal = (h: Harness, path = LARGE.path) => h.local.model?.path === path && h.server.model === null && loaded(h);

describe("the user's choice of a server or the machine (manager:configure, manager:select)", () => {
  it('local first: a settings change while Mai is on the server (main sends the address as preferredPath) does not pin Mai there', async () => {
    const h = harness();
    const requests = new ManagerRequests(h.remote);
    await run(h, requests.configure(h.manager, request('local-first', LARGE.path)));
    await until(h, () => h.server.checks.length > 0);
    h.other.bytes = 9 * GiB;
    await until(h, () => onServer(h));
    // The user changes a setting: main reconfigures with the model loaded now.
    await run(h, requests.configure(h.manager, { ...request('local-first', ADDRESS), settings: { ...request('local-first').settings, cascade: true } }));
    expect(h.remote.preference).toBeNull();
    h.other.bytes = 4 * GiB;
    await until(h, () => onLocal(h), 600_000);
  });

  it('switching the policy to local first while on the server brings the conversation back to the machine', async () => {
    const h = harness();
    const requests = new ManagerRequests(h.remote);
    await run(h, requests.configure(h.manager, request('remote-first')));
    await until(h, () => onServer(h));
    const model = await run(h, requests.configure(h.manager, request('local-first', ADDRESS)));
    expect(model?.path).toBe(LARGE.path);
    await h.clock.advanceAsync(120_000);
    expect(onLocal(h)).toBe(true);
  });

  it('a local model chosen but missing leaves the choice as it was: remote first keeps Mai on the server after the next settings change', async () => {
    const h = harness();
    const requests = new ManagerRequests(h.remote);
    await run(h, requests.configure(h.manager, request('remote-first')));
    await until(h, () => onServer(h));
    await expect(run(h, requests.select(h.manager, 'gone.gguf', files))).rejects.toThrow(/gone\.gguf/);
    expect(h.remote.preference).toBeNull();
    await run(h, requests.configure(h.manager, request('remote-first', ADDRESS)));
    await h.clock.advanceAsync(60_000);
    expect(onServer(h)).toBe(true);
  });

  it('a server chosen while it cannot be used leaves the choice as it was: local first stays local once the server answers again', async () => {
    const h = harness();
    const requests = new ManagerRequests(h.remote);
    h.server.down = true;
    await run(h, requests.configure(h.manager, request('local-first', LARGE.path)));
    await until(h, () => h.remote.statuses()[0]?.health === 'unreachable');
    await expect(run(h, requests.select(h.manager, ADDRESS, files))).rejects.toThrow(/Could not switch to big-70b/);
    expect(h.remote.preference).toBeNull();
    h.server.down = false;
    await until(h, () => h.remote.statuses()[0]?.health === 'healthy');
    await h.clock.advanceAsync(180_000);
    expect(onLocal(h)).toBe(true);
    expect(h.server.calls.filter((call) => call.startsWith('load:'))).toEqual([]);
  });

  it('"unload the idle model": nothing is loaded again (here or on a server) until the next configure, which loads as the policy says', async () => {
    const h = harness();
    const requests = new ManagerRequests(h.remote);
    await run(h, requests.configure(h.manager, request('local-first', LARGE.path)));
    await until(h, () => h.remote.statuses()[0]?.health === 'healthy');
    expect(await run(h, h.manager.unload())).toBe(true);
    // Health checks keep running; none of them brings a model back.
    const checks = h.server.checks.length;
    await h.clock.advanceAsync(120_000);
    expect(h.server.checks.length).toBeGreaterThan(checks);
    expect(h.runtimes.model).toBeNull();
    expect(h.local.calls.filter((call) => call === `load:${LARGE.path}`)).toHaveLength(1);
    // The next message: main configures again.
    const model = await run(h, requests.configure(h.manager, request('local-first', LARGE.path)));
    expect(model?.path).toBe(LARGE.path);
  });

  it('"unload the idle model" while on the server unloads the server\'s model, and remote first does not load it again by itself', async () => {
    const h = harness();
    const requests = new ManagerRequests(h.remote);
    await run(h, requests.configure(h.manager, request('remote-first')));
    await until(h, () => onServer(h));
    expect(await run(h, h.manager.unload())).toBe(true);
    expect(h.server.model).toBeNull();
    await h.clock.advanceAsync(120_000);
    expect(h.runtimes.model).toBeNull();
    expect(h.server.calls.filter((call) => call.startsWith('load:'))).toHaveLength(1);
  });

  it('a server chosen while it is usable is kept under local first (the choice works)', async () => {
    const h = harness();
    const requests = new ManagerRequests(h.remote);
    await run(h, requests.configure(h.manager, request('local-first', LARGE.path)));
    await until(h, () => h.remote.statuses()[0]?.health === 'healthy');
    const model = await run(h, requests.select(h.manager, ADDRESS, files));
    expect(model.path).toBe(ADDRESS);
    expect(h.remote.preference).toBe(ADDRESS);
    await h.clock.advanceAsync(120_000);
    expect(onServer(h)).toBe(true);
  });
});
