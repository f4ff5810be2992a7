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
import { RemoteLadder } from './models/ladder-remote';
import { ManagerRequests } from './models/manager-requests';
import { ModelManager } from './models/model-manager';
import type { Rung } from './models/rung';
import { RuntimeSet } from './models/runtime-set';
import { createParentPort } from './port';
import { probeRemote } from './remote/remote-probe';
import { RealClock } from './resource/clock';
import { createVramReader } from './resource/monitoring/engine-vram';
import { SystemResourceSource } from './resource/monitoring/system-source';
import { createTextStream, toWireRung, toWireTier, type TextStream } from './wire';
import { TraceSession } from './trace-session';

const startedAt = performance.now();
/**
 * The text of the replies running now, queued for main: sent before any other event of the manager
 * (a model change, a notice) so main sees them in the order they happened — a failover's split of
 * a reply into its interrupted part and the retry depends on it.
 */
const replyStreams = new Set<TextStream>();
const flushReplyText = () => replyStreams.forEach((stream) => stream.flush());
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
/** node-llama-cpp's models and the remote servers' behind one runtime (runtime-set.ts). */
const runtimes = new RuntimeSet(engine);
/** The remote rungs; nothing is registered, checked or sent until a configure asks for a policy other than local-only. */
/** One clock for the manager, the remote health checks and the trace recorder: a trace's times are the scaler's. */
const clock = new RealClock({ unref: true });
const remote = new RemoteLadder({ runtimes, clock, log });
remote.onStatus((statuses) => {
  try {
    peer?.emit('remote:status', statuses);
  } catch (error) {
    log('warn', `remote status dropped: ${(error as Error).message}`);
  }
});
let manager: ModelManager | null = null;
/** `manager:configure` and `manager:select` as they touch the user's choice of a server or the machine. */
const requests = new ManagerRequests(remote);

/** The ladder as main shows it: the local rungs, then the remote ones with their host and figures. */
function wireLadder(local: readonly Rung[]) {
  return [
    ...local.map((rung) => toWireRung(rung)),
    ...remote.rungs.map((rung) => toWireRung(rung, { host: remote.hostOf(rung), figures: remote.figuresOf(rung) })),
  ];
}
/** VRAM the loaded model holds, from its footprint on the ladder (0 on CPU or with no model). */
function residentVramBytes(): number {
  const loaded = engine.model;
  if (!loaded || loaded.gpuLayers === 0) return 0;
  // The rung in use: a cascade step of the same file takes less VRAM than its full rung.
  const rungs = manager?.ladder.filter((rung) => rung.model.path === loaded.path) ?? [];
  const current = rungs.find((rung) => rung.id === manager?.state?.modelId) ?? rungs.at(-1);
  return current?.footprint.vramBytes ?? 0;
}
const source = new SystemResourceSource({ readVram: createVramReader(() => engine.getLlama(), residentVramBytes) });
let overlay: SourceOverlay = {};
const traces = new TraceSession(
  clock,
  (status) => {
    try {
      peer?.emit('trace:status', status);
    } catch {
      // The file is written; only the window's notice is lost.
    }
  },
  (message) => log('warn', message),
);

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
    'manager:configure': async ({ models, preferredPath, avoidPaths, settings, dataDir, remote: remoteConfig }) => {
      if (!manager) {
        manager = new ModelManager({ runtime: runtimes, source, dataDir, log, clock, remote });
        manager.setOverlay(overlay);
        traces.attach(manager);
        if (peer) forwardManagerEvents(manager, peer, (m) => log('warn', m), flushReplyText);
      }
      const model = await requests.configure(manager, { models, preferredPath, avoidPaths, settings, remote: remoteConfig });
      return { model, ladder: wireLadder(manager.ladder), tier: toWireTier(manager.state?.tier) };
    },
    'remote:probe': (params) => probeRemote(params),
    // Only a user's choice changes where Mai prefers to be, and only once it succeeded (manager-requests.ts).
    'manager:select': ({ path, models }) => requests.select(requireManager(), path, models),
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
    // Through the manager and the runtimes (the model may be a server's): nothing loads one again until the next reply or configure.
    'model:unload': async () => ({ unloaded: await (manager ? manager.unload() : runtimes.unload()) }),
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
      replyStreams.add(stream);
      try {
        const running = manager;
        return await (running ? traces.aroundReply(params.maxTokens, () => running.generateResponse(params, onText)) : engine.generate(params, onText));
      } finally {
        // Every piece of text reaches main before the reply's answer does.
        replyStreams.delete(stream);
        stream.flush();
      }
    },
    // Through the manager: a reply between a server's failure and its retry here runs in no runtime, yet Stop must end it.
    'chat:stop': ({ requestId }) => ({ stopped: manager ? manager.stopReply(requestId) : runtimes.stop(requestId) }),
    'chat:last-prompt': () => ({ text: engine.lastPromptText() }),
    'trace:start': ({ path, maxBytes }) => traces.start(path, maxBytes),
    'trace:stop': () => traces.stop(),
    'trace:status': () => traces.status(),
  },
  (problem) => log('warn', `engine protocol: ${problem}`),
);

async function shutdown(code: number): Promise<never> {
  traces.shutdown();
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
