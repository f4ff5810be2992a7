/**
 * The ResourceMonitor against the real machine (it reads /proc and returns sane numbers), against
 * a trace under the virtual clock (thirty minutes in milliseconds, feeding the whole scaler), and
 * when reads are slow or fail. Plus the /proc parsers on fixed text.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { RealClock, VirtualClock, flushPromises, sleep } from '../../../electron/engine/resource/clock';
import { ModelSwitcher } from '../../../electron/engine/resource/actuation/model-switcher';
import { SimulatedLoader } from '../../../electron/engine/tools/simulated-loader';
import { ProactiveScaler } from '../../../electron/engine/resource/policy/proactive-scaler';
import {
  cpuBusyFraction,
  parseMemInfo,
  parsePressure,
  parseProcStat,
  parseSelfStatus,
  parseSwapInPages,
} from '../../../electron/engine/resource/monitoring/proc-parsers';
import { ResourceMonitor } from '../../../electron/engine/resource/monitoring/resource-monitor';
import { createScriptedSource } from '../../../electron/engine/resource/monitoring/resource-source';
import { SystemResourceSource } from '../../../electron/engine/resource/monitoring/system-source';
import { TraceResourceSource } from '../../../electron/engine/tools/trace-source';
import type { ResourceSample } from '../../../electron/engine/resource/types';
import { HARDWARE_32, loadTrace } from './helpers';

describe('ResourceMonitor on this machine', () => {
  it('reads static hardware once and samples sane numbers from /proc', { timeout: 30_000 }, async () => {
    const monitor = new ResourceMonitor({ source: new SystemResourceSource(), clock: new RealClock(), intervalMs: 100 });
    const samples: ResourceSample[] = [];
    const three = new Promise<void>((resolve) => {
      monitor.onSample((sample) => {
        samples.push(sample);
        if (samples.length === 3) resolve();
      });
    });
    const hardware = await monitor.start();
    await three;
    monitor.stop();

    expect(hardware.logicalCores).toBe(os.cpus().length);
    expect(hardware.physicalCores).toBeGreaterThanOrEqual(1);
    expect(Math.abs(hardware.memTotalBytes - os.totalmem()) / os.totalmem()).toBeLessThan(0.05);
    for (const sample of samples) {
      expect(sample.memTotalBytes).toBeGreaterThan(0);
      expect(sample.memUsedBytes).toBeGreaterThan(0);
      expect(sample.memUsedBytes).toBeLessThan(sample.memTotalBytes);
      expect(sample.ownMemBytes).toBeGreaterThan(1e6); // this test process
      expect(sample.ownMemBytes).toBeLessThan(sample.memTotalBytes);
      expect(sample.cpuOtherLoad).toBeGreaterThanOrEqual(0);
      expect(sample.cpuOtherLoad).toBeLessThanOrEqual(1);
    }
    if (process.platform === 'linux') {
      const last = samples.at(-1)!;
      // MemAvailable, not MemFree: used = total − available.
      expect(last.memTotalBytes).toBe(parseMemInfo(await import('node:fs').then((fs) => fs.readFileSync('/proc/meminfo', 'utf8')))!.memTotalBytes);
      if (existsSync('/proc/pressure/memory')) expect(last.psiSomeAvg10).toBeGreaterThanOrEqual(0);
      expect(last.swapTotalBytes).toBeGreaterThanOrEqual(0);
    }
    expect(monitor.stats.errors).toBe(0);
  });
});

describe('ResourceMonitor on a trace', () => {
  it('replays 30 simulated minutes at 1 Hz in milliseconds, matching the trace', async () => {
    const trace = loadTrace('stable-noise.json');
    const clock = new VirtualClock(0);
    const monitor = new ResourceMonitor({ source: new TraceResourceSource(trace), clock });
    const seen: ResourceSample[] = [];
    monitor.onSample((sample) => seen.push(sample));
    const started = performance.now();
    await monitor.start();
    await clock.advanceAsync(30 * 60 * 1000);
    monitor.stop();
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(seen).toHaveLength(1801);
    const at = seen[600]!;
    expect(at.t).toBe(600_000);
    expect(at.memUsedBytes).toBe(trace.samples[600]!.otherMemUsedBytes);
    expect(at.cpuOtherLoad).toBe(trace.samples[600]!.cpuLoad);
  });

  it('drives the whole scaler: monitor → scaler → switcher, and degrades within 2 samples of a drop', async () => {
    const trace = loadTrace('sudden-drop.json');
    const clock = new VirtualClock(0);
    const loader = new SimulatedLoader(clock, trace.models, trace.initialModel);
    const source = new TraceResourceSource(trace, { residentModel: () => trace.models.find((model) => model.id === loader.resident) });
    const monitor = new ResourceMonitor({ source, clock });
    const scaler = new ProactiveScaler({
      clock,
      ladder: trace.models,
      initialModelId: trace.initialModel,
      hardware: HARDWARE_32,
      settings: trace.settings ?? {},
      monitor,
    });
    const switcher = new ModelSwitcher({ policy: scaler, loader });
    await scaler.startContinuousMonitoring();
    await clock.advanceAsync(400_000);
    scaler.stop();
    monitor.stop();
    const degrade = scaler.getState().recentDecisions.find((d) => d.action === 'degrade');
    expect(degrade).toBeDefined();
    expect(degrade!.t - 300_000).toBeLessThanOrEqual(2_000);
    expect(loader.resident).toBe('medium');
    expect(switcher.isSwitching).toBe(false);
  });
});

describe('ResourceMonitor robustness', () => {
  it('skips ticks while a slow read is running instead of stacking them', async () => {
    const clock = new VirtualClock(0);
    let reading = 0;
    let maxConcurrent = 0;
    const source = createScriptedSource({ hardware: HARDWARE_32, sample: () => ({ cpuOtherLoad: 0, memTotalBytes: 1, memUsedBytes: 0, ownMemBytes: 0 }) });
    const slow = {
      ...source,
      readSample: async (t: number) => {
        reading++;
        maxConcurrent = Math.max(maxConcurrent, reading);
        await sleep(clock, 2_500);
        reading--;
        return source.readSample(t);
      },
    };
    const monitor = new ResourceMonitor({ source: slow, clock });
    void monitor.start();
    await clock.advanceAsync(20_000);
    monitor.stop();
    expect(maxConcurrent).toBe(1);
    expect(monitor.stats.skippedTicks).toBeGreaterThan(5);
  });

  it('reads power at a low rate and carries it into every sample', async () => {
    const clock = new VirtualClock(0);
    let powerReads = 0;
    const source = createScriptedSource({
      hardware: HARDWARE_32,
      sample: () => ({ cpuOtherLoad: 0, memTotalBytes: 1, memUsedBytes: 0, ownMemBytes: 0 }),
      power: () => {
        powerReads++;
        return { onBattery: true, batteryPercent: 55 };
      },
    });
    const monitor = new ResourceMonitor({ source, clock, powerIntervalMs: 60_000 });
    await monitor.start();
    await clock.advanceAsync(299_000);
    expect(powerReads).toBe(5);
    expect(monitor.latest()).toMatchObject({ onBattery: true, batteryPercent: 55 });
    monitor.stop();
  });

  it('a failing read is counted and reported, and sampling goes on', async () => {
    const clock = new VirtualClock(0);
    let calls = 0;
    const errors: unknown[] = [];
    const source = createScriptedSource({
      hardware: HARDWARE_32,
      sample: () => {
        if (++calls === 3) throw new Error('EACCES /proc/meminfo');
        return { cpuOtherLoad: 0, memTotalBytes: 1, memUsedBytes: 0, ownMemBytes: 0 };
      },
    });
    const monitor = new ResourceMonitor({ source, clock, onError: (error) => errors.push(error) });
    await monitor.start();
    await clock.advanceAsync(10_000);
    await flushPromises();
    monitor.stop();
    expect(monitor.stats.errors).toBe(1);
    expect(errors).toHaveLength(1);
    expect(monitor.stats.samples).toBe(10);
  });
});

describe('/proc parsers', () => {
  it('CPU busy fraction from two /proc/stat readings', () => {
    const a = parseProcStat('cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 1 2 3\n')!;
    const b = parseProcStat('cpu  200 0 100 850 50 0 0 0 0 0\n')!;
    expect(cpuBusyFraction(a, b)).toBeCloseTo(150 / 200, 9);
  });

  it('meminfo uses MemAvailable, and does not confuse Cached with SwapCached', () => {
    const info = parseMemInfo(
      'MemTotal:       16000000 kB\nMemFree:  1000 kB\nMemAvailable:    8000000 kB\nSwapCached: 5 kB\nSwapTotal: 2000000 kB\nSwapFree: 1500000 kB\n',
    )!;
    expect(info).toEqual({ memTotalBytes: 16000000 * 1024, memAvailableBytes: 8000000 * 1024, swapTotalBytes: 2000000 * 1024, swapFreeBytes: 1500000 * 1024 });
    const old = parseMemInfo('MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 50 kB\nCached: 200 kB\nSwapCached: 999 kB\n')!;
    expect(old.memAvailableBytes).toBe(350 * 1024);
  });

  it('PSI, swap-in pages and the engine’s own memory', () => {
    expect(parsePressure('some avg10=12.50 avg60=1.00 avg300=0.10 total=5\nfull avg10=2.00 avg60=0 avg300=0 total=1\n')).toEqual({
      someAvg10: 0.125,
      fullAvg10: 0.02,
    });
    expect(parsePressure('')).toBeNull();
    expect(parseSwapInPages('pgpgin 5\npswpin 1234\npswpout 9\n')).toBe(1234);
    expect(parseSelfStatus('Name: node\nVmRSS:   204800 kB\nRssAnon:  102400 kB\nRssFile: 100000 kB\n')).toEqual({
      rssAnonBytes: 102400 * 1024,
      rssBytes: 204800 * 1024,
    });
  });
});
