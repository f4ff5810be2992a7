/**
 * Supervises the engine process (VS Code's utility-process supervisor): tells exit, crash and hang
 * apart, restarts at once while fewer than `maxCrashes` happened in `crashWindowMs`, then gives up
 * and waits for the user. Calls made while the engine restarts wait for it to be ready again.
 */
import type { EngineStatus, LogLevel } from '../../../shared/domain';
import { Emitter } from '../../../shared/emitter';
import { engineContract, type EmptyContract, type EngineContract } from '../../../shared/engine-protocol';
import { MaiError } from '../../../shared/errors';
import { RpcPeer, type CallOptions, type EventName, type MethodName, type ParamsOf, type PayloadOf, type ResultOf } from '../../../shared/rpc';
import type { EngineExit, EngineLauncher, EngineProcess } from './engine-launcher';

export interface EngineHostOptions {
  /** Milliseconds between liveness pings. Default 500. */
  heartbeatIntervalMs: number;
  /**
   * Milliseconds without any message from the engine, while a reply is being generated, after
   * which it is treated as hung. Default 3000.
   */
  hangTimeoutMs: number;
  /**
   * The same limit while no reply is being generated, ms. Default 10 000: loading a model or
   * resolving its chat template runs synchronous JavaScript in the engine that answers no ping for
   * 0.3–3 s on a busy machine (docs/benchmarks.md, "Product issues found" #2); a hang found there
   * would also blame the model being loaded.
   */
  idleHangTimeoutMs: number;
  /** Crashes (or hangs) within `crashWindowMs` after which restarting stops. Default 3. */
  maxCrashes: number;
  /** Default 5 minutes. */
  crashWindowMs: number;
  /**
   * Delay before the n-th restart within the window, ms; the last value repeats. Default [0]: every
   * restart is immediate until the crash budget is spent (then Mai stops and asks the user).
   */
  backoffMs: readonly number[];
  /** Milliseconds a new engine has to answer its first ping. Default 20 000. */
  startTimeoutMs: number;
}

export const defaultEngineHostOptions: EngineHostOptions = {
  heartbeatIntervalMs: 500,
  hangTimeoutMs: 3000,
  idleHangTimeoutMs: 10_000,
  maxCrashes: 3,
  crashWindowMs: 5 * 60_000,
  backoffMs: [0],
  startTimeoutMs: 20_000,
};

export type EngineDownKind = 'exit' | 'crash' | 'hang';

export interface EngineHostEvents extends Record<string, unknown> {
  status: EngineStatus;
  log: { level: LogLevel; message: string };
  token: { requestId: string; text: string };
  /** The engine went away; `willRestart` is false when Mai gave up or was stopping. */
  down: { kind: EngineDownKind; detail: string; willRestart: boolean };
  /** A new engine process answers (after the first start or a restart). */
  ready: { pid: number | undefined; restart: boolean };
}

interface Running {
  process: EngineProcess;
  peer: RpcPeer<EmptyContract, EngineContract>;
  lastAliveAt: number;
  heartbeat: ReturnType<typeof setInterval> | null;
  /** Fires when the engine has been silent for the hang limit in force. */
  watchdog: ReturnType<typeof setTimeout> | null;
  /** The limit that applied when it was declared hung, ms (for the sentence). */
  hangLimitMs: number;
  /** Set when we kill it on purpose, so the exit is classified by our reason. */
  killedFor: EngineDownKind | 'stop' | null;
}

export class EngineHost extends Emitter<EngineHostEvents> {
  private readonly options: EngineHostOptions;
  private running: Running | null = null;
  private crashTimes: number[] = [];
  private restarts = 0;
  private state: EngineStatus = { state: 'stopped', restarts: 0 };
  private readyWaiters: Array<{ resolve: () => void; reject: (error: Error) => void }> = [];
  private restartTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly engineListeners = new Map<string, Set<(payload: unknown) => void>>();
  /**
   * `chat:generate` calls waiting for their answer: while there is one the engine is busy with a
   * reply and the short hang limit applies. (The ping's own `busy` is also true while a model
   * loads, when a long silence is normal; main knows best what it is waiting for.)
   */
  private repliesInFlight = 0;

  constructor(
    private readonly launcher: EngineLauncher,
    options: Partial<EngineHostOptions> = {},
    private readonly now: () => number = Date.now,
  ) {
    super();
    this.options = { ...defaultEngineHostOptions, ...options };
  }

  get status(): EngineStatus {
    return this.state;
  }

