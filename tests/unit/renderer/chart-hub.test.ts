/**
 * The chart hub: samples reach every mounted chart without React, and samples that arrive within
 * one frame (the history after a reconnect) cost one redraw. Animation frames are a queue here,
 * run by the test, since node has none.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ResourceSnapshot } from '../../../shared/resource';
import { registerChart } from '../../../renderer/features/resources/chart-hub';
import { addSnapshot, sampleWindow } from '../../../renderer/stores/resource-store';

const GiB = 2 ** 30;

function snapshot(t: number, memory: number): ResourceSnapshot {
  const trend = (resource: 'memory' | 'vram' | 'cpu') => ({
    resource,
    available: false,
    latest: null,
    level: null,
    slopePerSecond: null,
    longSlopePerSecond: null,
    threshold: 0.8,
    secondsToThreshold: null,
    change: 'flat',
    reliable: false,
  });
  return {
    sample: { t, cpuOtherLoad: 0.1, memTotalBytes: 8 * GiB, memUsedBytes: memory * 8 * GiB, ownMemBytes: null },
    tier: { id: 'small', label: 'Small', description: '', reasons: [] },
    modelId: 'm',
    switching: null,
    generating: false,
    threads: 1,
    trends: { memory: trend('memory'), vram: trend('vram'), cpu: trend('cpu') },
    status: { kind: 'steady' },
    thresholds: { degrade: 0.8, critical: 0.9, upgrade: 0.6 },
    performance: [],
  };
}

const frames: Array<() => void> = [];
const g = globalThis as { requestAnimationFrame?: (callback: () => void) => number };

afterEach(() => {
  delete g.requestAnimationFrame;
  frames.length = 0;
});

describe('chart hub', () => {
  it('redraws once per frame however many samples arrived, with all of them in the window', () => {
    g.requestAnimationFrame = (callback) => frames.push(callback);
    const seen: number[] = [];
    const unregister = registerChart({ update: () => seen.push(sampleWindow.length) });
    const start = 1_000_000;
    for (let i = 0; i < 300; i += 1) addSnapshot(snapshot(start + i * 1000, 0.5));
    expect(seen).toEqual([]);
    expect(frames).toHaveLength(1);
    frames.shift()!();
    expect(seen).toEqual([300]);
    addSnapshot(snapshot(start + 300_000, 0.6));
    frames.shift()!();
    expect(seen).toEqual([300, 301]);
    unregister();
    addSnapshot(snapshot(start + 301_000, 0.6));
    expect(frames).toHaveLength(0); // No chart mounted: no work at all.
  });

  it('a failing chart does not stop the others', () => {
    let updated = 0;
    const first = registerChart({
      update: () => {
        throw new Error('canvas gone');
      },
    });
    const second = registerChart({ update: () => (updated += 1) });
    const warn = console.warn;
    console.warn = () => {};
    try {
      addSnapshot(snapshot(5_000_000, 0.5)); // No animation frames (node): updated at once.
    } finally {
      console.warn = warn;
      first();
      second();
    }
    expect(updated).toBe(1);
  });
});
