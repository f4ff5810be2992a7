/**
 * The hardware tier ladder and its detector. A tier owns the memory thresholds and budgets; the
 * user sees the tier and the reasons for it, so both are kept. Thresholds follow the measured
 * design (docs/scaling-policy.md, "Tiers"): small machines keep a wider margin because a fixed amount of memory
 * (the desktop, a browser) is a bigger share of them and swapping hurts sooner.
 */
import type { StaticHardwareInfo } from '../types';

const GiB = 2 ** 30;

/** Identifiers of the tiers, weakest first. */
export type TierId = 'minimal' | 'small' | 'medium' | 'large' | 'workstation';

/** What a tier allows. Fractions of memory (or VRAM) in use. */
export interface TierBudgets {
  /** At or above this the assistant must be on a smaller model. */
  degradeThreshold: number;
  /** Near exhaustion: act at once, even mid-reply. */
  criticalThreshold: number;
  /** The projected use after an upgrade must stay below this (the hysteresis gap). */
  upgradeThreshold: number;
  /** Memory always left to the system, bytes. */
  systemReserveBytes: number;
  /** Degrade threshold for VRAM, before node-llama-cpp's padding cap is applied. */
  vramDegradeThreshold: number;
}

/** A rung of the ladder: what a machine needs to reach it, and what it then gets. */
export interface TierDefinition {
  id: TierId;
  label: string;
  /** Who this tier is for, in a sentence for the UI. */
  description: string;
  /** Minimum installed memory, bytes. */
  minMemBytes: number;
  /** Minimum dedicated VRAM of the largest GPU, bytes (0 = none needed). */
  minGpuVramBytes: number;
  budgets: TierBudgets;
}

/** The ladder, weakest first. Memory limits are a little under the marketing sizes (8 GB reports ~7.6 GiB). */
export const HARDWARE_TIERS: readonly TierDefinition[] = [
  {
    id: 'minimal',
    label: 'Minimal',
    description: 'CPU-only machine with little memory: only the smallest models, wide margins.',
    minMemBytes: 0,
    minGpuVramBytes: 0,
    budgets: { degradeThreshold: 0.7, criticalThreshold: 0.85, upgradeThreshold: 0.55, systemReserveBytes: 1 * GiB, vramDegradeThreshold: 0.85 },
  },
  {
    id: 'small',
    label: 'Small',
    description: '8 GB class laptop: small models, the desktop keeps a fixed share.',
    minMemBytes: 7 * GiB,
    minGpuVramBytes: 0,
    budgets: { degradeThreshold: 0.75, criticalThreshold: 0.88, upgradeThreshold: 0.62, systemReserveBytes: 1.5 * GiB, vramDegradeThreshold: 0.88 },
  },
  {
    id: 'medium',
    label: 'Medium',
    description: '16 GB class machine: mid-size models.',
    minMemBytes: 14 * GiB,
    minGpuVramBytes: 0,
    budgets: { degradeThreshold: 0.8, criticalThreshold: 0.9, upgradeThreshold: 0.72, systemReserveBytes: 2 * GiB, vramDegradeThreshold: 0.9 },
  },
  {
    id: 'large',
    label: 'Large',
    description: '32 GB class machine: large models on the CPU or a mid-size GPU.',
    minMemBytes: 28 * GiB,
    minGpuVramBytes: 0,
    budgets: { degradeThreshold: 0.85, criticalThreshold: 0.93, upgradeThreshold: 0.75, systemReserveBytes: 3 * GiB, vramDegradeThreshold: 0.9 },
  },
  {
    id: 'workstation',
    label: 'Workstation',
    description: '32 GB or more with a GPU of 16 GB or more: the largest models, mostly in VRAM.',
    minMemBytes: 28 * GiB,
    minGpuVramBytes: 16 * GiB,
    budgets: { degradeThreshold: 0.85, criticalThreshold: 0.93, upgradeThreshold: 0.75, systemReserveBytes: 4 * GiB, vramDegradeThreshold: 0.92 },
  },
];