  get pid(): number | undefined {
    return this.running?.process.pid;
  }

  /** Starts the engine; resolves when it answers. */
  start(): Promise<void> {
    if (!this.running && this.state.state !== 'starting') this.launch(false);
    return this.whenReady();
  }

  /** After Mai gave up (too many crashes), the user asks to try again. */
  restart(): Promise<void> {
    this.crashTimes = [];
    if (this.running) this.kill('SIGKILL');
    else if (this.restartTimer === null) this.launch(true);
    return this.whenReady();
  }

  /** Resolves once the engine is ready; rejects if it is stopped or failed. */
  whenReady(): Promise<void> {
    if (this.state.state === 'ready') return Promise.resolve();
    if (this.state.state === 'stopped' || this.state.state === 'failed') {
      return Promise.reject(new MaiError('engine-unavailable', this.state.detail ?? 'The engine is not running.'));
    }
    return new Promise((resolve, reject) => this.readyWaiters.push({ resolve, reject }));
  }

  /** Calls the engine, waiting first for it to be ready. */
  async call<M extends MethodName<EngineContract>>(
    method: M,
    params: ParamsOf<EngineContract, M>,
    options: CallOptions = {},
  ): Promise<ResultOf<EngineContract, M>> {
    await this.whenReady();
    const running = this.running;
    if (!running) throw new MaiError('engine-unavailable', 'The engine is not running.');
    if (method !== 'chat:generate') return running.peer.call(method, params, options);
    this.repliesInFlight += 1;
    // The engine is now expected to stream: the short limit counts from here.
    running.lastAliveAt = Math.max(running.lastAliveAt, this.now());
    this.armWatchdog(running);
    try {
      return await running.peer.call(method, params, options);
    } finally {
      this.repliesInFlight -= 1;
    }
  }

  /** The hang limit in force now, ms: short while a reply is generated, long otherwise. */
  get hangLimitMs(): number {
    return this.repliesInFlight > 0 ? this.options.hangTimeoutMs : this.options.idleHangTimeoutMs;
  }

  /** Subscribes to an engine event; the subscription survives engine restarts. */
  onEngine<E extends EventName<EngineContract>>(event: E, listener: (payload: PayloadOf<EngineContract, E>) => void): () => void {
    let set = this.engineListeners.get(event);
    if (!set) this.engineListeners.set(event, (set = new Set()));
    const wrapped = listener as (payload: unknown) => void;
    set.add(wrapped);
    return () => set.delete(wrapped);
  }

  /** Sends a signal to the engine process (tests and the user's "restart engine"). */
  kill(signal: NodeJS.Signals): void {
    this.running?.process.kill(signal);
  }

