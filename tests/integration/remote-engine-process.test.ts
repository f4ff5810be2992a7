/**
 * The engine process's remote methods against a real llama-server on 127.0.0.1, over the real
 * engine protocol (the engine in its child process, driven through the EngineHost as main drives
 * it): `remote:probe` answers what the server says, `manager:configure` with a remote config puts
 * the server's model on the ladder (last, with its host and figures) and starts on it under
 * remote-first, the reply streams through the engine, `remote:status` reports the server's health,
 * and `manager:select` moves between a local model and the remote one with the config kept.
 */
import { statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RemoteStatus } from '../../shared/remote';
import { RemoteServer } from '../../electron/engine/remote/remote-server';
import { unencryptedWarning } from '../../electron/engine/remote/remote-probe';
import { createTestCore } from '../helpers/app';
import { llamaServerMissing, startLlamaServer, type RunningProcess } from '../helpers/llama-server';
import { ensureTestModels, type TestModels } from '../helpers/models';

let models: TestModels;
let server: RunningProcess | null = null;
let harness: ReturnType<typeof createTestCore> | null = null;
beforeAll(async () => {
  models = await ensureTestModels();
});
afterAll(async () => {
  await harness?.core.shutdown();
  await server?.kill();
});

describe('the warning for plain http beyond this machine', () => {
  it('is given for a LAN address and not for loopback or https', () => {
    expect(unencryptedWarning(new RemoteServer({ baseUrl: 'http://192.168.1.20:8080' }))).toMatch(
      /^192\.168\.1\.20:8080 is reached over plain http: the conversation would cross the network unencrypted/,
    );
    expect(unencryptedWarning(new RemoteServer({ baseUrl: 'http://127.0.0.1:8080' }))).toBeNull();
    expect(unencryptedWarning(new RemoteServer({ baseUrl: 'http://localhost:8080/v1' }))).toBeNull();
    expect(unencryptedWarning(new RemoteServer({ baseUrl: 'https://gpu.example.org' }))).toBeNull();
  });
});

describe.skipIf(llamaServerMissing !== null)('remote methods of the engine process, on a real llama-server', () => {
  it('probes, configures remote-first, streams, reports status, and selects local and back', async () => {
    server = await startLlamaServer({ model: models.tiny, alias: 'remote-tiny' });
    const host = `127.0.0.1:${server.port}`;
    harness = createTestCore();
    const { core } = harness;
    await core.engine.start();

    const probe = await core.engine.call('remote:probe', { baseUrl: server.url });
    expect(probe).toMatchObject({ host, models: ['remote-tiny'], contextSize: 2048, slots: 1, warning: null });
    expect(probe.rttMs).toBeGreaterThan(0);

    const statuses: RemoteStatus[][] = [];
    core.engine.onEngine('remote:status', (s) => statuses.push(s));
    const local = [models.tiny, models.small].map((p) => ({ path: p, sizeBytes: statSync(p).size, synthetic: true }));
    const remote = { policy: 'remote-first' as const, engines: [{ baseUrl: server.url, models: ['remote-tiny'] }] };
    const configured = await core.engine.call('manager:configure', { models: local, preferredPath: null, settings: {}, dataDir: null, remote });
    const address = `remote:${host}#remote-tiny`;
    expect(configured.model).toMatchObject({ path: address, name: `remote-tiny on ${host}`, sizeBytes: 0 });
    expect(configured.ladder.map((rung) => rung.path)).toEqual([models.tiny, models.small, address]);
    expect(configured.ladder.at(-1)).toMatchObject({ host, name: `remote-tiny on ${host}`, memBytes: 0 });
    expect(configured.ladder[0]?.host).toBeUndefined();

    const tokens: string[] = [];
    const off = core.engine.onEngine('chat:token', ({ requestId, text }) => requestId === 'p1' && tokens.push(text));
    const reply = await core.engine.call('chat:generate', { requestId: 'p1', history: [{ role: 'user', text: 'Tell me about the river.' }], maxTokens: 16 });
    off();
    expect(reply.model).toBe(`remote-tiny on ${host}`);
    expect(tokens.length).toBeGreaterThan(1);
    expect(tokens.join('')).toBe(reply.text);
    await expect.poll(() => statuses.at(-1)?.[0]?.models['remote-tiny']?.replies, { timeout: 10_000 }).toBe(1);
    expect(statuses.at(-1)?.[0]).toMatchObject({ host, baseUrl: server.url, health: 'healthy', lastError: null });

    // The user picks a local model, then the remote one again: the remote config stays in force.
    const onLocal = await core.engine.call('manager:select', { path: models.small, models: local });
    expect(onLocal.path).toBe(models.small);
    expect((await core.engine.call('chat:generate', { requestId: 'p2', history: [{ role: 'user', text: 'Hi' }], maxTokens: 4 })).model).toBe(onLocal.name);
    const back = await core.engine.call('manager:select', { path: address, models: local });
    expect(back.name).toBe(`remote-tiny on ${host}`);
    expect((await core.engine.call('chat:generate', { requestId: 'p3', history: [{ role: 'user', text: 'Hi' }], maxTokens: 4 })).model).toBe(back.name);
  });
});
