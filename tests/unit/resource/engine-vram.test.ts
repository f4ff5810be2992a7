/**
 * VRAM on a GPU machine: the loaded model's share must reach the scaler as `ownVramBytes`, or the
 * model is counted twice (once in "used", once as its footprint). There is no GPU on the test
 * machine, so node-llama-cpp's Llama is replaced by a stub that reports what a driver would.
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../electron/engine/resource/clock';
import { createVramReader, type VramStateSource } from '../../../electron/engine/resource/monitoring/engine-vram';
import { ProactiveScaler } from '../../../electron/engine/resource/policy/proactive-scaler';
import type { ScalerDecision } from '../../../electron/engine/resource/policy/scaler-types';
import type { VramReading } from '../../../electron/engine/resource/monitoring/system-source';
import type { ModelProfile, ResourceSample, StaticHardwareInfo } from '../../../electron/engine/resource/types';
import { GiB, HARDWARE_32 } from './helpers';

const GPU_HARDWARE: StaticHardwareInfo = { ...HARDWARE_32, gpus: [{ name: 'stub GPU', vendor: 'test', vramTotalBytes: 8 * GiB }] };
const GPU_LADDER: ModelProfile[] = [
  { id: 'small', memBytes: 1 * GiB, vramBytes: 1 * GiB, loadSeconds: 2 },
  { id: 'large', memBytes: 2 * GiB, vramBytes: 4 * GiB, loadSeconds: 5 },
];

/** A driver with 1 GiB used by other programs plus whatever the model holds. */
function stubGpu(modelVram: () => number, otherVram = 1 * GiB): VramStateSource {
  return { gpu: 'cuda', getVramState: async () => ({ total: 8 * GiB, used: otherVram + modelVram() }) };
}

/** One minute of steady samples with `vram` as the GPU reading; returns the model decisions. */
function runMinute(vram: VramReading): ScalerDecision[] {
  const clock = new VirtualClock(0);
  const scaler = new ProactiveScaler({ clock, ladder: GPU_LADDER, initialModelId: 'large', hardware: GPU_HARDWARE });
  const decisions: ScalerDecision[] = [];
  scaler.on('decision', (decision) => decisions.push(decision));
  for (let second = 1; second <= 60; second++) {
    clock.advanceTo(second * 1000);
    const sample: ResourceSample = {
      t: clock.now(),
      cpuOtherLoad: 0.1,
      memTotalBytes: 32 * GiB,
      memUsedBytes: 10 * GiB,
      ownMemBytes: 2 * GiB,
      vramTotalBytes: vram.totalBytes,
      vramUsedBytes: vram.usedBytes,
    };
    if (vram.ownBytes !== undefined) sample.ownVramBytes = vram.ownBytes;
    scaler.ingest(sample);
  }
  return decisions.filter((decision) => decision.action === 'degrade' || decision.action === 'upgrade');
}

describe('VRAM reading from node-llama-cpp', () => {
  it('reports the resident model as the assistant’s own share', async () => {
    const read = createVramReader(
      async () => stubGpu(() => 4 * GiB),
      () => 4 * GiB,
    );
    expect(await read()).toEqual({ totalBytes: 8 * GiB, usedBytes: 5 * GiB, ownBytes: 4 * GiB });
  });

  it('never claims more than the driver says is in use (footprints are estimates)', async () => {
    const read = createVramReader(
      async () => stubGpu(() => 2 * GiB, 0),
      () => 4 * GiB,
    );
    expect((await read())?.ownBytes).toBe(2 * GiB);
  });

  it('reads nothing on a CPU-only build', async () => {
    const read = createVramReader(
      async () => ({ gpu: false, getVramState: async () => ({ total: 0, used: 0 }) }),
      () => 0,
    );
    expect(await read()).toBeNull();
  });

  it('keeps a 4 GiB model on an 8 GiB GPU with 1 GiB used by others (62 % in use)', async () => {
    const reading = await createVramReader(
      async () => stubGpu(() => 4 * GiB),
      () => 4 * GiB,
    )();
    expect(runMinute(reading!)).toEqual([]);
    // The same reading without the model's share is what the engine used to send: the model
    // counted twice (5 GiB "background" + 4 GiB footprint = 112 %) forced a step down.
    const { ownBytes: _dropped, ...withoutShare } = reading!;
    expect(runMinute(withoutShare).map((decision) => decision.action)).toEqual(['degrade']);
  });
});
