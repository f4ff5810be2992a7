/**
 * The remote rungs of the ladder: one runtime per configured server (registered in the engine's
 * RuntimeSet), one rung per chosen model, each server's health checked in the background, and the
 * placement rule (resource/policy/remote-placement.ts) applied to every load the manager makes.
 *
 * The scaler never sees a remote rung: it moves along the local rungs by local memory, as before.
 * While a remote rung is loaded the scaler's rung is the local fallback ("parked"): a failover
 * loads it, and a step down or up of the scaler moves the fallback (and, under local-first, may
 * bring Mai back to the machine). Nothing here runs, and nothing is sent, under `local-only`.
 */
import type { LogLevel } from '../../../shared/domain';
import type { z } from 'zod';
import { remoteConfigSchema, type RemoteEngine, type RemoteFigures, type RemotePolicy, type RemoteStatus } from '../../../shared/remote';
import type { Clock, TimerHandle } from '../resource/clock';
import { placeLoad, type Placement } from '../resource/policy/remote-placement';
import { RemoteRuntime } from '../remote/remote-runtime';
import type { ModelRuntime } from './model-runtime';
import { rungBytes, type Rung } from './rung';
import { modelAddress, type RuntimeSet } from './runtime-set';

/** Background health checks of each server, ms: never more often than once per 10 s while idle (MIN_HEALTH_INTERVAL_MS). */
export const DEFAULT_HEALTH_INTERVAL_MS = 15_000;
/** The floor of the background check's period in the app, ms. */
export const MIN_HEALTH_INTERVAL_MS = 10_000;
/** Background checks failed in a row before a server counts as unreachable (one slow probe on a busy machine is not an outage; a failed reply counts at once). */
export const FAILED_CHECKS_TO_LEAVE = 2;
/** A remote reply slower than this fraction of the local fallback's usual speed counts as slow. */
export const SLOW_FACTOR = 0.8;
/** Slow replies in a row that move Mai back to the machine (the hysteresis with SLOW_FACTOR). */
export const SLOW_REPLIES = 3;

/** What the ladder needs of a server's runtime (RemoteRuntime; a fake one in the unit tests). */
export interface RemoteRungRuntime extends ModelRuntime {
  /** `host:port`, as the user is told where the conversation goes. */
  readonly host: string;
  readonly baseUrl: string;
  /** The background health check (records the round trip for `models`); rejects with a sentence (the key never in it). */
  checkHealth(models: readonly string[]): Promise<unknown>;
  figures(model: string): RemoteFigures;
  nameOf(model: string): string;
}

/** How the ladder is built; `stabilizationMs` comes with each configure. */
export interface RemoteLadderOptions {
  runtimes: RuntimeSet;
  clock: Clock;
  log: (level: LogLevel, message: string) => void;
  /** Makes a server's runtime; default RemoteRuntime with `idleTimeoutMs`. */
  createRuntime?: (engine: RemoteEngine) => RemoteRungRuntime;
  /** See DEFAULT_IDLE_TIMEOUT_MS in remote-runtime.ts, ms. */
  idleTimeoutMs?: number;
  /** Period of the background health check, ms; default DEFAULT_HEALTH_INTERVAL_MS, at least MIN_HEALTH_INTERVAL_MS unless `fastHealthForTests`. */
  healthIntervalMs?: number;
  /** Lets a test check health faster than once per 10 s. */
  fastHealthForTests?: boolean;
}

interface Server {
  /** baseUrl and key: a change makes a new runtime. Kept in memory only. */
  identity: string;
  runtime: RemoteRungRuntime;
  models: string[];
  health: RemoteStatus['health'];
  checkedAt: number | null;
  lastError: string | null;
  /** From when the server may be used (after a failure: healthy for the stabilization period); null while unreachable. */
  readyAt: number | null;
  failedBefore: boolean;
  /** Held back (measured slower than the local model) until then, ms. */
  heldUntil: number;
  slowStreak: number;
  /** Background checks failed in a row. */
  failedChecks: number;
  /** A reply ended well at this time: the background check skips a server that just answered. */
  answeredAt: number;
}

/** The remote side of the ladder (see the file comment). */
export class RemoteLadder {
  private readonly servers = new Map<string, Server>();
  private rungList: Rung[] = [];
  private policyInForce: RemotePolicy = 'local-only';
  private stabilizationMs = 300_000;
  private timer: TimerHandle | null = null;
  /** Bumped by `stop`: a round of checks in flight then neither reports nor arms the next one. */
  private generation = 0;
  /** Wake-ups at the end of a stabilization period or a hold: the move back is due then. */
  private readonly wakeUps = new Set<TimerHandle>();
  private lastLocal: Rung | null = null;
  private anchor: Rung | null = null;
  /** The user's own choice: a remote rung's id, `local`, or null (the policy decides). */
  private preferred: string | null = null;
  private readonly listeners = new Set<() => void>();
  private readonly statusListeners = new Set<(statuses: RemoteStatus[]) => void>();
  /** A switch the remote side started (a failover or a move back); replies and the switcher wait for it. */
  swapping: Promise<void> | null = null;
  /** Set during a failover's load: it retries on the local rung (docs/remote.md), even when another server is usable. */
  localOnly = false;

