import { describe, expect, it } from 'vitest';
import type { ResourceSampleData } from '../../../shared/resource';
import { pointFromSample, projectTrend, SampleWindow, WINDOW_SECONDS, xRange } from '../../../renderer/features/resources/series';

const GiB = 2 ** 30;

function sample(tSeconds: number, memFraction: number, extra: Partial<ResourceSampleData> = {}): ResourceSampleData {
  return { t: tSeconds * 1000, cpuOtherLoad: 0.1, cpuTotalLoad: 0.3, memTotalBytes: 4 * GiB, memUsedBytes: memFraction * 4 * GiB, ownMemBytes: null, ...extra };
}

describe('pointFromSample', () => {
  it('turns bytes into fractions and leaves what the machine does not report as null', () => {
    const point = pointFromSample(sample(1, 0.5, { swapTotalBytes: 2 * GiB, swapUsedBytes: 0.5 * GiB }));
    expect(point).toEqual({ cpuOther: 0.1, cpuTotal: 0.3, memory: 0.5, swap: 0.25, vram: null });
    expect(pointFromSample(sample(1, 0.5, { swapTotalBytes: 0, swapUsedBytes: 0 })).swap).toBeNull();
    expect(pointFromSample(sample(1, 0.5, { vramTotalBytes: 8 * GiB, vramUsedBytes: 2 * GiB })).vram).toBe(0.25);
  });

  it('clamps out-of-range values (a budget smaller than what is in use, loads over 1)', () => {
    const point = pointFromSample(sample(1, 1.3, { cpuOtherLoad: 1.2, cpuTotalLoad: -0.1 }));
    expect(point.memory).toBe(1);
    expect(point.cpuOther).toBe(1);
    expect(point.cpuTotal).toBe(0);
  });
});

describe('SampleWindow', () => {
  it('keeps the last five minutes at 1 Hz, dropping older samples', () => {
    const window = new SampleWindow();
    for (let t = 0; t < 1000; t += 1) window.push(sample(t, (t % 100) / 100));
    expect(window.length).toBe(WINDOW_SECONDS + 1);
    const { times, values } = window.slice(['memory']);
    expect(times[0]).toBe(999 - WINDOW_SECONDS);
    expect(times.at(-1)).toBe(999);
    expect(values[0]?.at(-1)).toBeCloseTo(0.99);
    expect(window.lastTime).toBe(999);
    expect(window.last('memory')).toBeCloseTo(0.99);
  });

  it('windows by time, not by count, when samples are irregular', () => {
    const window = new SampleWindow(300);
    window.push(sample(0, 0.1));
    window.push(sample(100, 0.2));
    window.push(sample(350, 0.3));
    expect(window.slice(['memory']).times).toEqual([100, 350]);
  });

  it('caps the number of points whatever the timestamps', () => {
    const window = new SampleWindow(300, 50);
    for (let i = 0; i < 500; i += 1) window.push(sample(i / 100, 0.5));
    expect(window.length).toBe(50);
  });

  it('replaces a sample with the same time, and starts over when the clock jumps far back', () => {
    const window = new SampleWindow();
    window.push(sample(10, 0.1));
    window.push(sample(10, 0.4));
    expect(window.length).toBe(1);
    expect(window.last('memory')).toBeCloseTo(0.4);
    window.push(sample(1000, 0.5));
    window.push(sample(10, 0.2));
    expect(window.length).toBe(1);
    expect(window.lastTime).toBe(10);
  });

  it('returns copies, so a chart holding one is not changed by later samples', () => {
    const window = new SampleWindow();
    window.push(sample(1, 0.1));
    const first = window.slice(['memory']);
    window.push(sample(2, 0.2));
    expect(first.times).toEqual([1]);
  });

  it('says whether a metric has any data', () => {
    const window = new SampleWindow();
    window.push(sample(1, 0.1));
    expect(window.has('memory')).toBe(true);
    expect(window.has('vram')).toBe(false);
  });

  it('hands charts its live arrays: no copy per sample, and the same arrays after a restart', () => {
    const window = new SampleWindow(300);
    for (let t = 0; t < 400; t += 1) window.push(sample(t, 0.5));
    const [times, memory] = window.columns(['memory']);
    window.push(sample(400, 0.7));
    // The arrays a chart holds show the new point and lost the oldest, without being replaced.
    expect(times.length).toBe(301);
    expect(times[0]).toBe(100);
    expect(times.at(-1)).toBe(400);
    expect(memory?.at(-1)).toBeCloseTo(0.7);
    window.push(sample(10, 0.2)); // The clock went back far: start over in the same arrays.
    expect(window.columns(['memory'])[0]).toBe(times);
    expect(times).toEqual([10]);
  });
});

describe('projectTrend', () => {
  const trend = { available: true, slopePerSecond: 0.002, secondsToThreshold: 100 };

  it('extends the newest value along the slope for the horizon', () => {
    const projection = projectTrend(1000, 0.6, trend, 0.8, 60);
    expect(projection?.times).toEqual([1000, 1060]);
    expect(projection?.values[0]).toBe(0.6);
    expect(projection?.values[1]).toBeCloseTo(0.72);
    expect(projection?.crossesInSeconds).toBeNull();
  });

  it('reports when the line meets the threshold within the horizon', () => {
    const projection = projectTrend(0, 0.75, { ...trend, slopePerSecond: 0.001 }, 0.8, 60);
    expect(projection?.crossesInSeconds).toBeCloseTo(50);
  });

  it('clamps to 0–1 and draws nothing without a usable trend', () => {
    expect(projectTrend(0, 0.95, { ...trend, slopePerSecond: 0.01 }, 0.8)?.values[1]).toBe(1);
    expect(projectTrend(0, 0.05, { ...trend, slopePerSecond: -0.01 }, 0.8)?.values[1]).toBe(0);
    expect(projectTrend(0, 0.5, { ...trend, available: false }, 0.8)).toBeNull();
    expect(projectTrend(0, 0.5, { ...trend, slopePerSecond: null }, 0.8)).toBeNull();
    expect(projectTrend(0, null, trend, 0.8)).toBeNull();
    expect(projectTrend(0, 0.5, null, 0.8)).toBeNull();
  });
});

describe('SampleWindow.columns', () => {
  it('gives uPlot aligned columns in the order asked for', () => {
    const window = new SampleWindow();
    window.push(sample(1, 0.5));
    window.push(sample(2, 0.25, { cpuOtherLoad: null }));
    expect(window.columns(['cpuOther', 'cpuTotal'])).toEqual([
      [1, 2],
      [0.1, null],
      [0.3, 0.3],
    ]);
    const [times, memory] = window.columns(['memory']);
    expect(memory?.length).toBe(times.length);
  });

  it('x range: five minutes behind the newest sample and the horizon ahead', () => {
    expect(xRange(1000, 60)).toEqual([700, 1060]);
    expect(xRange(1000, 0)).toEqual([700, 1000]);
  });
});
