/**
 * Main's core, free of Electron: the engine supervisor, the model in use, the conversation, and
 * the handlers of the window.mai contract. electron/main/electron and the web host both serve it.
 */
import type { AppEvent, AppPayload, AppContract } from '../../../shared/contract';
import type { LoadedModel, LogLevel } from '../../../shared/domain';
import type { Handlers } from '../../../shared/rpc';
import { ChatService } from './chat-service';
import { EngineHost, type EngineHostOptions } from './engine-host';
import type { EngineLauncher } from './engine-launcher';
import { ModelController } from './model-controller';
import { ModelLibrary } from './model-library';

export type AppEventSink = <E extends AppEvent>(event: E, payload: AppPayload<E>) => void;

export interface AppCoreOptions {
  mode: 'electron' | 'web';
  launcher: EngineLauncher;
  modelsDir: string;
  /** A model file to start with instead of the default pick. */
  initialModelPath?: string;
  /** Upper bound on tokens in one reply. Default 512. */
  maxTokens?: number;
  /** Write the demo models when the models folder has none. Default true. */
  createDemoModels?: boolean;
  engine?: Partial<EngineHostOptions>;
  log?: (level: LogLevel, message: string) => void;
}

export class AppCore {
  readonly engine: EngineHost;
  readonly models: ModelController;
  readonly chat: ChatService;
  readonly handlers: Handlers<AppContract>;
  private readonly sinks = new Set<AppEventSink>();
  private readonly log: (level: LogLevel, message: string) => void;

  constructor(private readonly options: AppCoreOptions) {
    this.log = options.log ?? ((level, message) => console[level === 'debug' ? 'log' : level](`[mai] ${message}`));
    this.engine = new EngineHost(options.launcher, options.engine);
    this.models = new ModelController(
      this.engine,
      new ModelLibrary(options.modelsDir),
      (model: LoadedModel | null) => this.broadcast('onModelChanged', { model }),
      options.initialModelPath ?? null,
    );
    this.chat = new ChatService(this.engine, this.models, (event, payload) => this.broadcast(event, payload as never), {
      ...(options.maxTokens !== undefined ? { maxTokens: options.maxTokens } : {}),
    });
    this.engine.on('status', (status) => this.broadcast('onEngineStatus', status));
    this.engine.on('log', ({ level, message }) => this.log(level, `engine: ${message}`));
    this.engine.on('down', ({ detail, willRestart }) => {
      this.log('warn', detail);
      this.broadcast('onNotice', { level: willRestart ? 'warn' : 'error', message: willRestart ? `${detail} Restarting it…` : detail });
    });
    this.handlers = {
      'app:get-state': async () => ({
        mode: options.mode,
        engine: this.engine.status,
        model: this.models.current,
        models: await this.models.library.list(),
        conversation: this.chat.current,
        generating: this.chat.generating,
      }),
      'chat:send': ({ text }) => this.chat.send(text),
      'chat:stop': async () => ({ stopped: await this.chat.stop() }),
      'chat:new': () => this.chat.reset(),
      'engine:restart': async () => {
        await this.engine.restart();
        return this.engine.status;
      },
      'models:list': () => this.models.library.list(),
      'models:select': ({ path }) => this.models.select(path),
    };
  }

  /** Adds a receiver of events (a window, a WebSocket); returns a function that removes it. */
  subscribe(sink: AppEventSink): () => void {
    this.sinks.add(sink);
    return () => this.sinks.delete(sink);
  }

  broadcast<E extends AppEvent>(event: E, payload: AppPayload<E>): void {
    for (const sink of this.sinks) {
      try {
        sink(event, payload);
      } catch (error) {
        this.log('warn', `event ${event} could not be delivered: ${(error as Error).message}`);
      }
    }
  }

  /** Creates the demo models on a first start, starts the engine and loads the first model. */
  async start(): Promise<void> {
    if (this.options.createDemoModels !== false) {
      const created = await this.models.library.ensureDemoModels();
      if (created.length > 0) {
        this.broadcast('onNotice', {
          level: 'info',
          message: `No model was found, so Mai created ${created.length} demo models in ${this.models.library.dir}. They produce gibberish; put a real GGUF model there to chat for real.`,
        });
      }
    }
    await this.engine.start();
    // A model that cannot load is reported but does not stop Mai from starting.
    await this.models.ensureLoaded().catch((error: Error) => {
      this.log('warn', error.message);
      this.broadcast('onNotice', { level: 'error', message: error.message });
    });
  }

  async shutdown(): Promise<void> {
    await this.chat.stop().catch(() => false);
    await this.engine.stop();
    this.sinks.clear();
  }
}
