/**
 * Optimisation suggestions built from measurements. Each carries the figure behind it; where Mai
 * can act itself, an action. A suggestion disappears as soon as its cause does. The process list
 * (systeminformation, ~100 ms a call) is read at most once a minute, and only under pressure.
 */
import os from 'node:os';
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
  /**
   * Sets the CPU threads inference uses. Without it the threads suggestion has no button: the
   * settings have no thread count, so only the engine can apply one.
   */
  setThreads?: (threads: number) => Promise<void>;
  /** The programs using the most memory; default reads them with systeminformation. */
  listProcesses?: () => Promise<ProcessUse[]>;
  /**
   * Cores inference threads can use (physical cores: llama.cpp runs one math thread per core);
   * default read once with systeminformation when first asked, `os.availableParallelism()` until then.
   */
  cores?: () => number;
  now?: () => number;
}

const gb = (bytes: number) => `${(bytes / 1e9).toFixed(1)} GB`;
const mb = (bytes: number) => `${Math.round(bytes / 1e6)} MB`;
const pct = (fraction: number) => `${Math.round(fraction * 100)} %`;

/** Idle time after which an idle model is worth unloading. */
const IDLE_MS = 10 * 60_000;
const PROCESS_SAMPLE_MS = 60_000;
/** Samples whose median other-programs CPU load the threads suggestion uses (1 Hz: 5 s), so a blip does not flicker it. */
const CPU_SAMPLES = 5;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * The thread count to suggest, and whether the one in use is off: more threads than free cores
 * spin against other programs (~100× slower on 2 cores: docs/scaling-policy.md, "Threads"); at least two idle cores beyond
 * the threads in use are speed left on the table. The recommendation leaves one core for the
 * system and the window, as the engine's default does. Between the two lies a one-core band in
 * which nothing is suggested, so load near a core boundary does not flicker it.
 */
export function threadAdvice(inUse: number, cores: number, otherLoad: number): { freeCores: number; recommended: number; tooMany: boolean; tooFew: boolean } {
  const freeCores = Math.max(0, cores * (1 - Math.min(1, Math.max(0, otherLoad))));
  const recommended = Math.max(1, Math.min(cores, Math.floor(freeCores) - 1));
  const tooMany = inUse > Math.max(1, Math.floor(freeCores));
  const tooFew = !tooMany && inUse < recommended;
  return { freeCores, recommended, tooMany, tooFew };
}

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
  private lastSnapshot: ResourceSnapshot | null = null;
  private readonly cpuLoads: number[] = [];
  /** The thread count the threads suggestion offers, while it is shown. */
  private recommendedThreads: number | null = null;
  private readonly now: () => number;
  private readonly cores: () => number;

  constructor(private readonly deps: SuggestionDeps) {
    this.now = deps.now ?? Date.now;
    this.cores = deps.cores ?? this.machineCores();
    this.lastReplyAt = this.now();
  }

  get current(): Suggestion[] {
    return this.list;
  }

  /** Call when a reply starts or ends (the model is in use). */
  noteActivity(): void {
    this.lastReplyAt = this.now();
  }

  /** Takes one resource frame (1 Hz) and republishes the suggestions if they changed. */
  observe(snapshot: ResourceSnapshot): void {
    if (this.stopped) return;
    this.lastSnapshot = snapshot;
    if (snapshot.sample.cpuOtherLoad !== null) {
      this.cpuLoads.push(snapshot.sample.cpuOtherLoad);
      if (this.cpuLoads.length > CPU_SAMPLES) this.cpuLoads.shift();
    }
    this.evaluate(snapshot);
  }

  private evaluate(snapshot: ResourceSnapshot): void {
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
    this.recommendedThreads = null;
    if (model && snapshot.threads > 0 && this.cpuLoads.length > 0) {
      const cores = Math.max(1, this.cores());
      const otherLoad = median(this.cpuLoads);
      const advice = threadAdvice(snapshot.threads, cores, otherLoad);
      if (advice.tooMany || advice.tooFew) {
        this.recommendedThreads = advice.recommended;
        const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
        const free = `${advice.freeCores.toFixed(1)} of ${plural(cores, 'core')} are free (other programs: ${pct(otherLoad)})`;
        next.push({
          id: 'threads',
          kind: 'threads',
          title: advice.tooMany ? 'More threads than free cores' : 'Cores left idle',
          detail: advice.tooMany
            ? `Mai runs on ${plural(snapshot.threads, 'thread')} but only ${free}; threads on busy cores wait on each other and replies slow down sharply. ${plural(advice.recommended, 'thread')} would fit.`
            : `Mai runs on ${plural(snapshot.threads, 'thread')} while ${free}; ${plural(advice.recommended, 'thread')} would answer faster and still leave a core for the rest of the machine.`,
          ...(this.deps.setThreads ? { action: { label: `Use ${plural(advice.recommended, 'thread')}` } } : {}),
        });
      }
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
      case 'threads': {
        const threads = this.recommendedThreads;
        if (threads === null || !this.deps.setThreads) return { applied: false, message: 'Mai cannot do this one for you.' };
        await this.deps.setThreads(threads);
        this.publish(this.list.filter((s) => s.id !== id));
        return { applied: true, message: `Mai now uses ${threads} thread${threads === 1 ? '' : 's'}.` };
      }
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

  private machineCores(): () => number {
    let cores = os.availableParallelism();
    let asked = false;
    return () => {
      // Read when first needed, not when the core is built: si.cpu() starts several programs
      // (lscpu and others) that competed for the CPU with whatever ran next — in the Hub
      // benchmark a download started at once ran markedly slower (docs/benchmarks.md).
      if (!asked) {
        asked = true;
        void import('systeminformation')
          .then((si) => si.cpu())
          .then((cpu) => {
            if (cpu.physicalCores > 0) cores = cpu.physicalCores;
          })
          .catch(() => {});
      }
      return cores;
    };
  }

  private sampleProcesses(): void {
    this.sampling = true;
    this.processesAt = this.now();
    (this.deps.listProcesses ?? topProcesses)()
      .then((list) => {
        this.processes = list;
        // Shown now rather than with the next sample.
        if (!this.stopped && this.lastSnapshot) this.evaluate(this.lastSnapshot);
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
