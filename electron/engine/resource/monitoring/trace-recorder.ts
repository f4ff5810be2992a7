/**
 * Records what the live monitor sees and what the scaler decides, as a trace `npm run simulate`
 * replays to the same decisions (docs/trace-format.md, "Recorded traces"). Pure bookkeeping: the
 * caller feeds it the scaler's setup, the samples, the replies and the decisions with their clock
 * times, and asks for the text; trace-session.ts does the I/O.
 *
 * What a replay needs to reach the same decisions, and so what is kept:
 * - the scaler's setup exactly as built — its ladder (sizes, load times, speeds), initial model,
 *   settings and machine (the tier is detected from it) — and its start time, which is t = 0;
 * - every sample the scaler took, at its clock time, with the background (use minus the
 *   assistant's own) and the assistant's own memory beyond its model's profile;
 * - each reply's start and end with the feedback the scaler was given;
 * - the real duration of every load (the replay's loads take them, so the cooldowns match).
 * No conversation text ever enters: replies are reduced to times, token rates and outcomes, and
 * model paths to file names.
 */
import type { ScalerDecision } from '../policy/scaler-types';
import type { ScalerSettingsInput } from '../policy/settings';
import type { ModelProfile, ReplyFeedback, ResourceSample, StaticHardwareInfo } from '../types';

/** What the scaler in force was built from (the ModelManager's `scalerSetup`). */
export interface TraceSetup {
  /** Clock time just before the scaler was built, ms. */
  startedAt: number;
  ladder: readonly ModelProfile[];
  initialModelId: string;
  hardware: StaticHardwareInfo;
  settings: ScalerSettingsInput;
}

/** A decision as the simulator prints it (its `t` in seconds from the trace's start). */
export type RecordedDecision = { t: number; action: string } & Record<string, unknown>;

type Json = Record<string, unknown>;

/** While nothing is being recorded, the current configuration's life is kept up to this size (bytes). */
export const PRE_ROLL_MAX_BYTES = 2 ** 20;
/** Room kept for the head of the file (machine, ladder, settings, notes), bytes. */
const HEAD_BYTES = 8192;

const fileName = (modelPath: string): string => modelPath.split(/[\\/]/).pop() || modelPath;

/** One configuration's life: from the scaler's start to the next configure. */
class Segment {
  readonly ids = new Map<string, string>();
  readonly samples: Json[] = [];
  /** The scaler's model at each kept sample (the initial model after a trim). */
  readonly modelAt: string[] = [];
  events: Json[] = [];
  loads: Json[] = [];
  decisions: RecordedDecision[] = [];
  readonly notes: string[] = [];
  bytes = HEAD_BYTES;
  /** Samples dropped from the front (the pre-roll limit): the replay then starts mid-way. */
  trimmedSamples = 0;
  initialModelId: string;
  generating = false;
  pausedNoted = false;
  /** Swap size as the first sample read it; null where unknown. */
  swapTotalBytes: number | null = null;
  private switchStart: { t: number; model: string } | null = null;

  constructor(readonly setup: TraceSetup) {
    this.initialModelId = setup.initialModelId;
    for (const model of setup.ladder) {
      let id = fileName(model.id);
      for (let n = 2; [...this.ids.values()].includes(id); n++) id = `${fileName(model.id)}#${n}`;
      this.ids.set(model.id, id);
    }
  }

  id(modelId: string): string {
    return this.ids.get(modelId) ?? fileName(modelId);
  }

  /** Seconds from the scaler's start. */
  seconds(ms: number): number {
    return (ms - this.setup.startedAt) / 1000;
  }

  /** Seconds rounded to the millisecond, as the simulator prints decision times. */
  printed(ms: number): number {
    return Math.round(ms - this.setup.startedAt) / 1000;
  }

  /** Model paths in a sentence become file names (a path names the user's folders). */
  scrub(text: string): string {
    let out = text;
    for (const [modelPath, id] of this.ids) out = out.split(modelPath).join(id);
    return out;
  }

  profile(modelId: string): ModelProfile | undefined {
    return this.setup.ladder.find((model) => model.id === modelId);
  }

