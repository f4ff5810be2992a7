/**
 * `npm run bench [-- --quick] [-- --only group[,group]]`: runs the benchmark groups, prints one JSON
 * object `{ machine, startedAt, groups }`, writes it to bench/results/latest.json (and a dated copy),
 * then prints one PASS/MISS line per target. A missed target never fails the process (exit 0); a
 * group that throws is reported as `{ error }` and the others still run.
 *
 * Groups: fullStack, threads, switchLatency, memory (bench/model-bench.ts), scaler
 * (bench/scaler-bench.ts), renderer (bench/renderer-bench.ts), hub (bench/hub-bench.ts), remote
 * (bench/remote-bench.ts) and cascade (bench/cascade-bench.ts); the last five are loaded at run time so
 * that a missing or broken file only skips its group.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { importBundled } from '../electron/engine/tools/bundled-import';
import { loadAverage, repoDir, round, type GroupResult, type TargetResult } from './bench-util';
import { fullStack, memory, switchLatency, threads, type BenchOptions } from './model-bench';

type GroupRunner = (options: BenchOptions) => Promise<unknown>;

/**
 * A group from a bench file loaded at run time (so a missing or broken file only skips that group):
 * calls its `exportName({ quick })` and collects every figure it marks with a target.
 */
function bundledGroup(fileName: string, exportName: string, label: string): GroupRunner {
  return async ({ quick }) => {
    const file = path.join(repoDir, 'bench', fileName);
    if (!existsSync(file)) return { skipped: true, error: `bench/${fileName} does not exist` };
    let loaded: Awaited<ReturnType<typeof importBundled<Record<string, unknown>>>>;
    try {
      loaded = await importBundled(file, repoDir);
    } catch (error) {
      return { skipped: true, error: `could not load bench/${fileName}: ${(error as Error).message}` };
    }
    try {
      const run = loaded.module[exportName];
      if (typeof run !== 'function') return { skipped: true, error: `bench/${fileName} does not export ${exportName}` };
      const result = (await run({ quick: quick === true })) as Record<string, unknown>;
      const targets = nestedTargets(result, label);
      return { pass: targets.length > 0 && targets.every((t) => t.pass), targets, ...result };
    } catch (error) {
      return { skipped: true, error: `${exportName} failed: ${(error as Error).stack ?? String(error)}` };
    } finally {
      loaded.dispose();
    }
  };
}

const scaler = bundledGroup('scaler-bench.ts', 'runScalerBenchmarks', 'scaler');
const renderer = bundledGroup('renderer-bench.ts', 'runRendererBenchmarks', 'renderer');
const hub = bundledGroup('hub-bench.ts', 'runHubBenchmarks', 'hub');
const remote = bundledGroup('remote-bench.ts', 'runRemoteBenchmarks', 'remote');
const cascade = bundledGroup('cascade-bench.ts', 'runCascadeBenchmarks', 'cascade');

const groups: Record<string, GroupRunner> = { fullStack, threads, switchLatency, memory, scaler, renderer, hub, remote, cascade };

function parseArgs(argv: string[]): { quick: boolean; only: string[] } {
  const quick = argv.includes('--quick');
  let only: string[] = Object.keys(groups);
  argv.forEach((arg, i) => {
    const value = arg === '--only' ? argv[i + 1] : arg.startsWith('--only=') ? arg.slice('--only='.length) : undefined;
    if (value !== undefined)
      only = value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
  });
  const unknown = only.filter((name) => !groups[name]);
  if (unknown.length > 0) {
    console.error(`unknown group(s): ${unknown.join(', ')} (known: ${Object.keys(groups).join(', ')})`);
    process.exit(2);
  }
  return { quick, only };
}