  constructor(private readonly options: RemoteLadderOptions) {}

  get policy(): RemotePolicy {
    return this.policyInForce;
  }

  /** The remote rungs in force, in the order the user listed servers and models. */
  get rungs(): readonly Rung[] {
    return this.rungList;
  }

  /** Hears every change of a server's health or hold (the manager may move). Returns the unsubscribe. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Hears the servers' statuses after each check and reply. */
  onStatus(listener: (statuses: RemoteStatus[]) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  /**
   * Applies the remote part of a configure (undefined keeps the one in force: `manager:select`
   * sends none). Under `local-only` nothing is registered, probed or sent.
   */
  async configure(input: z.input<typeof remoteConfigSchema> | undefined, stabilizationSeconds: number): Promise<void> {
    this.stabilizationMs = stabilizationSeconds * 1000;
    if (!input) return;
    const config = remoteConfigSchema.parse(input);
    this.policyInForce = config.policy;
    const wanted = config.policy === 'local-only' ? [] : config.engines;
    const kept = new Set<string>();
    for (const engine of wanted) {
      const identity = `${engine.baseUrl}\n${engine.apiKey ?? ''}`;
      const runtime = await this.runtimeFor(engine, identity);
      kept.add(runtime.id);
      const server = this.servers.get(runtime.id)!;
      server.models = [...new Set(engine.models)];
    }
    for (const id of [...this.servers.keys()]) {
      if (kept.has(id)) continue;
      // A server no longer in the settings: its model goes (the configure loads again), and its runtime with it.
      if (this.options.runtimes.model?.path.startsWith(`${id}#`)) await this.options.runtimes.unload();
      this.servers.delete(id);
      this.options.runtimes.remove(id);
    }
    this.rungList = [...this.servers.values()].flatMap((server) => server.models.map((model) => this.rungOf(server, model)));
    if (this.anchor && this.rungList.length === 0) this.anchor = null;
    if (this.preferred && this.preferred !== 'local' && !this.rungList.some((rung) => rung.id === this.preferred)) this.preferred = null;
    this.restartChecks();
    this.publish();
  }

  /** The runtime for `engine`: the one registered when address and key are unchanged, else a new one. */
  private async runtimeFor(engine: RemoteEngine, identity: string): Promise<RemoteRungRuntime> {
    const create = this.options.createRuntime ?? ((e: RemoteEngine) => this.defaultRuntime(e));
    const runtime = create(engine);
    const old = this.servers.get(runtime.id);
    if (old?.identity === identity) return old.runtime;
    // A new key (or address) for the server in use: its model goes first, the configure loads again.
    if (this.options.runtimes.model?.path.startsWith(`${runtime.id}#`)) await this.options.runtimes.unload();
    this.options.runtimes.add(runtime);
    this.servers.set(runtime.id, {
      identity,
      runtime,
      models: [],
      health: 'unknown',
      checkedAt: null,
      lastError: null,
      readyAt: null,
      failedBefore: false,
      heldUntil: -Infinity,
      slowStreak: 0,
      failedChecks: 0,
      answeredAt: -Infinity,
    });
    return runtime;
  }

  private defaultRuntime(engine: RemoteEngine): RemoteRungRuntime {
    return new RemoteRuntime({
      engine,
      log: this.options.log,
      ...(this.options.idleTimeoutMs !== undefined ? { idleTimeoutMs: this.options.idleTimeoutMs } : {}),
    });
  }

  private rungOf(server: Server, model: string): Rung {
    const address = modelAddress(server.runtime.id, model);
    return {
      id: address,
      runtimeId: server.runtime.id,
      model: { path: address, name: server.runtime.nameOf(model), synthetic: false },
      cost: {},
      // Nothing of it is on this machine.
      footprint: { memBytes: 0, vramBytes: 0, estimatedMemBytes: 0, estimatedVramBytes: 0, correction: 1, measurements: 0, key: address },
    };
  }

  /** Whether `path` is one of the remote rungs (or any address on a registered server). */
  isRemote(path: string | null | undefined): boolean {
    if (!path) return false;
    return [...this.servers.keys()].some((id) => path.startsWith(`${id}#`));
  }

  /** The remote rung loaded now, or null (a local model, or none). */
  activeRung(loadedPath: string | null | undefined): Rung | null {
    return this.rungList.find((rung) => rung.model.path === loadedPath) ?? null;
  }

  /** The server of a remote rung. */
  private serverOf(rung: Rung): Server | undefined {
    return this.servers.get(rung.runtimeId);
  }

  /** `host:port` of a remote rung's server. */
  hostOf(rung: Rung): string {
    return this.serverOf(rung)?.runtime.host ?? rung.runtimeId;
  }

  /** The measured figures of a remote rung. */
  figuresOf(rung: Rung): RemoteFigures | null {
    const server = this.serverOf(rung);
    return server ? server.runtime.figures(rung.model.path.slice(rung.runtimeId.length + 1)) : null;
  }

  /** The user chose a remote rung (its address) or a model on this machine (`local`); null lets the policy decide again. */
  prefer(choice: string | 'local' | null): void {
    this.preferred = choice;
  }

  /** The user's choice in force (see `prefer`). */
  get preference(): string | 'local' | null {
    return this.preferred;
  }

  /** The first remote rung (in the user's order) whose server may be used now. */
  private usableRemote(allowUnknown: boolean): Rung | null {
    const now = this.options.clock.now();
    const usable = (rung: Rung) => {
      const server = this.serverOf(rung);
      if (!server || now < server.heldUntil) return false;
      if (server.health === 'unknown') return allowUnknown;
      return server.health === 'healthy' && server.readyAt !== null && now >= server.readyAt;
    };
    if (this.preferred && this.preferred !== 'local') {
      const chosen = this.rungList.find((rung) => rung.id === this.preferred);
      if (chosen && usable(chosen)) return chosen;
    }
    return this.rungList.find(usable) ?? null;
  }

  /** Where a load of the local rung `target` goes (see remote-placement.ts); does not change anything. */
  place(target: Rung): { rung: Rung | null; placement: Placement } {
    const preferred = this.preferred === null ? null : this.preferred === 'local' ? 'local' : 'remote';
    const allowUnknown = this.policyInForce === 'remote-first' || preferred === 'remote';
    const remote = this.rungList.length > 0 ? this.usableRemote(allowUnknown) : null;
    const placed = (rung: Rung | null) => (rung ? { id: rung.id, bytes: rungBytes(rung), model: rung.model.path } : null);
    const placement = placeLoad({
      policy: this.rungList.length > 0 ? this.policyInForce : 'local-only',
      target: placed(target)!,
      lastLocal: placed(this.lastLocal),
      anchor: placed(this.anchor),
      usableRemote: remote?.id ?? null,
      preferred,
    });
    // A failover keeps what the policy would keep (the anchor), but loads the local rung: the next reply may use another server.
    if (this.localOnly && placement.remoteId)
      return { rung: null, placement: { ...placement, remoteId: null, why: 'a failed reply is retried on this machine' } };
    return { rung: placement.remoteId ? (this.rungList.find((rung) => rung.id === placement.remoteId) ?? null) : null, placement };
  }

  /** A load placed by `place` succeeded: `loaded` is the rung now in memory, `target` the local rung asked for. */
  loaded(target: Rung, loaded: Rung, placement: Placement): void {
    this.anchor = placement.anchor ? (this.anchor?.id === placement.anchor.id ? this.anchor : this.lastLocal) : null;
    if (loaded === target) this.lastLocal = target;
    const server = this.serverOf(loaded);
    if (server && server.health !== 'healthy') this.markHealthy(server);
  }

  /** A remote rung failed (to load, or during a reply): its server is unusable until it is healthy for the stabilization period. */
  failed(rung: Rung, error: Error): void {
    const server = this.serverOf(rung);
    if (server) this.markFailed(server, error.message);
  }

  /**
   * A reply on a remote rung ended well at `tokensPerSecond`; `localTokensPerSecond` is the local
   * fallback's usual speed (undefined when never measured). SLOW_REPLIES in a row under
   * SLOW_FACTOR of it hold the server back for the stabilization period.
   */
  answered(rung: Rung, tokensPerSecond: number, localTokensPerSecond: number | undefined): void {
    const server = this.serverOf(rung);
    if (!server) return;
    server.answeredAt = this.options.clock.now();
    if (server.health !== 'healthy') this.markHealthy(server);
    if (localTokensPerSecond === undefined || tokensPerSecond <= 0) return this.publish();
    server.slowStreak = tokensPerSecond < SLOW_FACTOR * localTokensPerSecond ? server.slowStreak + 1 : 0;
    if (server.slowStreak >= SLOW_REPLIES) {
      server.slowStreak = 0;
      server.heldUntil = this.options.clock.now() + this.stabilizationMs;
      server.lastError = `${SLOW_REPLIES} replies in a row at ${tokensPerSecond.toFixed(1)} tokens/s, under ${Math.round(SLOW_FACTOR * 100)} % of the local model's ${localTokensPerSecond.toFixed(1)}`;
      this.options.log('info', `${server.runtime.host} held back for ${Math.round(this.stabilizationMs / 1000)} s: ${server.lastError}`);
      this.changed();
      this.wakeUpIn(this.stabilizationMs);
    }
    this.publish();
  }

  /** Why the server of `rung` is not used now, for a notice ("stopped answering", "slower"). */
  whyNot(rung: Rung): string | null {
    return this.serverOf(rung)?.lastError ?? null;
  }

  /** Every server's status for the panel and Settings. */
  statuses(): RemoteStatus[] {
    return [...this.servers.values()].map((server) => ({
      host: server.runtime.host,
      baseUrl: server.runtime.baseUrl,
      health: server.health,
      checkedAt: server.checkedAt,
      lastError: server.lastError,
      models: Object.fromEntries(server.models.map((model) => [model, server.runtime.figures(model)])),
    }));
  }

  /** Stops the background checks (shutdown). */
  stop(): void {
    this.generation++;
    if (this.timer) this.options.clock.clearTimeout(this.timer);
    this.timer = null;
    for (const handle of this.wakeUps) this.options.clock.clearTimeout(handle);
    this.wakeUps.clear();
  }

  /** Tells the listeners again in `ms` (a period that ends by itself). */
  private wakeUpIn(ms: number): void {
    const handle = this.options.clock.setTimeout(() => {
      this.wakeUps.delete(handle);
      this.changed();
    }, ms);
    this.wakeUps.add(handle);
  }

  // --- health ---------------------------------------------------------------------------------------

  private get intervalMs(): number {
    const asked = this.options.healthIntervalMs ?? DEFAULT_HEALTH_INTERVAL_MS;
    return this.options.fastHealthForTests ? asked : Math.max(MIN_HEALTH_INTERVAL_MS, asked);
  }

  private restartChecks(): void {
    this.stop();
    if (this.servers.size === 0) return;
    // The first check at once: under local-first, a server must be known healthy before Mai moves to it.
    this.timer = this.options.clock.setTimeout(() => void this.checkAll(), 0);
  }

  private async checkAll(): Promise<void> {
    this.timer = null;
    const generation = this.generation;
    const now = this.options.clock.now();
    await Promise.all(
      [...this.servers.values()].map(async (server) => {
        // A reply that just ended well says as much as a probe: no request for it.
        if (server.health === 'healthy' && now - server.answeredAt < this.intervalMs) return;
        try {
          await server.runtime.checkHealth(server.models);
          if (this.servers.get(server.runtime.id) !== server) return;
          server.checkedAt = this.options.clock.now();
          server.failedChecks = 0;
          if (server.health !== 'healthy') this.markHealthy(server);
        } catch (error) {
          if (this.servers.get(server.runtime.id) !== server) return;
          server.checkedAt = this.options.clock.now();
          server.failedChecks++;
          // Never checked before (nothing to compare with), or failed again: unreachable.
          const confirmed = server.health === 'unknown' || server.failedChecks >= FAILED_CHECKS_TO_LEAVE;
          if (server.health !== 'unreachable' && confirmed) this.markFailed(server, (error as Error).message);
          else server.lastError = (error as Error).message;
        }
      }),
    );
    // Stopped meanwhile (shutdown, or a configure that starts its own round): no report, no next round.
    if (generation !== this.generation) return;
    this.publish();
    // The placement is asked again at every check: a move due (a period ended) is never missed for long.
    this.changed();
    if (this.servers.size > 0 && !this.timer) this.timer = this.options.clock.setTimeout(() => void this.checkAll(), this.intervalMs);
  }

  private markHealthy(server: Server): void {
    const now = this.options.clock.now();
    server.health = 'healthy';
    server.lastError = null;
    server.readyAt = server.failedBefore ? now + this.stabilizationMs : now;
    if (server.failedBefore)
      this.options.log('info', `${server.runtime.host} answers again; Mai uses it after ${Math.round(this.stabilizationMs / 1000)} s of health`);
    this.changed();
    // The move back is due at readyAt: a check then, whatever the period.
    if (server.failedBefore) this.wakeUpIn(server.readyAt - now);
  }

  private markFailed(server: Server, sentence: string): void {
    server.health = 'unreachable';
    server.readyAt = null;
    server.failedBefore = true;
    server.lastError = sentence;
    server.checkedAt = this.options.clock.now();
    this.options.log('warn', `${server.runtime.host} is not used until it answers again: ${sentence}`);
    this.changed();
    this.publish();
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }

  private publish(): void {
    if (this.statusListeners.size === 0) return;
    const statuses = this.statuses();
    for (const listener of this.statusListeners) listener(statuses);
  }
}
