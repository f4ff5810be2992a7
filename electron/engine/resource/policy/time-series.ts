/**
 * A time-ordered series of (t, value) pairs that keeps only a bounded age. Storage is two
 * Float64Arrays that are compacted in place, so a window is a contiguous range and analysing it
 * on every sample allocates nothing but the range itself.
 */

/** A contiguous range of a series: indices [start, end) into `t` and `v`. */
export interface SeriesWindow {
  readonly t: Float64Array;
  readonly v: Float64Array;
  readonly start: number;
  readonly end: number;
}

/** Number of points in a window. */
export const windowLength = (window: SeriesWindow): number => window.end - window.start;

/** A bounded-age (t, value) series with contiguous windows. */
export class TimeSeries {
  private times: Float64Array;
  private values: Float64Array;
  private head = 0;
  private tail = 0;

  /** @param maxAgeMs points older than this (relative to the newest) are dropped. */
  constructor(
    private readonly maxAgeMs: number,
    initialCapacity = 512,
  ) {
    this.times = new Float64Array(initialCapacity);
    this.values = new Float64Array(initialCapacity);
  }

  get length(): number {
    return this.tail - this.head;
  }

  /** Time of the newest point, or undefined when empty. */
  lastTime(): number | undefined {
    return this.length > 0 ? this.times[this.tail - 1] : undefined;
  }

  /** Value of the newest point, or undefined when empty. */
  lastValue(): number | undefined {
    return this.length > 0 ? this.values[this.tail - 1] : undefined;
  }

  /** Value `back` points before the newest (0 = newest). */
  valueBack(back: number): number | undefined {
    const index = this.tail - 1 - back;
    return index >= this.head ? this.values[index] : undefined;
  }

  /** Time `back` points before the newest (0 = newest). */
  timeBack(back: number): number | undefined {
    const index = this.tail - 1 - back;
    return index >= this.head ? this.times[index] : undefined;
  }

  /** Time of the oldest point kept, or undefined when empty. */
  firstTime(): number | undefined {
    return this.length > 0 ? this.times[this.head] : undefined;
  }

  /** Appends a point; `t` must not be earlier than the newest (callers drop out-of-order samples). */
  push(t: number, value: number): void {
    if (this.tail === this.times.length) this.makeRoom();
    this.times[this.tail] = t;
    this.values[this.tail] = value;
    this.tail++;
    const oldest = t - this.maxAgeMs;
    while (this.head < this.tail && this.times[this.head]! < oldest) this.head++;
  }

  /** The points with time ≥ `fromT`, optionally excluding the newest `skipNewest`. */
  since(fromT: number, skipNewest = 0): SeriesWindow {
    const end = Math.max(this.head, this.tail - skipNewest);
    let low = this.head;
    let high = end;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.times[mid]! < fromT) low = mid + 1;
      else high = mid;
    }
    return { t: this.times, v: this.values, start: low, end };
  }

  /** Removes everything (used when a sensor disappears). */
  clear(): void {
    this.head = 0;
    this.tail = 0;
  }

  private makeRoom(): void {
    const live = this.tail - this.head;
    // Grow when more than half is live (the age bound, not the capacity, limits the series);
    // otherwise slide the live part to the front.
    if (live * 2 > this.times.length) {
      const times = new Float64Array(this.times.length * 2);
      const values = new Float64Array(this.values.length * 2);
      times.set(this.times.subarray(this.head, this.tail));
      values.set(this.values.subarray(this.head, this.tail));
      this.times = times;
      this.values = values;
    } else {
      this.times.copyWithin(0, this.head, this.tail);
      this.values.copyWithin(0, this.head, this.tail);
    }
    this.head = 0;
    this.tail = live;
  }
}
