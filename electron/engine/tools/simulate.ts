/**
 * Replays a trace through a real scaler (proactive or the reactive baseline) and the real
 * ModelSwitcher, with a loader that only pretends, under a virtual clock: thirty minutes of trace
 * take tens of milliseconds. The simulator adds the resident model's memory to the trace's
 * `otherMemUsedBytes`, so a switch changes the pressure the scaler sees next.
 */
import { flushPromises, VirtualClock } from '../resource/clock';
import { ModelSwitcher } from '../resource/actuation/model-switcher';
import { SimulatedLoader, type LoadTiming } from './simulated-loader';
import { sameModel } from '../resource/policy/cascade';
import { ProactiveScaler } from '../resource/policy/proactive-scaler';
import { ReactiveScaler } from './reactive-scaler';
import type { ScalerDecision, ScalingPolicy } from '../resource/policy/scaler-types';
import type { Trace, TraceEvent, TraceSample } from './trace';
import { hardwareOfTrace, traceSampleToResourceSample } from './trace-source';
import type { ModelProfile } from '../resource/types';

/** Which policy to replay. */
export type SimulationPolicy = 'proactive' | 'reactive';

/** One output line (a JSON object on stdout). */
export type SimulationLine = { t: number; action: string } & Record<string, unknown>;

/** The last line: what a reader compares between policies. */
export interface SimulationSummary {
  t: number;
  action: 'summary';
  policy: SimulationPolicy;
  /** Times the rung in use changed (cascade steps included). */
  switches: number;
  /** Of those, cascade steps: the same model kept, its context recreated (KV-cache type, context size, GPU layers). */
  cascadeSteps: number;
  secondsOverDegradeThreshold: number;
  secondsOverCriticalThreshold: number;
  finalModel: string;
  degrades: number;
  upgrades: number;
  /** Deferred switches dropped at actuation (the pressure had faded) or superseded. */
  cancelled: number;
  /** Replies interrupted by critical switches. */
  interruptedReplies: number;
  threadChanges: number;
  /** First time the initial model's use would have crossed the degrade line with no scaling; null if never. */
  firstCrossingT: number | null;
  /** Time of the first step-down decision; null if none. */
  firstDegradeT: number | null;
  /** firstCrossingT − firstDegradeT: positive = decided before the crossing. Null if either is missing. */
  leadSeconds: number | null;
  /** Thresholds the run used (the trace's settings or the tier's). */
  degradeThreshold: number;
  criticalThreshold: number;
  upgradeThreshold: number;
}

/** What a run returns. */
export interface SimulationResult {
  lines: SimulationLine[];
  summary: SimulationSummary;
}

/** Options of a run. */
export interface SimulationOptions {
  policy?: SimulationPolicy;
  /** Receives each line as it is produced. */
  onLine?: (line: SimulationLine) => void;
  /** Receives the scaler's log lines. */
  log?: (line: string) => void;
}

const seconds = (ms: number): number => Math.round(ms) / 1000;

/** A recorded load counts for the replay's load of the same model that starts within this of it, ms. */
const LOAD_MATCH_MS = 1000;

/**
 * The load times of a recorded trace: a replayed load that starts when a recorded one of the same
 * model did ends when that one ended, and fails if it failed (so the cooldown after it, and what
 * follows, match the run). Loads with no recorded counterpart take the model's `loadSeconds`.
 */
function recordedLoadTiming(trace: Trace): LoadTiming | undefined {
  if (!trace.loads || trace.loads.length === 0) return undefined;
  const unused = [...trace.loads];
  return (modelId, startMs) => {
    const index = unused.findIndex((load) => load.model === modelId && Math.abs(load.t * 1000 - startMs) <= LOAD_MATCH_MS);
    if (index < 0) return undefined;
    const [load] = unused.splice(index, 1);
    return { ms: Math.max(0, (load!.t + load!.seconds) * 1000 - startMs), ok: load!.ok };
  };
}

