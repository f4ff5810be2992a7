/**
 * The resource layer's benchmarks (run by bench/scaler-bench.ts): what monitoring costs against a
 * naive systeminformation loop, how fast the pre-flight answer is, and how the proactive policy
 * compares with the reactive baseline on every committed trace. Results are plain JSON.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import * as si from 'systeminformation';
import { RealClock, VirtualClock } from '../resource/clock';
import { ProactiveScaler } from '../resource/policy/proactive-scaler';
import { ResourceMonitor } from '../resource/monitoring/resource-monitor';
import { runSimulation, type SimulationResult, type SimulationSummary } from './simulate';
import { SystemResourceSource } from '../resource/monitoring/system-source';
import { parseTraceText, type Trace } from './trace';
import type { ModelProfile, StaticHardwareInfo } from '../resource/types';

/** Options of a run. */
export interface BenchmarkOptions {
  /** Shorter monitoring windows (10 s instead of 60 s). */
  quick?: boolean;
  /** Directory of the scenario traces. Default tests/traces under the working directory. */
  traceDir?: string;
}

const wait = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const round = (value: number, digits = 3): number => Math.round(value * 10 ** digits) / 10 ** digits;

/**
 * CPU seconds of this process, plus its waited-for children on Linux (systeminformation spawns
 * tools such as lspci; their cost belongs to the loop that spawned them).
 */
function cpuSeconds(): number {
  const own = process.cpuUsage();
  let children = 0;
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 16 and 17 of stat (cutime, cstime), counted from after the command name.
    children = (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    // not Linux: children are not counted
  }
  return (own.user + own.system) / 1e6 + children;
}

/** CPU used by `run` over `seconds` of wall time, as a fraction of one core. */
async function measure(seconds: number, run: () => () => void): Promise<{ cpuSeconds: number; wallSeconds: number; fractionOfOneCore: number }> {
  const startCpu = cpuSeconds();
  const startWall = performance.now();
  const stop = run();
  await wait(seconds * 1000);
  stop();
  const wallSeconds = (performance.now() - startWall) / 1000;
  const used = cpuSeconds() - startCpu;
  return { cpuSeconds: round(used, 4), wallSeconds: round(wallSeconds, 2), fractionOfOneCore: used / wallSeconds };
}

/** Monitoring cost: our 1 Hz monitor against a naive loop of currentLoad + mem + graphics. */
export async function benchmarkMonitoring(seconds: number): Promise<Record<string, unknown>> {
  const startupStart = cpuSeconds();
  const source = new SystemResourceSource();
  const monitor = new ResourceMonitor({ source, clock: new RealClock() });
  await monitor.start(); // static hardware once (systeminformation), outside the measured window
  monitor.stop();
  // Warm the sampling path (JIT, first regex compiles) so a 10 s window measures the steady state.
  for (let i = 0; i < 20; i++) await monitor.sampleNow();
  // The read itself, back to back: robust to whatever else the machine is doing, unlike a window.
  const reads = 200;
  const readStart = process.cpuUsage();
  for (let i = 0; i < reads; i++) await source.readSample(i);
  const readUsage = process.cpuUsage(readStart);
  const perSampleMicroseconds = (readUsage.user + readUsage.system) / reads;
  const startupCpu = cpuSeconds() - startupStart;
  // Child processes systeminformation spawned at start are charged when reaped: let that pass.
  await wait(3000);

  const idle = await measure(Math.max(3, seconds / 2), () => () => undefined);
  const ours = await measure(seconds, () => {
    void monitor.start();
    return () => monitor.stop();
  });
  const naiveLoop = { busy: false, iterations: 0 };
  const naive = await measure(seconds, () => {
    const timer = setInterval(() => {
      if (naiveLoop.busy) return; // never stack calls: that would overstate the naive cost
      naiveLoop.busy = true;
      naiveLoop.iterations++;
      void Promise.all([si.currentLoad(), si.mem(), si.graphics()]).finally(() => (naiveLoop.busy = false));
    }, 1000);
    return () => clearInterval(timer);
  });
  // The idle process (timers, GC of earlier work) is context, not subtracted when it is noisier
  // than the thing measured.
  const idleFloor = idle.fractionOfOneCore < ours.fractionOfOneCore ? idle.fractionOfOneCore : 0;
  const ourNet = ours.fractionOfOneCore - idleFloor;
  const naiveNet = naive.fractionOfOneCore - idleFloor;
  return {
    seconds,
    samplesTaken: monitor.stats.samples,
    startupCpuMilliseconds: round(startupCpu * 1000, 1),
    idleProcessPercentOfOneCore: round(idle.fractionOfOneCore * 100, 4),
    monitorPercentOfOneCore: round(ours.fractionOfOneCore * 100, 4),
    monitorNetPercentOfOneCore: round(ourNet * 100, 4),
    naivePercentOfOneCore: round(naive.fractionOfOneCore * 100, 4),
    naiveNetPercentOfOneCore: round(naiveNet * 100, 4),
    naiveIterations: naiveLoop.iterations,
    naiveOverMonitorRatio: round(naive.fractionOfOneCore / ours.fractionOfOneCore, 1),
    naiveOverMonitorNetRatio: ourNet > 0 ? round(naiveNet / ourNet, 1) : null,
    monitorCpuMicrosecondsPerSecond: round((ours.cpuSeconds * 1e6) / Math.max(1, seconds), 0),
    readCpuMicrosecondsPerSample: round(perSampleMicroseconds, 1),
    readPercentOfOneCoreAt1Hz: round(perSampleMicroseconds / 1e4, 4),
    target: 'monitor ≤ 0.5 % of one core',
    meetsTarget: ours.fractionOfOneCore * 100 <= 0.5,
  };
}

