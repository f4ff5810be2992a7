/**
 * The Linux readings that this machine cannot be made to produce on demand — memory stalls (PSI),
 * swap-in and a battery — read by the real SystemResourceSource from fixture files in a temporary
 * procfs/sysfs (its procRoot and sysRoot options), and the scaler rules that act on them.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../electron/engine/resource/clock';
import { ProactiveScaler } from '../../../electron/engine/resource/policy/proactive-scaler';
import type { ModelDecision, ScalerDecision } from '../../../electron/engine/resource/policy/scaler-types';
import { SystemResourceSource } from '../../../electron/engine/resource/monitoring/system-source';
import { GiB, HARDWARE_32, LADDER, createHarness } from './helpers';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempRoot(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mai-procfs-'));
  dirs.push(dir);
  return dir;
}

/** A minimal /proc: 32 GiB with 24 GiB available, 8 GiB of swap, the engine holding ~7 GB. */
function writeProc(root: string, state: { tick: number; psiSome?: number; psiFull?: number; pswpin?: number }): void {
  mkdirSync(path.join(root, 'pressure'), { recursive: true });
  mkdirSync(path.join(root, 'self'), { recursive: true });
  const kB = (bytes: number): number => Math.round(bytes / 1024);
  // 10 % busy: the counters advance 100 ticks per call, 10 of them busy.
  writeFileSync(path.join(root, 'stat'), `cpu  ${state.tick * 10} 0 0 ${state.tick * 90} 0 0 0 0 0 0\ncpu0 0 0 0 0 0 0 0 0 0 0\n`);
  writeFileSync(
    path.join(root, 'meminfo'),
    `MemTotal:       ${kB(32 * GiB)} kB\nMemFree:        ${kB(20 * GiB)} kB\nMemAvailable:   ${kB(24 * GiB)} kB\nSwapTotal:      ${kB(8 * GiB)} kB\nSwapFree:       ${kB(7 * GiB)} kB\n`,
  );
  const some = (state.psiSome ?? 0).toFixed(2);
  const full = (state.psiFull ?? 0).toFixed(2);
  writeFileSync(path.join(root, 'pressure/memory'), `some avg10=${some} avg60=0.00 avg300=0.00 total=1\nfull avg10=${full} avg60=0.00 avg300=0.00 total=1\n`);
  writeFileSync(path.join(root, 'self/status'), `Name:\tnode\nVmRSS:\t${kB(7.2e9)} kB\nRssAnon:\t${kB(7e9)} kB\n`);
  writeFileSync(path.join(root, 'vmstat'), `nr_free_pages 1000\npswpin ${state.pswpin ?? 0}\npswpout 0\n`);
}

describe('SystemResourceSource on fixture files (Linux)', () => {
  it('reads PSI avg10 as fractions, and the scaler steps down after 10 s of stalls over 20 %', async () => {
    const root = tempRoot();
    const source = new SystemResourceSource({ procRoot: root, sysRoot: root, platform: 'linux' });
    const clock = new VirtualClock(0);
    const scaler = new ProactiveScaler({ clock, ladder: LADDER, initialModelId: 'large', hardware: HARDWARE_32 });
    const decisions: ScalerDecision[] = [];
    scaler.on('decision', (decision) => decisions.push(decision));
    for (let second = 1; second <= 60; second++) {
      writeProc(root, { tick: second * 100, psiSome: second >= 30 ? 25 : 1 });
      clock.advanceTo(second * 1000);
      const sample = await source.readSample(clock.now());
      if (second === 30) {
        expect(sample).toMatchObject({ psiSomeAvg10: 0.25, psiFullAvg10: 0, memTotalBytes: 32 * GiB, memUsedBytes: 8 * GiB, swapUsedBytes: 1 * GiB });
        expect(sample.cpuTotalLoad).toBeCloseTo(0.1, 5);
      }
      scaler.ingest(sample);
    }
    const models = decisions.filter((d): d is ModelDecision => d.action === 'degrade' || d.action === 'upgrade');
    expect(models.map((d) => [d.action, d.path, d.t / 1000])).toEqual([['degrade', 'pressure', 40]]);
    expect(models[0]!.metrics).toMatchObject({ psiSomeAvg10: 0.25 });
  });

  it('reads PSI full, which is an emergency at 5 %', async () => {
    const root = tempRoot();
    writeProc(root, { tick: 100, psiSome: 40, psiFull: 6.5 });
    const sample = await new SystemResourceSource({ procRoot: root, platform: 'linux' }).readSample(0);
    expect(sample.psiFullAvg10).toBeCloseTo(0.065, 10);
  });

  it('turns pswpin deltas into bytes per second over the time between reads', async () => {
    const root = tempRoot();
    const source = new SystemResourceSource({ procRoot: root, platform: 'linux' });
    writeProc(root, { tick: 100, pswpin: 1000 });
    const before = performance.now();
    const first = await source.readSample(0);
    const between = performance.now();
    expect(first.swapInBytesPerSecond, 'no rate from a single reading').toBeUndefined();
    const pages = 50_000;
    writeProc(root, { tick: 200, pswpin: 1000 + pages });
    const justBefore = performance.now();
    const second = await source.readSample(1000);
    const after = performance.now();
    const bytes = pages * 4096;
    // The source times its own reads: the rate lies between bytes over the outer and inner spans.
    expect(second.swapInBytesPerSecond).toBeGreaterThanOrEqual(bytes / ((after - before) / 1000));
    expect(second.swapInBytesPerSecond).toBeLessThanOrEqual(bytes / ((justBefore - between) / 1000));
  });
});

