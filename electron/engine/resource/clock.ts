/**
 * Time for the resource layer, injected so that tests and `npm run simulate` can run thirty
 * simulated minutes in milliseconds. Times are milliseconds; their origin is the clock's own
 * (about the epoch for the real clock, whatever the test chose for the virtual one).
 */

/** Opaque handle of a scheduled callback. */
export interface TimerHandle {
  readonly id: number;
}

/** The only source of time the monitor, the scaler and the switcher read. */
export interface Clock {
  /** Current time in milliseconds. */
  now(): number;
  /** Runs `callback` once after `delayMs` milliseconds (≥ 0). */
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
  /** Cancels a callback that has not run yet; cancelling twice is harmless. */
  clearTimeout(handle: TimerHandle): void;
}

/** Resolves after `ms` milliseconds of `clock` time; a virtual clock resolves when advanced past it. */
export function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => {
    clock.setTimeout(resolve, ms);
  });
}

/**
 * Real time. `now()` never goes back: it is the process start on the epoch plus performance.now(),
 * so a system clock set back (NTP, a user) cannot reverse or stretch the intervals the scaler
 * measures (cooldowns, holds, slopes). It does move forward with the wall clock when that runs
 * more than a second ahead — the monotonic clock stops while a laptop sleeps, and decision times
 * are shown to the user as times of day. Timers are unref'd by default so that a background
 * monitor never keeps a CLI or a test process alive on its own.
 */
export class RealClock implements Clock {
  private readonly timers = new Map<number, ReturnType<typeof setTimeout>>();
  private nextId = 1;

  constructor(private readonly options: { unref?: boolean } = {}) {}

  /** Added to the monotonic time after the wall clock ran ahead of it (a suspend), ms. */
  private catchUp = 0;

  now(): number {
    const monotonic = performance.timeOrigin + performance.now() + this.catchUp;
    const behind = Date.now() - monotonic;
    if (behind <= 1000) return monotonic;
    this.catchUp += behind;
    return monotonic + behind;
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    const id = this.nextId++;
    const timer = setTimeout(
      () => {
        this.timers.delete(id);
        callback();
      },
      Math.max(0, delayMs),
    );
    if (this.options.unref !== false) timer.unref();
    this.timers.set(id, timer);
    return { id };
  }

  clearTimeout(handle: TimerHandle): void {
    const timer = this.timers.get(handle.id);
    if (timer !== undefined) clearTimeout(timer);
    this.timers.delete(handle.id);
  }
}

interface VirtualTimer {
  id: number;
  due: number;
  /** Insertion order, so timers due at the same instant run in the order they were set. */
  seq: number;
  callback: () => void;
}

/**
 * A clock that only moves when told. `advance` runs every due timer in (due time, insertion)
 * order with `now()` set to that timer's due time, so callbacks observe the time they were due at.
 */
export class VirtualClock implements Clock {
  private current: number;
  private timers: VirtualTimer[] = [];
  private nextId = 1;
  private seq = 0;

  constructor(startMs = 0) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    const id = this.nextId++;
    this.timers.push({ id, due: this.current + Math.max(0, delayMs), seq: this.seq++, callback });
    return { id };
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers = this.timers.filter((timer) => timer.id !== handle.id);
  }

  /** Number of callbacks still scheduled. */
  pendingTimers(): number {
    return this.timers.length;
  }

  /** Due time of the earliest scheduled callback, or undefined when none is. */
  nextDue(): number | undefined {
    let due: number | undefined;
    for (const timer of this.timers) if (due === undefined || timer.due < due) due = timer.due;
    return due;
  }

  /** Moves time forward by `ms`, running due timers synchronously. */
  advance(ms: number): void {
    this.advanceTo(this.current + ms);
  }

  /** Moves time to `targetMs` (never backwards), running due timers synchronously. */
  advanceTo(targetMs: number): void {
    for (let timer = this.takeDue(targetMs); timer; timer = this.takeDue(targetMs)) {
      this.current = timer.due;
      timer.callback();
    }
    this.current = Math.max(this.current, targetMs);
  }

  /**
   * Like `advance`, but lets promise chains started by each timer settle before the next one
   * runs: needed when timers resolve promises (sleep, async sampling, pretend model loads).
   */
  async advanceAsync(ms: number): Promise<void> {
    await this.advanceToAsync(this.current + ms);
  }

  /** Async form of `advanceTo`; see `advanceAsync`. */
  async advanceToAsync(targetMs: number): Promise<void> {
    await flushPromises();
    for (let timer = this.takeDue(targetMs); timer; timer = this.takeDue(targetMs)) {
      this.current = timer.due;
      timer.callback();
      await flushPromises();
    }
    this.current = Math.max(this.current, targetMs);
  }

  private takeDue(targetMs: number): VirtualTimer | undefined {
    let bestIndex = -1;
    for (let i = 0; i < this.timers.length; i++) {
      const timer = this.timers[i]!;
      if (timer.due > targetMs) continue;
      const best = bestIndex >= 0 ? this.timers[bestIndex]! : undefined;
      if (!best || timer.due < best.due || (timer.due === best.due && timer.seq < best.seq)) bestIndex = i;
    }
    if (bestIndex < 0) return undefined;
    return this.timers.splice(bestIndex, 1)[0];
  }
}

/** Lets every pending promise callback run (a macrotask boundary drains the microtask queue). */
export function flushPromises(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