  onSwitch(t: number, to: string): void {
    this.switchStart = { t, model: to };
  }

  /** The switch's model is ready (or failed): its real duration, for the replay's load. */
  onLoaded(t: number, model: string, ok: boolean): Json | null {
    const start = this.switchStart;
    this.switchStart = null;
    if (!start || start.model !== model) return null;
    return { t: start.t, model, seconds: Math.max(0, t - start.t), ok };
  }

  /** Drops the oldest half of the samples, and what came before the first one kept. */
  trim(): void {
    const cut = Math.ceil(this.samples.length / 2);
    if (cut === 0) return;
    const firstT = this.samples[cut]?.t as number | undefined;
    this.samples.splice(0, cut);
    this.modelAt.splice(0, cut);
    this.initialModelId = this.modelAt[0] ?? this.initialModelId;
    this.trimmedSamples += cut;
    const keep = (item: Json) => firstT !== undefined && (item.t as number) >= firstT;
    this.events = this.events.filter(keep);
    // A reply whose start was dropped cannot end in the trace.
    if (this.events[0]?.type === 'generation-end') this.events.shift();
    this.loads = this.loads.filter(keep);
    this.decisions = this.decisions.filter(keep);
    this.bytes =
      HEAD_BYTES + [...this.samples, ...this.events, ...this.loads, ...this.decisions].reduce((sum, item) => sum + JSON.stringify(item).length + 6, 0);
  }
}

/** Where a recording stands (the engine protocol's `trace:status` adds the file). */
export interface RecorderCounts {
  recording: boolean;
  bytes: number;
  samples: number;
  decisions: number;
}

/** Keeps the current configuration's life and, while recording, all of it up to the size limit. */
export class TraceRecorder {
  private segment: Segment | null = null;
  private recording = false;
  private maxBytes = Infinity;
  private startedAtMs: number | null = null;
  /** Stopped, its text not yet taken: nothing is added (the file must end where the recording did). */
  private frozen = false;

  /**
   * @param onLimit called once when a recording reaches its size limit (it has stopped taking
   *   anything; the caller writes the file).
   */
  constructor(private readonly onLimit: () => void = () => {}) {}

  /** The scaler was (re)built: a new configuration starts. Returns false when a recording was running (it ends here). */
  configure(setup: TraceSetup): boolean {
    if (this.segment?.setup === setup) return true;
    const wasRecording = this.recording;
    this.recording = false;
    this.frozen = false;
    this.segment = new Segment(setup);
    return !wasRecording;
  }

  /** The setup of the configuration being kept, or null. */
  get setup(): TraceSetup | null {
    return this.segment?.setup ?? null;
  }

  /** Starts recording: the current configuration's life so far is the start of the trace. */
  start(maxBytes: number, nowMs: number): void {
    this.recording = true;
    this.frozen = false;
    this.maxBytes = maxBytes;
    this.startedAtMs = nowMs;
  }

  /** Stops the recording; nothing more is added until its text is taken. */
  stop(): void {
    if (this.recording) this.frozen = true;
    this.recording = false;
  }

  get counts(): RecorderCounts {
    return {
      recording: this.recording,
      bytes: this.segment?.bytes ?? 0,
      samples: this.segment?.samples.length ?? 0,
      decisions: this.segment?.decisions.length ?? 0,
    };
  }