/** Replays `trace` and returns every line and the summary. */
export async function runSimulation(trace: Trace, options: SimulationOptions = {}): Promise<SimulationResult> {
  const policyName = options.policy ?? 'proactive';
  const clock = new VirtualClock(0);
  const ladder: ModelProfile[] = trace.models.map((model) => ({ ...model }));
  const byId = new Map(ladder.map((model) => [model.id, model]));
  const scalerOptions = {
    clock,
    ladder,
    initialModelId: trace.initialModel,
    hardware: hardwareOfTrace(trace),
    ...(trace.settings ? { settings: trace.settings } : {}),
    ...(options.log ? { log: options.log } : {}),
  };
  const policy: ScalingPolicy = policyName === 'reactive' ? new ReactiveScaler(scalerOptions) : new ProactiveScaler(scalerOptions);
  const loader = new SimulatedLoader(clock, ladder, trace.initialModel, new Set(), recordedLoadTiming(trace));
  const switcher = new ModelSwitcher({ policy, loader });
  const thresholds = policy.getThresholds();
  const memTotal = trace.machine.memTotalBytes;
  const vramTotal = (trace.machine.gpus ?? []).reduce((sum, gpu) => sum + gpu.vramTotalBytes, 0);

  const lines: SimulationLine[] = [];
  const counts = { switches: 0, steps: 0, degrades: 0, upgrades: 0, cancelled: 0, threads: 0 };
  let firstDegradeT: number | null = null;
  const push = (line: SimulationLine): void => {
    lines.push(line);
    options.onLine?.(line);
  };
  policy.on('decision', (event: ScalerDecision) => {
    const t = seconds(event.t);
    switch (event.action) {
      case 'degrade':
      case 'upgrade':
        if (event.action === 'degrade') {
          counts.degrades++;
          firstDegradeT ??= t;
        } else counts.upgrades++;
        push({ t, action: event.action, from: event.from, to: event.to, reason: event.reason, path: event.path, urgency: event.urgency });
        break;
      case 'switch': {
        counts.switches++;
        const step = sameModel(byId.get(event.from)!, byId.get(event.to)!);
        if (step) counts.steps++;
        push({
          t,
          action: 'switch',
          from: event.from,
          to: event.to,
          loadSeconds: event.loadSeconds,
          ...(step ? { step: true } : {}),
          ...(event.interruptedReply ? { interruptedReply: true } : {}),
        });
        break;
      }
      case 'threads':
        counts.threads++;
        push({ t, action: 'threads', from: event.from, to: event.to, reason: event.reason });
        break;
      case 'cancel':
        counts.cancelled++;
        push({ t, action: 'cancel', from: event.from, to: event.to, reason: event.reason });
        break;
      case 'loaded':
        push({ t, action: 'loaded', model: event.modelId, ok: event.ok });
        break;
      default:
        event satisfies never;
    }
  });

  // Time over the lines: the state set at each change point holds until the next one.
  let other: TraceSample | null = null;
  let meterT = 0;
  let over = false;
  let critical = false;
  const overTime = { degrade: 0, critical: 0 };
  const fractions = (): { memory: number; vram: number } => {
    const resident = loader.resident ? byId.get(loader.resident) : undefined;
    return {
      memory: ((other?.otherMemUsedBytes ?? 0) + (resident?.memBytes ?? 0)) / memTotal,
      vram: vramTotal > 0 ? ((other?.otherVramUsedBytes ?? 0) + (resident?.vramBytes ?? 0)) / vramTotal : 0,
    };
  };
  const meterAdvance = (ms: number): void => {
    if (over) overTime.degrade += ms - meterT;
    if (critical) overTime.critical += ms - meterT;
    meterT = ms;
  };
  const meterRecompute = (): void => {
    const f = fractions();
    over = f.memory > thresholds.memory.degrade || f.vram > thresholds.vram.degrade;
    critical = f.memory > thresholds.memory.critical || f.vram > thresholds.vram.critical;
  };
  const advanceTo = async (ms: number): Promise<void> => {
    for (let due = clock.nextDue(); due !== undefined && due <= ms; due = clock.nextDue()) {
      meterAdvance(due);
      await clock.advanceToAsync(due);
      meterRecompute();
    }
    meterAdvance(ms);
    await clock.advanceToAsync(ms);
  };

  type Item = { t: number; order: number; sample?: TraceSample; event?: TraceEvent };
  const items: Item[] = [
    ...trace.samples.map((sample, order) => ({ t: sample.t, order, sample })),
    ...trace.events.map((event, order) => ({ t: event.t, order: trace.samples.length + order, event })),
  ].sort((a, b) => a.t - b.t || a.order - b.order);

  for (const item of items) {
    await advanceTo(item.t * 1000);
    if (item.sample) {
      other = item.sample;
      meterRecompute();
      policy.ingest(traceSampleToResourceSample(item.sample, clock.now(), trace, loader.resident ? byId.get(loader.resident) : undefined));
    } else if (item.event?.type === 'generation-start') {
      const answer = policy.checkPreflightResources(item.event.expectedTokens !== undefined ? { expectedOutputTokens: item.event.expectedTokens } : {});
      if (policy.policy === 'proactive' && answer.verdict !== 'go') {
        push({ t: seconds(clock.now()), action: 'preflight', verdict: answer.verdict, model: answer.modelId, reason: answer.reason });
        if ((answer.verdict === 'degrade-first' || answer.verdict === 'critical') && answer.modelId !== policy.getCurrentModelId()) {
          // As the ModelManager's reply runner does: the reply cannot run here at all, so at once.
          policy.initiateGracefulDegradation({ reason: answer.reason, path: 'preflight', toModelId: answer.modelId, urgency: 'critical' });
        }
      }
      switcher.beginReply();
      // As the reply runner does too: pressure building but not peaking during the reply asks for
      // the step down once the reply has started; the switcher defers it to the reply's end.
      if (policy.policy === 'proactive' && answer.verdict === 'go-degraded') {
        policy.initiateGracefulDegradation({ reason: `pre-flight: ${answer.reason}`, path: 'preflight', urgency: 'normal' });
      }
    } else if (item.event?.type === 'generation-end') {
      const event = item.event;
      switcher.endReply({
        ok: event.ok,
        ...(event.tokensPerSecond !== undefined ? { tokensPerSecond: event.tokensPerSecond } : {}),
        ...(event.ttftMs !== undefined ? { ttftMs: event.ttftMs } : {}),
        ...(event.error ? { error: event.error } : {}),
      });
    }
    await flushPromises();
    meterRecompute();
  }

  const lastT = items[items.length - 1]!.t;
  const initial = byId.get(trace.initialModel)!;
  const crossing = trace.samples.find(
    (sample) =>
      (sample.otherMemUsedBytes + initial.memBytes) / memTotal > thresholds.memory.degrade ||
      (vramTotal > 0 && ((sample.otherVramUsedBytes ?? 0) + initial.vramBytes) / vramTotal > thresholds.vram.degrade),
  );
  const firstCrossingT = crossing ? crossing.t : null;
  switcher.dispose();
  const summary: SimulationSummary = {
    t: lastT,
    action: 'summary',
    policy: policyName,
    switches: counts.switches,
    cascadeSteps: counts.steps,
    secondsOverDegradeThreshold: seconds(overTime.degrade),
    secondsOverCriticalThreshold: seconds(overTime.critical),
    finalModel: policy.getCurrentModelId(),
    degrades: counts.degrades,
    upgrades: counts.upgrades,
    cancelled: counts.cancelled,
    interruptedReplies: switcher.interruptedReplies,
    threadChanges: counts.threads,
    firstCrossingT,
    firstDegradeT,
    leadSeconds: firstCrossingT !== null && firstDegradeT !== null ? Math.round((firstCrossingT - firstDegradeT) * 1000) / 1000 : null,
    degradeThreshold: thresholds.memory.degrade,
    criticalThreshold: thresholds.memory.critical,
    upgradeThreshold: thresholds.memory.upgrade,
  };
  push(summary as unknown as SimulationLine);
  return { lines, summary };
}
