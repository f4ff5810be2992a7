/**
 * The engine's side of Settings → "Record a trace": follows the ModelManager's events into a
 * TraceRecorder and writes the file when the recording stops — asked by the user, at the size
 * limit, when the configuration changes (a trace replays one scaler's life) or at shutdown.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { MaiError } from '../../shared/errors';
import { DEFAULT_TRACE_MAX_BYTES, type TraceStatus, type TraceStopReason } from '../../shared/trace-recording';
import type { Clock } from './resource/clock';
import { TraceRecorder, type RecorderCounts } from './resource/monitoring/trace-recorder';
import type { ModelManager } from './models/model-manager';
import type { GenerateResult } from './models/model-runtime';
import { failedReplyFeedback, replyFeedbackOf } from './models/reply-runner';

/** Tokens the pre-flight check assumes for a reply at most (reply-runner.ts uses the same bound). */
const DEFAULT_EXPECTED_TOKENS = 256;

const STOP_NOTES: Record<TraceStopReason, string | null> = {
  user: null,
  'size-limit': 'The recording reached its size limit and stopped there.',
  reconfigured: 'The settings or the models changed, which starts a new scaler: the recording stopped there (a trace replays one configuration).',
  shutdown: 'Mai shut down while recording; the trace ends there.',
  failed: null,
};

export class TraceSession {
  private readonly recorder = new TraceRecorder(() => queueMicrotask(() => this.finish('size-limit')));
  private manager: ModelManager | null = null;
  private file: string | null = null;
  private maxBytes = DEFAULT_TRACE_MAX_BYTES;
  private stopReason: TraceStopReason | null = null;
  private note: string | null = null;
  /**
   * What the last recording held when it stopped (what its file holds). Reported while nothing is
   * recorded: once the text is taken, the recorder goes on keeping the configuration's life (a
   * later recording's pre-roll), and its live counts would say the file holds more than it does.
   */
  private saved: Omit<RecorderCounts, 'recording'> | null = null;
  /** `expectedTokens` of the reply whose pre-flight check comes next. */
  private nextReplyTokens = DEFAULT_EXPECTED_TOKENS;

  constructor(
    private readonly clock: Clock,
    /** Told when a recording stops on its own (size limit, new configuration, shutdown). */
    private readonly onStatus: (status: TraceStatus) => void,
    private readonly log: (message: string) => void,
  ) {}

  /** Follows `manager`'s samples, replies and decisions (once per manager). */
  attach(manager: ModelManager): void {
    this.manager = manager;
    manager.on('sample', ({ sample, state }) => {
      this.follow();
      this.recorder.sample(sample, state.modelId, state.status.kind === 'paused');
    });
    manager.on('decision', (decision) => {
      this.follow();
      this.recorder.decision(decision);
    });
    manager.on('preflight', () => {
      this.follow();
      this.recorder.replyStarted(this.clock.now(), this.nextReplyTokens);
    });
  }

  /** A new scaler begins a new configuration; a recording of the old one ends here. */
  private follow(): void {
    const setup = this.manager?.scalerSetup;
    if (!setup || this.recorder.setup === setup) return;
    const recording = this.recorder.counts.recording;
    if (recording) this.finish('reconfigured');
    this.recorder.configure(setup);
  }

  /** Wraps a reply: its expected length for the pre-flight record, and its outcome as the scaler heard it. */
  async aroundReply(maxTokens: number, run: () => Promise<GenerateResult>): Promise<GenerateResult> {
    this.nextReplyTokens = Math.min(maxTokens, DEFAULT_EXPECTED_TOKENS);
    try {
      const result = await run();
      this.recorder.replyEnded(this.clock.now(), replyFeedbackOf(result));
      return result;
    } catch (error) {
      // The same classification as the reply runner's feedback to the scaler.
      this.recorder.replyEnded(this.clock.now(), failedReplyFeedback(error));
      throw error;
    }
  }

  /** Starts recording into `file` (written when the recording stops). */
  start(file: string, maxBytes: number): TraceStatus {
    if (this.recorder.counts.recording) throw new MaiError('bad-request', `A trace is already being recorded to ${this.file}.`);
    if (!this.manager?.scalerSetup) throw new MaiError('no-model', 'No model is loaded yet: a trace records the scaler, which starts with the first model.');
    this.follow();
    this.file = file;
    this.maxBytes = maxBytes;
    this.stopReason = null;
    this.note = null;
    this.saved = null;
    this.recorder.start(maxBytes, Date.now());
    return this.status();
  }

  /** Stops the recording and writes the file. */
  stop(): TraceStatus {
    if (this.recorder.counts.recording) this.finish('user');
    return this.status();
  }

  /** Writes what was recorded when the engine goes down while recording. */
  shutdown(): void {
    if (this.recorder.counts.recording) this.finish('shutdown');
  }

  status(): TraceStatus {
    const live = this.recorder.counts;
    const counts = !live.recording && this.saved ? this.saved : live;
    return {
      recording: live.recording,
      path: this.file,
      bytes: counts.bytes,
      maxBytes: this.maxBytes,
      samples: counts.samples,
      decisions: counts.decisions,
      stopReason: live.recording ? null : this.stopReason,
      note: this.note,
    };
  }

  /** Ends the recording and writes the file (synchronously: it must land even at shutdown). */
  private finish(reason: TraceStopReason): void {
    if (!this.file || this.stopReason !== null) return;
    this.recorder.stop();
    const { bytes, samples, decisions } = this.recorder.counts;
    this.saved = { bytes, samples, decisions };
    this.stopReason = reason;
    const limit = reason === 'size-limit' ? ` (${(this.maxBytes / 2 ** 20).toFixed(1)} MiB)` : '';
    const sentence = STOP_NOTES[reason];
    const extraNotes = sentence ? [sentence.replace('size limit', `size limit${limit}`)] : [];
    const text = this.recorder.text({ name: `mai-${path.basename(this.file, '.json')}`, stoppedAtMs: Date.now(), stopReason: reason, extraNotes });
    try {
      if (!text) throw new Error('no sample was recorded');
      mkdirSync(path.dirname(this.file), { recursive: true });
      const partial = `${this.file}.partial`;
      writeFileSync(partial, text);
      renameSync(partial, this.file);
      this.note = extraNotes[0] ?? null;
    } catch (error) {
      this.stopReason = 'failed';
      this.note = `The trace could not be written to ${this.file}: ${(error as Error).message}.`;
      this.log(this.note);
    }
    if (reason !== 'user') this.onStatus(this.status());
  }
}
