/**
 * The remote-rung harness of the unit tests: the real ModelManager, scaler, switcher and
 * RemoteLadder over a RuntimeSet of fake runtimes on a virtual clock (fake-runtime.ts says why
 * fakes here). A "server" follows RemoteRuntime's contract (a probe that rejects with a RemoteError
 * sentence, a stream that ends in a RemoteError when the server goes away). The same rules against
 * a real llama-server: tests/integration/remote-failover.test.ts.
 */
import { expect } from 'vitest';
import type { LoadedModel } from '../../../shared/domain';
import type { RemoteFigures, RemotePolicy } from '../../../shared/remote';
import { VirtualClock } from '../../../electron/engine/resource/clock';
import { RemoteLadder, type RemoteRungRuntime } from '../../../electron/engine/models/ladder-remote';
import type { CapabilityChange } from '../../../electron/engine/models/capability';
import { ModelManager, type ManagerSettings } from '../../../electron/engine/models/model-manager';
import type { GenerateRequest, GenerateResult, RuntimeLoadRequest } from '../../../electron/engine/models/model-runtime';
import { RuntimeSet } from '../../../electron/engine/models/runtime-set';
import { RemoteError } from '../../../electron/engine/remote/remote-error';
import { FakeRuntime, GiB, fakeMachine, type FakeModel, type FakeTiming } from './fake-runtime';

export const SMALL: FakeModel = { path: 'small.gguf', memBytes: 1 * GiB, loadMs: 1000 };
export const MEDIUM: FakeModel = { path: 'medium.gguf', memBytes: 2 * GiB, loadMs: 2000 };
export const LARGE: FakeModel = { path: 'large.gguf', memBytes: 4 * GiB, loadMs: 4000 };
export const BIG: FakeModel = { path: 'big-70b', memBytes: 0, loadMs: 50 };
export const HOST = 'box:8080';
export const HOST2 = 'box2:8080';
export const ADDRESS = `remote:${HOST}#big-70b`;
export const ADDRESS2 = `remote:${HOST2}#big-70b`;

export const SCALER: ManagerSettings['scaler'] = {
  degradeThreshold: 0.8,
  criticalThreshold: 0.95,
  upgradeThreshold: 0.6,
  levelHoldSeconds: 2,
  levelWindowSeconds: 2,
  settleSeconds: 5,
  stabilizationSeconds: 60,
};

/** A server: answers while `down` is false; counts every request that would have reached it. */
export class FakeServer extends FakeRuntime implements RemoteRungRuntime {
  override readonly id: string;
  readonly baseUrl: string;
  down = false;
  /** Health checks, with their time. */
  readonly checks: { t: number; ok: boolean }[] = [];
  requests = 0;
  /** The server dies after this many tokens of the next reply. */
  dieAfterTokens: number | null = null;
  /** A health check in flight waits for this, when set (resolved by the test). */
  holdChecks: Promise<void> | null = null;

  constructor(
    private readonly vclock: VirtualClock,
    timing?: FakeTiming,
    readonly host = HOST,
  ) {
    super(vclock, [BIG], timing);
    this.id = `remote:${host}`;
    this.baseUrl = `http://${host}`;
  }

  private refuse(): RemoteError {
    return new RemoteError('unreachable', `The server at ${this.host} could not be reached (ECONNREFUSED).`);
  }

  async checkHealth(): Promise<void> {
    this.requests++;
    this.checks.push({ t: this.vclock.now(), ok: !this.down });
    if (this.holdChecks) await this.holdChecks;
    if (this.down) throw this.refuse();
  }

  figures(): RemoteFigures {
    return { replies: 0, failures: 0, ttftMs: null, tokensPerSecond: null, rttMs: null, lastError: null };
  }

  nameOf(model: string): string {
    return `${model} on ${this.host}`;
  }

  override async load(request: RuntimeLoadRequest): Promise<LoadedModel> {
    this.requests++;
    if (this.down) throw this.refuse();
    return super.load(request);
  }

  override async generate(request: GenerateRequest, onText: (text: string) => void): Promise<GenerateResult> {
    this.requests++;
    if (this.down) throw this.refuse();
    let tokens = 0;
    const result = await super.generate(request, (text) => {
      onText(text);
      if (++tokens === this.dieAfterTokens) {
        this.dieAfterTokens = null;
        this.down = true;
        this.stop(request.requestId);
      }
    });
    if (this.down) throw new RemoteError('incomplete', `The connection to ${this.host} broke during the reply (terminated).`);
    return result;
  }
}