  /** A sample, before the scaler takes it; `modelId` is the scaler's model then. */
  sample(sample: ResourceSample, modelId: string, paused: boolean): void {
    const segment = this.segment;
    if (!segment || sample.t < segment.setup.startedAt) return;
    const model = segment.profile(modelId);
    const other = Math.min(sample.memTotalBytes, Math.max(0, sample.memUsedBytes - sample.ownMemBytes));
    const out: Json = { t: segment.seconds(sample.t), cpuLoad: Math.min(1, Math.max(0, sample.cpuOtherLoad)), otherMemUsedBytes: other };
    if (sample.vramTotalBytes) out.otherVramUsedBytes = Math.max(0, (sample.vramUsedBytes ?? 0) - (sample.ownVramBytes ?? 0));
    else if (segment.setup.hardware.gpus.some((gpu) => gpu.vramTotalBytes > 0)) out.otherVramUsedBytes = 0;
    if (sample.swapUsedBytes !== undefined) out.swapUsedBytes = sample.swapUsedBytes;
    if (sample.swapInBytesPerSecond !== undefined) out.swapInBytesPerSecond = sample.swapInBytesPerSecond;
    if (sample.psiSomeAvg10 !== undefined) out.psiSomeAvg10 = Math.min(1, Math.max(0, sample.psiSomeAvg10));
    if (sample.psiFullAvg10 !== undefined) out.psiFullAvg10 = Math.min(1, Math.max(0, sample.psiFullAvg10));
    out.ownMemOffsetBytes = sample.ownMemBytes - (model?.memBytes ?? 0);
    if (sample.onBattery !== undefined) out.onBattery = sample.onBattery;
    if (sample.batteryPercent !== undefined) out.batteryPercent = Math.min(100, Math.max(0, sample.batteryPercent));
    if (paused && !segment.pausedNoted) {
      segment.pausedNoted = true;
      segment.notes.push(
        `Automatic scaling was paused at t=${segment.printed(sample.t)} s; the replay does not pause, so its decisions may differ from there on.`,
      );
    }
    if (!this.add(segment.samples, out)) return;
    segment.modelAt.push(modelId);
    if (sample.swapTotalBytes !== undefined) segment.swapTotalBytes ??= sample.swapTotalBytes;
  }

  /** A reply starts (right after its pre-flight check); `expectedTokens` is what the check assumed. */
  replyStarted(tMs: number, expectedTokens: number): void {
    const segment = this.segment;
    if (!segment || segment.generating || tMs < segment.setup.startedAt) return;
    if (this.add(segment.events, { t: segment.seconds(tMs), type: 'generation-start', expectedTokens })) segment.generating = true;
  }

  /** A reply ended with the feedback the scaler was given. */
  replyEnded(tMs: number, feedback: ReplyFeedback): void {
    const segment = this.segment;
    if (!segment || !segment.generating) return;
    const out: Json = { t: segment.seconds(tMs), type: 'generation-end', ok: feedback.ok };
    if (feedback.tokensPerSecond !== undefined) out.tokensPerSecond = feedback.tokensPerSecond;
    if (feedback.ttftMs !== undefined) out.ttftMs = feedback.ttftMs;
    if (feedback.error) out.error = feedback.error;
    if (this.add(segment.events, out)) segment.generating = false;
  }

  /** A decision of the scaler (and the switches and loads it reports). */
  decision(decision: ScalerDecision): void {
    const segment = this.segment;
    if (!segment || decision.t < segment.setup.startedAt) return;
    const t = segment.printed(decision.t);
    let line: RecordedDecision;
    switch (decision.action) {
      case 'degrade':
      case 'upgrade':
        line = {
          t,
          action: decision.action,
          from: segment.id(decision.from),
          to: segment.id(decision.to),
          reason: segment.scrub(decision.reason),
          path: decision.path,
          urgency: decision.urgency,
        };
        break;
      case 'switch':
        segment.onSwitch(segment.seconds(decision.t), segment.id(decision.to));
        line = { t, action: 'switch', from: segment.id(decision.from), to: segment.id(decision.to), loadSeconds: decision.loadSeconds };
        if (decision.interruptedReply) line.interruptedReply = true;
        break;
      case 'loaded': {
        const load = segment.onLoaded(segment.seconds(decision.t), segment.id(decision.modelId), decision.ok);
        if (load && !this.add(segment.loads, load)) return;
        line = { t, action: 'loaded', model: segment.id(decision.modelId), ok: decision.ok };
        break;
      }
      case 'cancel':
        line = { t, action: 'cancel', from: segment.id(decision.from), to: segment.id(decision.to), reason: segment.scrub(decision.reason) };
        break;
      case 'threads':
        line = { t, action: 'threads', from: decision.from, to: decision.to, reason: segment.scrub(decision.reason) };
        break;
      default:
        return decision satisfies never;
    }
    this.add(segment.decisions, line);
  }

