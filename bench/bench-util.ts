/**
 * Shared pieces of the benchmarks: where things are, statistics, a CPU hog, /proc memory readers,
 * the real AppCore with the real engine process, and node-llama-cpp called directly.
 *
 * Paths are computed here rather than taken from tests/helpers/models.ts: that file finds the
 * repository from its own import.meta.url, which points into node_modules/.cache once
 * build/run-ts.mjs has bundled the entry.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Llama, LlamaChatSession, LlamaContext, LlamaModel } from 'node-llama-cpp';
import type { AppEvent, AppPayload } from '../shared/contract';
import { AppCore, type AppCoreOptions } from '../electron/main/core/app-core';
import { NodeEngineLauncher } from '../electron/main/core/engine-launcher';
import { writeSyntheticModels } from '../tests/fixtures/synthetic-models';

/** Set by build/run-ts.mjs's banner: the folder of the entry (bench/). */
declare const __maiEntryDir: string | undefined;

/** The folder holding Mai's package.json, looked for upwards from the entry (else the working directory). */
function findRepoDir(): string {
  let dir = typeof __maiEntryDir === 'string' ? __maiEntryDir : process.cwd();
  for (;;) {
    try {
      if ((JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string }).name === 'mai') return dir;
    } catch {
      // No package.json here.
    }
    const parent = path.dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
}

export const repoDir = findRepoDir();
export const testModelsDir = path.join(repoDir, 'tests', '.tmp', 'models');
export const engineEntry = path.join(repoDir, 'dist', 'engine', 'index.js');
export const webHostEntry = path.join(repoDir, 'dist', 'web', 'index.js');

/**
 * The sampling Mai's engine uses (DEFAULT_SAMPLING in electron/engine/llama-engine.ts, which does
 * not export it). Kept in sync by hand; model-bench reports it with its figures.
 */
export const ENGINE_SAMPLING = { temperature: 0.8, topK: 40, topP: 0.95, minP: 0.05 } as const;

export interface BenchModels {
  tiny: string;
  small: string;
  medium: string;
}

export async function ensureModels(): Promise<BenchModels> {
  const [tiny, small, medium] = await writeSyntheticModels(testModelsDir);
  if (!tiny || !small || !medium) throw new Error('expected three synthetic models');
  return { tiny, small, medium };
}

export function assertBuilt(): void {
  if (!existsSync(engineEntry) || !existsSync(webHostEntry)) throw new Error(`${path.relative(repoDir, engineEntry)} is missing: run \`npm run build\` first.`);
}

// --- statistics -------------------------------------------------------------------------------

export function median(values: readonly number[]): number {
  const finite = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (finite.length === 0) return Number.NaN;
  const mid = finite.length >> 1;
  return finite.length % 2 ? finite[mid]! : (finite[mid - 1]! + finite[mid]!) / 2;
}

export function round(value: number, digits = 2): number {
  if (!Number.isFinite(value)) return value;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** One figure compared with its target. */
export interface TargetResult {
  name: string;
  value: number;
  unit: string;
  /** Human form, e.g. "≥ 0.97". */
  target: string;
  pass: boolean;
}

export function atLeast(name: string, value: number, min: number, unit = ''): TargetResult {
  return { name, value: round(value, 3), unit, target: `≥ ${min}${unit ? ` ${unit}` : ''}`, pass: Number.isFinite(value) && value >= min };
}

export function atMost(name: string, value: number, max: number, unit = '', strict = false): TargetResult {
  const pass = Number.isFinite(value) && (strict ? value < max : value <= max);
  return { name, value: round(value, 3), unit, target: `${strict ? '<' : '≤'} ${round(max, 1)}${unit ? ` ${unit}` : ''}`, pass };
}

/** What every group returns: its figures, its targets and whether all of them were met. */
export interface GroupResult {
  pass: boolean;
  targets: TargetResult[];
  [figure: string]: unknown;
}

export function groupResult(targets: TargetResult[], figures: Record<string, unknown>): GroupResult {
  return { pass: targets.length > 0 && targets.every((t) => t.pass), targets, ...figures };
}

/** The machine's load when a group starts (other programs skew every figure on 2 cores). */
export function loadAverage(): number[] {
  return os.loadavg().map((v) => round(v, 2));
}

// --- machine busyness ---------------------------------------------------------------------------

/** Busy and total jiffies of all cores, from the first line of /proc/stat. */
export interface CpuTimes {
  busy: number;
  total: number;
}

export function cpuTimes(): CpuTimes {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
    const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  } catch {
    return { busy: 0, total: 0 };
  }
}

/** Fraction of all cores busy since `start` (everything, this benchmark included). */
export function cpuBusySince(start: CpuTimes): number {
  const now = cpuTimes();
  const total = now.total - start.total;
  return total > 0 ? round((now.busy - start.busy) / total, 3) : Number.NaN;
}

