/** Starts the engine with Electron's utilityProcess.fork (the desktop app). */
import { utilityProcess } from 'electron';
import type { EngineLauncher, EngineProcess } from '../core/engine-launcher';

export class UtilityProcessLauncher implements EngineLauncher {
  constructor(private readonly entryPath: string) {}

  launch(): EngineProcess {
    const child = utilityProcess.fork(this.entryPath, [], { serviceName: 'Mai engine', stdio: 'inherit' });
    return {
      get pid() {
        return child.pid;
      },
      port: {
        send: (message) => child.postMessage(message),
        onMessage(handler) {
          child.on('message', handler);
          return () => child.off('message', handler);
        },
      },
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
