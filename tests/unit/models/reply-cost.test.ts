import { describe, expect, it } from 'vitest';
import { MIN_DEGRADED_TOKENS, replyCost, tightThreads } from '../../../electron/engine/models/reply-cost';
import type { PreflightAnswer } from '../../../electron/engine/resource/types';

const answer = (over: Partial<PreflightAnswer>): PreflightAnswer => ({
  verdict: 'go-degraded',
  modelId: 'm',
  threads: 3,
  expectedSeconds: 10,
  projectedMemoryFraction: 0.78,
  secondsToThreshold: 30,
  reason: 'memory 78 % now, +0.5 %/s',
  ...over,
});

describe('replyCost', () => {
  it('runs a go reply as asked', () => {
    expect(
      replyCost({ preflight: answer({ verdict: 'go' }), requestedMaxTokens: 900, expectedTokens: 256, switchSeconds: 2, cpuOtherLoad: 0.9, logicalCores: 8 }),
    ).toEqual({ maxTokens: 900, threads: 3, note: null });
  });

  it('gives the reply the seconds left before the line, minus the switch after it, at the assumed speed', () => {
    // 256 tokens in 10 s = 25.6 tokens/s; 30 s to the line − 5 s of switch = 25 s → 640 tokens.
    const cost = replyCost({ preflight: answer({}), requestedMaxTokens: 2000, expectedTokens: 256, switchSeconds: 5, cpuOtherLoad: 0, logicalCores: 8 });
    expect(cost.maxTokens).toBe(640);
    expect(cost.note).toMatch(/^Shortened to 640 tokens to ease the pressure: memory 78 %/);
    // The same pressure seen 20 s later leaves a shorter reply.
    expect(
      replyCost({
        preflight: answer({ secondsToThreshold: 10 }),
        requestedMaxTokens: 2000,
        expectedTokens: 256,
        switchSeconds: 5,
        cpuOtherLoad: 0,
        logicalCores: 8,
      }).maxTokens,
    ).toBe(128);
  });

  it('never lengthens a reply, and never cuts it below the minimum even when the line is already crossed', () => {
    expect(
      replyCost({
        preflight: answer({ secondsToThreshold: 1000 }),
        requestedMaxTokens: 300,
        expectedTokens: 256,
        switchSeconds: 1,
        cpuOtherLoad: 0,
        logicalCores: 8,
      }),
    ).toMatchObject({ maxTokens: 300, note: null });
    expect(
      replyCost({
        preflight: answer({ secondsToThreshold: 0 }),
        requestedMaxTokens: 300,
        expectedTokens: 256,
        switchSeconds: 1,
        cpuOtherLoad: 0,
        logicalCores: 8,
      }).maxTokens,
    ).toBe(MIN_DEGRADED_TOKENS);
  });

  it('without a forecast keeps the length the pre-flight expected', () => {
    expect(
      replyCost({
        preflight: answer({ secondsToThreshold: null, expectedSeconds: 8 }),
        requestedMaxTokens: 1000,
        expectedTokens: 200,
        switchSeconds: 1,
        cpuOtherLoad: 0,
        logicalCores: 8,
      }).maxTokens,
    ).toBe(200);
  });

  it('uses fewer threads when the latest sample shows the cores taken', () => {
    // 8 cores, other programs on 6 of them: 2 free, one kept for the system.
    const cost = replyCost({
      preflight: answer({ threads: 6 }),
      requestedMaxTokens: 100,
      expectedTokens: 100,
      switchSeconds: 1,
      cpuOtherLoad: 0.75,
      logicalCores: 8,
    });
    expect(cost.threads).toBe(1);
    expect(cost.note).toMatch(/^Run on 1 thread to ease the pressure/);
  });
});

describe('tightThreads', () => {
  it('keeps the pre-flight count while the cores are free and never goes below one', () => {
    expect(tightThreads(3, 0.1, 8)).toBe(3);
    expect(tightThreads(3, null, 8)).toBe(3);
    expect(tightThreads(3, 1, 8)).toBe(1);
    expect(tightThreads(7, 0.5, 8)).toBe(3);
  });
});