/**
 * Waits (up to `maxWaitMs`) for a half-second window in which the whole machine is at most
 * `threshold` busy: other people's builds and tests skew every figure on 2 cores. Returns how long
 * it waited and how busy the last window was.
 */
export async function waitForQuiet(maxWaitMs: number, threshold = 0.2): Promise<{ waitedMs: number; busy: number }> {
  const started = performance.now();
  for (;;) {
    const before = cpuTimes();
    await sleep(500);
    const busy = cpuBusySince(before);
    if (!(busy > threshold) || performance.now() - started >= maxWaitMs) return { waitedMs: Math.round(performance.now() - started), busy };
  }
}

// --- processes ---------------------------------------------------------------------------------

/** Keeps one core busy with `node -e "for(;;){}"` until `stop()` (also killed on exit). */
export function startCpuHog(): { child: ChildProcess; stop: () => Promise<void> } {
  const child = spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' });
  const onExit = () => child.kill('SIGKILL');
  process.once('exit', onExit);
  return {
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        process.off('exit', onExit);
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  };
}

/** Memory of one process from /proc: VmRSS and (when the kernel has it) PSS, bytes. */
export interface ProcMemory {
  pid: number;
  rssBytes: number;
  /** Proportional set size: shared pages divided among the processes that map them. */
  pssBytes: number | null;
  /** Unique set size: pages only this process maps (Private_Clean + Private_Dirty). */
  ussBytes: number | null;
}

export function procMemory(pid: number): ProcMemory | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN) * 1024;
    let pss: number | null = null;
    let uss: number | null = null;
    try {
      const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
      const field = (name: string) => {
        const match = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(rollup);
        return match ? Number(match[1]) * 1024 : null;
      };
      pss = field('Pss');
      const clean = field('Private_Clean');
      const dirty = field('Private_Dirty');
      uss = clean !== null && dirty !== null ? clean + dirty : null;
    } catch {
      pss = null;
    }
    return { pid, rssBytes: rss, pssBytes: pss, ussBytes: uss };
  } catch {
    return null;
  }
}

/** Direct children of a process, from /proc/<pid>/task/<tid>/children. */
export function childPids(pid: number): number[] {
  const found: number[] = [];
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
      if (text) found.push(...text.split(/\s+/).map(Number));
    }
  } catch {
    // The process is gone.
  }
  return [...new Set(found)];
}

/** The command line of a process, for reports. */
export function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
  } catch {
    return '';
  }
}

export const MiB = 2 ** 20;
export const GiB = 2 ** 30;
export const mib = (bytes: number) => round(bytes / MiB, 1);

export function memUsedBytes(): number {
  const info = readFileSync('/proc/meminfo', 'utf8');
  const total = Number(/MemTotal:\s+(\d+) kB/.exec(info)?.[1] ?? 0) * 1024;
  const available = Number(/MemAvailable:\s+(\d+) kB/.exec(info)?.[1] ?? 0) * 1024;
  return total - available;
}

// --- the real app core --------------------------------------------------------------------------

export interface TimedEvent {
  event: AppEvent;
  payload: unknown;
  /** performance.now() when the subscriber received it. */
  at: number;
}

export interface CoreHarness {
  core: AppCore;
  events: TimedEvent[];
  /** Engine log lines at warn or error level (diagnostics for the report). */
  warnings: string[];
  /** The engine state, last resource sample, notices, decisions and warnings, for error messages. */
  diagnose(): string;
  /** Resolves with the first matching event after the call (or, with `since`, after that index). */
  waitFor<E extends AppEvent>(
    event: E,
    predicate?: (payload: AppPayload<E>) => boolean,
    timeoutMs?: number,
    since?: number,
  ): Promise<{ payload: AppPayload<E>; at: number }>;
  shutdown(): Promise<void>;
}

