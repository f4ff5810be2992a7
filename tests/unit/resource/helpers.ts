/**
 * Shared test helpers: load a committed trace, replay it with both policies, and a harness that
 * drives a real ProactiveScaler + ModelSwitcher with scripted samples under a virtual clock.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { flushPromises, VirtualClock } from '../../../electron/engine/resource/clock';
import { ModelSwitcher } from '../../../electron/engine/resource/actuation/model-switcher';
import { SimulatedLoader } from '../../../electron/engine/tools/simulated-loader';
import { ProactiveScaler } from '../../../electron/engine/resource/policy/proactive-scaler';
import type { ScalerDecision } from '../../../electron/engine/resource/policy/scaler-types';
import type { ScalerSettingsInput } from '../../../electron/engine/resource/policy/settings';
import { runSimulation, type SimulationResult } from '../../../electron/engine/tools/simulate';
import { parseTraceText, type Trace } from '../../../electron/engine/tools/trace';
import type { ModelProfile, ResourceSample, StaticHardwareInfo } from '../../../electron/engine/resource/types';

export const TRACE_DIR = fileURLToPath(new URL('../../traces', import.meta.url));
export const GiB = 2 ** 30;

/** A committed trace by file name. */
export function loadTrace(file: string): Trace {
  return parseTraceText(readFileSync(path.join(TRACE_DIR, file), 'utf8'));
}

/** The same trace through both policies. */
export async function runBoth(file: string): Promise<{ trace: Trace; proactive: SimulationResult; reactive: SimulationResult }> {
  const trace = loadTrace(file);
  const [proactive, reactive] = [await runSimulation(trace, { policy: 'proactive' }), await runSimulation(trace, { policy: 'reactive' })];
  return { trace, proactive, reactive };
}

/** One comparison line in the test output, so a reader sees the difference the test asserts. */
export function report(file: string, result: { proactive: SimulationResult; reactive: SimulationResult }): void {
  const row = (name: string, r: SimulationResult): string =>
    `${name.padEnd(9)} switches=${r.summary.switches} over=${r.summary.secondsOverDegradeThreshold}s critical=${r.summary.secondsOverCriticalThreshold}s lead=${r.summary.leadSeconds ?? '–'}s cancelled=${r.summary.cancelled} interrupted=${r.summary.interruptedReplies}`;
  console.log(`${file}\n  ${row('proactive', result.proactive)}\n  ${row('reactive', result.reactive)}`);
}

/** Lines of one action. */
export const linesOf = (result: SimulationResult, action: string) => result.lines.filter((line) => line.action === action);

export const LADDER: ModelProfile[] = [
  { id: 'small', memBytes: 1_500_000_000, vramBytes: 0, loadSeconds: 2, tokensPerSecond: 40 },
  { id: 'medium', memBytes: 4_000_000_000, vramBytes: 0, loadSeconds: 4, tokensPerSecond: 25 },
  { id: 'large', memBytes: 7_000_000_000, vramBytes: 0, loadSeconds: 7, tokensPerSecond: 15 },
];

export const HARDWARE_32: StaticHardwareInfo = {
  cpuModel: 'test',
  physicalCores: 8,
  logicalCores: 8,
  memTotalBytes: 32 * GiB,
  gpus: [],
  os: { platform: 'linux', release: 'test', arch: 'x64' },
};

/** What a scripted second looks like: background memory fraction and other optional readings. */
export interface Script {
  background: number;
  cpu?: number;
  psiFull?: number;
  psiSome?: number;
  swapInBytesPerSecond?: number;
  onBattery?: boolean;
  batteryPercent?: number;
}

/** A real scaler and switcher over scripted samples, one per second, under a virtual clock. */
export function createHarness(
  options: {
    settings?: ScalerSettingsInput;
    initialModelId?: string;
    hardware?: StaticHardwareInfo;
    failing?: string[];
    log?: (line: string) => void;
    /** Default LADDER (three models, no cascade steps). */
    ladder?: ModelProfile[];
  } = {},
) {
  const ladder = options.ladder ?? LADDER;
  const clock = new VirtualClock(0);
  const hardware = options.hardware ?? HARDWARE_32;
  const initialModelId = options.initialModelId ?? 'large';
  const scaler = new ProactiveScaler({
    clock,
    ladder,
    initialModelId,
    hardware,
    settings: options.settings ?? { degradeThreshold: 0.8, upgradeThreshold: 0.6 },
    ...(options.log ? { log: options.log } : {}),
  });
  const loader = new SimulatedLoader(clock, ladder, initialModelId, new Set(options.failing ?? []));
  const switcher = new ModelSwitcher({ policy: scaler, loader });
  const decisions: ScalerDecision[] = [];
  scaler.on('decision', (decision) => decisions.push(decision));
  let second = 0;

  const sample = (script: Script): ResourceSample => {
    const resident = ladder.find((model) => model.id === loader.resident);
    const own = resident?.memBytes ?? 0;
    const out: ResourceSample = {
      t: clock.now(),
      cpuOtherLoad: script.cpu ?? 0.1,
      memTotalBytes: hardware.memTotalBytes,
      memUsedBytes: script.background * hardware.memTotalBytes + own,
      ownMemBytes: own,
    };
    if (script.psiFull !== undefined) out.psiFullAvg10 = script.psiFull;
    if (script.psiSome !== undefined) out.psiSomeAvg10 = script.psiSome;
    if (script.swapInBytesPerSecond !== undefined) out.swapInBytesPerSecond = script.swapInBytesPerSecond;
    if (script.onBattery !== undefined) out.onBattery = script.onBattery;
    if (script.batteryPercent !== undefined) out.batteryPercent = script.batteryPercent;
    return out;
  };

  return {
    clock,
    scaler,
    switcher,
    loader,
    decisions,
    /** Seconds simulated so far. */
    get now(): number {
      return second;
    },
    /** Feeds `seconds` samples at 1 Hz from `script(t)`, letting pretend loads complete on time. */
    async run(seconds: number, script: (t: number) => Script): Promise<void> {
      for (let i = 0; i < seconds; i++) {
        second++;
        await clock.advanceToAsync(second * 1000);
        scaler.ingest(sample(script(second)));
        await flushPromises();
      }
    },
    modelDecisions(): ScalerDecision[] {
      return decisions.filter((decision) => decision.action === 'degrade' || decision.action === 'upgrade');
    },
  };
}