export interface Harness {
  clock: VirtualClock;
  local: FakeRuntime;
  server: FakeServer;
  /** A second server (used only when a configure lists it). */
  server2: FakeServer;
  runtimes: RuntimeSet;
  remote: RemoteLadder;
  manager: ModelManager;
  other: { bytes: number };
  notices: string[];
  changes: CapabilityChange[];
}

let current: Harness | null = null;

/** For afterEach: shuts the harness's manager down and checks it left no timer behind. */
export async function closeHarness(): Promise<void> {
  if (current && current.manager.phase !== 'closed') {
    const closing = current.manager.shutdown();
    await current.clock.advanceAsync(60_000);
    await closing;
    expect(current.clock.pendingTimers()).toBe(0);
  }
  current = null;
}

/** A machine of 16 GiB whose other programs use 4 GiB, the three local models, and the servers. */
export function harness(serverTiming?: FakeTiming, localModels: FakeModel[] = [SMALL, MEDIUM, LARGE]): Harness {
  const clock = new VirtualClock(0);
  const local = new FakeRuntime(clock, localModels);
  const server = new FakeServer(clock, serverTiming);
  const server2 = new FakeServer(clock, serverTiming, HOST2);
  const runtimes = new RuntimeSet(local);
  const remote = new RemoteLadder({
    runtimes,
    clock,
    log: () => {},
    createRuntime: (engine) => (engine.baseUrl.includes(HOST2) ? server2 : server),
  });
  const other = { bytes: 4 * GiB };
  const manager = new ModelManager({ runtime: runtimes, source: fakeMachine(local, other), clock, dataDir: null, log: () => {}, remote });
  const notices: string[] = [];
  manager.on('notice', (notice) => notices.push(notice.message));
  const changes: CapabilityChange[] = [];
  manager.on('capability', (change) => changes.push(change));
  current = { clock, local, server, server2, runtimes, remote, manager, other, notices, changes };
  return current;
}

/** Advances the virtual clock until `work` settles. */
export async function run<T>(h: Harness, work: Promise<T>, stepMs = 100, limitMs = 600_000): Promise<T> {
  let settled = false;
  const done = work.finally(() => {
    settled = true;
  });
  // Handled by the caller once returned; not an unhandled rejection while the clock advances.
  done.catch(() => {});
  for (let elapsed = 0; !settled && elapsed < limitMs; elapsed += stepMs) await h.clock.advanceAsync(stepMs);
  return done;
}

/** Advances the virtual clock until `predicate` holds. */
export async function until(h: Harness, predicate: () => boolean, limitMs = 300_000, stepMs = 100): Promise<void> {
  for (let elapsed = 0; !predicate(); elapsed += stepMs) {
    if (elapsed >= limitMs) throw new Error(`condition not met within ${limitMs} ms of virtual time (phase ${h.manager.phase})`);
    await h.clock.advanceAsync(stepMs);
  }
}

/** The configure request main sends: the three local files and the servers `hosts` under `policy`. */
export function request(policy: RemotePolicy, preferred: string | null = null, hosts: string[] = [HOST]) {
  return {
    models: [SMALL, MEDIUM, LARGE].map((m) => ({ path: m.path, sizeBytes: m.memBytes, synthetic: true })),
    preferredPath: preferred,
    settings: { scaler: SCALER },
    remote: { policy, engines: hosts.map((host) => ({ baseUrl: `http://${host}`, models: [BIG.path] })) },
  };
}

export function configure(h: Harness, policy: RemotePolicy, preferred: string | null = null, hosts: string[] = [HOST]) {
  return run(h, h.manager.configure(request(policy, preferred, hosts)));
}

let nextId = 0;
export const ask = (h: Harness, maxTokens = 20) =>
  run(
    h,
    h.manager.generateResponse({ requestId: `r${++nextId}`, history: [{ role: 'user', text: 'Tell me a story.' }], maxTokens }, () => {}),
  );
/** Idle, and no move of the remote side under way. */
export const loaded = (h: Harness) => h.manager.phase === 'idle' && h.remote.swapping === null;
/** A fresh request id. */
export const requestId = () => `r${++nextId}`;
