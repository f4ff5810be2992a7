/**
 * A recorded or scripted trace as a ResourceSource: the monitor (and so the whole app) can run
 * on a trace instead of the machine, under either clock. The helpers here are also what the
 * simulator uses to turn a trace sample into what the scaler sees.
 */
import type { PowerReading, ResourceSource } from '../resource/monitoring/resource-source';
import { hardwareOfTrace, type Trace, type TraceSample } from './trace';

export { hardwareOfTrace } from './trace';
import type { ModelProfile, ResourceSample, StaticHardwareInfo } from '../resource/types';

/** The sample the scaler sees: the trace's background plus the resident model. */
export function traceSampleToResourceSample(sample: TraceSample, t: number, trace: Trace, resident: ModelProfile | undefined): ResourceSample {
  const vramTotal = (trace.machine.gpus ?? []).reduce((sum, gpu) => sum + gpu.vramTotalBytes, 0);
  const own = Math.max(0, (resident?.memBytes ?? 0) + (sample.ownMemOffsetBytes ?? 0));
  const out: ResourceSample = {
    t,
    cpuOtherLoad: sample.cpuLoad,
    memTotalBytes: trace.machine.memTotalBytes,
    memUsedBytes: Math.min(trace.machine.memTotalBytes, sample.otherMemUsedBytes + own),
    ownMemBytes: own,
  };
  if (trace.machine.swapTotalBytes !== undefined) out.swapTotalBytes = trace.machine.swapTotalBytes;
  if (sample.swapUsedBytes !== undefined) out.swapUsedBytes = sample.swapUsedBytes;
  if (sample.swapInBytesPerSecond !== undefined) out.swapInBytesPerSecond = sample.swapInBytesPerSecond;
  if (sample.psiSomeAvg10 !== undefined) out.psiSomeAvg10 = sample.psiSomeAvg10;
  if (sample.psiFullAvg10 !== undefined) out.psiFullAvg10 = sample.psiFullAvg10;
  if (sample.onBattery !== undefined) out.onBattery = sample.onBattery;
  if (sample.batteryPercent !== undefined) out.batteryPercent = sample.batteryPercent;
  if (vramTotal > 0) {
    out.vramTotalBytes = vramTotal;
    out.vramUsedBytes = Math.min(vramTotal, (sample.otherVramUsedBytes ?? 0) + (resident?.vramBytes ?? 0));
    out.ownVramBytes = resident?.vramBytes ?? 0;
  }
  return out;
}

/** Options of the trace source. */
export interface TraceSourceOptions {
  /** Clock time (ms) that trace t = 0 maps to. Default 0. */
  originMs?: number;
  /** The assistant's resident model, whose memory is added to the trace's background. */
  residentModel?: () => ModelProfile | undefined;
}

/** Replays a trace: each read returns the newest trace sample at or before the clock time. */
export class TraceResourceSource implements ResourceSource {
  private readonly originMs: number;
  /** Clock time of the last sample read; power is read "now" too, and has no time argument. */
  private lastT = 0;

  constructor(
    private readonly trace: Trace,
    private readonly options: TraceSourceOptions = {},
  ) {
    this.originMs = options.originMs ?? 0;
  }

  async readHardware(): Promise<StaticHardwareInfo> {
    return hardwareOfTrace(this.trace);
  }

  async readSample(t: number): Promise<ResourceSample> {
    this.lastT = t;
    return traceSampleToResourceSample(this.sampleAt(t), t, this.trace, this.options.residentModel?.());
  }

  async readPower(): Promise<PowerReading | null> {
    const sample = this.sampleAt(this.lastT);
    if (sample.onBattery === undefined) return null;
    return { onBattery: sample.onBattery, ...(sample.batteryPercent !== undefined ? { batteryPercent: sample.batteryPercent } : {}) };
  }

  /** The newest sample with trace time ≤ the clock time (the first one before the trace starts). */
  private sampleAt(t: number): TraceSample {
    const samples = this.trace.samples;
    const target = (t - this.originMs) / 1000;
    let low = 0;
    let high = samples.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >>> 1;
      if (samples[mid]!.t <= target) low = mid;
      else high = mid - 1;
    }
    return samples[low]!;
  }
}