/** A figure the bundled benchmarks mark with `target` and `meetsTarget` (or `pass`), found anywhere in its result. */
function nestedTargets(result: unknown, root: string): TargetResult[] {
  /** The figure shown in the summary line for a target object of that name (else only PASS/MISS). */
  const shownFigure: Record<string, string> = {
    monitoring: 'monitorPercentOfOneCore',
    preflight: 'p99Microseconds',
    longTasks: 'maxMs',
    mainThreadCpu: 'maxTaskCpuMs',
    chartUpdate: 'p95Ms',
    chatIsolation: 'chatDomMutationsDuringSamplesOnly',
    hashedDownload: 'ratio',
    tokensPerSecondRatio: 'ratio',
    ttftOverhead: 'overheadMs',
    estimateAccuracy: 'worstErrorPercent',
  };
  const found: TargetResult[] = [];
  const walk = (value: unknown, at: string[], depth: number) => {
    if (!value || typeof value !== 'object' || depth > 6) return;
    const o = value as Record<string, unknown>;
    const pass = typeof o.meetsTarget === 'boolean' ? o.meetsTarget : typeof o.pass === 'boolean' && at.length > 0 ? o.pass : undefined;
    if (pass !== undefined && o.target !== undefined) {
      const key = shownFigure[at.at(-1) ?? ''];
      const proactive = o.proactive as { leadSeconds?: unknown; switches?: unknown } | undefined;
      // Scenario targets: the proactive policy's lead time (seconds before the crossing).
      const [figure, unit] =
        key && typeof o[key] === 'number'
          ? [o[key] as number, key]
          : typeof proactive?.leadSeconds === 'number'
            ? [proactive.leadSeconds, `s lead (proactive), ${String(proactive.switches)} switch(es)`]
            : [Number.NaN, ''];
      found.push({ name: [root, ...at].join(' '), value: figure, unit, target: typeof o.target === 'string' ? o.target : JSON.stringify(o.target), pass });
    }
    for (const [key, child] of Object.entries(o)) walk(child, [...at, key], depth + 1);
  };
  walk(result, [], 0);
  return found;
}

/** The summary lines of a group: one per target, or one MISS line when it was skipped or failed. */
function summaryLines(name: string, result: unknown): Array<{ pass: boolean; text: string }> {
  const r = (result ?? {}) as Partial<GroupResult> & { skipped?: boolean; error?: string };
  if (r.skipped || r.error) return [{ pass: false, text: `${name}: ${r.skipped ? 'SKIPPED' : 'ERROR'}: ${String(r.error).split('\n')[0]}` }];
  if (!Array.isArray(r.targets) || r.targets.length === 0) return [{ pass: false, text: `${name}: no target reported` }];
  return r.targets.map((t: TargetResult) => ({
    pass: t.pass,
    text: `${t.name}: ${Number.isFinite(t.value) ? t.value : '-'}${t.unit && Number.isFinite(t.value) ? ` ${t.unit}` : ''} (target ${t.target})`,
  }));
}

async function main(): Promise<void> {
  const { quick, only } = parseArgs(process.argv.slice(2));
  const startedAt = new Date().toISOString();
  const machine = {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memGiB: round(os.totalmem() / 2 ** 30, 1),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    loadAverageAtStart: loadAverage(),
  };
  const results: Record<string, unknown> = {};
  for (const name of only) {
    const started = performance.now();
    console.error(`[bench] ${name}${quick ? ' (quick)' : ''}: running… (load average ${loadAverage().join(' ')})`);
    try {
      const result = (await groups[name]!({ quick })) as Record<string, unknown>;
      results[name] = { ...result, seconds: round((performance.now() - started) / 1000, 1) };
    } catch (error) {
      results[name] = { pass: false, error: (error as Error).stack ?? String(error), seconds: round((performance.now() - started) / 1000, 1) };
    }
    console.error(`[bench] ${name}: done in ${round((performance.now() - started) / 1000, 1)} s`);
  }
  const report = { machine, startedAt, finishedAt: new Date().toISOString(), quick, groups: results };
  const json = JSON.stringify(report, null, 2);
  console.log(json);
  const dir = path.join(repoDir, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'latest.json'), `${json}\n`);
  writeFileSync(path.join(dir, `${startedAt.replace(/[:.]/g, '-')}${quick ? '-quick' : ''}.json`), `${json}\n`);

  console.log('\nSummary');
  for (const name of only) {
    for (const line of summaryLines(name, results[name])) console.log(`${line.pass ? 'PASS' : 'MISS'}  ${line.text}`);
  }
  console.log(`\nwritten to ${path.relative(process.cwd(), path.join(dir, 'latest.json'))}`);
}

await main();
// node-llama-cpp and stray handles must not keep a finished benchmark alive; nothing was spawned
// that outlives its group (each group kills what it started in a finally block).
process.exit(0);
