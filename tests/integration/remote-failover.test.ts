/**
 * Remote rungs on the ladder against a real llama.cpp `llama-server` on 127.0.0.1 (built by
 * build/llama-server.mjs; .ci/run builds it): the engine's own ModelManager in this process over a
 * RuntimeSet of node-llama-cpp (the synthetic models) and the server, the real scaler and monitor
 * under the scripted memory budget the scaling tests use. A reply streams from the remote rung;
 * the server killed or frozen mid-reply → the text so far kept and the reply retried on the local
 * rung with a notice saying why; the server back → Mai returns after the stabilization period and
 * not before; a wrong key is a sentence no log line repeats the key of; local-first moves to the
 * server instead of a much smaller local model and back, each move told as a capability change
 * naming the host; Stop during a failover ends the reply; local-only sends nothing at all.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { statSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ChatTurn } from '../../shared/domain';
import type { RemotePolicy, RemoteStatus } from '../../shared/remote';
import { LlamaEngine } from '../../electron/engine/llama-engine';
import type { CapabilityChange } from '../../electron/engine/models/capability';
import { RemoteLadder } from '../../electron/engine/models/ladder-remote';
import { ModelManager, type LadderInput, type ManagerSettings } from '../../electron/engine/models/model-manager';
import { RuntimeSet } from '../../electron/engine/models/runtime-set';
import { probeRemote } from '../../electron/engine/remote/remote-probe';
import { RealClock } from '../../electron/engine/resource/clock';
import { SystemResourceSource } from '../../electron/engine/resource/monitoring/system-source';
import { llamaServerMissing, startLlamaServer, type RunningProcess } from '../helpers/llama-server';
import { ensureTestModels, type TestModels } from '../helpers/models';

const KEY = 'sk-mai-failover-key-51c0ffee';
const WRONG_KEY = 'sk-mai-wrong-key-0badf00d';
const BUDGET = 2 * 2 ** 30;
const STABILIZATION_SECONDS = 4;
const IDLE_TIMEOUT_MS = 2000;
if (llamaServerMissing) console.warn(`remote-failover.test.ts skipped: ${llamaServerMissing}`);

const scripted: ManagerSettings['scaler'] = {
  degradeThreshold: 0.8,
  criticalThreshold: 0.95,
  upgradeThreshold: 0.6,
  levelHoldSeconds: 2,
  levelWindowSeconds: 2,
  settleSeconds: 1,
  stabilizationSeconds: STABILIZATION_SECONDS,
  sampleIntervalSeconds: 0.25,
};

let models: TestModels;
let ladder: LadderInput[];
/** One node-llama-cpp for the file, as in the engine process. */
const engine = new LlamaEngine(() => {});
const servers: RunningProcess[] = [];
beforeAll(async () => {
  models = await ensureTestModels();
  ladder = [models.tiny, models.small, models.medium].map((p) => ({ path: p, sizeBytes: statSync(p).size, synthetic: true }));
});
afterAll(async () => {
  for (const server of servers.splice(0)) {
    server.child.kill('SIGCONT');
    await server.kill();
  }
});

interface Started {
  manager: ModelManager;
  remote: RemoteLadder;
  logs: string[];
  notices: string[];
  statuses: { at: number; statuses: RemoteStatus[] }[];
  changes: { at: number; path: string; name: string; loadMs: number }[];
}
let started: Started | null = null;
afterEach(async () => {
  await started?.manager.shutdown();
  started = null;
  await engine.unload();
});

function create(): Started {
  const logs: string[] = [];
  const log = (level: string, message: string) => logs.push(`${level} ${message}`);
  const runtimes = new RuntimeSet(engine);
  const remote = new RemoteLadder({ runtimes, clock: new RealClock(), log, idleTimeoutMs: IDLE_TIMEOUT_MS, healthIntervalMs: 500, fastHealthForTests: true });
  const manager = new ModelManager({ runtime: runtimes, source: new SystemResourceSource(), dataDir: null, log, remote });
  const notices: string[] = [];
  const statuses: Started['statuses'] = [];
  const changes: Started['changes'] = [];
  manager.on('notice', (n) => notices.push(n.message));
  manager.on('modelChanged', ({ model }) => changes.push({ at: performance.now(), path: model.path, name: model.name, loadMs: model.loadMs }));
  remote.onStatus((s) => statuses.push({ at: performance.now(), statuses: s }));
  started = { manager, remote, logs, notices, statuses, changes };
  return started;
}

