/**
 * Scaler benchmarks: monitoring cost against a naive systeminformation loop, pre-flight latency,
 * and the scenario suite (proactive vs reactive) with the targets of docs/scaling-policy.md
 * ("Against the targets") judged on it — see electron/engine/tools/scaler-benchmarks.ts.
 *
 * Run alone: node build/run-ts.mjs bench/scaler-bench.ts [--quick]
 */
import path from 'node:path';
import { runScalerBenchmarks as run } from '../electron/engine/tools/scaler-benchmarks';

/** Runs the benchmark groups; `quick` shortens the monitoring windows from 60 s to 10 s. */
export async function runScalerBenchmarks(opts: { quick?: boolean } = {}): Promise<Record<string, unknown>> {
  return run(opts.quick ? { quick: true } : {});
}

// run-ts.mjs sets argv[1] to the entry's real path.
if (process.argv[1] && path.resolve(process.argv[1]).endsWith(path.join('bench', 'scaler-bench.ts'))) {
  const results = await runScalerBenchmarks({ quick: process.argv.includes('--quick') });
  console.log(JSON.stringify(results, null, 2));
}
