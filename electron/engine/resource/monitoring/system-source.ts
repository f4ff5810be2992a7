/**
 * The real machine as a ResourceSource. Linux: /proc (stat, meminfo, pressure/memory, vmstat,
 * self/status) — a few small reads per sample. macOS and Windows: what Node gives (os.cpus()
 * deltas, os.freemem(), process memory). systeminformation only for the static facts at start
 * and for the battery at a low rate, never on the per-second path (its currentLoad() samples for
 * 100 ms; graphics() spawns tools). VRAM comes from a callback, because node-llama-cpp's
 * `llama.getVramState()` lives in the engine.
 */
import { readFileSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as si from 'systeminformation';
import { cpuBusyFraction, parseMemInfo, parsePressure, parseProcStat, parseSelfStatus, parseSwapInPages, type CpuTimes } from './proc-parsers';
import type { PowerReading, ResourceSource } from './resource-source';
import type { ResourceSample, StaticHardwareInfo } from '../types';

/** What the engine reports about VRAM (for example from `llama.getVramState()`). */
export interface VramReading {
  totalBytes: number;
  usedBytes: number;
  /** The assistant's share, when known (the loaded model's GPU layers and context). */
  ownBytes?: number;
}

/** Options of the system source. */
export interface SystemSourceOptions {
  /** Reads VRAM; absent (or returning null) means VRAM is not measured. */
  readVram?: () => Promise<VramReading | null>;
  /** Root of procfs; tests may point it elsewhere. Default `/proc`. */
  procRoot?: string;
  /** Root of sysfs, for power supplies. Default `/sys`. */
  sysRoot?: string;
  /** Platform override for tests. Default `process.platform`. */
  platform?: NodeJS.Platform;
}

/** Linux uses 4 KiB pages for swap accounting on every architecture the app ships for. */
const PAGE_BYTES = 4096;

const readOptional = (file: string): Promise<string | null> => readFile(file, 'utf8').catch(() => null);

/**
 * procfs files are generated from kernel memory and never wait on a disk, so the per-second reads
 * are synchronous: 5 files cost ~0.1 ms of CPU this way against ~0.9 ms through fs.promises
 * (thread-pool hops and promise plumbing), which is most of the monitor's budget.
 */
function readProc(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/** The machine this process runs on, as a ResourceSource. */
export class SystemResourceSource implements ResourceSource {
  private readonly procRoot: string;
  private readonly sysRoot: string;
  private readonly platform: NodeJS.Platform;
  private previousCpu: CpuTimes | null = null;
  private previousOwn: { usage: NodeJS.CpuUsage; at: bigint } | null = null;
  private previousSwapIn: { pages: number; at: bigint } | null = null;
  private swapPresent = true;
  private pressurePresent = true;
  private readonly logicalCores = Math.max(1, os.cpus().length);

  constructor(private readonly options: SystemSourceOptions = {}) {
    this.procRoot = options.procRoot ?? '/proc';
    this.sysRoot = options.sysRoot ?? '/sys';
    this.platform = options.platform ?? process.platform;
  }

  async readHardware(): Promise<StaticHardwareInfo> {
    const [cpu, mem, graphics, osInfo] = await Promise.all([
      si.cpu().catch(() => null),
      si.mem().catch(() => null),
      si.graphics().catch(() => null),
      si.osInfo().catch(() => null),
    ]);
    const logical = cpu?.cores || this.logicalCores;
    return {
      cpuModel: cpu ? `${cpu.manufacturer} ${cpu.brand}`.trim() : (os.cpus()[0]?.model ?? 'unknown'),
      physicalCores: cpu?.physicalCores || logical,
      logicalCores: logical,
      memTotalBytes: mem?.total || os.totalmem(),
      // vram is in MB; integrated GPUs that share memory report vramDynamic and count as none.
      gpus: (graphics?.controllers ?? [])
        .filter((controller) => !controller.vramDynamic && (controller.vram ?? 0) > 0)
        .map((controller) => ({
          name: controller.model || controller.name || 'GPU',
          vendor: controller.vendor,
          vramTotalBytes: (controller.vram ?? 0) * 2 ** 20,
        })),
      os: {
        platform: osInfo?.platform ?? process.platform,
        release: osInfo?.release ?? os.release(),
        arch: osInfo?.arch ?? process.arch,
        ...(osInfo?.distro ? { distro: osInfo.distro } : {}),
      },
    };
  }

  async readSample(t: number): Promise<ResourceSample> {
    const sample = this.platform === 'linux' ? this.readLinux(t) : this.readPortable(t);
    if (this.options.readVram) {
      const vram = await this.options.readVram().catch(() => null);
      if (vram && vram.totalBytes > 0) {
        sample.vramTotalBytes = vram.totalBytes;
        sample.vramUsedBytes = vram.usedBytes;
        if (vram.ownBytes !== undefined) sample.ownVramBytes = vram.ownBytes;
      }
    }
    return sample;
  }

  async readPower(): Promise<PowerReading | null> {
    if (this.platform === 'linux') {
      const root = path.join(this.sysRoot, 'class/power_supply');
      const names = await readdir(root).catch(() => [] as string[]);
      if (names.length === 0) return null; // desktops and VMs: mains, no battery
      let onMains = false;
      let percent: number | undefined;
      let discharging = false;
      for (const name of names) {
        const type = (await readOptional(path.join(root, name, 'type')))?.trim();
        if (type === 'Mains' || type === 'USB') onMains ||= (await readOptional(path.join(root, name, 'online')))?.trim() === '1';
        if (type === 'Battery') {
          const capacity = Number((await readOptional(path.join(root, name, 'capacity')))?.trim());
          if (Number.isFinite(capacity)) percent = capacity;
          discharging ||= (await readOptional(path.join(root, name, 'status')))?.trim() === 'Discharging';
        }
      }
      return { onBattery: discharging || (!onMains && percent !== undefined), ...(percent !== undefined ? { batteryPercent: percent } : {}) };
    }
    const battery = await si.battery().catch(() => null);
    if (!battery || !battery.hasBattery) return null;
    return { onBattery: !battery.acConnected, batteryPercent: battery.percent };
  }

  private readLinux(t: number): ResourceSample {
    const proc = (name: string): string => path.join(this.procRoot, name);
    const stat = readProc(proc('stat'));
    const meminfo = readProc(proc('meminfo'));
    const pressure = this.pressurePresent ? readProc(proc('pressure/memory')) : null;
    const status = readProc(proc('self/status'));
    const vmstat = this.swapPresent ? readProc(proc('vmstat')) : null;
    this.pressurePresent = pressure !== null; // kernels without PSI: stop asking
    const memory = meminfo ? parseMemInfo(meminfo) : null;
    if (!memory) return this.readPortable(t); // procfs unreadable (sandbox): fall back
    const now = process.hrtime.bigint();
    const cpu = stat ? parseProcStat(stat) : null;
    let total = os.loadavg()[0]! / this.logicalCores; // first sample: no delta yet
    if (cpu && this.previousCpu) total = cpuBusyFraction(this.previousCpu, cpu);
    if (cpu) this.previousCpu = cpu;
    const own = this.ownCpuFraction(now);
    const self = status ? parseSelfStatus(status) : null;
    const psi = pressure ? parsePressure(pressure) : null;
    this.swapPresent = memory.swapTotalBytes > 0;

    const sample: ResourceSample = {
      t,
      cpuOtherLoad: Math.max(0, Math.min(1, total - own)),
      cpuTotalLoad: Math.min(1, total),
      memTotalBytes: memory.memTotalBytes,
      memUsedBytes: memory.memTotalBytes - memory.memAvailableBytes,
      // Anonymous RSS: mmap'd weights are file pages the kernel counts as available.
      ownMemBytes: self?.rssAnonBytes ?? process.memoryUsage.rss(),
      ownRssBytes: self?.rssBytes ?? process.memoryUsage.rss(),
      swapTotalBytes: memory.swapTotalBytes,
      swapUsedBytes: memory.swapTotalBytes - memory.swapFreeBytes,
    };
    if (psi) {
      sample.psiSomeAvg10 = psi.someAvg10;
      sample.psiFullAvg10 = psi.fullAvg10;
    }
    const pages = vmstat ? parseSwapInPages(vmstat) : null;
    if (pages !== null) {
      if (this.previousSwapIn && now > this.previousSwapIn.at) {
        sample.swapInBytesPerSecond = ((pages - this.previousSwapIn.pages) * PAGE_BYTES * 1e9) / Number(now - this.previousSwapIn.at);
      }
      this.previousSwapIn = { pages, at: now };
    } else if (!this.swapPresent) {
      sample.swapInBytesPerSecond = 0;
    }
    return sample;
  }

  /** macOS and Windows: os.cpus() deltas and os.freemem(). macOS's freemem undercounts reclaimable pages. */
  private portableCpu: { busy: number; total: number } | null = null;

  private readPortable(t: number): ResourceSample {
    const times = os.cpus().reduce(
      (sum, cpu) => {
        const busy = cpu.times.user + cpu.times.nice + cpu.times.sys + cpu.times.irq;
        return { busy: sum.busy + busy, total: sum.total + busy + cpu.times.idle };
      },
      { busy: 0, total: 0 },
    );
    const total = this.portableCpu ? cpuBusyFraction(this.portableCpu, times) : 0;
    this.portableCpu = times;
    const own = this.ownCpuFraction(process.hrtime.bigint());
    const rss = process.memoryUsage.rss();
    return {
      t,
      cpuOtherLoad: Math.max(0, Math.min(1, total - own)),
      cpuTotalLoad: total,
      memTotalBytes: os.totalmem(),
      memUsedBytes: os.totalmem() - os.freemem(),
      ownMemBytes: rss,
      ownRssBytes: rss,
    };
  }

  /** The engine's own CPU use since the last call, as a fraction of all cores. */
  private ownCpuFraction(now: bigint): number {
    const usage = process.cpuUsage();
    let fraction = 0;
    if (this.previousOwn && now > this.previousOwn.at) {
      const spentMicros = usage.user + usage.system - this.previousOwn.usage.user - this.previousOwn.usage.system;
      fraction = (spentMicros * 1000) / Number(now - this.previousOwn.at) / this.logicalCores;
    }
    this.previousOwn = { usage, at: now };
    return Math.max(0, fraction);
  }
}
