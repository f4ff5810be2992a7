/**
 * The ModelManager's resource monitor: one for the manager's life, replaced only when a configure
 * asks for another sampling interval (scalers come and go with `configure`; the monitor stays).
 */
import type { LogLevel } from '../../../shared/domain';
import type { Clock } from '../resource/clock';
import { ResourceMonitor } from '../resource/monitoring/resource-monitor';
import type { ResourceSource } from '../resource/monitoring/resource-source';

/** See the file comment. */
export class ManagerMonitor {
  /** The monitor in force. */
  current: ResourceMonitor;

  constructor(
    private readonly source: ResourceSource,
    private readonly clock: Clock,
    private readonly log: (level: LogLevel, message: string) => void,
  ) {
    this.current = this.create(1000);
  }

  /** Keeps the monitor when it samples every `intervalMs` already; else stops it and makes a new one. */
  useInterval(intervalMs: number): ResourceMonitor {
    if (intervalMs !== this.current.intervalMs) {
      this.current.stop();
      this.current = this.create(intervalMs);
    }
    return this.current;
  }

  private create(intervalMs: number): ResourceMonitor {
    return new ResourceMonitor({
      source: this.source,
      clock: this.clock,
      intervalMs,
      onError: (error) => this.log('warn', `resource sample failed: ${String(error)}`),
    });
  }
}