const LADDER: ModelProfile[] = [
  { id: 'small', memBytes: 1_500_000_000, vramBytes: 0, loadSeconds: 2 },
  { id: 'medium', memBytes: 4_000_000_000, vramBytes: 0, loadSeconds: 4 },
  { id: 'large', memBytes: 7_000_000_000, vramBytes: 0, loadSeconds: 7 },
];
const HARDWARE: StaticHardwareInfo = {
  cpuModel: 'bench',
  physicalCores: 8,
  logicalCores: 8,
  memTotalBytes: 2 ** 35,
  gpus: [],
  os: { platform: 'linux', release: '', arch: 'x64' },
};

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

/** Pre-flight latency over `calls` calls (after a warm-up), and the per-sample cost of the analysis. */
export function benchmarkPreflight(calls = 100_000): Record<string, unknown> {
  const clock = new VirtualClock(0);
  const scaler = new ProactiveScaler({
    clock,
    ladder: LADDER,
    initialModelId: 'large',
    hardware: HARDWARE,
    settings: { degradeThreshold: 0.8, upgradeThreshold: 0.6 },
  });
  const ingest = new Float64Array(1800);
  for (let s = 1; s <= 1800; s++) {
    clock.advance(1000);
    // A slow climb with noise: every analysis path is exercised, no switch is carried out.
    const background = 0.3 + 0.0001 * s + 0.01 * Math.sin(s * 1.7);
    const started = process.hrtime.bigint();
    scaler.ingest({ t: clock.now(), cpuOtherLoad: 0.2, memTotalBytes: 2 ** 35, memUsedBytes: background * 2 ** 35 + 7e9, ownMemBytes: 7e9 });
    ingest[s - 1] = Number(process.hrtime.bigint() - started) / 1000;
  }
  const request = { expectedOutputTokens: 256, promptTokens: 500 };
  for (let i = 0; i < 10_000; i++) scaler.checkPreflightResources(request);
  const latencies = new Float64Array(calls);
  for (let i = 0; i < calls; i++) {
    const started = process.hrtime.bigint();
    scaler.checkPreflightResources(request);
    latencies[i] = Number(process.hrtime.bigint() - started) / 1000;
  }
  latencies.sort();
  ingest.sort();
  return {
    calls,
    p50Microseconds: round(percentile(latencies, 0.5)),
    p99Microseconds: round(percentile(latencies, 0.99)),
    maxMicroseconds: round(latencies[latencies.length - 1]!),
    target: 'p99 < 50 µs',
    meetsTarget: percentile(latencies, 0.99) < 50,
    ingestPerSampleP50Microseconds: round(percentile(ingest, 0.5)),
    ingestPerSampleP99Microseconds: round(percentile(ingest, 0.99)),
  };
}

type Side = Pick<
  SimulationSummary,
  'switches' | 'secondsOverDegradeThreshold' | 'secondsOverCriticalThreshold' | 'leadSeconds' | 'interruptedReplies' | 'cancelled' | 'finalModel'
>;
const side = (summary: SimulationSummary): Side => ({
  leadSeconds: summary.leadSeconds,
  secondsOverDegradeThreshold: summary.secondsOverDegradeThreshold,
  secondsOverCriticalThreshold: summary.secondsOverCriticalThreshold,
  switches: summary.switches,
  interruptedReplies: summary.interruptedReplies,
  cancelled: summary.cancelled,
  finalModel: summary.finalModel,
});

type ScenarioRow = { proactive: Side; reactive: Side; milliseconds: number; firstUpgradeAfterReliefSeconds?: number | null };

