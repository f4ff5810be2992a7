/**
 * The one place that knows how the engine was started: Electron's utilityProcess gives
 * `process.parentPort`, Node's child_process.fork gives `process.send`. Everything else in the
 * engine sees a MessagePortLike.
 */
import { isBinaryTestMessage } from '../../shared/binary-test-protocol';
import type { MessagePortLike } from '../../shared/rpc';

interface ParentPort {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (event: { data: unknown }) => void): void;
  off(event: 'message', listener: (event: { data: unknown }) => void): void;
}

/**
 * Which messages a port hands on: `rpc` (the engine protocol) or `binary-test` (the relay of
 * llama-binary.ts). Both travel on the one channel to main.
 */
export type PortChannel = 'rpc' | 'binary-test';

/** The port to main, whichever way this process was started, seeing only `channel`'s messages. */
export function createParentPort(channel: PortChannel = 'rpc'): MessagePortLike {
  const mine = (message: unknown) => isBinaryTestMessage(message) === (channel === 'binary-test');
  const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;
  if (parentPort) {
    return {
      send: (message) => parentPort.postMessage(message),
      onMessage(handler) {
        const listener = (event: { data: unknown }) => {
          if (mine(event.data)) handler(event.data);
        };
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
        const listener = (message: unknown) => {
          if (mine(message)) handler(message);
        };
        process.on('message', listener);
        return () => process.off('message', listener);
      },
    };
  }
  throw new Error('The engine must be started by utilityProcess.fork or child_process.fork.');
}
