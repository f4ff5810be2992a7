/**
 * Remote rungs under the policy, on a virtual clock (remote-harness.ts: the real ModelManager,
 * scaler, switcher and RemoteLadder over fake runtimes). The same rules against a real
 * llama-server: tests/integration/remote-failover.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FAILED_CHECKS_TO_LEAVE, MIN_HEALTH_INTERVAL_MS } from '../../../electron/engine/models/ladder-remote';
import { GiB } from './fake-runtime';
import { ADDRESS, HOST, HOST2, LARGE, MEDIUM, ask, closeHarness, configure, harness, loaded, requestId, until, run } from './remote-harness';

afterEach(closeHarness);

describe('remote rungs by policy (fake runtimes, virtual clock)', () => {
  it('local only: no remote rung, and nothing reaches the server, not even a health check', async () => {
    const h = harness();
    const model = await configure(h, 'local-only');
    expect(model?.path).toBe(LARGE.path);
    expect(h.remote.rungs).toEqual([]);
    expect((await ask(h)).model).toBe('large');
    await h.clock.advanceAsync(120_000);
    expect(h.server.requests).toBe(0);
  });

  it('remote first: starts on the server; health is checked in the background, never twice within 10 s', async () => {
    const h = harness();
    const model = await configure(h, 'remote-first');
    expect(model?.path).toBe(ADDRESS);
    expect(h.local.model).toBeNull();
    expect((await ask(h)).model).toBe('big-70b');
    const before = h.server.checks.length;
    await h.clock.advanceAsync(120_000);
    const checks = h.server.checks.slice(before);
    expect(checks.length).toBeGreaterThanOrEqual(120_000 / 20_000);
    expect(checks.length).toBeLessThanOrEqual(120_000 / MIN_HEALTH_INTERVAL_MS);
    for (let i = 1; i < checks.length; i++) expect(checks[i]!.t - checks[i - 1]!.t).toBeGreaterThanOrEqual(MIN_HEALTH_INTERVAL_MS);
  });

  it('a server that stops answering while idle is left after two failed background checks in a row, not one', async () => {
    const h = harness();
    await configure(h, 'remote-first');
    const before = h.server.checks.length;
    h.server.down = true;
    await until(h, () => h.server.checks.length === before + 1);
    await h.clock.advanceAsync(1000);
    expect(h.server.model).not.toBeNull();
    await until(h, () => h.local.model?.path === LARGE.path && loaded(h), 30_000);
    expect(h.server.checks.length).toBe(before + FAILED_CHECKS_TO_LEAVE);
    expect(h.notices).toContain(`${HOST} is not used now (The server at ${HOST} could not be reached (ECONNREFUSED)); Mai continued on large.`);
  });

  it('the server dies mid-reply: the partial text is kept, the reply retried once on the local rung with the notice; back only after the stabilization period', async () => {
    const h = harness();
    await configure(h, 'remote-first');
    h.server.dieAfterTokens = 5;
    const result = await ask(h);
    expect(result.interrupted).toMatchObject({ text: 'w w w w w ', model: 'big-70b on box:8080' });
    expect(result.interrupted?.reason).toMatch(/broke during the reply/);
    expect(result.model).toBe('large');
    expect(result.stopReason).toBe('maxTokens');
    expect(result.note).toBe(`${HOST} stopped answering; Mai continued on large.`);
    expect(h.notices.some((n) => n.startsWith(`${HOST} stopped answering; Mai continued on large.`))).toBe(true);
    // Up again: healthy at the next background check, used only once healthy for 60 s.
    expect(h.remote.statuses()[0]?.health).toBe('unreachable');
    h.server.down = false;
    await until(h, () => h.remote.statuses()[0]?.health === 'healthy');
    expect(h.clock.now() - h.server.checks.at(-2)!.t).toBeGreaterThanOrEqual(MIN_HEALTH_INTERVAL_MS);
    const healthyAt = h.clock.now();
    await until(h, () => h.clock.now() >= healthyAt + 59_000);
    expect(h.manager.ladder.length).toBe(3);
    expect(h.local.model?.path).toBe(LARGE.path);
    await until(h, () => h.server.model !== null && loaded(h), 5_000);
    expect(h.clock.now() - healthyAt).toBeGreaterThanOrEqual(60_000);
    expect((await ask(h)).model).toBe('big-70b');
    expect(h.local.model).toBeNull();
  });

  it('two servers, remote first: the first dies mid-reply, the reply is retried on the local rung (not the second server), which serves the next reply', async () => {
    const h = harness();
    await configure(h, 'remote-first', null, [HOST, HOST2]);
    expect(h.server.model?.path).toBe('big-70b');
    await until(h, () => h.remote.statuses()[1]?.health === 'healthy');
    h.server.dieAfterTokens = 5;
    const result = await ask(h);
    expect(result.interrupted).toMatchObject({ text: 'w w w w w ', model: `big-70b on ${HOST}` });
    expect(result).toMatchObject({ model: 'large', stopReason: 'maxTokens', note: `${HOST} stopped answering; Mai continued on large.` });
    await until(h, () => h.server2.model !== null && loaded(h), 10_000);
    expect((await ask(h)).model).toBe('big-70b');
    expect(h.server2.calls.filter((call) => call.startsWith('load:'))).toHaveLength(1);
  });

  it("Stop pressed while the failover loads the local model ends the reply: the server's part stays, no retry streams", async () => {
    const h = harness();
    await configure(h, 'remote-first');
    h.server.dieAfterTokens = 5;
    const tokens: string[] = [];
    const id = requestId();
    const reply = h.manager.generateResponse({ requestId: id, history: [{ role: 'user', text: 'Tell me a story.' }], maxTokens: 20 }, (text) =>
      tokens.push(text),
    );
    // The server died after 5 tokens; the local model (4 s to load) is loading for the retry.
    await until(h, () => h.local.calls.includes(`load:${LARGE.path}`));
    expect(h.local.model).toBeNull();
    expect(h.manager.stopReply(id)).toBe(true);
    const result = await run(h, reply);
    expect(tokens.join('')).toBe('w w w w w ');
    expect(result.interrupted).toMatchObject({ text: 'w w w w w ', model: 'big-70b on box:8080' });
    expect(result).toMatchObject({ text: '', stopReason: 'abort', model: 'large' });
    expect(result.note).toBe(`${HOST} stopped answering; you stopped the reply before Mai answered again on large.`);
    await h.clock.advanceAsync(10_000);
    expect(tokens).toHaveLength(5);
    // The local model stays loaded: the next reply runs there.
    expect(h.local.model?.path).toBe(LARGE.path);
    expect((await ask(h)).model).toBe('large');
    expect(h.manager.stopReply('no-such-reply')).toBe(false);
  });

  it('local first: short of memory, Mai moves to the server instead of a much smaller local model, and back once memory is fine for the stabilization period', async () => {
    const h = harness();
    await configure(h, 'local-first', LARGE.path);
    expect(h.local.model?.path).toBe(LARGE.path);
    await until(h, () => h.server.checks.length > 0);
    expect(h.server.requests).toBe(h.server.checks.length);
    // Other programs take 9 GiB of 16: the scaler steps down from large (4 GiB) to medium (2 GiB, half: much smaller).
    h.other.bytes = 9 * GiB;
    await until(h, () => h.server.model !== null && loaded(h));
    expect(h.local.model).toBeNull();
    expect(h.local.calls).not.toContain(`load:${MEDIUM.path}`);
    expect((await ask(h)).model).toBe('big-70b');
    const relievedAt = h.clock.now();
    h.other.bytes = 4 * GiB;
    await until(h, () => h.local.model?.path === LARGE.path && loaded(h));
    expect(h.clock.now() - relievedAt).toBeGreaterThanOrEqual(60_000 - 5_000);
    expect(h.server.model).toBeNull();
    expect((await ask(h)).model).toBe('large');
  });

  it('local first: the move to the server and the move back each tell the user what changed, why, and what brings the local model back, naming the host', async () => {
    const h = harness();
    await configure(h, 'local-first', LARGE.path);
    await until(h, () => h.server.checks.length > 0);
    h.other.bytes = 9 * GiB;
    await until(h, () => h.server.model !== null && loaded(h));
    expect(h.changes).toHaveLength(1);
    const away = h.changes[0]!;
    expect(away).toMatchObject({ direction: 'down', from: 'large', to: `big-70b on ${HOST}` });
    expect(away.what).toBe(`Mai now answers with big-70b on ${HOST} instead of large on this machine: the conversation now leaves this machine for ${HOST}.`);
    expect(away.why).toMatch(/^memory on this machine is short for large — .*memory/);
    expect(away.bringBack).toMatch(
      /^large comes back by itself in 60 s at the earliest .*if memory use with it stays under 60 % for the stabilization period of 60 s/,
    );
    expect(away.bringBack).toMatch(/Then Mai answers on this machine again\.$/);
    expect(away.upgradeHold?.seconds).toBeGreaterThan(0);
    // A step of the scaler while on the server moves only the fallback: nothing new to tell.
    await ask(h);
    expect(h.changes).toHaveLength(1);
    h.other.bytes = 4 * GiB;
    await until(h, () => h.local.model?.path === LARGE.path && loaded(h));
    expect(h.changes).toHaveLength(2);
    const back = h.changes[1]!;
    expect(back).toMatchObject({ direction: 'up', from: `big-70b on ${HOST}`, to: 'large', bringBack: '' });
    expect(back.what).toBe(`Mai is back on large on this machine: the conversation no longer leaves it for ${HOST}.`);
    expect(back.why).toMatch(/^memory on this machine is fine again — /);
  });

  it('local first with the server down: the scaler steps down locally as before', async () => {
    const h = harness();
    h.server.down = true;
    await configure(h, 'local-first', LARGE.path);
    h.other.bytes = 9 * GiB;
    await until(h, () => h.local.model?.path === MEDIUM.path && loaded(h));
    expect(h.server.model).toBeNull();
  });

  it('a server measured slower than the local model three replies in a row is left for the stabilization period', async () => {
    const h = harness({ promptMs: 500, tokenMs: 250, replyTokens: 40 });
    await configure(h, 'local-only', LARGE.path);
    await ask(h);
    await ask(h);
    // Local: 10 tokens/s. The server: 4 tokens/s.
    await configure(h, 'remote-first', LARGE.path);
    expect(h.server.model).not.toBeNull();
    await ask(h);
    await ask(h);
    expect(h.server.model).not.toBeNull();
    await ask(h);
    const heldAt = h.clock.now();
    await until(h, () => h.local.model?.path === LARGE.path && loaded(h), 10_000);
    expect(
      h.notices.some((n) =>
        /^box:8080 is not used now \(3 replies in a row at 4\.0 tokens\/s, under 80 % of the local model's 10\.0\); Mai continued on large\.$/.test(n),
      ),
    ).toBe(true);
    await until(h, () => h.server.model !== null && loaded(h));
    expect(h.clock.now() - heldAt).toBeGreaterThanOrEqual(60_000);
  });
});
