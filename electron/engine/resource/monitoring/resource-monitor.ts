/**
 * Continuous background sampling: static hardware once at start, a cheap sample every interval
 * (default 1 s), power at a low rate (default 60 s) carried into every sample. Ticks are aligned
 * to the start time so they do not drift; a tick that comes while the previous read is still
 * running is skipped (counted), never stacked.
 */
import type { Clock, TimerHandle } from '../clock';
import type { PowerReading, ResourceSource } from './resource-source';
import type { ResourceSample, StaticHardwareInfo } from '../types';

/** Options of the monitor. */
export interface ResourceMonitorOptions {
  source: ResourceSource;
  clock: Clock;
  /** Sampling period, ms. Default 1000. */
  intervalMs?: number;
  /** Power and battery period, ms. Default 60 000. */
  powerIntervalMs?: number;
  /** Called when a read fails (the sample is skipped; the scaler treats the gap as missing data). */
  onError?: (error: unknown) => void;
}

/** Counters for the UI and the benchmark. */
export interface MonitorStats {
  samples: number;
  skippedTicks: number;
  errors: number;
}

/** Samples a ResourceSource on a Clock and publishes each sample to its listeners. */
export class ResourceMonitor {
  private readonly source: ResourceSource;
  private readonly clock: Clock;
  /** The sampling period, ms. */
  readonly intervalMs: number;
  private readonly powerIntervalMs: number;
  private readonly listeners = new Set<(sample: ResourceSample) => void>();
  private hardware: StaticHardwareInfo | null = null;
  private last: ResourceSample | null = null;
  private power: PowerReading | null = null;
  private lastPowerAt = -Infinity;
  private timer: TimerHandle | null = null;
  private running = false;
  private inFlight = false;
  private startedAt = 0;
  private tick = 0;
  private starting: Promise<StaticHardwareInfo> | null = null;
  readonly stats: MonitorStats = { samples: 0, skippedTicks: 0, errors: 0 };

  constructor(private readonly options: ResourceMonitorOptions) {
    this.source = options.source;
    this.clock = options.clock;
    this.intervalMs = options.intervalMs ?? 1000;
    this.powerIntervalMs = options.powerIntervalMs ?? 60_000;
    if (!(this.intervalMs > 0)) throw new Error(`intervalMs must be positive; got ${this.intervalMs}`);
  }

  /** Reads the static hardware (once per monitor) and starts sampling. Calling it again returns the same hardware. */
  start(): Promise<StaticHardwareInfo> {
    this.starting ??= (async () => {
      // A restart keeps the hardware: reading it costs ~150 ms of CPU through systeminformation.
      this.hardware ??= await this.source.readHardware();
      this.running = true;
      this.startedAt = this.clock.now();
      this.tick = 0;
      await this.readOnce();
      this.schedule();
      return this.hardware;
    })();
    return this.starting;
  }

  /** Stops sampling; `start()` may be called again. */
  stop(): void {
    this.running = false;
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = null;
    this.starting = null;
  }

  /** Subscribes to samples; returns the unsubscribe function. */
  onSample(listener: (sample: ResourceSample) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The newest sample, or null before the first. */
  latest(): ResourceSample | null {
    return this.last;
  }

  /** The static hardware, once started. */
  getHardware(): StaticHardwareInfo | null {
    return this.hardware;
  }

  /** Reads and publishes one sample now, outside the schedule. */
  async sampleNow(): Promise<ResourceSample | null> {
    await this.readOnce();
    return this.last;
  }

  private schedule(): void {
    if (!this.running) return;
    this.tick++;
    const behind = Math.floor((this.clock.now() - this.startedAt) / this.intervalMs) + 1 - this.tick;
    if (behind > 0) {
      // The event loop was blocked for more than a period: skip the missed ticks, do not burst.
      this.stats.skippedTicks += behind;
      this.tick += behind;
    }
    const due = this.startedAt + this.tick * this.intervalMs;
    this.timer = this.clock.setTimeout(
      () => {
        this.timer = null;
        if (this.inFlight) {
          this.stats.skippedTicks++;
        } else {
          void this.readOnce();
        }
        this.schedule();
      },
      Math.max(0, due - this.clock.now()),
    );
  }

  private async readOnce(): Promise<void> {
    if (this.inFlight) return;
    this.inFlight = true;
    try {
      const now = this.clock.now();
      if (this.source.readPower && now - this.lastPowerAt >= this.powerIntervalMs) {
        this.lastPowerAt = now;
        this.power = await this.source.readPower().catch(() => this.power);
      }
      const sample = await this.source.readSample(now);
      if (this.power) {
        sample.onBattery ??= this.power.onBattery;
        if (this.power.batteryPercent !== undefined) sample.batteryPercent ??= this.power.batteryPercent;
      }
      this.last = sample;
      this.stats.samples++;
      for (const listener of [...this.listeners]) {
        try {
          listener(sample);
        } catch (error) {
          this.options.onError?.(error);
        }
      }
    } catch (error) {
      this.stats.errors++;
      this.options.onError?.(error);
    } finally {
      this.inFlight = false;
    }
  }
}