  /** Adds an entry within the limits; false when it did not fit (the recording has stopped). */
  private add<T extends Json>(list: T[], entry: T): boolean {
    const segment = this.segment!;
    if (this.frozen) return false;
    const size = JSON.stringify(entry).length + 6;
    if (this.recording) {
      if (segment.bytes + size > this.maxBytes) {
        this.recording = false;
        this.frozen = true;
        this.onLimit();
        return false;
      }
    } else {
      while (segment.bytes + size > PRE_ROLL_MAX_BYTES && segment.samples.length > 1) segment.trim();
    }
    list.push(entry);
    segment.bytes += size;
    return true;
  }

  /**
   * The trace's text: the head, then one sample, event, load or decision per line (so a parse
   * error points at one). `extraNotes` are added to the file's notes (why it stopped, say).
   */
  text(info: { name: string; stoppedAtMs: number; stopReason: string; extraNotes?: string[] }): string | null {
    const segment = this.segment;
    // Taken: from here the configuration's life is kept again, for a later recording.
    this.frozen = false;
    if (!segment || segment.samples.length === 0) return null;
    const { setup } = segment;
    const notes = [...segment.notes, ...(info.extraNotes ?? [])];
    if (segment.trimmedSamples > 0)
      notes.push(
        `The first ${segment.trimmedSamples} samples of this configuration were not kept (more than ${PRE_ROLL_MAX_BYTES / 2 ** 20} MiB before the recording started): the replay starts a fresh scaler at the first sample kept, so its first decisions may differ.`,
      );
    if (segment.generating) notes.push('A reply was still running when the recording stopped.');
    const hardware = setup.hardware;
    const machine: Json = {
      cpuCores: Math.max(1, hardware.logicalCores || hardware.physicalCores || 1),
      physicalCores: Math.max(1, hardware.physicalCores || hardware.logicalCores || 1),
      memTotalBytes: hardware.memTotalBytes,
      gpus: hardware.gpus.map((gpu) => ({ name: gpu.name, vramTotalBytes: gpu.vramTotalBytes || 0 })),
    };
    if (segment.swapTotalBytes !== null) machine.swapTotalBytes = segment.swapTotalBytes;
    const head: Json = {
      name: info.name,
      description:
        'Recorded by Mai (Settings → Record a trace): resource samples, settings, ladder sizes and decisions only, no conversation text. Replay with `npm run simulate -- FILE`.',
      recorded: {
        startedAt: this.startedAtMs !== null ? new Date(this.startedAtMs).toISOString() : null,
        stoppedAt: new Date(info.stoppedAtMs).toISOString(),
        stopReason: info.stopReason,
        notes,
      },
      machine,
      models: setup.ladder.map((model) => ({
        id: segment.id(model.id),
        memBytes: model.memBytes,
        vramBytes: model.vramBytes,
        loadSeconds: model.loadSeconds,
        ...(model.kvBytesPerToken !== undefined ? { kvBytesPerToken: model.kvBytesPerToken } : {}),
        ...(model.tokensPerSecond !== undefined ? { tokensPerSecond: model.tokensPerSecond } : {}),
        // Cascade steps replay as steps (the model kept, the step's time); the key names the file, not its folder.
        ...(model.modelKey !== undefined ? { modelKey: segment.scrub(model.modelKey) } : {}),
        ...(model.stepSeconds !== undefined ? { stepSeconds: model.stepSeconds } : {}),
        ...(model.contextSize !== undefined ? { contextSize: model.contextSize } : {}),
      })),
      initialModel: segment.id(segment.initialModelId),
      settings: setup.settings,
    };
    const list = (items: readonly Json[]) => (items.length === 0 ? '[]' : `[\n${items.map((item) => `    ${JSON.stringify(item)}`).join(',\n')}\n  ]`);
    const parts = Object.entries(head).map(([key, value]) => `  ${JSON.stringify(key)}: ${JSON.stringify(value)}`);
    parts.push(`  "samples": ${list(segment.samples)}`, `  "events": ${list(segment.events)}`, `  "loads": ${list(segment.loads)}`);
    parts.push(`  "recordedDecisions": ${list(segment.decisions)}`);
    return `{\n${parts.join(',\n')}\n}\n`;
  }
}
