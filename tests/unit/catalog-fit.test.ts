import { describe, expect, it } from 'vitest';
import { assessFit, kvCacheBytes } from '../../electron/main/core/catalog/fit';
import { syntheticModelFileSize, SYNTHETIC_MODELS } from '../fixtures/synthetic-models';

const MB = 1e6;
/** The synthetic models' real needs: file + KV cache at 4096 tokens (f16) + runtime overhead. */
const needs = SYNTHETIC_MODELS.map((spec) => ({
  id: spec.id,
  need: syntheticModelFileSize(spec) + kvCacheBytes(spec.blockCount, spec.headCount, spec.embeddingLength / spec.headCount, 4096) + 300 * MB,
}));

describe('fit badges for the synthetic models under budgets set by the test', () => {
  it('a 1 GB machine with 500 MB used: every demo model fits on the CPU', () => {
    for (const { need } of needs) {
      expect(assessFit({ needBytes: need, memTotalBytes: 1000 * MB, otherMemBytes: 300 * MB, actThreshold: 0.8 }).kind).toBe('cpu');
    }
  });

  it('a 700 MB budget with 250 MB used: the 120 MB model is too big, the 1 MB one fits, and the sentence gives both figures', () => {
    const [tiny, , big] = needs;
    const budget = { memTotalBytes: 700 * MB, otherMemBytes: 250 * MB, actThreshold: 0.8 };
    expect(assessFit({ needBytes: tiny!.need, ...budget }).kind).toBe('cpu');
    const fit = assessFit({ needBytes: big!.need, ...budget });
    expect(fit.kind).toBe('no');
    expect(fit.detail).toMatch(/needs 0\.\d GB, only 0\.\d GB free below the 80 % line/);
  });

  it("with a GPU: fully on it when it has room, partly when it does not, never into node-llama-cpp's padding", () => {
    const big = needs[2]!.need;
    const ram = { memTotalBytes: 1000 * MB, otherMemBytes: 300 * MB, actThreshold: 0.8 };
    expect(assessFit({ needBytes: big, ...ram, vramTotalBytes: 2000 * MB, otherVramBytes: 0 }).kind).toBe('gpu');
    expect(assessFit({ needBytes: big, ...ram, vramTotalBytes: 300 * MB, otherVramBytes: 0 }).kind).toBe('partial');
    // 8 % of a device is kept free: a model needing 95 % of the VRAM does not fit "fully".
    expect(assessFit({ needBytes: 950 * MB, ...ram, memTotalBytes: 100 * MB, vramTotalBytes: 1000 * MB, otherVramBytes: 0 }).kind).toBe('no');
  });
});