/** Seconds between the start of sustained relief for the first upgrade's model and that upgrade. */
function upgradeAfterRelief(trace: Trace, result: SimulationResult): number | null {
  const upgrade = result.lines.find((line) => line.action === 'upgrade');
  const model = trace.models.find((candidate) => candidate.id === upgrade?.to);
  if (!upgrade || !model) return null;
  const limit = result.summary.upgradeThreshold;
  let start: number | null = null;
  for (const sample of trace.samples) {
    if (sample.t > upgrade.t) break;
    if ((sample.otherMemUsedBytes + model.memBytes) / trace.machine.memTotalBytes < limit) start ??= sample.t;
    else start = null;
  }
  return start === null ? null : upgrade.t - start;
}

/** Every trace of `traceDir` through both policies, side by side. */
export async function benchmarkScenarios(traceDir: string): Promise<Record<string, ScenarioRow>> {
  const out: Record<string, ScenarioRow> = {};
  for (const file of readdirSync(traceDir)
    .filter((name) => name.endsWith('.json'))
    .sort()) {
    const trace = parseTraceText(readFileSync(path.join(traceDir, file), 'utf8'));
    const started = performance.now();
    const proactive = await runSimulation(trace, { policy: 'proactive' });
    const milliseconds = round(performance.now() - started, 1);
    const reactive = await runSimulation(trace, { policy: 'reactive' });
    const row: ScenarioRow = { proactive: side(proactive.summary), reactive: side(reactive.summary), milliseconds };
    if (linesHaveUpgrade(proactive)) row.firstUpgradeAfterReliefSeconds = upgradeAfterRelief(trace, proactive);
    out[file.replace(/\.json$/, '')] = row;
  }
  return out;
}

const linesHaveUpgrade = (result: SimulationResult): boolean => result.lines.some((line) => line.action === 'upgrade');

/** The targets in docs/scaling-policy.md ("Against the targets"), judged on the scenario rows (each `{ target, meetsTarget }`). */
export function scenarioTargets(rows: Record<string, ScenarioRow>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const judge = (name: string, trace: string, target: string, check: (row: ScenarioRow) => boolean): void => {
    const row = rows[trace];
    if (row) out[name] = { trace, target, meetsTarget: check(row), proactive: row.proactive, reactive: row.reactive };
  };
  judge(
    'slowRamp',
    'slow-ramp',
    'decision ≥ 30 s before the crossing, ≤ 5 s over',
    (r) => (r.proactive.leadSeconds ?? -Infinity) >= 30 && r.proactive.secondsOverDegradeThreshold <= 5,
  );
  judge('stepDecision', 'sudden-drop', 'decision within 2 samples', (r) => (r.proactive.leadSeconds ?? -Infinity) >= -2);
  judge('stepCritical', 'critical-during-reply', 'time over critical ≤ switch latency (2 s) + 2 s', (r) => r.proactive.secondsOverCriticalThreshold <= 4);
  judge(
    'cpuBursts',
    'mixed-workload',
    'CPU bursts ≤ 15 s cause no model switch (one switch, for the climb, before it crosses)',
    (r) => r.proactive.switches <= 1 && (r.proactive.leadSeconds ?? -1) > 0,
  );
  judge(
    'fadedSpike',
    'spike-during-reply',
    'a spike faded by actuation time: the switch is dropped',
    (r) => r.proactive.switches === 0 && r.proactive.cancelled >= 1,
  );
  judge('oscillation', 'oscillation', '≤ 1 switch per 10 minutes (30 min)', (r) => r.proactive.switches <= 3);
  judge('oscillationSlow', 'oscillation-slow', '≤ 1 switch per 10 minutes (30 min)', (r) => r.proactive.switches <= 3);
  judge('recovery', 'gradual-recovery', 'upgrade within 10 min of sustained relief, never before the stabilization period', (r) => {
    const after = r.firstUpgradeAfterReliefSeconds;
    return after !== undefined && after !== null && after >= 300 && after <= 600;
  });
  const rowsList = Object.values(rows);
  out.abortedReplies = {
    target: 'never more interrupted replies than the baseline',
    meetsTarget: rowsList.every((row) => row.proactive.interruptedReplies <= row.reactive.interruptedReplies),
  };
  return out;
}

/** All three groups. */
export async function runScalerBenchmarks(options: BenchmarkOptions = {}): Promise<Record<string, unknown>> {
  const seconds = options.quick ? 10 : 60;
  // Monitoring first: the simulations and the latency loop leave garbage whose collection would
  // land in the idle and monitoring windows.
  const monitoring = await benchmarkMonitoring(seconds);
  const preflight = benchmarkPreflight();
  const scenarios = await benchmarkScenarios(options.traceDir ?? path.resolve('tests/traces'));
  return {
    machine: { cores: (await si.cpu().catch(() => null))?.cores ?? null, node: process.version, platform: process.platform },
    monitoring,
    preflight,
    scenarios,
    scenarioTargets: scenarioTargets(scenarios),
  };
}
