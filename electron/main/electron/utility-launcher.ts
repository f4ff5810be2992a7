/**
 * Starts the engine with Electron's utilityProcess.fork (the desktop app), and runs
 * node-llama-cpp's binary tests for it in utility processes of their own (core/binary-test-relay.ts):
 * the engine cannot start them itself under the RunAsNode fuse (docs/security.md).
 */
import { utilityProcess } from 'electron';
import { BINARY_TEST_RELAY_ENV, relayBinaryTests, type TestProcessFactory } from '../core/binary-test-relay';
import type { EngineLauncher, EngineProcess } from '../core/engine-launcher';
import { engineEnvironment } from '../core/engine-env';
import type { MessagePortLike } from '../../../shared/rpc';

/** node-llama-cpp's test file in a utility process, as node-llama-cpp itself does from main. */
const forkTestProcess: TestProcessFactory = (modulePath) => {
  const child = utilityProcess.fork(modulePath, [], {
    serviceName: 'Mai binary test',
    env: engineEnvironment(process.env, { TEST_BINDING_CP: 'true' }),
    // stderr is where the test says why a binary failed.
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return {
    send: (message) => child.postMessage(message),
    kill: () => void child.kill(),
    onMessage: (listener) => void child.on('message', listener),
    onExit: (listener) => void child.once('exit', (code) => listener(code)),
  };
};

export class UtilityProcessLauncher implements EngineLauncher {
  constructor(private readonly entryPath: string) {}

  launch(): EngineProcess {
    const child = utilityProcess.fork(this.entryPath, [], {
      serviceName: 'Mai engine',
      stdio: 'inherit',
      env: engineEnvironment(process.env, { [BINARY_TEST_RELAY_ENV]: '1' }),
    });
    const raw: MessagePortLike = {
      send: (message) => child.postMessage(message),
      onMessage(handler) {
        child.on('message', handler);
        return () => child.off('message', handler);
      },
    };
    const relayed = relayBinaryTests(raw, forkTestProcess);
    child.once('exit', () => relayed.dispose());
    return {
      get pid() {
        return child.pid;
      },
      port: relayed.port,
      kill: (signal) => {
        // utilityProcess.kill() only sends SIGTERM; other signals go through the pid.
        if (!signal || signal === 'SIGTERM' || child.pid === undefined) child.kill();
        else process.kill(child.pid, signal);
      },
      onExit: (listener) => {
        // Electron reports only the code; a native crash shows as a non-zero code.
        child.once('exit', (code) => listener({ code, signal: null }));
      },
    };
  }
}
