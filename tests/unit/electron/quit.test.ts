/**
 * The quit sequence of electron/main/electron/quit.ts against the stand-in for Electron's `app`
 * (fake-electron.ts `FakeApp`, Electron's documented before-quit → will-quit → quit order). The
 * real core and engine: tests/integration/quit.test.ts.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { installGracefulQuit } from '../../../electron/main/electron/quit';
import { FakeApp } from './fake-electron';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('graceful quit', () => {
  it('holds the quit until the shutdown finished, then quits once', async () => {
    const app = new FakeApp();
    let finish: () => void = () => {};
    const shutdown = vi.fn(() => new Promise<void>((resolve) => (finish = resolve)));
    const onQuitRequested = vi.fn();
    const quit = installGracefulQuit(app, { shutdown, onQuitRequested, log: () => {} });
    const willQuit = vi.fn();
    app.on('will-quit', willQuit);
    app.quit();
    expect(app.exitCode).toBeNull();
    expect(quit.phase).toBe('shutting-down');
    // More requests while it runs: the tray's Quit again, the last window closing.
    app.quit();
    app.quit();
    await vi.advanceTimersByTimeAsync(1000);
    expect(app.exitCode).toBeNull();
    expect(shutdown).toHaveBeenCalledTimes(1);
    expect(onQuitRequested).toHaveBeenCalledTimes(1);
    finish();
    await expect(quit.settled).resolves.toBe('done');
    expect(app.exitCode).toBe(0);
    expect(willQuit).toHaveBeenCalledTimes(1);
  });

  it('quits after the time limit when the shutdown never finishes (a hung engine)', async () => {
    const app = new FakeApp();
    const log = vi.fn();
    const quit = installGracefulQuit(app, { shutdown: () => new Promise<void>(() => {}), timeoutMs: 5000, log });
    app.quit();
    await vi.advanceTimersByTimeAsync(4999);
    expect(app.exitCode).toBeNull();
    await vi.advanceTimersByTimeAsync(1);
    await expect(quit.settled).resolves.toBe('timeout');
    expect(app.exitCode).toBe(0);
    expect(log).toHaveBeenCalledWith(expect.stringMatching(/still running after 5000 ms/));
  });

  it('a shutdown that fails (or throws at once) still ends in a quit, with the reason logged', async () => {
    for (const shutdown of [
      () => Promise.reject(new Error('disk full')),
      () => {
        throw new Error('disk full');
      },
    ]) {
      const app = new FakeApp();
      const log = vi.fn();
      const quit = installGracefulQuit(app, { shutdown, log });
      app.quit();
      await expect(quit.settled).resolves.toBe('done');
      expect(app.exitCode).toBe(0);
      expect(log).toHaveBeenCalledWith('shutdown failed: disk full');
    }
  });
});
