/**
 * How the engine process is started. The supervisor only sees this interface, so Electron's
 * utilityProcess (electron/main/electron) and Node's child_process (web host, tests) are
 * interchangeable.
 */
import { fork } from 'node:child_process';
import type { MessagePortLike } from '../../../shared/rpc';

export interface EngineExit {
  code: number | null;
  signal: string | null;
}

export interface EngineProcess {
  readonly pid: number | undefined;
  readonly port: MessagePortLike;
  kill(signal?: NodeJS.Signals): void;
  onExit(listener: (exit: EngineExit) => void): void;
}

export interface EngineLauncher {
  launch(): EngineProcess;
}

/** Starts the engine with child_process.fork (the web host, tests, benchmarks). */
export class NodeEngineLauncher implements EngineLauncher {
  constructor(
    private readonly entryPath: string,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  launch(): EngineProcess {
    const child = fork(this.entryPath, [], {
      env: this.env,
      execArgv: [],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'json',
    });
    // A dead child makes send() throw EPIPE asynchronously; the exit handler deals with the death.
    child.on('error', () => {});
    return {
      pid: child.pid,
      port: {
        send: (message) => {
          if (child.connected) child.send(message as object);
        },
        onMessage(handler) {
          child.on('message', handler);
          return () => child.off('message', handler);
        },
      },
      kill: (signal = 'SIGTERM') => {
        child.kill(signal);
      },
      onExit: (listener) => {
        child.once('exit', (code, signal) => listener({ code, signal }));
      },
    };
  }
}
