/**
 * Optimisation suggestions built from measurements. Each carries the figure behind it; where Mai
 * can act itself, an action. A suggestion disappears as soon as its cause does. The process list
 * (systeminformation, ~100 ms a call) is read at most once a minute, and only under pressure.
 */
import type { LoadedModel, Suggestion } from '../../../shared/domain';
import type { ResourceSnapshot } from '../../../shared/resource';
import type { AppSettings } from '../../../shared/settings';

export interface ProcessUse {
  name: string;
  memBytes: number;
}

export interface SuggestionDeps {
  publish: (suggestions: Suggestion[]) => void;
  updateSettings: (patch: Partial<AppSettings>) => Promise<unknown>;
  settings: () => AppSettings;
  model: () => LoadedModel | null;
  unloadModel?: () => Promise<void>;
  /** The programs using the most memory; default reads them with systeminformation. */
  listProcesses?: () => Promise<ProcessUse[]>;
  now?: () => number;
}

const gb = (bytes: number) => `${(bytes / 1e9).toFixed(1)} GB`;
const mb = (bytes: number) => `${Math.round(bytes / 1e6)} MB`;
const pct = (fraction: number) => `${Math.round(fraction * 100)} %`;

/** Idle time after which an idle model is worth unloading. */
const IDLE_MS = 10 * 60_000;
const PROCESS_SAMPLE_MS = 60_000;

async function topProcesses(): Promise<ProcessUse[]> {
  const si = await import('systeminformation');
  const { list } = await si.processes();
  return list
    .filter((p) => p.pid !== process.pid && p.parentPid !== process.pid)
    .map((p) => ({ name: p.name, memBytes: p.memRss * 1024 }))
    .sort((a, b) => b.memBytes - a.memBytes)
    .slice(0, 3);
}

export class SuggestionEngine {
  private list: Suggestion[] = [];
  private processes: ProcessUse[] = [];
  private processesAt = -Infinity;
  private sampling = false;
  private lastReplyAt: number;
  private stopped = false;
  private readonly now: () => number;

  constructor(private readonly deps: SuggestionDeps) {
    this.now = deps.now ?? Date.now;
    this.lastReplyAt = this.now();
  }

  get current(): Suggestion[] {
    return this.list;
  }

  /** Call when a reply starts or ends (the model is in use). */
  noteActivity(): void {
    this.lastReplyAt = this.now();
  }

  observe(snapshot: ResourceSnapshot): void {
    if (this.stopped) return;
    const { sample, thresholds } = snapshot;
    const used = sample.memTotalBytes > 0 ? sample.memUsedBytes / sample.memTotalBytes : 0;
    const underPressure = used >= thresholds.upgrade;
    if (snapshot.generating) this.noteActivity();
    if (underPressure && this.now() - this.processesAt > PROCESS_SAMPLE_MS && !this.sampling) this.sampleProcesses();

    const settings = this.deps.settings();
    const model = this.deps.model();
    const next: Suggestion[] = [];
    if (underPressure && this.processes.length > 0) {
      const [top] = this.processes;
      next.push({
        id: 'memory-hogs',
        kind: 'memory-hogs',
        title: 'Programs using the most memory',
        detail: `${this.processes.map((p) => `${p.name} ${gb(p.memBytes)}`).join(', ')}. Memory is ${pct(used)} used; closing ${top!.name} would leave room for a bigger model.`,
      });
    }
    if (underPressure && settings.contextSize > 2048 && model) {
      const freed = Math.max(0, (model.sizeBytes * 0.1 + 64e6) * (1 - 2048 / settings.contextSize));
      next.push({
        id: 'context',
        kind: 'context',
        title: 'Use a smaller context',
        detail: `Memory is ${pct(used)} used (act at ${pct(thresholds.degrade)}). A 2048-token context instead of ${settings.contextSize} would free about ${mb(freed)}; long conversations keep only their recent turns.`,
        action: { label: 'Use 2048 tokens' },
      });
    }
    if ((sample.cpuOtherLoad ?? 0) > 0.5) {
      next.push({
        id: 'threads',
        kind: 'threads',
        title: 'Other programs are using the processor',
        detail: `Other programs keep ${pct(sample.cpuOtherLoad ?? 0)} of the processor busy; Mai runs on ${snapshot.threads} thread${snapshot.threads === 1 ? '' : 's'} so that it does not fight them for cores.`,
      });
    }
    if (sample.vramTotalBytes && model && model.gpuLayers === 0) {
      next.push({
        id: 'gpu-offload',
        kind: 'gpu-offload',
        title: 'Use the GPU',
        detail: `A GPU with ${gb(sample.vramTotalBytes)} of memory is present but ${model.name} runs on the processor.`,
      });
    }
    if (sample.onBattery && settings.preference !== 'speed') {
      next.push({
        id: 'battery',
        kind: 'battery',
        title: 'Running on battery',
        detail: `On battery${sample.batteryPercent != null ? ` (${Math.round(sample.batteryPercent)} %)` : ''}: preferring speed uses smaller models sooner and saves power.`,
        action: { label: 'Prefer speed' },
      });
    }
    const idleMs = this.now() - this.lastReplyAt;
    if (model && this.deps.unloadModel && idleMs > IDLE_MS) {
      next.push({
        id: 'idle-model',
        kind: 'idle-model',
        title: 'Unload the idle model',
        detail: `${model.name} has not answered for ${Math.round(idleMs / 60_000)} min and holds about ${mb(model.sizeBytes)}; it loads again with your next message.`,
        action: { label: 'Unload' },
      });
    }
    this.publish(next);
  }

  async apply(id: string): Promise<{ applied: boolean; message: string }> {
    const suggestion = this.list.find((s) => s.id === id);
    if (!suggestion?.action) return { applied: false, message: 'That suggestion no longer applies.' };
    switch (suggestion.kind) {
      case 'context':
        await this.deps.updateSettings({ contextSize: 2048 });
        this.publish(this.list.filter((s) => s.id !== id));
        return { applied: true, message: 'The context is now 2048 tokens.' };
      case 'battery':
        await this.deps.updateSettings({ preference: 'speed' });
        this.publish(this.list.filter((s) => s.id !== id));
        return { applied: true, message: 'Mai now prefers speed.' };
      case 'idle-model':
        await this.deps.unloadModel?.();
        this.noteActivity();
        this.publish(this.list.filter((s) => s.id !== id));
        return { applied: true, message: 'The model was unloaded; it loads again with your next message.' };
      default:
        return { applied: false, message: 'Mai cannot do this one for you.' };
    }
  }

  stop(): void {
    this.stopped = true;
  }

  private sampleProcesses(): void {
    this.sampling = true;
    this.processesAt = this.now();
    (this.deps.listProcesses ?? topProcesses)()
      .then((list) => {
        this.processes = list;
      })
      .catch(() => {
        this.processes = [];
      })
      .finally(() => {
        this.sampling = false;
      });
  }

  private publish(next: Suggestion[]): void {
    if (JSON.stringify(next) === JSON.stringify(this.list)) return;
    this.list = next;
    this.deps.publish(next);
  }
}
