/**
 * The one place that knows how the engine was started: Electron's utilityProcess gives
 * `process.parentPort`, Node's child_process.fork gives `process.send`. Everything else in the
 * engine sees a MessagePortLike.
 */
import type { MessagePortLike } from '../../shared/rpc';

interface ParentPort {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (event: { data: unknown }) => void): void;
  off(event: 'message', listener: (event: { data: unknown }) => void): void;
}

/** The port to main, whichever way this process was started. */
export function createParentPort(): MessagePortLike {
  const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;
  if (parentPort) {
    return {
      send: (message) => parentPort.postMessage(message),
      onMessage(handler) {
        const listener = (event: { data: unknown }) => handler(event.data);
        parentPort.on('message', listener);
        return () => parentPort.off('message', listener);
      },
    };
  }
  if (process.send) {
    return {
      send: (message) => {
        // A parent that went away leaves nobody to tell; the disconnect handler exits.
        if (process.connected) process.send?.(message);
      },
      onMessage(handler) {
        process.on('message', handler);
        return () => process.off('message', handler);
      },
    };
  }
  throw new Error('The engine must be started by utilityProcess.fork or child_process.fork.');
}