async function configure(s: Started, policy: RemotePolicy, server: { url: string }, options: { apiKey?: string; preferredPath?: string } = {}) {
  s.manager.setOverlay({ otherMemBytes: 0.3 * BUDGET });
  return s.manager.configure({
    models: ladder,
    preferredPath: options.preferredPath ?? null,
    settings: { memoryBudgetBytes: BUDGET, scaler: scripted },
    remote: { policy, engines: [{ baseUrl: server.url, models: ['remote-tiny'], ...(options.apiKey ? { apiKey: options.apiKey } : {}) }] },
  });
}

const question: ChatTurn[] = [{ role: 'user', text: 'Tell me about the river.' }];
let nextId = 0;
const ask = (s: Started, maxTokens: number, onText: (t: string) => void = () => {}) =>
  s.manager.generateResponse({ requestId: `f${++nextId}`, history: question, maxTokens, seed: 1 }, onText);

async function until(predicate: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!predicate()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** An HTTP proxy in front of `upstream` that counts the requests that reach it. */
async function countingProxy(upstream: RunningProcess): Promise<{ url: string; count: () => number; close: () => Promise<void> }> {
  let count = 0;
  const server = http.createServer((req, res) => {
    count++;
    const forward = http.request({ host: '127.0.0.1', port: upstream.port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    count: () => count,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

describe.skipIf(llamaServerMissing !== null)('remote rungs with failover, on a real llama-server', () => {
  const serve = async (options: { apiKey?: string; port?: number } = {}) => {
    const server = await startLlamaServer({ model: models.tiny, alias: 'remote-tiny', ...options });
    servers.push(server);
    return server;
  };

  it('remote first: the reply streams from the server; killed mid-reply, the text so far is kept and the reply retried on the local rung with the notice; back only after the stabilization period', async () => {
    const server = await serve();
    const s = create();
    const host = `127.0.0.1:${server.port}`;
    const first = await configure(s, 'remote-first', server);
    expect(first?.name).toBe(`remote-tiny on ${host}`);
    const pieces: string[] = [];
    const streamed = await ask(s, 24, (t) => pieces.push(t));
    expect(pieces.length).toBeGreaterThan(1);
    expect(streamed.model).toBe(`remote-tiny on ${host}`);
    expect(s.remote.statuses()[0]).toMatchObject({ host, health: 'healthy' });
    expect(s.remote.statuses()[0]?.models['remote-tiny']?.replies).toBe(1);

    let killedAt = 0;
    let noticeAt = 0;
    let retriedFirstTokenAt = 0;
    s.manager.on('notice', (n) => killedAt > 0 && n.message.startsWith(`${host} stopped answering`) && (noticeAt ||= performance.now()));
    const result = await ask(s, 60, () => {
      if (!killedAt) {
        killedAt = performance.now();
        server.child.kill('SIGKILL');
      } else if (noticeAt && !retriedFirstTokenAt) retriedFirstTokenAt = performance.now();
    });
    const failoverMs = retriedFirstTokenAt - killedAt;
    const loadedAt = s.changes.at(-1)!.at;
    console.log(
      `server killed → first token of the retried reply on the local rung: ${failoverMs.toFixed(0)} ms (notice at ${(noticeAt - killedAt).toFixed(0)} ms, local model loaded at ${(loadedAt - killedAt).toFixed(0)} ms, its load ${s.changes.at(-1)!.loadMs.toFixed(0)} ms)`,
    );
    expect(result.interrupted?.text.length).toBeGreaterThan(0);
    expect(result.interrupted?.model).toBe(`remote-tiny on ${host}`);
    expect(result.interrupted?.reason).toMatch(/broke during the reply|stopped before it was finished|could not be reached/);
    expect(result.model).toMatch(/120 MB/);
    expect(result.note).toBe(`${host} stopped answering; Mai continued on ${result.model}.`);
    expect(s.notices.some((n) => n.startsWith(`${host} stopped answering; Mai continued on ${result.model}.`))).toBe(true);
    expect(retriedFirstTokenAt).toBeGreaterThan(0);
    expect(failoverMs).toBeLessThan(3000);

    // Restarted where Mai knows it: healthy at a background check, used again only after the stabilization period.
    await serve({ port: server.port });
    await until(() => s.remote.statuses()[0]?.health === 'healthy', 'the restarted server to be seen healthy');
    const healthyAt = s.statuses.find(
      (entry, i) => i > 0 && entry.statuses[0]?.health === 'healthy' && s.statuses[i - 1]?.statuses[0]?.health !== 'healthy',
    )!.at;
    await until(() => s.changes.at(-1)?.name === `remote-tiny on ${host}`, 'the move back to the server', 30_000);
    const backAt = s.changes.at(-1)!.at;
    console.log(`moved back ${((backAt - healthyAt) / 1000).toFixed(2)} s after the server was healthy again (stabilization ${STABILIZATION_SECONDS} s)`);
    expect(backAt - healthyAt).toBeGreaterThanOrEqual(STABILIZATION_SECONDS * 1000);
    expect((await ask(s, 8)).model).toBe(`remote-tiny on ${host}`);
  });

  it("Stop pressed while the failover loads the local model ends the reply: the server's part stays, no retry text streams", async () => {
    const server = await serve();
    const s = create();
    const host = `127.0.0.1:${server.port}`;
    await configure(s, 'remote-first', server);
    const requestId = `f${++nextId}`;
    let killed = false;
    let stopped: boolean | null = null;
    let modelsWhenStopped = -1;
    let afterStop = 0;
    // The server is marked unreachable the moment the reply fails, just before the local model starts loading.
    const unsubscribe = s.remote.onStatus((statuses) => {
      if (!killed || stopped !== null || statuses[0]?.health !== 'unreachable') return;
      stopped = false;
      setTimeout(() => {
        modelsWhenStopped = s.changes.length;
        stopped = s.manager.stopReply(requestId);
      }, 0);
    });
    const changesBefore = s.changes.length;
    const result = await s.manager.generateResponse({ requestId, history: question, maxTokens: 60, seed: 1 }, () => {
      if (stopped) afterStop++;
      if (!killed) {
        killed = true;
        server.child.kill('SIGKILL');
      }
    });
    unsubscribe();
    expect(stopped).toBe(true);
    // Stop came while the local model was still loading.
    expect(modelsWhenStopped).toBe(changesBefore);
    expect(result.interrupted?.text.length).toBeGreaterThan(0);
    expect(result.interrupted?.model).toBe(`remote-tiny on ${host}`);
    expect(result.stopReason).toBe('abort');
    expect(result.text).toBe('');
    expect(result.model).toMatch(/120 MB/);
    expect(result.note).toBe(`${host} stopped answering; you stopped the reply before Mai answered again on ${result.model}.`);
    expect(afterStop).toBe(0);
    // The local model is loaded for the next reply, which runs there.
    expect(s.changes.at(-1)?.name).toBe(result.model);
    const next = await ask(s, 8);
    expect(next.model).toBe(result.model);
    expect(afterStop).toBe(0);
  });

  it('a frozen server (SIGSTOP) is detected by the idle timeout, with the same outcome', async () => {
    const server = await serve();
    const s = create();
    const host = `127.0.0.1:${server.port}`;
    await configure(s, 'remote-first', server);
    let stoppedAt = 0;
    let noticeAt = 0;
    let retriedFirstTokenAt = 0;
    s.manager.on('notice', (n) => n.message.startsWith(`${host} stopped answering`) && (noticeAt ||= performance.now()));
    try {
      const result = await ask(s, 400, () => {
        if (!stoppedAt) {
          stoppedAt = performance.now();
          server.child.kill('SIGSTOP');
        } else if (noticeAt && !retriedFirstTokenAt) retriedFirstTokenAt = performance.now();
      });
      console.log(`server frozen → first token of the retried reply: ${(retriedFirstTokenAt - stoppedAt).toFixed(0)} ms (idle timeout ${IDLE_TIMEOUT_MS} ms)`);
      expect(result.interrupted?.reason).toBe(`The server at ${host} sent nothing for 2 s; Mai gave up on the reply.`);
      expect(result.interrupted?.text.length).toBeGreaterThan(0);
      expect(result.note).toBe(`${host} stopped answering; Mai continued on ${result.model}.`);
      expect(result.model).not.toContain(host);
      expect(retriedFirstTokenAt - stoppedAt).toBeGreaterThanOrEqual(IDLE_TIMEOUT_MS);
    } finally {
      server.child.kill('SIGCONT');
    }
  });

  it('a wrong API key is a clear sentence, Mai stays on this machine, and neither key appears in a log line', async () => {
    const server = await serve({ apiKey: KEY });
    const host = `127.0.0.1:${server.port}`;
    const refused = await probeRemote({ baseUrl: server.url, apiKey: WRONG_KEY }).then(
      () => null,
      (error: Error) => error.message,
    );
    expect(refused).toBe(`The server at ${host} refused the API key (HTTP 401). Check the key in Mai's settings.`);
    const s = create();
    const model = await configure(s, 'remote-first', server, { apiKey: WRONG_KEY });
    expect(model?.name).toMatch(/120 MB/);
    expect(s.notices.some((n) => n.includes(`refused the API key (HTTP 401)`) && n.includes(`Mai is using`))).toBe(true);
    expect(s.remote.statuses()[0]).toMatchObject({ health: 'unreachable' });
    expect((await ask(s, 8)).model).toMatch(/120 MB/);
    const everything = [...s.logs, ...s.notices, JSON.stringify(s.statuses), server.output()].join('\n');
    expect(everything).not.toContain(WRONG_KEY);
    expect(everything).not.toContain(KEY);
    // The right key: the same server is used.
    const ok = await probeRemote({ baseUrl: server.url, apiKey: KEY });
    expect(ok).toMatchObject({ host, models: ['remote-tiny'], contextSize: 2048, warning: null });
  });

  it('local first: memory short on the 120 MB model → Mai moves to the server instead of the much smaller local model', async () => {
    const server = await serve();
    const s = create();
    const host = `127.0.0.1:${server.port}`;
    const capabilities: CapabilityChange[] = [];
    s.manager.on('capability', (change) => capabilities.push(change));
    const first = await configure(s, 'local-first', server, { preferredPath: models.medium });
    expect(first?.path).toBe(models.medium);
    expect((await ask(s, 8)).model).toMatch(/120 MB/);
    await until(() => s.remote.statuses()[0]?.health === 'healthy', 'the first health check');
    s.manager.setOverlay({ otherMemBytes: 0.85 * BUDGET });
    await until(() => s.changes.at(-1)?.name === `remote-tiny on ${host}`, 'the move to the server');
    // The scaler stepped its local rung down; no smaller local model was loaded for it.
    expect(s.changes.map((c) => c.path)).not.toContain(models.small);
    expect(s.changes.map((c) => c.path)).not.toContain(models.tiny);
    expect(engine.model).toBeNull();
    // Told like a local switch, naming where the conversation goes now.
    const away = capabilities.at(-1)!;
    expect(away).toMatchObject({ direction: 'down', to: `remote-tiny on ${host}` });
    expect(away.what).toMatch(
      new RegExp(
        `^Mai now answers with remote-tiny on ${host} instead of .*120 MB.* on this machine: the conversation now leaves this machine for ${host}\\.$`,
      ),
    );
    expect(away.why).toMatch(/^memory on this machine is short for /);
    expect(away.bringBack).toMatch(/comes back by itself .*Then Mai answers on this machine again\.$/);
    expect((await ask(s, 8)).model).toBe(`remote-tiny on ${host}`);
    // Memory fine again: back on the 120 MB model once the scaler's upgrade rule allows it, said so.
    s.manager.setOverlay({ otherMemBytes: 0.3 * BUDGET });
    await until(() => s.changes.at(-1)?.path === models.medium, 'the move back to this machine', 60_000);
    expect(capabilities.at(-1)).toMatchObject({ direction: 'up', from: `remote-tiny on ${host}`, to: s.changes.at(-1)!.name, bringBack: '' });
    expect(capabilities.at(-1)!.what).toBe(`Mai is back on ${s.changes.at(-1)!.name} on this machine: the conversation no longer leaves it for ${host}.`);
  });

  it('local only: no request reaches the server, not even a health check (the same proxy counts them under local-first)', async () => {
    const server = await serve();
    const proxy = await countingProxy(server);
    try {
      const s = create();
      await configure(s, 'local-only', proxy);
      expect(s.remote.rungs).toEqual([]);
      expect((await ask(s, 8)).model).toMatch(/120 MB/);
      // Four background-check periods.
      await new Promise((resolve) => setTimeout(resolve, 2000));
      expect(proxy.count()).toBe(0);
      await configure(s, 'local-first', proxy);
      await until(() => proxy.count() > 0, 'a health check through the proxy', 10_000);
    } finally {
      // The checks stop with the manager; then the proxy's connections can close.
      await started?.manager.shutdown();
      await proxy.close();
    }
  });
});
