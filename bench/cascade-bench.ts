/**
 * Cascade steps against a model switch, in one run, on the long-context synthetic model (512 MiB of
 * F16 KV cache at 32,768 tokens, ~68 MB of weights; tests/fixtures/synthetic-models.ts):
 *
 * - each step down (F16 → Q8_0 KV cache at 32k, then 16k, then 8k tokens) and back up, carried out
 *   as the model switcher does at a reply's end (RungLoader `unload` + `load` over LlamaEngine):
 *   the engine's resident memory freed outside V8's heap (and the whole resident set's change), the step's estimate (model-shape.ts), the time the step
 *   took (context recreated and the conversation warmed back in) and the next reply's first token;
 * - a reload of the same model at the Q8_0 cost (what the step costs without keeping the model);
 * - a model switch from the full rung to the next smaller model (mai-demo-30mb at 4,096 tokens).
 *
 * Target: every step frees its estimate within 15 %. Times are reported, not targeted.
 *
 * It runs in a child process of its own, so the resident set measured is the engine's alone (no
 * other group's node-llama-cpp instance or garbage in it).
 *
 * Run alone: node build/run-ts.mjs bench/cascade-bench.ts [--quick]; normally `npm run bench -- --only cascade`.
 */
import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import path from 'node:path';
import type { ChatTurn } from '../shared/domain';
import { LlamaEngine } from '../electron/engine/llama-engine';
import { createManagerContext, type ManagerContext } from '../electron/engine/models/manager-context';
import type { Rung, RungCost } from '../electron/engine/models/rung';
import { RungLoader } from '../electron/engine/models/rung-loader';
import { RealClock } from '../electron/engine/resource/clock';
import type { ResourceMonitor } from '../electron/engine/resource/monitoring/resource-monitor';
import { LONG_CONTEXT_MODEL, writeSyntheticModel } from '../tests/fixtures/synthetic-models';
import { ensureModels, median, mib, repoDir, round, testModelsDir, waitForQuiet } from './bench-util';

const CHILD_FLAG = '--cascade-child';
const TOLERANCE = 0.15;

const COSTS: Record<string, RungCost> = {
  f16_32k: { contextSize: 32768 },
  q8_32k: { contextSize: 32768, kvCacheType: 'q8_0' },
  q8_16k: { contextSize: 16384, kvCacheType: 'q8_0' },
  q8_8k: { contextSize: 8192, kvCacheType: 'q8_0' },
};

/** One move between rungs, as measured. */
interface Move {
  from: string;
  to: string;
  /** Resident memory freed outside V8's heap (negative: taken), MiB. */
  freedMiB: number;
  /** The whole resident set's change, V8's heap included, MiB. */
  freedRssMiB: number;
  estimatedMiB: number;
  /** |freed − estimated| ÷ |estimated|, percent (absent for a switch, whose estimate is another model's). */
  errorPercent?: number;
  /** RungLoader unload + load, the conversation's warm-up included, ms. */
  moveMs: number;
  /** Of which the runtime's own load (context recreated, or model loaded and context created), ms. */
  engineMs: number;
  /** The next reply's time to first token, ms. */
  nextTtftMs: number;
  modelReloaded: boolean;
}

/** Resident bytes outside V8's heap (the JavaScript garbage of a reply and a warm-up moves it by a few MiB either way). */
function nativeResident(): number {
  const usage = process.memoryUsage();
  return usage.rss - usage.heapTotal;
}

