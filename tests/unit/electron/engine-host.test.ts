/**
 * EngineHost's restart policy with its injectable clock: restarts are immediate while fewer than
 * 3 crashes happened in 5 minutes, the third in the window stops restarting, and crashes older than
 * the window no longer count. The engine here is an in-process stand-in that answers pings over
 * the real RpcPeer: what is tested is the supervisor's arithmetic over minutes of clock time, which
 * a real process cannot be made to live through quickly (tests/integration/supervisor.test.ts runs
 * the same policy against real engine processes).
 */
import { describe, expect, it } from 'vitest';
import type { EngineExit, EngineLauncher, EngineProcess } from '../../../electron/main/core/engine-launcher';
import { EngineHost, type EngineHostEvents } from '../../../electron/main/core/engine-host';
import { engineContract, type EmptyContract, type EngineContract } from '../../../shared/engine-protocol';
import { RpcPeer, type MessagePortLike } from '../../../shared/rpc';

/** Two connected ports; messages arrive asynchronously, as over IPC. */
function portPair(): [MessagePortLike, MessagePortLike] {
  const handlers: [Set<(m: unknown) => void>, Set<(m: unknown) => void>] = [new Set(), new Set()];
  const port = (mine: 0 | 1): MessagePortLike => ({
    send: (message) => setImmediate(() => handlers[mine === 0 ? 1 : 0].forEach((h) => h(structuredClone(message)))),
    onMessage(handler) {
      handlers[mine].add(handler);
      return () => handlers[mine].delete(handler);
    },
  });
  return [port(0), port(1)];
}

class StandInLauncher implements EngineLauncher {
  launched = 0;
  private exits: Array<(exit: EngineExit) => void> = [];
  launch(): EngineProcess {
    this.launched += 1;
    const [mainSide, engineSide] = portPair();
    const pid = 1000 + this.launched;
    new RpcPeer<EngineContract, EmptyContract>(engineSide, engineContract, null, {
      'engine:ping': () => ({ busy: false, rssBytes: 1, uptimeMs: 1 }),
    });
    const listeners: Array<(exit: EngineExit) => void> = [];
    this.exits = listeners;
    return {
      pid,
      port: mainSide,
      kill: (signal) => setImmediate(() => listeners.forEach((l) => l({ code: null, signal: signal ?? 'SIGTERM' }))),
      onExit: (listener) => void listeners.push(listener),
    };
  }
  /** The current engine dies by itself (a native crash). */
  crash(): void {
    const listeners = this.exits;
    setImmediate(() => listeners.forEach((l) => l({ code: null, signal: 'SIGSEGV' })));
  }
}

function setUp() {
  let clock = 0;
  const launcher = new StandInLauncher();
  // Hang limits far beyond the test: only crashes are under test here.
  const host = new EngineHost(launcher, { hangTimeoutMs: 1e9, idleHangTimeoutMs: 1e9 }, () => clock);
  const downs: Array<EngineHostEvents['down'] & { at: number }> = [];
  host.on('down', (down) => downs.push({ ...down, at: clock }));
  const next = <E extends 'ready' | 'down'>(event: E) => host.once(event);
  return {
    host,
    launcher,
    downs,
    next,
    advance: (ms: number) => void (clock += ms),
  };
}

const MINUTE = 60_000;

describe('EngineHost restart policy', () => {
  it('restarts at once after the first and second crash; the third within 5 minutes stops and asks', async () => {
    const { host, launcher, downs, next, advance } = setUp();
    await host.start();
    for (const at of [1, 2]) {
      advance(MINUTE);
      const down = next('down');
      launcher.crash();
      await down;
      // Immediate: the new engine is launched in the same turn that reported the crash, no delay.
      expect(launcher.launched, `crash ${at}`).toBe(at + 1);
      expect(host.status.state).toBe('restarting');
      await next('ready');
    }
    advance(MINUTE);
    launcher.crash();
    await next('down');
    expect(downs.map((d) => d.willRestart)).toEqual([true, true, false]);
    expect(host.status.state).toBe('failed');
    expect(host.status.detail).toMatch(/3 times in 5 minutes, so Mai stopped restarting it/);
    expect(launcher.launched).toBe(3);
    await expect(host.whenReady()).rejects.toMatchObject({ code: 'engine-unavailable' });
    // The user asks: a fresh budget.
    await host.restart();
    expect(host.status.state).toBe('ready');
    await host.stop(10);
  });

  it('crashes older than 5 minutes no longer count: restarts resume once the window has passed', async () => {
    const { host, launcher, downs, next, advance } = setUp();
    await host.start();
    // Two crashes at t = 0 and t = 1 min.
    for (const gap of [0, MINUTE]) {
      advance(gap);
      launcher.crash();
      await next('ready');
    }
    // t = 5 min + 1 ms: the crash at t = 0 has left the window, so this is the second in it.
    advance(4 * MINUTE + 1);
    launcher.crash();
    await next('ready');
    expect(downs.map((d) => d.willRestart)).toEqual([true, true, true]);
    expect(host.status).toMatchObject({ state: 'ready', restarts: 3 });
    // Right after, the crashes at 1 min, 5 min and now are 3 in 5 minutes: it stops.
    advance(1000);
    launcher.crash();
    await next('down');
    expect(downs.at(-1)?.willRestart).toBe(false);
    expect(host.status.state).toBe('failed');
    await host.stop(10);
  });
});
