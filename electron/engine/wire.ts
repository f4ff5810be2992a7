/**
 * Every mapping from the engine's own types to the engine protocol's (the `shared/` schemas) in one
 * place. No casts between domain and wire types: each domain value is passed where its wire type is
 * expected, so a field that changes on either side stops the build here (see tests/unit/architecture/wire-drift.test.ts).
 * JSON turns Infinity and NaN into null: the numbers that can be either (derived ones: loads,
 * slopes, forecasts) are mapped here, one by one, to the `number | null` the wire schemas give them;
 * the others (times, counts, sizes) are finite by construction and pass with their own type.
 */
import type {
  CapabilityChangeData,
  DecisionData,
  LadderRungData,
  ModelPerformanceData,
  PreflightData,
  ResourceSampleData,
  ResourceSnapshot,
  ScalerStatusData,
  TrendData,
} from '../../shared/resource';
import type { RemoteFigures } from '../../shared/remote';
import type { ModelPerformance } from './models/model-stats';
import type { Rung } from './models/rung';
import type { TierAssessment } from './resource/policy/hardware-tiers';
import type { ScalerDecision, ScalerState, ScalerStatus, TrendSnapshot } from './resource/policy/scaler-types';
import type { PreflightAnswer, ResourceSample } from './resource/types';
import { stepLabel, type CapabilityChange } from './models/capability';

/** A number as JSON carries it: Infinity and NaN become null. */
export function jsonNumber(value: number | null): number | null {
  return value !== null && Number.isFinite(value) ? value : null;
}

/** An optional number as JSON carries it (absent stays absent). */
function optionalNumber(value: number | undefined): number | null | undefined {
  return value === undefined ? undefined : jsonNumber(value);
}

/** A sample as the panel receives it. */
export function toWireSample(sample: ResourceSample): ResourceSampleData {
  return {
    ...sample,
    cpuOtherLoad: jsonNumber(sample.cpuOtherLoad),
    cpuTotalLoad: optionalNumber(sample.cpuTotalLoad),
    ownMemBytes: jsonNumber(sample.ownMemBytes),
    ownRssBytes: optionalNumber(sample.ownRssBytes),
    swapTotalBytes: optionalNumber(sample.swapTotalBytes),
    swapUsedBytes: optionalNumber(sample.swapUsedBytes),
    swapInBytesPerSecond: optionalNumber(sample.swapInBytesPerSecond),
    psiSomeAvg10: optionalNumber(sample.psiSomeAvg10),
    psiFullAvg10: optionalNumber(sample.psiFullAvg10),
    vramTotalBytes: optionalNumber(sample.vramTotalBytes),
    vramUsedBytes: optionalNumber(sample.vramUsedBytes),
    ownVramBytes: optionalNumber(sample.ownVramBytes),
    batteryPercent: optionalNumber(sample.batteryPercent),
  };
}

/** One resource's trend as the panel receives it. */
function toWireTrend(trend: TrendSnapshot): TrendData {
  return {
    ...trend,
    latest: jsonNumber(trend.latest),
    level: jsonNumber(trend.level),
    slopePerSecond: jsonNumber(trend.slopePerSecond),
    longSlopePerSecond: jsonNumber(trend.longSlopePerSecond),
    threshold: jsonNumber(trend.threshold),
    secondsToThreshold: jsonNumber(trend.secondsToThreshold),
  };
}

/** What the scaler is doing, as the panel receives it. */
function toWireStatus(status: ScalerStatus): ScalerStatusData {
  return status.kind === 'stabilizing' ? { ...status, secondsUntilUpgrade: jsonNumber(status.secondsUntilUpgrade) } : status;
}

/** A model's measured performance (averages may be non-finite, counts are not). */
function toWirePerformance(performance: ModelPerformance): ModelPerformanceData {
  return {
    ...performance,
    tokensPerSecond: jsonNumber(performance.tokensPerSecond),
    ttftMs: jsonNumber(performance.ttftMs),
    replySeconds: jsonNumber(performance.replySeconds),
    loadSeconds: jsonNumber(performance.loadSeconds),
  };
}

/** The tier as the panel shows it. */
export function toWireTier(tier: TierAssessment | null | undefined): ResourceSnapshot['tier'] {
  return tier
    ? { id: tier.id, label: tier.label, description: tier.description, reasons: tier.reasons }
    : { id: 'unknown', label: 'Unknown', description: '', reasons: [] };
}

