/**
 * Wraps the machine's resource source with two adjustments:
 * - a memory budget from the settings: Mai treats the machine as having at most this much RAM
 *   (a user who wants Mai to stay within 8 GB of a 64 GB workstation; tests that need little RAM);
 * - an overlay of extra "other programs" load, set over the engine protocol only when test hooks
 *   are enabled (MAI_TEST_HOOKS=1), so end-to-end tests can drive pressure through the real stack.
 */
import type { ResourceSource } from '../resource/monitoring/resource-source';
import type { ResourceSample, StaticHardwareInfo } from '../resource/types';

export interface SourceOverlay {
  /** Bytes added to the memory other programs use. */
  extraOtherMemBytes?: number;
  /**
   * Replaces the memory other programs use (the engine's own stays measured): a scripted machine
   * whose background load does not drift with whatever else runs on the test host.
   */
  otherMemBytes?: number;
  /** Replaces the other programs' CPU load (fraction of all cores). */
  cpuOtherLoad?: number;
}

export class BudgetedSource implements ResourceSource {
  private budgetBytes: number | null = null;
  private overlay: SourceOverlay = {};

  constructor(private readonly inner: ResourceSource) {}

  setBudget(bytes: number | null): void {
    this.budgetBytes = bytes && bytes > 0 ? bytes : null;
  }

  setOverlay(overlay: SourceOverlay): void {
    this.overlay = { ...overlay };
  }

  async readHardware(): Promise<StaticHardwareInfo> {
    const hardware = await this.inner.readHardware();
    return this.budgetBytes ? { ...hardware, memTotalBytes: Math.min(hardware.memTotalBytes, this.budgetBytes) } : hardware;
  }

  async readSample(t: number): Promise<ResourceSample> {
    const sample = await this.inner.readSample(t);
    const memTotalBytes = this.budgetBytes ? Math.min(sample.memTotalBytes, this.budgetBytes) : sample.memTotalBytes;
    const base = this.overlay.otherMemBytes !== undefined ? sample.ownMemBytes + this.overlay.otherMemBytes : sample.memUsedBytes;
    const memUsedBytes = Math.min(memTotalBytes, base + (this.overlay.extraOtherMemBytes ?? 0));
    return {
      ...sample,
      memTotalBytes,
      memUsedBytes,
      ...(this.overlay.cpuOtherLoad !== undefined ? { cpuOtherLoad: this.overlay.cpuOtherLoad } : {}),
    };
  }

  readPower = async () => (this.inner.readPower ? this.inner.readPower() : null);
}
