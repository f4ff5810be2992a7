/**
 * The ModelManager's settings changes in order: a configure runs at once when the manager can take
 * one; while a reply, a switch or another configure runs, the latest request waits (latest wins,
 * never refused) and every caller's promise resolves when it is applied. The manager tells the
 * queue when what ran has ended (`applyQueued`), and shutdown drops what still waits.
 */
import type { LoadedModel } from '../../../shared/domain';
import type { ManagerStateMachine } from './manager-state';
import type { ConfigureRequest } from './manager-settings';

/** A configure waiting for what runs: the latest request, and the promise every caller of it holds. */
interface QueuedConfigure {
  request: ConfigureRequest;
  applied: Promise<LoadedModel | null>;
  resolve: (model: LoadedModel | null) => void;
  reject: (error: unknown) => void;
}

/** See the file comment. */
export class ConfigureQueue {
  /** The configure running now: shutdown and a reply wait for it. */
  private running: Promise<LoadedModel | null> | null = null;
  /** The latest configure that arrived while something ran. */
  private queued: QueuedConfigure | null = null;

  /**
   * @param machine the manager's phases: `configure` when one starts, `configure-queued` when one waits.
   * @param build does one configure (the manager's ladder build, first load and scaler start).
   * @param onWait takes effect at once for a request that has to wait (the pause and the memory budget).
   */
  constructor(
    private readonly machine: ManagerStateMachine,
    private readonly build: (request: ConfigureRequest) => Promise<LoadedModel | null>,
    private readonly onWait: (request: ConfigureRequest) => void,
  ) {}

  /** Whether a request waits. */
  get waiting(): boolean {
    return this.queued !== null;
  }

  /** What a reply waits for: the configure running, else the one waiting, else null. */
  get pending(): Promise<LoadedModel | null> | null {
    return this.running ?? this.queued?.applied ?? null;
  }

  /** The configure running now, if any (shutdown lets it stop at its next step). */
  get current(): Promise<LoadedModel | null> | null {
    return this.running;
  }

  /** Runs `request` now, or makes it the one waiting; resolves with the model it leaves loaded. */
  submit(request: ConfigureRequest): Promise<LoadedModel | null> {
    if (!this.queued && this.machine.can('configure')) return this.runNow(request);
    if (!this.queued) this.machine.apply('configure-queued');
    this.onWait(request);
    if (this.queued) {
      this.queued.request = request;
      return this.queued.applied;
    }
    let settle!: Pick<QueuedConfigure, 'resolve' | 'reject'>;
    const applied = new Promise<LoadedModel | null>((resolve, reject) => (settle = { resolve, reject }));
    this.queued = { request, applied, ...settle };
    return applied;
  }

  /** Applies the configure that waited, once the manager can take one (idle, empty or unconfigured). */
  applyQueued(): void {
    const queued = this.queued;
    if (!queued || this.machine.closing || !this.machine.can('configure')) return;
    this.queued = null;
    this.runNow(queued.request).then(queued.resolve, queued.reject);
  }

  /** Drops the request waiting; its callers hear `error`. */
  drop(error: Error): void {
    const queued = this.queued;
    this.queued = null;
    queued?.reject(error);
  }

  private runNow(request: ConfigureRequest): Promise<LoadedModel | null> {
    this.machine.apply('configure');
    const run = this.build(request).finally(() => {
      if (this.running === run) this.running = null;
    });
    this.running = run;
    return run;
  }
}
