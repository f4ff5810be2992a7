/**
 * How the engine process is started. The supervisor only sees this interface, so Electron's
 * utilityProcess (electron/main/electron) and Node's child_process (web host, tests) are
 * interchangeable.
 */
import { fork } from 'node:child_process';
import type { MessagePortLike } from '../../../shared/rpc';
import { engineEnvironment } from './engine-env';
import { BINARY_TEST_RELAY_ENV, relayBinaryTests, type TestProcessFactory } from './binary-test-relay';

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

export interface NodeEngineLauncherOptions {
  /**
   * Run node-llama-cpp's binary tests in processes this launcher starts (binary-test-relay.ts), as
   * the Electron app must; default true. `false` leaves them to the engine (the control in
   * tests/integration/binary-test.test.ts).
   */
  relayBinaryTests?: boolean;
}

/** node-llama-cpp's test file started with child_process.fork, in the engine's environment (no Hub token). */
export function forkTestProcess(env: NodeJS.ProcessEnv): TestProcessFactory {
  return (modulePath) => {
    const child = fork(modulePath, [], {
      env: engineEnvironment(env, { TEST_BINDING_CP: 'true' }),
      execArgv: [],
      // stderr is where the test says why a binary failed.
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      serialization: 'json',
    });
    child.on('error', () => {});
    return {
      send: (message) => {
        if (child.connected) child.send(message as object);
      },
      kill: () => void child.kill('SIGKILL'),
      onMessage: (listener) => void child.on('message', listener),
      onExit: (listener) => void child.once('exit', (code) => listener(code ?? -1)),
    };
  };
}

/** Starts the engine with child_process.fork (the web host, tests, benchmarks). */
export class NodeEngineLauncher implements EngineLauncher {
  constructor(
    private readonly entryPath: string,
    private readonly env: NodeJS.ProcessEnv = process.env,
    private readonly options: NodeEngineLauncherOptions = {},
  ) {}

  launch(): EngineProcess {
    const relay = this.options.relayBinaryTests !== false;
    const child = fork(this.entryPath, [], {
      // Never the Hugging Face token: the engine parses untrusted models (engine-env.ts).
      env: engineEnvironment(this.env, relay ? { [BINARY_TEST_RELAY_ENV]: '1' } : {}),
      execArgv: [],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'json',
    });
    // A dead child makes send() throw EPIPE asynchronously; the exit handler deals with the death.
    child.on('error', () => {});
    const raw: MessagePortLike = {
      send: (message) => {
        if (child.connected) child.send(message as object);
      },
      onMessage(handler) {
        child.on('message', handler);
        return () => child.off('message', handler);
      },
    };
    const relayed = relay ? relayBinaryTests(raw, forkTestProcess(this.env)) : null;
    if (relayed) child.once('exit', () => relayed.dispose());
    return {
      pid: child.pid,
      port: relayed?.port ?? raw,
      kill: (signal = 'SIGTERM') => {
        child.kill(signal);
      },
      onExit: (listener) => {
        child.once('exit', (code, signal) => listener({ code, signal }));
      },
    };
  }
}