  /** Stops the engine for good: SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 2000): Promise<void> {
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    const running = this.running;
    this.setState({ state: 'stopped', detail: 'The engine was stopped.' });
    if (!running) return;
    running.killedFor = 'stop';
    const exited = new Promise<void>((resolve) => running.process.onExit(() => resolve()));
    running.process.kill('SIGTERM');
    const timer = setTimeout(() => running.process.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }

  private launch(isRestart: boolean): void {
    this.restartTimer = null;
    this.setState({ state: isRestart ? 'restarting' : 'starting' });
    let process: EngineProcess;
    try {
      process = this.launcher.launch();
    } catch (error) {
      this.fail(`The engine could not be started: ${(error as Error).message}`);
      return;
    }
    const peer = new RpcPeer<EmptyContract, EngineContract>(process.port, null, engineContract, {}, (problem) =>
      this.emit('log', { level: 'warn', message: `engine protocol: ${problem}` }),
    );
    const running: Running = { process, peer, lastAliveAt: this.now(), heartbeat: null, watchdog: null, hangLimitMs: 0, killedFor: null };
    this.running = running;
    process.port.onMessage(() => {
      running.lastAliveAt = this.now();
    });
    peer.on('engine:log', (entry) => this.emit('log', entry));
    peer.on('chat:token', (token) => this.emit('token', token));
    for (const name of Object.keys(engineContract.events) as Array<EventName<EngineContract>>) {
      peer.on(name, (payload) => {
        for (const listener of this.engineListeners.get(name) ?? []) listener(payload);
      });
    }
    process.onExit((exit) => this.onExit(running, exit));

    peer
      .call('engine:ping', {}, { timeoutMs: this.options.startTimeoutMs })
      .then(() => {
        if (this.running !== running) return;
        running.lastAliveAt = this.now();
        running.heartbeat = setInterval(() => this.beat(running), this.options.heartbeatIntervalMs);
        running.heartbeat.unref?.();
        this.armWatchdog(running);
        if (isRestart) this.restarts += 1;
        this.setState({ state: 'ready', pid: process.pid });
        for (const waiter of this.readyWaiters.splice(0)) waiter.resolve();
        this.emit('ready', { pid: process.pid, restart: isRestart });
      })
      .catch(() => {
        if (this.running !== running || running.killedFor) return;
        // It never answered: treat it like a hang.
        running.killedFor = 'hang';
        running.hangLimitMs = this.options.startTimeoutMs;
        process.kill('SIGKILL');
      });
  }

  private beat(running: Running): void {
    if (this.running !== running || running.killedFor) return;
    running.peer.call('engine:ping', {}, { timeoutMs: this.options.idleHangTimeoutMs * 2 }).catch(() => {});
  }

  /**
   * Checks for silence exactly when the limit in force would run out (not on the next heartbeat),
   * so a hang is found within the limit; re-arms itself for as long as the engine keeps talking.
   */
  private armWatchdog(running: Running): void {
    if (running.heartbeat === null || running.killedFor) return;
    if (running.watchdog) clearTimeout(running.watchdog);
    const check = () => {
      running.watchdog = null;
      if (this.running !== running || running.killedFor) return;
      const limit = this.hangLimitMs;
      const silentMs = this.now() - running.lastAliveAt;
      if (silentMs >= limit) {
        running.killedFor = 'hang';
        running.hangLimitMs = limit;
        // SIGKILL also ends a SIGSTOPped process.
        running.process.kill('SIGKILL');
        return;
      }
      running.watchdog = setTimeout(check, Math.max(1, limit - silentMs));
      running.watchdog.unref?.();
    };
    running.watchdog = setTimeout(check, Math.max(1, this.hangLimitMs - (this.now() - running.lastAliveAt)));
    running.watchdog.unref?.();
  }

  private onExit(running: Running, exit: EngineExit): void {
    if (running.heartbeat) clearInterval(running.heartbeat);
    if (running.watchdog) clearTimeout(running.watchdog);
    if (this.running === running) this.running = null;
    const how = exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code}`;
    const reason = running.killedFor;
    if (reason === 'stop') {
      running.peer.close(new MaiError('engine-unavailable', 'The engine was stopped.'));
      return;
    }
    const kind: EngineDownKind = reason === 'hang' ? 'hang' : exit.code === 0 && !exit.signal ? 'exit' : 'crash';
    const detail =
      kind === 'hang'
        ? `The engine stopped answering for more than ${(running.hangLimitMs / 1000).toFixed(1)} s${running.hangLimitMs === this.options.hangTimeoutMs ? ' in the middle of a reply' : ''} and was replaced.`
        : kind === 'crash'
          ? `The engine crashed (${how}).`
          : 'The engine exited unexpectedly.';
    running.peer.close(new MaiError('engine-crashed', detail));

    const now = this.now();
    this.crashTimes = [...this.crashTimes.filter((t) => now - t < this.options.crashWindowMs), now];
    const willRestart = this.crashTimes.length < this.options.maxCrashes;
    this.state = { ...this.state, lastExit: { kind, detail, at: now } };
    this.emit('down', { kind, detail, willRestart });
    if (!willRestart) {
      const minutes = Math.round(this.options.crashWindowMs / 60_000);
      this.fail(`The engine went down ${this.crashTimes.length} times in ${minutes} minutes, so Mai stopped restarting it. Last: ${detail}`);
      return;
    }
    const delay = this.options.backoffMs[Math.min(this.crashTimes.length - 1, this.options.backoffMs.length - 1)] ?? 0;
    this.setState({ state: 'restarting', detail });
    if (delay <= 0) this.launch(true);
    else this.restartTimer = setTimeout(() => this.launch(true), delay);
  }

  private fail(detail: string): void {
    this.setState({ state: 'failed', detail });
    const error = new MaiError('engine-unavailable', detail);
    for (const waiter of this.readyWaiters.splice(0)) waiter.reject(error);
  }

  private setState(next: Pick<EngineStatus, 'state'> & Partial<EngineStatus>): void {
    this.state = {
      state: next.state,
      restarts: this.restarts,
      ...(next.pid !== undefined ? { pid: next.pid } : {}),
      ...(this.state.lastExit ? { lastExit: this.state.lastExit } : {}),
      ...(next.detail !== undefined ? { detail: next.detail } : {}),
    };
    this.emit('status', this.state);
  }
}
