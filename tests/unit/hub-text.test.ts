/** The models page's words for Hub results: counts, dates, hashes and quantization groups, as a user reads them. */
import { describe, expect, it } from 'vitest';
import { compactCount, groupByQuantization, shortHash, updatedText } from '../../renderer/features/models/model-text';

describe('Hub result text', () => {
  it('counts read like the Hub’s pages', () => {
    expect(compactCount(812)).toBe('812');
    expect(compactCount(1_234)).toBe('1.2k');
    expect(compactCount(12_345)).toBe('12k');
    expect(compactCount(3_456_789)).toBe('3.5M');
    expect(compactCount(45_000_000)).toBe('45M');
  });

  it('the last update is relative when recent, a date otherwise, and absent when the Hub gave none or garbage', () => {
    const now = Date.parse('2026-12-05T12:00:00Z');
    expect(updatedText('2026-12-05T09:00:00Z', now)).toBe('Updated 3 h ago');
    expect(updatedText('2025-04-30T10:00:00.000Z', now)).toMatch(/^Updated 2025-04-30$/);
    expect(updatedText(null, now)).toBeNull();
    expect(updatedText('<img src=x onerror=alert(1)>', now)).toBeNull();
  });

  it('hashes are shortened only when longer than asked', () => {
    expect(shortHash('0123456789abcdef', 7)).toBe('0123456');
    expect(shortHash('abc', 7)).toBe('abc');
  });

  it('files are grouped by quantization in the order they come, unnamed ones under "Other"', () => {
    const files = [
      { file: 'a-Q4_K_M.gguf', quantization: 'Q4_K_M' },
      { file: 'a-Q8_0.gguf', quantization: 'Q8_0' },
      { file: 'b-Q4_K_M.gguf', quantization: 'Q4_K_M' },
      { file: 'plain.gguf', quantization: null },
    ];
    expect(groupByQuantization(files).map((g) => [g.quantization, g.files.map((f) => f.file)])).toEqual([
      ['Q4_K_M', ['a-Q4_K_M.gguf', 'b-Q4_K_M.gguf']],
      ['Q8_0', ['a-Q8_0.gguf']],
      ['Other', ['plain.gguf']],
    ]);
  });
});
