/**
 * The resource layer's benchmarks (run by bench/scaler-bench.ts): what monitoring costs against a
 * naive systeminformation loop, how fast the pre-flight answer is, and how the proactive policy
 * compares with the reactive baseline on every committed trace. Results are plain JSON.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import * as si from 'systeminformation';
import { RealClock, VirtualClock } from './clock';
import { ProactiveScaler } from './proactive-scaler';
import { ResourceMonitor } from './resource-monitor';
import { runSimulation, type SimulationSummary } from './simulate';
import { SystemResourceSource } from './system-source';
import { parseTraceText } from './trace';
import type { ModelProfile, StaticHardwareInfo } from './types';

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
  const monitor = new ResourceMonitor({ source: new SystemResourceSource(), clock: new RealClock() });
  await monitor.start(); // static hardware once (systeminformation), outside the measured window
  monitor.stop();
  const startupCpu = cpuSeconds() - startupStart;

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
  const ourNet = Math.max(0, ours.fractionOfOneCore - idle.fractionOfOneCore);
  const naiveNet = Math.max(0, naive.fractionOfOneCore - idle.fractionOfOneCore);
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
    naiveOverMonitorRatio: ourNet > 0 ? round(naiveNet / ourNet, 1) : null,
    target: 'monitor ≤ 0.5 % of one core',
    meetsTarget: ourNet * 100 <= 0.5,
  };
}

const LADDER: ModelProfile[] = [
  { id: 'small', memBytes: 1_500_000_000, vramBytes: 0, loadSeconds: 2 },
  { id: 'medium', memBytes: 4_000_000_000, vramBytes: 0, loadSeconds: 4 },
  { id: 'large', memBytes: 7_000_000_000, vramBytes: 0, loadSeconds: 7 },
];
const HARDWARE: StaticHardwareInfo = { cpuModel: 'bench', physicalCores: 8, logicalCores: 8, memTotalBytes: 2 ** 35, gpus: [], os: { platform: 'linux', release: '', arch: 'x64' } };

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

/** Pre-flight latency over `calls` calls (after a warm-up), and the per-sample cost of the analysis. */
export function benchmarkPreflight(calls = 100_000): Record<string, unknown> {
  const clock = new VirtualClock(0);
  const scaler = new ProactiveScaler({ clock, ladder: LADDER, initialModelId: 'large', hardware: HARDWARE, settings: { degradeThreshold: 0.8, upgradeThreshold: 0.6 } });
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

type Side = Pick<SimulationSummary, 'switches' | 'secondsOverDegradeThreshold' | 'secondsOverCriticalThreshold' | 'leadSeconds' | 'interruptedReplies' | 'cancelled' | 'finalModel'>;
const side = (summary: SimulationSummary): Side => ({
  leadSeconds: summary.leadSeconds,
  secondsOverDegradeThreshold: summary.secondsOverDegradeThreshold,
  secondsOverCriticalThreshold: summary.secondsOverCriticalThreshold,
  switches: summary.switches,
  interruptedReplies: summary.interruptedReplies,
  cancelled: summary.cancelled,
  finalModel: summary.finalModel,
});

/** Every trace of `traceDir` through both policies, side by side. */
export async function benchmarkScenarios(traceDir: string): Promise<Record<string, unknown>> {
  const out: Record<string, { proactive: Side; reactive: Side; milliseconds: number }> = {};
  for (const file of readdirSync(traceDir).filter((name) => name.endsWith('.json')).sort()) {
    const trace = parseTraceText(readFileSync(path.join(traceDir, file), 'utf8'));
    const started = performance.now();
    const proactive = await runSimulation(trace, { policy: 'proactive' });
    const milliseconds = round(performance.now() - started, 1);
    const reactive = await runSimulation(trace, { policy: 'reactive' });
    out[file.replace(/\.json$/, '')] = { proactive: side(proactive.summary), reactive: side(reactive.summary), milliseconds };
  }
  return out;
}

/** All three groups. */
export async function runScalerBenchmarks(options: BenchmarkOptions = {}): Promise<Record<string, unknown>> {
  const seconds = options.quick ? 10 : 60;
  const scenarios = await benchmarkScenarios(options.traceDir ?? path.resolve('tests/traces'));
  const preflight = benchmarkPreflight();
  const monitoring = await benchmarkMonitoring(seconds);
  return {
    machine: { cores: (await si.cpu().catch(() => null))?.cores ?? null, node: process.version, platform: process.platform },
    monitoring,
    preflight,
    scenarios,
  };
}
