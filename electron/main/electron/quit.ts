/**
 * Quitting waits for AppCore.shutdown(): Electron does not wait for a promise started in
 * `before-quit`, so without this the process ends with the throttled conversation save and the
 * download list still pending (docs/security.md, "Quitting loses nothing"). No Electron import
 * here: main.ts passes `app`, tests pass the stand-in of tests/unit/electron/fake-electron.ts.
 *
 * The sequence: the first quit request is held back (`event.preventDefault()`), the shutdown runs
 * for at most `timeoutMs`, then `app.quit()` runs again and goes through. Requests arriving while
 * the shutdown runs (the tray's Quit clicked twice, Cmd+Q, the last window closing) are held back
 * too and change nothing.
 */

/** The part of Electron's `app` the quit sequence uses. */
export interface QuitApp {
  on(event: 'before-quit', listener: (event: { preventDefault(): void }) => void): unknown;
  quit(): void;
}

export interface GracefulQuitOptions {
  /** AppCore.shutdown: stops the reply, flushes conversations and downloads, stops the engine. */
  shutdown: () => Promise<void>;
  /** Longest wait for `shutdown`, in milliseconds, before quitting anyway. Default 5000. */
  timeoutMs?: number;
  /** Called once, at the first quit request (close-to-tray stops hiding, the window goes away). */
  onQuitRequested?: () => void;
  log?: (message: string) => void;
}

export type QuitPhase = 'running' | 'shutting-down' | 'quitting';

export interface GracefulQuit {
  readonly phase: QuitPhase;
  /** Resolves when the shutdown finished or its time ran out, just before `app.quit()` goes through. */
  readonly settled: Promise<'done' | 'timeout'>;
}

/** Installs the `before-quit` handler; call once, after `app` is ready. */
export function installGracefulQuit(app: QuitApp, options: GracefulQuitOptions): GracefulQuit {
  const timeoutMs = options.timeoutMs ?? 5000;
  const log = options.log ?? ((message: string) => console.warn(`[mai] ${message}`));
  let phase: QuitPhase = 'running';
  let settle: (outcome: 'done' | 'timeout') => void = () => {};
  const settled = new Promise<'done' | 'timeout'>((resolve) => (settle = resolve));

  app.on('before-quit', (event) => {
    if (phase === 'quitting') return;
    event.preventDefault();
    if (phase === 'shutting-down') return;
    phase = 'shutting-down';
    try {
      options.onQuitRequested?.();
    } catch (error) {
      log(`quit: ${(error as Error).message}`);
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
    const shutdown = Promise.resolve()
      .then(() => options.shutdown())
      .then(
        () => 'done' as const,
        (error: unknown) => {
          log(`shutdown failed: ${error instanceof Error ? error.message : String(error)}`);
          return 'done' as const;
        },
      );
    void Promise.race([shutdown, timeout]).then((outcome) => {
      clearTimeout(timer);
      if (outcome === 'timeout') log(`shutdown still running after ${timeoutMs} ms; quitting anyway`);
      phase = 'quitting';
      settle(outcome);
      app.quit();
    });
  });

  return {
    get phase() {
      return phase;
    },
    settled,
  };
}
