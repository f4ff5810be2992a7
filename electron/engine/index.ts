/**
 * The engine process entry. Runs under Electron's utilityProcess.fork and Node's
 * child_process.fork alike; a native crash here takes down only this process.
 */
import { engineContract, type EngineContract, type EmptyContract } from '../../shared/engine-protocol';
import { MaiError } from '../../shared/errors';
import { RpcPeer } from '../../shared/rpc';
import type { LogLevel } from '../../shared/domain';
import { LlamaEngine } from './llama-engine';
import { createParentPort } from './port';

const startedAt = performance.now();
const port = createParentPort();
let peer: RpcPeer<EngineContract, EmptyContract> | null = null;

function log(level: LogLevel, message: string): void {
  try {
    peer?.emit('engine:log', { level, message: message.slice(0, 20_000) });
  } catch {
    // Logging must never take the engine down.
  }
}

const engine = new LlamaEngine(log);

peer = new RpcPeer<EngineContract, EmptyContract>(
  port,
  engineContract,
  null,
  {
    'engine:ping': () => ({ busy: engine.busy, rssBytes: process.memoryUsage.rss(), uptimeMs: performance.now() - startedAt }),
    'model:load': (params) => engine.load(params),
    'model:unload': async () => ({ unloaded: await engine.unload() }),
    'chat:generate': (params) =>
      engine.generate(params, (text) => peer?.emit('chat:token', { requestId: params.requestId, text })),
    'chat:stop': ({ requestId }) => ({ stopped: engine.stop(requestId) }),
    'chat:last-prompt': () => ({ text: engine.lastPromptText() }),
  },
  (problem) => log('warn', `engine protocol: ${problem}`),
);

process.on('disconnect', () => process.exit(0));
process.on('unhandledRejection', (reason) => {
  log('error', `unhandled rejection in engine: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`);
});
process.on('uncaughtException', (error) => {
  log('error', `uncaught exception in engine: ${error.stack ?? error.message}`);
  if (!(error instanceof MaiError)) setTimeout(() => process.exit(70), 50);
});
log('info', `engine ${process.pid} up on node ${process.versions.node}`);
