/**
 * The trace recorder: what it writes parses as a trace (the simulator's own parser), carries the
 * signals the replay needs (PSI, swap-in, the assistant's own memory, real load times), never a
 * model's folder or any text but the scaler's sentences, and stops at its size limit.
 */
import { describe, expect, it } from 'vitest';
import { PRE_ROLL_MAX_BYTES, TraceRecorder, type TraceSetup } from '../../../electron/engine/resource/monitoring/trace-recorder';
import type { ScalerDecision } from '../../../electron/engine/resource/policy/scaler-types';
import type { ResourceSample } from '../../../electron/engine/resource/types';
import { runSimulation } from '../../../electron/engine/tools/simulate';
import { parseTraceText } from '../../../electron/engine/tools/trace';
import { traceSampleToResourceSample } from '../../../electron/engine/tools/trace-source';
import { GiB, HARDWARE_32 } from './helpers';

const ORIGIN = 1_700_000_000_000;
const DIR = '/home/someone/private-models';
const setup = (): TraceSetup => ({
  startedAt: ORIGIN,
  ladder: [
    { id: `${DIR}/small.gguf`, memBytes: 1.5e9, vramBytes: 0, loadSeconds: 2 },
    { id: `${DIR}/large.gguf`, memBytes: 7e9, vramBytes: 0, loadSeconds: 7, tokensPerSecond: 15 },
  ],
  initialModelId: `${DIR}/large.gguf`,
  hardware: { ...HARDWARE_32, physicalCores: 4 },
  settings: { degradeThreshold: 0.8, stabilizationSeconds: 300 },
});

/** A reading `seconds` after the scaler's start: other programs use `otherBytes`, the engine `ownBytes`. */
function reading(seconds: number, otherBytes: number, ownBytes: number, extra: Partial<ResourceSample> = {}): ResourceSample {
  return {
    t: ORIGIN + seconds * 1000,
    cpuOtherLoad: 0.1,
    memTotalBytes: 32 * GiB,
    memUsedBytes: otherBytes + ownBytes,
    ownMemBytes: ownBytes,
    swapTotalBytes: 2 * GiB,
    swapUsedBytes: 0,
    ...extra,
  };
}

const decision = (d: Partial<ScalerDecision> & Pick<ScalerDecision, 'action'>): ScalerDecision =>
  ({ id: 1, path: 'step', reason: '', metrics: {}, ...d }) as ScalerDecision;

function recordOnce(feed: (recorder: TraceRecorder) => void): string {
  const recorder = new TraceRecorder();
  recorder.configure(setup());
  recorder.start(4 * 2 ** 20, Date.now());
  feed(recorder);
  recorder.stop();
  return recorder.text({ name: 'unit', stoppedAtMs: Date.now(), stopReason: 'user' })!;
}