/** The detector's answer: the tier, why, and the thread budget (cores do not move the memory tier). */
export interface TierAssessment {
  id: TierId;
  label: string;
  description: string;
  /** Sentences for the UI: what qualified the machine, and what kept it from the next tier. */
  reasons: string[];
  budgets: TierBudgets;
  /** Cores the model's math may use: physical cores (llama.cpp gains nothing from SMT siblings). */
  mathCores: number;
  logicalCores: number;
  memTotalBytes: number;
  /** VRAM of the largest GPU, bytes (0 = CPU only). */
  maxGpuVramBytes: number;
}

const formatGiB = (bytes: number): string => `${Number((bytes / GiB).toFixed(1))} GiB`;

/** Classifies a machine once at start (and again if the hardware changes). */
export class HardwareTierDetector {
  constructor(private readonly tiers: readonly TierDefinition[] = HARDWARE_TIERS) {
    if (tiers.length === 0) throw new Error('HardwareTierDetector needs at least one tier');
  }

  /** The highest tier whose requirements the machine meets, with the reasons. */
  detect(hardware: StaticHardwareInfo): TierAssessment {
    const memory = Number.isFinite(hardware.memTotalBytes) ? Math.max(0, hardware.memTotalBytes) : 0;
    const maxGpuVramBytes = hardware.gpus.reduce((max, gpu) => Math.max(max, gpu.vramTotalBytes || 0), 0);
    const bestGpu = hardware.gpus.find((gpu) => gpu.vramTotalBytes === maxGpuVramBytes);
    const meets = (tier: TierDefinition): boolean => memory >= tier.minMemBytes && maxGpuVramBytes >= tier.minGpuVramBytes;

    let chosenIndex = 0;
    this.tiers.forEach((tier, index) => {
      if (meets(tier)) chosenIndex = index;
    });
    const chosen = this.tiers[chosenIndex]!;
    const reasons: string[] = [];

    if (memory === 0) reasons.push('Installed memory could not be read; assuming the weakest tier.');
    else reasons.push(`${formatGiB(memory)} of memory${chosen.minMemBytes > 0 ? ` (${chosen.label} needs ${formatGiB(chosen.minMemBytes)})` : ''}.`);
    if (maxGpuVramBytes > 0 && bestGpu) reasons.push(`GPU ${bestGpu.name} with ${formatGiB(maxGpuVramBytes)} of VRAM.`);
    else reasons.push('No GPU with dedicated memory: models run on the CPU.');

    const next = this.tiers.slice(chosenIndex + 1).find((tier) => !meets(tier));
    if (next) {
      const missing: string[] = [];
      if (memory < next.minMemBytes) missing.push(`${formatGiB(next.minMemBytes)} of memory`);
      if (maxGpuVramBytes < next.minGpuVramBytes) missing.push(`a GPU with ${formatGiB(next.minGpuVramBytes)} of VRAM`);
      reasons.push(`${next.label} would need ${missing.join(' and ')}.`);
    }
    const mathCores = Math.max(1, Math.floor(hardware.physicalCores || hardware.logicalCores || 1));
    reasons.push(`${mathCores} physical core${mathCores === 1 ? '' : 's'} for the model's math.`);
    const b = chosen.budgets;
    reasons.push(
      `Steps down at ${pct(b.degradeThreshold)} of memory in use, at once at ${pct(b.criticalThreshold)}; steps up only if the bigger model would stay under ${pct(b.upgradeThreshold)}; keeps ${formatGiB(b.systemReserveBytes)} for the system.`,
    );

    return {
      id: chosen.id,
      label: chosen.label,
      description: chosen.description,
      reasons,
      budgets: { ...chosen.budgets },
      mathCores,
      logicalCores: Math.max(1, Math.floor(hardware.logicalCores || mathCores)),
      memTotalBytes: memory,
      maxGpuVramBytes,
    };
  }
}

const pct = (fraction: number): string => `${Math.round(fraction * 100)} %`;
