/** The tier ladder: which machine gets which thresholds, and the reasons the user will read. */
import { describe, expect, it } from 'vitest';
import { HARDWARE_TIERS, HardwareTierDetector } from '../../../electron/engine/resource/policy/hardware-tiers';
import { resolveScalerSettings } from '../../../electron/engine/resource/policy/resolved-settings';
import { parseScalerSettings } from '../../../electron/engine/resource/policy/settings';
import type { StaticHardwareInfo } from '../../../electron/engine/resource/types';

const GiB = 2 ** 30;
const machine = (memGiB: number, gpus: { name: string; vramGiB: number }[] = [], cores = 8): StaticHardwareInfo => ({
  cpuModel: 'test',
  physicalCores: cores,
  logicalCores: cores * 2,
  memTotalBytes: memGiB * GiB,
  gpus: gpus.map((gpu) => ({ name: gpu.name, vramTotalBytes: gpu.vramGiB * GiB })),
  os: { platform: 'linux', release: '6', arch: 'x64' },
});
const detector = new HardwareTierDetector();

describe('hardware tiers', () => {
  it.each([
    [4, 'minimal'],
    [7.6, 'small'],
    [15.5, 'medium'],
    [31.2, 'large'],
    [128, 'large'],
  ])('%s GiB CPU-only → %s', (memGiB, tier) => {
    expect(detector.detect(machine(memGiB)).id).toBe(tier);
  });

  it('a workstation needs both the memory and a large GPU', () => {
    expect(detector.detect(machine(64, [{ name: 'RTX 4090', vramGiB: 24 }])).id).toBe('workstation');
    expect(detector.detect(machine(16, [{ name: 'RTX 4090', vramGiB: 24 }])).id).toBe('medium');
    expect(detector.detect(machine(64, [{ name: 'RTX 3060', vramGiB: 12 }])).id).toBe('large');
  });

  it('weaker machines keep wider margins', () => {
    const budgets = HARDWARE_TIERS.map((tier) => tier.budgets);
    for (let i = 1; i < budgets.length; i++) {
      expect(budgets[i]!.degradeThreshold).toBeGreaterThanOrEqual(budgets[i - 1]!.degradeThreshold);
      expect(budgets[i]!.criticalThreshold).toBeGreaterThan(budgets[i]!.degradeThreshold);
      expect(budgets[i]!.upgradeThreshold).toBeLessThan(budgets[i]!.degradeThreshold);
    }
  });

  it('the reasons say what qualified the machine and what the next tier needs', () => {
    const tier = detector.detect(machine(15.5, [], 2));
    const text = tier.reasons.join(' ');
    expect(text).toContain('15.5 GiB of memory');
    expect(text).toContain('Large would need');
    expect(text).toContain('No GPU');
    expect(text).toContain('2 physical cores');
    expect(tier.mathCores).toBe(2);
  });

  it('unreadable memory means the weakest tier, and says so', () => {
    const tier = detector.detect({ ...machine(0), memTotalBytes: Number.NaN });
    expect(tier.id).toBe('minimal');
    expect(tier.reasons[0]).toContain('could not be read');
  });
});

describe('resolved thresholds', () => {
  it("takes the tier's thresholds unless the user overrides them", () => {
    const tier = detector.detect(machine(15.5));
    const resolved = resolveScalerSettings(parseScalerSettings({}), tier);
    expect(resolved.memory).toEqual({ degrade: 0.8, critical: 0.9, upgrade: 0.72 });
    const custom = resolveScalerSettings(parseScalerSettings({ degradeThreshold: 0.7, upgradeThreshold: 0.5 }), tier);
    expect(custom.memory.degrade).toBe(0.7);
    expect(custom.memory.upgrade).toBe(0.5);
    expect(custom.memory.critical).toBeGreaterThan(0.7);
  });

  it('the system reserve caps tier thresholds on small machines', () => {
    const tier = detector.detect(machine(4));
    const resolved = resolveScalerSettings(parseScalerSettings({ systemReserveBytes: 1.6 * GiB }), tier);
    expect(resolved.memory.degrade).toBeLessThanOrEqual(1 - 1.6 / 4 + 1e-9);
  });

  it("VRAM keeps node-llama-cpp's padding free", () => {
    const tier = detector.detect(machine(64, [{ name: 'GPU', vramGiB: 8 }]));
    const resolved = resolveScalerSettings(parseScalerSettings({ degradeThreshold: 0.97, criticalThreshold: 0.99 }), tier, 8 * GiB);
    expect(resolved.vram.degrade).toBeLessThanOrEqual(0.92);
  });
});