describe('battery from /sys/class/power_supply', () => {
  function writeSupply(root: string, name: string, fields: Record<string, string>): void {
    const dir = path.join(root, 'class/power_supply', name);
    mkdirSync(dir, { recursive: true });
    for (const [file, value] of Object.entries(fields)) writeFileSync(path.join(dir, file), `${value}\n`);
  }

  it('reports a discharging laptop with its percentage, and mains when plugged in', async () => {
    const root = tempRoot();
    const source = new SystemResourceSource({ procRoot: root, sysRoot: root, platform: 'linux' });
    writeSupply(root, 'AC', { type: 'Mains', online: '0' });
    writeSupply(root, 'BAT0', { type: 'Battery', capacity: '15', status: 'Discharging' });
    expect(await source.readPower()).toEqual({ onBattery: true, batteryPercent: 15 });
    writeSupply(root, 'AC', { type: 'Mains', online: '1' });
    writeSupply(root, 'BAT0', { type: 'Battery', capacity: '16', status: 'Charging' });
    expect(await source.readPower()).toEqual({ onBattery: false, batteryPercent: 16 });
  });

  it('reports nothing on a desktop without power supplies listed', async () => {
    const root = tempRoot();
    expect(await new SystemResourceSource({ sysRoot: root, platform: 'linux' }).readPower()).toBeNull();
  });
});

describe('pressure rule (PSI some, swap-in)', () => {
  it('steps down one rung after 10 s of swap-in over 8 MiB/s, and not for a 5 s burst', async () => {
    const h = createHarness();
    await h.run(100, (t) => ({ background: 0.4, swapInBytesPerSecond: t >= 50 && t < 55 ? 64 * 2 ** 20 : 0 }));
    expect(h.modelDecisions()).toEqual([]);
    await h.run(30, (t) => ({ background: 0.4, swapInBytesPerSecond: t > 110 ? 16 * 2 ** 20 : 0 }));
    expect((h.modelDecisions() as ModelDecision[]).map((d) => [d.path, d.from, d.to, d.t / 1000])).toEqual([['pressure', 'large', 'medium', 121]]);
  });

  it('keeps upgrades away for the stabilization period after stalls were seen', async () => {
    const h = createHarness({
      settings: { degradeThreshold: 0.8, upgradeThreshold: 0.6, stabilizationSeconds: 30, upgradeGapSeconds: 0 },
      initialModelId: 'medium',
    });
    await h.run(20, () => ({ background: 0.3, psiSome: 0.15 }));
    await h.run(60, () => ({ background: 0.3, psiSome: 0 }));
    // Without the stalls it would have gone up at 31 s; the last stall at 20 s holds it to 50 s.
    expect((h.modelDecisions() as ModelDecision[]).map((d) => [d.action, d.t / 1000])).toEqual([['upgrade', 50]]);
  });
});
