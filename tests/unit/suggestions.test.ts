/**
 * The optimisation suggestions, driven by resource frames shaped as the engine sends them (parsed
 * with the shared schema). The process lister, the settings and the model are stand-ins: the real
 * ones read the whole machine's process table and need the engine, and what is under test is which
 * suggestion the panel shows, with which figure, what its button does, and when it goes away.
 */
import { describe, expect, it } from 'vitest';
import type { LoadedModel, Suggestion } from '../../shared/domain';
import { resourceSnapshotSchema, type ResourceSnapshot } from '../../shared/resource';
import { defaultAppSettings, type AppSettings } from '../../shared/settings';
import { SuggestionEngine, threadAdvice, type ProcessUse } from '../../electron/main/core/suggestions';

const GB = 1e9;
const MIN = 60_000;

interface FrameOptions {
  /** Memory in use, fraction of the total. */
  memory?: number;
  /** Other programs' CPU load, fraction of all cores. */
  cpuOther?: number;
  threads?: number;
  vramTotalBytes?: number;
  onBattery?: boolean;
  batteryPercent?: number;
  generating?: boolean;
  t?: number;
}

function frame({
  memory = 0.5,
  cpuOther = 0.1,
  threads = 2,
  vramTotalBytes,
  onBattery,
  batteryPercent,
  generating = false,
  t = 0,
}: FrameOptions = {}): ResourceSnapshot {
  const total = 16 * GB;
  const trend = (resource: 'memory' | 'vram' | 'cpu', latest: number, threshold: number) => ({
    resource,
    available: true,
    latest,
    level: latest,
    slopePerSecond: 0,
    longSlopePerSecond: 0,
    threshold,
    secondsToThreshold: null,
    change: 'flat',
    reliable: true,
  });
  return resourceSnapshotSchema.parse({
    sample: {
      t,
      cpuOtherLoad: cpuOther,
      memTotalBytes: total,
      memUsedBytes: Math.round(memory * total),
      ownMemBytes: 0.3 * GB,
      ...(vramTotalBytes !== undefined ? { vramTotalBytes, vramUsedBytes: 0 } : {}),
      ...(onBattery !== undefined ? { onBattery } : {}),
      ...(batteryPercent !== undefined ? { batteryPercent } : {}),
    },
    tier: { id: 'medium', label: 'Medium', description: 'Medium machine', reasons: [] },
    modelId: '/models/demo.gguf',
    switching: null,
    generating,
    threads,
    trends: { memory: trend('memory', memory, 0.8), vram: trend('vram', 0, 0.8), cpu: trend('cpu', cpuOther, 0.7) },
    status: { kind: 'steady' },
    thresholds: { degrade: 0.8, critical: 0.9, upgrade: 0.6 },
    performance: [],
  });
}

const demoModel: LoadedModel = {
  path: '/models/demo.gguf',
  name: 'Demo 120 MB',
  sizeBytes: 120e6,
  synthetic: true,
  contextSize: 4096,
  threads: 2,
  gpu: false,
  gpuLayers: 0,
  loadMs: 300,
};

/** A SuggestionEngine with recording stand-ins, a virtual clock and a 4-core machine. */
function rig(options: { processes?: ProcessUse[]; cores?: number; withThreads?: boolean } = {}) {
  let clock = 0;
  let settings: AppSettings = { ...defaultAppSettings };
  let model: LoadedModel | null = { ...demoModel };
  const published: Suggestion[][] = [];
  const settingsPatches: Array<Partial<AppSettings>> = [];
  const threadCalls: number[] = [];
  let unloads = 0;
  let listCalls = 0;
  let listed: (() => void) | null = null;
  const engine = new SuggestionEngine({
    publish: (list) => {
      published.push(list);
      listed?.();
    },
    updateSettings: async (patch) => {
      settingsPatches.push(patch);
      settings = { ...settings, ...patch };
    },
    settings: () => settings,
    model: () => model,
    unloadModel: async () => {
      unloads += 1;
      model = null;
    },
    ...(options.withThreads === false ? {} : { setThreads: async (n: number) => void threadCalls.push(n) }),
    listProcesses: async () => {
      listCalls += 1;
      return options.processes ?? [];
    },
    cores: () => options.cores ?? 4,
    now: () => clock,
  });
  const byKind = (kind: Suggestion['kind']) => engine.current.find((s) => s.kind === kind) ?? null;
  return {
    engine,
    byKind,
    published,
    settingsPatches,
    threadCalls,
    get unloads() {
      return unloads;
    },
    get listCalls() {
      return listCalls;
    },
    setModel: (next: LoadedModel | null) => (model = next),
    advance: (ms: number) => (clock += ms),
    /** Observes frames at 1 Hz of virtual time. */
    feed: (options: FrameOptions, count = 1) => {
      for (let i = 0; i < count; i += 1) {
        clock += 1000;
        engine.observe(frame({ ...options, t: clock }));
      }
    },
    /** Resolves at the next publication (the process list arrives asynchronously). */
    nextPublication: () => new Promise<void>((resolve) => (listed = resolve)),
  };
}