async function measureInChild(rounds: number): Promise<Move[][]> {
  const log = () => {};
  const runtime = new LlamaEngine(log);
  runtime.setThreads(1);
  const background = new Set<Promise<unknown>>();
  const context: ManagerContext = createManagerContext({
    runtime,
    clock: new RealClock({ unref: true }),
    dataDir: null,
    log,
    // The loader reads the monitor only to load ahead, which a step never does.
    monitor: () => ({ latest: () => null }) as unknown as ResourceMonitor,
    emit: () => {},
    background,
  });
  const longPath = await writeSyntheticModel(LONG_CONTEXT_MODEL, testModelsDir);
  const { small } = await ensureModels();
  const rungOf = async (id: string, file: string, cost: RungCost, base?: Rung): Promise<Rung> => {
    const sizeBytes = statSync(file).size;
    const contextSize = cost.contextSize ?? 4096;
    const footprint = base
      ? await context.footprints.estimateStep(base.footprint, base.cost, cost, file, sizeBytes)
      : await context.footprints.estimate(await runtime.estimate(file, sizeBytes, contextSize), file, sizeBytes, contextSize, 0);
    if (!footprint) throw new Error(`no estimate for ${id}`);
    return { id, runtimeId: runtime.id, model: { path: file, name: id, synthetic: true }, cost, footprint };
  };
  const full = await rungOf('f16_32k', longPath, COSTS.f16_32k!);
  const steps = await Promise.all(['q8_32k', 'q8_16k', 'q8_8k'].map((id) => rungOf(id, longPath, COSTS[id]!, full)));
  const smaller = await rungOf('next-model', small, { contextSize: 4096 });
  context.rungs = [smaller, ...[...steps].reverse(), full];
  const loader = new RungLoader(context);
  context.machine.apply('configure');
  await loader.loadFirstThatWorks(full);
  context.machine.apply('configured');

  const settled = async () => {
    while (background.size > 0) await Promise.all([...background]);
  };
  const conversation: ChatTurn[] = [{ role: 'user', text: 'Remember the word PELICAN for me.' }];
  let id = 0;
  const reply = async () => {
    context.machine.apply('reply-start');
    const result = await runtime
      .generate({ requestId: `b${++id}`, history: conversation, maxTokens: 16, seed: 1 }, () => {})
      .finally(() => {
        context.machine.apply('reply-end');
      });
    conversation.push({ role: 'assistant', text: result.text }, { role: 'user', text: `Turn ${id + 1}: go on.` });
    context.history = [...conversation];
    return result.stats.ttftMs;
  };
  const move = async (fromId: string, toId: string, estimate = true): Promise<Move> => {
    await settled();
    const from = context.rungs.find((rung) => rung.id === fromId)!;
    const to = context.rungs.find((rung) => rung.id === toId)!;
    const loads = runtime.modelLoads;
    const before = nativeResident();
    const beforeRss = process.memoryUsage.rss();
    const started = performance.now();
    await loader.unload(fromId);
    await loader.load(toId);
    await settled();
    const moveMs = performance.now() - started;
    const freed = before - nativeResident();
    const freedRss = beforeRss - process.memoryUsage.rss();
    const estimated = from.footprint.estimatedMemBytes - to.footprint.estimatedMemBytes;
    const nextTtftMs = await reply();
    return {
      from: fromId,
      to: toId,
      freedMiB: mib(freed),
      freedRssMiB: mib(freedRss),
      estimatedMiB: mib(estimated),
      ...(estimate ? { errorPercent: round((Math.abs(freed - estimated) / Math.abs(estimated)) * 100, 1) } : {}),
      moveMs: round(moveMs, 0),
      engineMs: round(runtime.model?.loadMs ?? 0, 0),
      nextTtftMs: round(nextTtftMs, 0),
      modelReloaded: runtime.modelLoads !== loads,
    };
  };
  const results: Move[][] = [];
  await reply();
  for (let i = 0; i < rounds; i++) {
    const moves: Move[] = [];
    for (const [a, b] of [
      ['f16_32k', 'q8_32k'],
      ['q8_32k', 'q8_16k'],
      ['q8_16k', 'q8_8k'],
      ['q8_8k', 'q8_16k'],
      ['q8_16k', 'q8_32k'],
      ['q8_32k', 'f16_32k'],
    ] as const)
      moves.push(await move(a, b));
    // The same Q8_0 cost reached by unloading and loading the model, as every change was before the cascade.
    await settled();
    const before = nativeResident();
    const beforeRss = process.memoryUsage.rss();
    const started = performance.now();
    await runtime.unload();
    await runtime.load({ path: longPath, ...COSTS.q8_32k });
    await runtime.preloadHistory(conversation);
    const reloadMs = performance.now() - started;
    const engineMs = runtime.model?.loadMs ?? 0;
    moves.push({
      from: 'f16_32k',
      to: 'q8_32k (model reloaded)',
      freedMiB: mib(before - nativeResident()),
      freedRssMiB: mib(beforeRss - process.memoryUsage.rss()),
      estimatedMiB: mib(full.footprint.estimatedMemBytes - steps[0]!.footprint.estimatedMemBytes),
      moveMs: round(reloadMs, 0),
      engineMs: round(engineMs, 0),
      nextTtftMs: round(await reply(), 0),
      modelReloaded: true,
    });
    await runtime.unload();
    await runtime.load({ path: longPath, ...COSTS.f16_32k });
    await runtime.preloadHistory(conversation);
    moves.push(await move('f16_32k', 'next-model', false));
    await move('next-model', 'f16_32k', false);
    results.push(moves);
  }
  await settled();
  await runtime.unload();
  return results;
}

/** The cascade group: see the file comment. */
export async function runCascadeBenchmarks({ quick }: { quick: boolean }): Promise<Record<string, unknown>> {
  await waitForQuiet(quick ? 2000 : 10_000);
  const rounds = quick ? 1 : 3;
  const child = spawn(process.execPath, [path.join(repoDir, 'build', 'run-ts.mjs'), path.join('bench', 'cascade-bench.ts'), CHILD_FLAG, String(rounds)], {
    cwd: repoDir,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`the cascade measurement exited with ${String(code)}`);
  const measured = JSON.parse(out.trim().split('\n').at(-1)!) as Move[][];
  // Per move, the median over rounds.
  const moves = measured[0]!.map((first, i) => {
    const all = measured.map((r) => r[i]!);
    const med = (key: 'freedMiB' | 'freedRssMiB' | 'moveMs' | 'engineMs' | 'nextTtftMs') => round(median(all.map((m) => m[key])), 1);
    const errors = all.map((m) => m.errorPercent).filter((e): e is number => e !== undefined);
    return {
      ...first,
      freedMiB: med('freedMiB'),
      freedRssMiB: med('freedRssMiB'),
      moveMs: med('moveMs'),
      engineMs: med('engineMs'),
      nextTtftMs: med('nextTtftMs'),
      ...(errors.length > 0 ? { errorPercent: Math.max(...errors) } : {}),
    };
  });
  const worst = Math.max(...moves.flatMap((m) => (m.errorPercent !== undefined && !m.modelReloaded ? [m.errorPercent] : [])));
  return {
    rounds,
    model: LONG_CONTEXT_MODEL.id,
    moves,
    estimateAccuracy: { worstErrorPercent: worst, target: `≤ ${TOLERANCE * 100} % of the estimate, every step`, meetsTarget: worst <= TOLERANCE * 100 },
  };
}

if (process.argv.includes(CHILD_FLAG)) {
  const rounds = Number(process.argv[process.argv.indexOf(CHILD_FLAG) + 1] ?? 1);
  const results = await measureInChild(rounds);
  console.log(JSON.stringify(results));
  process.exit(0);
} else if (process.argv[1]?.endsWith('cascade-bench.ts')) {
  console.log(JSON.stringify(await runCascadeBenchmarks({ quick: process.argv.includes('--quick') }), null, 2));
}
