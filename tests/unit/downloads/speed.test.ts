import { describe, expect, it } from 'vitest';
import { secondsLeft, SpeedMeter } from '../../../electron/main/core/downloads/speed';

const MB = 1024 * 1024;

/** Feeds a meter `rate` bytes/s in samples every `stepMs`, from `from` ms for `durationMs`. */
function feed(meter: SpeedMeter, start: { t: number; bytes: number }, rate: number, durationMs: number, stepMs = 100): { t: number; bytes: number } {
  let { t, bytes } = start;
  for (let elapsed = 0; elapsed < durationMs; elapsed += stepMs) {
    t += stepMs;
    bytes += (rate * stepMs) / 1000;
    meter.record(bytes, t);
  }
  return { t, bytes };
}

describe('SpeedMeter', () => {
  it('reads 0 until there are two samples', () => {
    const meter = new SpeedMeter(5_000);
    expect(meter.bytesPerSecond(0)).toBe(0);
    meter.record(1_000, 0);
    expect(meter.bytesPerSecond(0)).toBe(0);
  });

  it('measures a steady rate exactly', () => {
    const meter = new SpeedMeter(5_000);
    meter.record(0, 0);
    const end = feed(meter, { t: 0, bytes: 0 }, 10 * MB, 8_000);
    expect(meter.bytesPerSecond(end.t)).toBeCloseTo(10 * MB, -2);
  });

  it('smooths over ~5 s: a rate change shows half-way after 2.5 s and fully after 5 s', () => {
    const meter = new SpeedMeter(5_000);
    meter.record(0, 0);
    let at = feed(meter, { t: 0, bytes: 0 }, 10 * MB, 10_000);
    at = feed(meter, at, 2 * MB, 2_500);
    const halfway = meter.bytesPerSecond(at.t);
    expect(halfway).toBeGreaterThan(5 * MB);
    expect(halfway).toBeLessThan(7 * MB);
    at = feed(meter, at, 2 * MB, 2_600);
    expect(meter.bytesPerSecond(at.t)).toBeCloseTo(2 * MB, -4);
  });

  it('ignores the jitter of single chunks', () => {
    const meter = new SpeedMeter(5_000);
    let bytes = 0;
    meter.record(0, 0);
    // Bursts of 0 and 2 MB per 100 ms average 10 MB/s.
    for (let t = 100; t <= 6_000; t += 100) {
      bytes += (t / 100) % 2 === 0 ? 2 * MB : 0;
      meter.record(bytes, t);
    }
    expect(meter.bytesPerSecond(6_000)).toBeGreaterThan(9 * MB);
    expect(meter.bytesPerSecond(6_000)).toBeLessThan(11 * MB);
  });

  it('decays towards 0 while nothing arrives, and reads 0 after a whole silent window', () => {
    const meter = new SpeedMeter(5_000);
    meter.record(0, 0);
    const at = feed(meter, { t: 0, bytes: 0 }, 10 * MB, 5_000);
    expect(meter.bytesPerSecond(at.t + 2_500)).toBeLessThan(meter.bytesPerSecond(at.t));
    expect(meter.bytesPerSecond(at.t + 5_100)).toBe(0);
  });

  it('starts a new window when the count goes back (restart from zero)', () => {
    const meter = new SpeedMeter(5_000);
    meter.record(0, 0);
    const at = feed(meter, { t: 0, bytes: 0 }, 10 * MB, 3_000);
    meter.record(0, at.t + 100);
    expect(meter.bytesPerSecond(at.t + 100)).toBe(0);
    meter.record(MB, at.t + 200);
    expect(meter.bytesPerSecond(at.t + 200)).toBeCloseTo(10 * MB, -3);
  });
});

describe('secondsLeft', () => {
  it('divides what is left by the rate', () => {
    expect(secondsLeft(10 * MB, 30 * MB, 10 * MB)).toBe(2);
  });
  it('is null while the total or the rate is unknown, 0 when complete', () => {
    expect(secondsLeft(10, null, 100)).toBeNull();
    expect(secondsLeft(10, 100, 0)).toBeNull();
    expect(secondsLeft(100, 100, 0)).toBe(0);
    expect(secondsLeft(120, 100, 5)).toBe(0);
  });
});