/** An AppCore with the real engine in a child process, as the web host runs it (tests/helpers/app.ts). */
export function startCore(options: Partial<AppCoreOptions> = {}): CoreHarness {
  assertBuilt();
  const warnings: string[] = [];
  const core = new AppCore({
    mode: 'web',
    launcher: new NodeEngineLauncher(engineEntry, { ...process.env, MAI_GPU: 'off', MAI_TEST_HOOKS: '1' }),
    modelsDir: testModelsDir,
    createDemoModels: false,
    log: (level, message) => {
      if (level === 'warn' || level === 'error') warnings.push(`${level}: ${message}`.slice(0, 500));
    },
    ...options,
  });
  const events: TimedEvent[] = [];
  const waiters = new Set<() => void>();
  core.subscribe((event, payload) => {
    events.push({ event, payload, at: performance.now() });
    if (events.length > 50_000) events.splice(0, 10_000);
    for (const waiter of [...waiters]) waiter();
  });
  const waitFor: CoreHarness['waitFor'] = (event, predicate = () => true, timeoutMs = 60_000, since) =>
    new Promise((resolve, reject) => {
      let index = since ?? events.length;
      const check = () => {
        for (; index < events.length; index++) {
          const e = events[index]!;
          if (e.event === event && predicate(e.payload as never)) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve({ payload: e.payload as never, at: e.at });
            return;
          }
        }
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${event}`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });
  let stopped = false;
  return {
    core,
    events,
    warnings,
    waitFor,
    diagnose: () => {
      const notices = events.filter((e) => e.event === 'onNotice').map((e) => (e.payload as { message: string }).message);
      const decisions = events
        .filter((e) => e.event === 'onScalerDecision')
        .map((e) => {
          const d = e.payload as { action: string; path: string; reason: string };
          return `${d.action}/${d.path}: ${d.reason}`;
        });
      const snapshot = [...events].reverse().find((e) => e.event === 'onResourceSample')?.payload as
        { sample: { memUsedBytes: number; memTotalBytes: number }; thresholds: unknown; status?: unknown } | undefined;
      const memory = snapshot
        ? `last sample: memory ${((snapshot.sample.memUsedBytes / snapshot.sample.memTotalBytes) * 100).toFixed(1)} % of ${(snapshot.sample.memTotalBytes / 2 ** 30).toFixed(2)} GiB, thresholds ${JSON.stringify(snapshot.thresholds)}, status ${JSON.stringify(snapshot.status ?? null).slice(0, 300)}`
        : 'no resource sample';
      return [
        `engine ${core.engine.status.state}`,
        memory,
        ...notices.slice(-5).map((n) => `notice: ${n}`),
        ...decisions.slice(-5).map((d) => `decision: ${d}`),
        ...warnings.slice(-5),
      ].join('\n');
    },
    shutdown: async () => {
      if (stopped) return;
      stopped = true;
      await core.shutdown();
    },
  };
}

/** Engine replacements the supervisor reported (hang or crash), from the notices. */
export function engineDownNotices(h: CoreHarness): string[] {
  return h.events
    .filter((e) => e.event === 'onNotice')
    .map((e) => (e.payload as { message: string }).message)
    .filter((m) => /stopped answering|crashed|went down/.test(m));
}

/**
 * Starts a core on `modelPath` (optionally after `beforeStart`, e.g. an overlay). AppCore.start()
 * reports a failed load as a notice and carries on; when the model is not loaded afterwards the
 * core is shut down and started again, up to `attempts` times. What went wrong is kept in
 * `startProblems` (each entry: the engine's state, last sample, notices and warnings).
 */
export async function startCoreOn(
  modelPath: string,
  options: Partial<AppCoreOptions>,
  beforeStart?: (h: CoreHarness) => Promise<void>,
  attempts = 3,
): Promise<{ harness: CoreHarness; startProblems: string[] }> {
  const startProblems: string[] = [];
  for (let attempt = 1; ; attempt++) {
    const harness = startCore({ initialModelPath: modelPath, ...options });
    try {
      if (beforeStart) await beforeStart(harness);
      await harness.core.start();
      if (harness.core.models.current?.path === modelPath) {
        startProblems.push(...engineDownNotices(harness).map((m) => `attempt ${attempt}: ${m}`));
        return { harness, startProblems };
      }
      startProblems.push(`attempt ${attempt}: the app loaded ${harness.core.models.current?.path ?? 'nothing'}\n${harness.diagnose()}`);
    } catch (error) {
      startProblems.push(`attempt ${attempt}: ${(error as Error).message}\n${harness.diagnose()}`);
    }
    await harness.shutdown();
    if (attempt >= attempts) throw new Error(`could not start the app on ${path.basename(modelPath)}:\n${startProblems.join('\n')}`);
  }
}

/** One reply measured where the UI gets it: from `chat:send` to the subscriber's token events. */
export interface StackReply {
  /** chat:send called → first onChatToken received, ms. */
  ttftMs: number;
  /** Tokens the engine reports for the reply. */
  tokens: number;
  /** (tokens − 1) / (last − first token event), per second. */
  tokensPerSecond: number;
  tokenEvents: number;
  /** The engine's own figures for the reply (measured inside the engine process). */
  engine: { ttftMs: number; tokensPerSecond: number; tokens: number };
  status: string;
  model: string;
  sentAt: number;
  firstTokenAt: number;
  lastTokenAt: number;
}

export async function sendAndMeasure(h: CoreHarness, text: string, timeoutMs = 300_000): Promise<StackReply> {
  const since = h.events.length;
  const sentAt = performance.now();
  const { assistantMessageId } = await h.core.handlers['chat:send']({ text });
  const done = await h.waitFor('onChatMessage', ({ message }) => message.id === assistantMessageId && message.status !== 'streaming', timeoutMs, since);
  const tokenEvents = h.events
    .slice(since)
    .filter((e) => e.event === 'onChatToken' && (e.payload as AppPayload<'onChatToken'>).messageId === assistantMessageId);
  const message = done.payload.message;
  const stats = message.stats ?? { tokens: 0, ttftMs: Number.NaN, tokensPerSecond: 0, durationMs: 0 };
  const first = tokenEvents[0]?.at ?? Number.NaN;
  const last = tokenEvents.at(-1)?.at ?? Number.NaN;
  if (message.status !== 'done' && message.status !== 'stopped') throw new Error(`reply ended with status ${message.status}: ${message.error ?? ''}`);
  return {
    ttftMs: first - sentAt,
    tokens: stats.tokens,
    tokensPerSecond: stats.tokens > 1 && last > first ? ((stats.tokens - 1) * 1000) / (last - first) : Number.NaN,
    tokenEvents: tokenEvents.length,
    engine: { ttftMs: stats.ttftMs, tokensPerSecond: stats.tokensPerSecond, tokens: stats.tokens },
    status: message.status,
    model: message.model ?? '',
    sentAt,
    firstTokenAt: first,
    lastTokenAt: last,
  };
}

// --- node-llama-cpp called directly --------------------------------------------------------------

let llamaPromise: Promise<Llama> | null = null;

/** node-llama-cpp as the engine gets it (CPU, never build), created once per bench process. */
export function directLlama(): Promise<Llama> {
  llamaPromise ??= import('node-llama-cpp').then(({ getLlama, LlamaLogLevel }) => getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error }));
  return llamaPromise;
}

export interface DirectModel {
  llama: Llama;
  model: LlamaModel;
  context: LlamaContext;
  session: LlamaChatSession;
  dispose(): Promise<void>;
}

/** Loads a model and a context; `threads` undefined leaves node-llama-cpp's default. */
export async function loadDirect(modelPath: string, contextSize: number, threads: number | undefined): Promise<DirectModel> {
  const llama = await directLlama();
  const { LlamaChatSession } = await import('node-llama-cpp');
  const model = await llama.loadModel({ modelPath });
  const context = await model.createContext({ contextSize, ...(threads !== undefined ? { threads } : {}) });
  const session = new LlamaChatSession({ contextSequence: context.getSequence() });
  return {
    llama,
    model,
    context,
    session,
    dispose: async () => {
      session.dispose();
      await context.dispose();
      await model.dispose();
    },
  };
}

export interface DirectReply {
  ttftMs: number;
  tokens: number;
  tokensPerSecond: number;
  durationMs: number;
  stopReason: string;
  /** Stopped by the time budget before maxTokens. */
  capped: boolean;
}

/**
 * One reply from a fresh chat (the context's matching prefix is reused, as in the engine). TTFT is
 * prompt() → first text chunk, tokens/s is (tokens − 1) / (last − first text chunk), as the full
 * stack is measured. `budgetMs` stops generation that long after the first token; `hardCapMs`
 * stops it that long after the start.
 */
export async function directReply(
  direct: DirectModel,
  prompt: string,
  options: { maxTokens: number; seed?: number; budgetMs?: number; hardCapMs?: number },
): Promise<DirectReply> {
  direct.session.setChatHistory([]);
  const controller = new AbortController();
  const timers: Array<ReturnType<typeof setTimeout>> = [];
  if (options.hardCapMs) timers.push(setTimeout(() => controller.abort(), options.hardCapMs));
  const started = performance.now();
  let firstAt = 0;
  let lastAt = 0;
  let tokens = 0;
  try {
    const meta = await direct.session.promptWithMeta(prompt, {
      maxTokens: options.maxTokens,
      ...ENGINE_SAMPLING,
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
      signal: controller.signal,
      stopOnAbortSignal: true,
      onToken: (chunk) => {
        tokens += chunk.length;
      },
      onTextChunk: (text) => {
        if (!text) return;
        lastAt = performance.now();
        if (!firstAt) {
          firstAt = lastAt;
          if (options.budgetMs) timers.push(setTimeout(() => controller.abort(), options.budgetMs));
        }
      },
    });
    const end = performance.now();
    return {
      ttftMs: firstAt ? firstAt - started : Number.NaN,
      tokens,
      tokensPerSecond: tokens > 1 && lastAt > firstAt ? ((tokens - 1) * 1000) / (lastAt - firstAt) : Number.NaN,
      durationMs: end - started,
      stopReason: meta.stopReason,
      capped: meta.stopReason === 'abort',
    };
  } finally {
    for (const timer of timers) clearTimeout(timer);
  }
}