/** A rung as the model list shows it; a remote rung with its server's `host:port` and its measured figures. */
export function toWireRung(rung: Rung, remote?: { host: string; figures: RemoteFigures | null }): LadderRungData {
  const step = stepLabel(rung);
  return {
    ...(remote ? { host: remote.host, ...(remote.figures ? { remote: remote.figures } : {}) } : {}),
    id: rung.id,
    path: rung.model.path,
    name: rung.model.name,
    synthetic: rung.model.synthetic,
    memBytes: rung.footprint.memBytes,
    vramBytes: rung.footprint.vramBytes,
    estimatedMemBytes: rung.footprint.estimatedMemBytes,
    correction: rung.footprint.correction,
    measurements: rung.footprint.measurements,
    ...(step ? { step } : {}),
  };
}

/** One resource-panel frame. */
export function toWireSnapshot(
  sample: ResourceSample,
  state: ScalerState,
  thresholds: ResourceSnapshot['thresholds'],
  performance: ModelPerformance[],
): ResourceSnapshot {
  return {
    sample: toWireSample(sample),
    tier: toWireTier(state.tier),
    modelId: state.modelId,
    switching: state.switching,
    generating: state.generating,
    threads: state.threads,
    trends: { memory: toWireTrend(state.trends.memory), vram: toWireTrend(state.trends.vram), cpu: toWireTrend(state.trends.cpu) },
    status: toWireStatus(state.status),
    thresholds,
    performance: performance.map(toWirePerformance),
  };
}

/** A scaler decision for the log. */
export function toWireDecision(decision: ScalerDecision): DecisionData {
  const metrics = Object.fromEntries(Object.entries(decision.metrics).map(([key, value]) => [key, typeof value === 'number' ? jsonNumber(value) : value]));
  return { ...decision, metrics };
}

/** A pre-flight answer for the reply's note. */
export function toWirePreflight(answer: PreflightAnswer): PreflightData {
  return {
    ...answer,
    expectedSeconds: jsonNumber(answer.expectedSeconds),
    projectedMemoryFraction: jsonNumber(answer.projectedMemoryFraction),
    secondsToThreshold: jsonNumber(answer.secondsToThreshold),
  };
}

/** A capability change for the notice. */
export function toWireCapability(change: CapabilityChange): CapabilityChangeData {
  return change;
}

/** A reply's text on its way to main as `chat:token` events (see `createTextStream`). */
export interface TextStream {
  /** Queues a piece of the reply; it is sent once the generation loop has moved on. */
  push(text: string): void;
  /** Sends whatever is queued now (call when the reply ends, before its result is answered). */
  flush(): void;
}

/**
 * Shortest time between two sends of one reply, ms: one frame at 60 Hz, what a window can show.
 * Replies slower than ~60 tokens/s are sent token by token; faster ones in pieces of a frame's worth.
 */
export const TEXT_SEND_INTERVAL_MS = 16;

/**
 * Streams reply text without holding up generation. node-llama-cpp calls `onTextChunk` between
 * sampling a token and queueing the next decode, so whatever that callback does delays every token:
 * sending an IPC message there (validation, JSON, a pipe write that wakes main: ~0.2 ms here, more
 * on a busy machine) cost 5-10 % of the speed of the 30 MB demo model. So text is only queued there:
 *
 * - it is sent from `setImmediate`, which runs once the next decode is under way on its own thread,
 *   so the send overlaps the computation instead of preceding it;
 * - at most one send per `intervalMs` (a timer sends what came in between): at hundreds of tokens a
 *   second, a message per token only costs CPU in the engine, in main and in the window, which then
 *   other work on a small machine (and the inference thread) has to share.
 *
 * The first piece goes at once (time to first token), every piece is sent, in order, and `flush`
 * sends the rest at the reply's end. `send` errors are the caller's to contain.
 */
export function createTextStream(send: (text: string) => void, intervalMs = TEXT_SEND_INTERVAL_MS): TextStream {
  let pending = '';
  let lastSentAt = -Infinity;
  let immediate: ReturnType<typeof setImmediate> | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const flush = () => {
    if (immediate) clearImmediate(immediate);
    if (timer) clearTimeout(timer);
    immediate = null;
    timer = null;
    if (!pending) return;
    const text = pending;
    pending = '';
    lastSentAt = performance.now();
    send(text);
  };
  return {
    push(text) {
      if (!text) return;
      pending += text;
      if (immediate || timer) return;
      const wait = lastSentAt + intervalMs - performance.now();
      if (wait > 0) timer = setTimeout(flush, wait);
      else immediate = setImmediate(flush);
    },
    flush,
  };
}