describe('trace recorder', () => {
  it('writes a trace the simulator parses, with the machine, the ladder as the scaler planned it and each sample as the scaler saw it', () => {
    const text = recordOnce((recorder) => {
      recorder.sample(reading(1, 10 * GiB, 7.4e9, { psiSomeAvg10: 0.02, swapInBytesPerSecond: 4096 }), `${DIR}/large.gguf`, false);
      recorder.replyStarted(ORIGIN + 1500, 200);
      recorder.sample(reading(2.0004, 11 * GiB, 7.5e9), `${DIR}/large.gguf`, false);
      recorder.replyEnded(ORIGIN + 2500, { ok: true, tokensPerSecond: 14.5, ttftMs: 300 });
    });
    const trace = parseTraceText(text);
    expect(trace.machine).toEqual({ cpuCores: 8, physicalCores: 4, memTotalBytes: 32 * GiB, swapTotalBytes: 2 * GiB, gpus: [] });
    expect(trace.models.map((m) => [m.id, m.memBytes, m.loadSeconds])).toEqual([
      ['small.gguf', 1.5e9, 2],
      ['large.gguf', 7e9, 7],
    ]);
    expect(trace.models[1]!.tokensPerSecond).toBe(15);
    expect(trace.initialModel).toBe('large.gguf');
    expect(trace.settings).toMatchObject({ degradeThreshold: 0.8, stabilizationSeconds: 300 });
    expect(trace.samples[1]!.t).toBeCloseTo(2.0004, 6);
    expect(trace.events).toEqual([
      { t: 1.5, type: 'generation-start', expectedTokens: 200 },
      { t: 2.5, type: 'generation-end', ok: true, tokensPerSecond: 14.5, ttftMs: 300 },
    ]);
    // The replay's sample is the live one: same use, same own memory, same stall and swap signals.
    const replayed = traceSampleToResourceSample(trace.samples[0]!, 1000, trace, trace.models[1]);
    expect(replayed).toMatchObject({ memUsedBytes: 10 * GiB + 7.4e9, ownMemBytes: 7.4e9, psiSomeAvg10: 0.02, swapInBytesPerSecond: 4096, swapUsedBytes: 0 });
  });

  it('keeps no folder names and no text but the scaler’s own sentences, with file names for paths', () => {
    const text = recordOnce((recorder) => {
      recorder.sample(reading(1, 10 * GiB, 7e9), `${DIR}/large.gguf`, false);
      recorder.decision(
        decision({
          action: 'degrade',
          t: ORIGIN + 1000,
          from: `${DIR}/large.gguf`,
          to: `${DIR}/small.gguf`,
          urgency: 'normal',
          reason: `pre-flight: switch to ${DIR}/small.gguf before starting`,
        }),
      );
    });
    expect(text).not.toContain(DIR);
    expect(JSON.parse(text).recordedDecisions[0]).toMatchObject({
      action: 'degrade',
      from: 'large.gguf',
      to: 'small.gguf',
      reason: 'pre-flight: switch to small.gguf before starting',
    });
  });

  it('stops at its size limit, says so once, and what it wrote still replays', () => {
    let limits = 0;
    const recorder = new TraceRecorder(() => limits++);
    recorder.configure(setup());
    const maxBytes = 64 * 1024;
    recorder.start(maxBytes, Date.now());
    let second = 0;
    while (recorder.counts.recording && second < 10_000) recorder.sample(reading(++second, 10 * GiB, 7e9), `${DIR}/large.gguf`, false);
    expect(limits).toBe(1);
    const kept = recorder.counts.samples;
    expect(kept).toBeGreaterThan(100);
    recorder.sample(reading(second + 1, 10 * GiB, 7e9), `${DIR}/large.gguf`, false);
    expect(recorder.counts.samples).toBe(kept);
    const text = recorder.text({ name: 'capped', stoppedAtMs: Date.now(), stopReason: 'size-limit', extraNotes: ['stopped at the limit'] })!;
    expect(text.length).toBeLessThanOrEqual(maxBytes);
    const trace = parseTraceText(text);
    expect(trace.samples).toHaveLength(kept);
    expect(JSON.parse(text).recorded).toMatchObject({ stopReason: 'size-limit', notes: ['stopped at the limit'] });
  });

  it('the replay acts on the recorded memory stalls and swap-in: held PSI "some" steps down, the same trace without it does not', async () => {
    const text = recordOnce((recorder) => {
      for (let s = 1; s <= 40; s++)
        recorder.sample(reading(s, 12 * GiB, 7e9, s > 20 ? { psiSomeAvg10: 0.35, swapInBytesPerSecond: 20 * 2 ** 20 } : {}), `${DIR}/large.gguf`, false);
    });
    const withStalls = await runSimulation(parseTraceText(text));
    const degrade = withStalls.lines.find((line) => line.action === 'degrade');
    expect(degrade).toMatchObject({ path: 'pressure', from: 'large.gguf', to: 'small.gguf' });
    expect(degrade!.t).toBeGreaterThanOrEqual(30);
    const plain = JSON.parse(text) as { samples: Array<Record<string, unknown>> };
    for (const sample of plain.samples) {
      delete sample.psiSomeAvg10;
      delete sample.swapInBytesPerSecond;
    }
    const without = await runSimulation(parseTraceText(JSON.stringify(plain)));
    expect(without.lines.some((line) => line.action === 'degrade')).toBe(false);
  });

  it('the replay’s loads take the recorded durations, so the cooldown after a switch ends when it did', async () => {
    const text = recordOnce((recorder) => {
      recorder.sample(reading(1, 10 * GiB, 7e9), `${DIR}/large.gguf`, false);
      recorder.decision(decision({ action: 'switch', t: ORIGIN + 1000, from: `${DIR}/large.gguf`, to: `${DIR}/small.gguf`, loadSeconds: 2 }));
      recorder.decision(decision({ action: 'loaded', t: ORIGIN + 1000 + 650, modelId: `${DIR}/small.gguf`, ok: true }));
      recorder.sample(reading(2, 10 * GiB, 1.5e9), `${DIR}/small.gguf`, false);
    });
    const trace = parseTraceText(text);
    expect(trace.loads).toHaveLength(1);
    expect(trace.loads![0]).toMatchObject({ t: 1, model: 'small.gguf', ok: true });
    expect(trace.loads![0]!.seconds).toBeCloseTo(0.65, 9);
    // A replay whose switch starts when a recorded load of the same model did ends when that one did.
    const pressed = { ...trace, loads: undefined, samples: Array.from({ length: 30 }, (_, i) => ({ t: i + 1, cpuLoad: 0.1, otherMemUsedBytes: 26 * GiB })) };
    const estimated = await runSimulation(pressed);
    const switchT = estimated.lines.find((line) => line.action === 'switch')!.t;
    expect(estimated.lines.find((line) => line.action === 'loaded')!.t).toBe(switchT + 2);
    const timed = await runSimulation({ ...pressed, loads: [{ t: switchT, model: 'small.gguf', seconds: 0.65, ok: true }] });
    expect(timed.lines.find((line) => line.action === 'loaded')).toMatchObject({ t: switchT + 0.65, model: 'small.gguf', ok: true });
    const failed = await runSimulation({ ...pressed, loads: [{ t: switchT, model: 'small.gguf', seconds: 0.3, ok: false }] });
    expect(failed.lines.find((line) => line.action === 'loaded')).toMatchObject({ t: switchT + 0.3, ok: false });
  });

  it('while not recording, keeps the configuration’s life up to the pre-roll limit, then drops the oldest half and says so', () => {
    const recorder = new TraceRecorder();
    recorder.configure(setup());
    let second = 0;
    while (recorder.counts.bytes < PRE_ROLL_MAX_BYTES - 2000) recorder.sample(reading(++second, 10 * GiB, 7e9), `${DIR}/large.gguf`, false);
    const before = recorder.counts.samples;
    for (let i = 0; i < 100; i++) recorder.sample(reading(++second, 10 * GiB, 1.5e9), `${DIR}/small.gguf`, false);
    expect(recorder.counts.samples).toBeLessThan(before);
    expect(recorder.counts.bytes).toBeLessThanOrEqual(PRE_ROLL_MAX_BYTES);
    recorder.start(4 * 2 ** 20, Date.now());
    const text = recorder.text({ name: 'pre-roll', stoppedAtMs: Date.now(), stopReason: 'user' })!;
    const trace = parseTraceText(text);
    expect(trace.samples[0]!.t).toBeGreaterThan(1);
    expect(JSON.parse(text).recorded.notes.join(' ')).toMatch(/were not kept/);
  });

  it('a new configuration ends a recording: the trace replays one scaler’s life', () => {
    const recorder = new TraceRecorder();
    recorder.configure(setup());
    recorder.start(4 * 2 ** 20, Date.now());
    expect(recorder.configure(setup())).toBe(false);
    expect(recorder.counts.recording).toBe(false);
  });
});
