/**
 * The engine process entry. Runs under Electron's utilityProcess.fork and Node's
 * child_process.fork alike; a native crash here takes down only this process.
 */
import type { LogLevel } from '../../shared/domain';
import { engineContract, type EmptyContract, type EngineContract } from '../../shared/engine-protocol';
import { MaiError } from '../../shared/errors';
import { RpcPeer } from '../../shared/rpc';
import { LlamaEngine } from './llama-engine';
import { forwardManagerEvents } from './manager-events';
import type { SourceOverlay } from './models/budget-source';
import { validateGguf } from './models/gguf-validate';
import { ModelManager } from './models/model-manager';
import { createParentPort } from './port';
import { createVramReader } from './resource/monitoring/engine-vram';
import { SystemResourceSource } from './resource/monitoring/system-source';
import { createTextStream, toWireRung, toWireTier } from './wire';

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

/**
 * The engine, announcing every file llama.cpp starts and finishes reading (loads, and models loaded
 * ahead during a reply alike): if a file takes the process down while loading, main learns which
 * one (the scaler and fallbacks load files main did not ask for).
 */
class AnnouncingEngine extends LlamaEngine {
  protected override onLoading(modelPath: string, done: boolean): void {
    try {
      peer?.emit('model:loading', { path: modelPath.slice(0, 4096), done });
    } catch {
      // Announcing must never stop a load.
    }
  }
}

const engine = new AnnouncingEngine(log);
let manager: ModelManager | null = null;
/** VRAM the loaded model holds, from its footprint on the ladder (0 on CPU or with no model). */
function residentVramBytes(): number {
  const loaded = engine.model;
  if (!loaded || loaded.gpuLayers === 0) return 0;
  return manager?.ladder.find((rung) => rung.model.path === loaded.path)?.footprint.vramBytes ?? 0;
}
const source = new SystemResourceSource({ readVram: createVramReader(() => engine.getLlama(), residentVramBytes) });
let overlay: SourceOverlay = {};

function requireManager(): ModelManager {
  if (!manager) throw new MaiError('no-model', 'The model manager is not configured yet.');
  return manager;
}

peer = new RpcPeer<EngineContract, EmptyContract>(
  port,
  engineContract,
  null,
  {
    'engine:ping': () => ({ busy: engine.busy, rssBytes: process.memoryUsage.rss(), uptimeMs: performance.now() - startedAt }),
    'manager:configure': async ({ models, preferredPath, avoidPaths, settings, dataDir }) => {
      if (!manager) {
        manager = new ModelManager({ runtime: engine, source, dataDir, log });
        manager.setOverlay(overlay);
        if (peer) forwardManagerEvents(manager, peer, (m) => log('warn', m));
      }
      const model = await manager.configure({ models, preferredPath, avoidPaths, settings });
      return { model, ladder: manager.ladder.map(toWireRung), tier: toWireTier(manager.state?.tier) };
    },
    'manager:select': ({ path, models }) => requireManager().selectModel(path, models),
    'manager:pause': ({ paused }) => {
      requireManager().setPaused(paused);
      return { paused };
    },
    'resource:overlay': (params) => {
      if (process.env.MAI_TEST_HOOKS !== '1') throw new MaiError('bad-request', 'Resource overlays are only available with MAI_TEST_HOOKS=1.');
      overlay = params;
      manager?.setOverlay(params);
      return {};
    },
    'model:inspect': async ({ path }) => {
      const summary = await validateGguf(path);
      return {
        sizeBytes: summary.fileSize,
        name: summary.name ?? null,
        architecture: summary.architecture ?? null,
        contextLength: summary.contextLength ?? null,
        synthetic: summary.synthetic,
      };
    },
    'model:load': (params) => engine.load(params),
    'model:unload': async () => ({ unloaded: await engine.unload() }),
    'chat:generate': async (params) => {
      const stream = createTextStream((text) => {
        try {
          peer?.emit('chat:token', { requestId: params.requestId, text });
        } catch (error) {
          // Sent from a timer now, outside the reply's own error handling: a failed send must not end the process.
          log('warn', `reply text not sent: ${(error as Error).message}`);
        }
      });
      const onText = (text: string) => stream.push(text);
      try {
        return await (manager ? manager.generateResponse(params, onText) : engine.generate(params, onText));
      } finally {
        // Every piece of text reaches main before the reply's answer does.
        stream.flush();
      }
    },
    'chat:stop': ({ requestId }) => ({ stopped: engine.stop(requestId) }),
    'chat:last-prompt': () => ({ text: engine.lastPromptText() }),
  },
  (problem) => log('warn', `engine protocol: ${problem}`),
);

async function shutdown(code: number): Promise<never> {
  await manager?.shutdown().catch(() => {});
  process.exit(code);
}

process.on('disconnect', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));
process.on('unhandledRejection', (reason) => {
  log('error', `unhandled rejection in engine: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`);
});
process.on('uncaughtException', (error) => {
  log('error', `uncaught exception in engine: ${error.stack ?? error.message}`);
  if (!(error instanceof MaiError)) setTimeout(() => process.exit(70), 50);
});
log('info', `engine ${process.pid} up on node ${process.versions.node}`);