describe('suggestions', () => {
  it('names the programs using the most memory under pressure, and drops them when memory is free again', async () => {
    const r = rig({
      processes: [
        { name: 'chromium', memBytes: 3.2 * GB },
        { name: 'code', memBytes: 1.1 * GB },
      ],
    });
    const shown = r.nextPublication();
    r.feed({ memory: 0.85 });
    await shown;
    const hogs = r.byKind('memory-hogs');
    expect(hogs?.detail).toContain('chromium 3.2 GB');
    expect(hogs?.detail).toContain('code 1.1 GB');
    expect(hogs?.detail).toContain('85 %');
    expect(hogs?.action).toBeUndefined(); // Mai does not close other people's programs.
    // Sampled rarely: a minute of frames under pressure reads the process list once.
    r.feed({ memory: 0.85 }, 59);
    expect(r.listCalls).toBe(1);
    r.feed({ memory: 0.4 });
    expect(r.byKind('memory-hogs')).toBeNull();
  });

  it('does not read the process list while memory is fine', () => {
    const r = rig({ processes: [{ name: 'chromium', memBytes: 3.2 * GB }] });
    r.feed({ memory: 0.3 }, 120);
    expect(r.listCalls).toBe(0);
    expect(r.byKind('memory-hogs')).toBeNull();
  });

  it('offers a smaller context under pressure with the memory it frees; the button sets 2048 tokens and the suggestion goes', async () => {
    const r = rig();
    r.feed({ memory: 0.82 });
    const context = r.byKind('context');
    expect(context?.detail).toContain('82 %');
    expect(context?.detail).toContain('act at 80 %');
    expect(context?.detail).toMatch(/free about \d+ MB/);
    expect(context?.action?.label).toBe('Use 2048 tokens');
    const result = await r.engine.apply('context');
    expect(result).toEqual({ applied: true, message: expect.stringContaining('2048') });
    expect(r.settingsPatches).toEqual([{ contextSize: 2048 }]);
    expect(r.byKind('context')).toBeNull();
    r.feed({ memory: 0.82 });
    expect(r.byKind('context')).toBeNull(); // The cause is gone: the context is already small.
  });

  it('a smaller context is not suggested once memory pressure is over', () => {
    const r = rig();
    r.feed({ memory: 0.82 });
    expect(r.byKind('context')).not.toBeNull();
    r.feed({ memory: 0.5 });
    expect(r.byKind('context')).toBeNull();
  });

  it('compares the threads in use with the free cores: too many on a busy machine, and a button that applies the better count', async () => {
    const r = rig({ cores: 4 });
    // Other programs keep 60 % of 4 cores busy: 1.6 cores free, yet Mai runs 3 threads.
    r.feed({ cpuOther: 0.6, threads: 3 }, 5);
    const threads = r.byKind('threads');
    expect(threads?.title).toBe('More threads than free cores');
    expect(threads?.detail).toContain('3 threads');
    expect(threads?.detail).toContain('1.6 of 4 cores are free');
    expect(threads?.detail).toContain('60 %');
    expect(threads?.action?.label).toBe('Use 1 thread');
    expect(await r.engine.apply('threads')).toEqual({ applied: true, message: 'Mai now uses 1 thread.' });
    expect(r.threadCalls).toEqual([1]);
    expect(r.byKind('threads')).toBeNull();
    // The engine now reports the applied count: nothing more to suggest.
    r.feed({ cpuOther: 0.6, threads: 1 }, 5);
    expect(r.byKind('threads')).toBeNull();
  });

  it('suggests more threads when cores sit idle, even with other programs under half the processor', () => {
    const r = rig({ cores: 8 });
    r.feed({ cpuOther: 0.1, threads: 2 }, 5);
    const threads = r.byKind('threads');
    expect(threads?.title).toBe('Cores left idle');
    expect(threads?.detail).toContain('2 threads');
    expect(threads?.detail).toContain('7.2 of 8 cores are free');
    expect(threads?.action?.label).toBe('Use 6 threads');
  });

  it('the threads suggestion goes when the other programs stop, and one busy sample does not bring it', () => {
    const r = rig({ cores: 4 });
    r.feed({ cpuOther: 0.6, threads: 3 }, 5);
    expect(r.byKind('threads')).not.toBeNull();
    r.feed({ cpuOther: 0.05, threads: 3 }, 5);
    expect(r.byKind('threads')).toBeNull();
    r.feed({ cpuOther: 0.9, threads: 3 }); // A blip: the median of 5 s stays low.
    expect(r.byKind('threads')).toBeNull();
  });

  it('without a way to set threads the suggestion still shows its figure but offers no button', async () => {
    const r = rig({ cores: 4, withThreads: false });
    r.feed({ cpuOther: 0.6, threads: 3 }, 5);
    expect(r.byKind('threads')?.detail).toContain('1.6 of 4 cores');
    expect(r.byKind('threads')?.action).toBeUndefined();
    expect((await r.engine.apply('threads')).applied).toBe(false);
  });

  it('points at the GPU when one is present and the model runs on the processor, until layers are offloaded', () => {
    const r = rig();
    r.feed({ vramTotalBytes: 8 * GB });
    expect(r.byKind('gpu-offload')?.detail).toContain('8.0 GB');
    expect(r.byKind('gpu-offload')?.detail).toContain('Demo 120 MB');
    r.setModel({ ...demoModel, gpu: 'cuda', gpuLayers: 33 });
    r.feed({ vramTotalBytes: 8 * GB });
    expect(r.byKind('gpu-offload')).toBeNull();
    r.setModel({ ...demoModel });
    r.feed({});
    expect(r.byKind('gpu-offload')).toBeNull(); // No GPU, nothing to offload to.
  });

  it('on battery offers to prefer speed; the button sets it and the suggestion goes, as it does on mains', async () => {
    const r = rig();
    r.feed({ onBattery: true, batteryPercent: 37 });
    expect(r.byKind('battery')?.detail).toContain('37 %');
    expect(await r.engine.apply('battery')).toEqual({ applied: true, message: 'Mai now prefers speed.' });
    expect(r.settingsPatches).toEqual([{ preference: 'speed' }]);
    r.feed({ onBattery: true, batteryPercent: 36 });
    expect(r.byKind('battery')).toBeNull();

    const mains = rig();
    mains.feed({ onBattery: true, batteryPercent: 80 });
    expect(mains.byKind('battery')).not.toBeNull();
    mains.feed({ onBattery: false });
    expect(mains.byKind('battery')).toBeNull();
  });

  it('offers to unload a model idle for over ten minutes, with its size; the button unloads it', async () => {
    const r = rig();
    r.feed({}, 9 * 60);
    expect(r.byKind('idle-model')).toBeNull();
    r.feed({}, 61);
    const idle = r.byKind('idle-model');
    expect(idle?.detail).toContain('10 min');
    expect(idle?.detail).toContain('120 MB');
    expect(await r.engine.apply('idle-model')).toEqual({ applied: true, message: expect.stringContaining('unloaded') });
    expect(r.unloads).toBe(1);
    r.feed({}, 5);
    expect(r.byKind('idle-model')).toBeNull(); // No model loaded any more.
  });

  it('an idle-model suggestion goes as soon as a reply starts', () => {
    const r = rig();
    r.advance(11 * MIN);
    r.feed({});
    expect(r.byKind('idle-model')).not.toBeNull();
    r.feed({ generating: true });
    expect(r.byKind('idle-model')).toBeNull();
  });

  it('refuses a suggestion that no longer applies or that Mai cannot carry out', async () => {
    const r = rig({ processes: [{ name: 'chromium', memBytes: 3.2 * GB }] });
    expect(await r.engine.apply('context')).toEqual({ applied: false, message: 'That suggestion no longer applies.' });
    const shown = r.nextPublication();
    r.feed({ memory: 0.85 });
    await shown;
    expect((await r.engine.apply('memory-hogs')).applied).toBe(false);
    expect(r.settingsPatches).toEqual([]);
  });

  it('publishes only when the list changes', () => {
    const r = rig();
    r.feed({ onBattery: true, batteryPercent: 50 }, 10);
    expect(r.published).toHaveLength(1);
  });
});

describe('threadAdvice', () => {
  it('leaves a one-core band in which nothing is suggested', () => {
    // 4 cores, 30 % busy: 2.8 free → recommended 1, too many above 2.
    expect(threadAdvice(1, 4, 0.3)).toMatchObject({ recommended: 1, tooMany: false, tooFew: false });
    expect(threadAdvice(2, 4, 0.3)).toMatchObject({ tooMany: false, tooFew: false });
    expect(threadAdvice(3, 4, 0.3)).toMatchObject({ tooMany: true, recommended: 1 });
    // A machine whose cores are all taken still gets one thread.
    expect(threadAdvice(2, 2, 1)).toMatchObject({ freeCores: 0, recommended: 1, tooMany: true });
  });
});
