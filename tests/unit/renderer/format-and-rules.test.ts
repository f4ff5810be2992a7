import { describe, expect, it } from 'vitest';
import { isCapabilityEcho, toastStyle } from '../../../renderer/features/notifications/capability';
import { formatAgo, formatBytes, formatCountdown, formatMetric, formatPercent, humanizeKey } from '../../../renderer/lib/format';
import { baseName, modelLabel } from '../../../renderer/lib/models';
import { shortcutFor } from '../../../renderer/lib/shortcuts';

const key = (k: string, mods: Partial<{ ctrlKey: boolean; metaKey: boolean; shiftKey: boolean; altKey: boolean }> = {}) => ({
  key: k,
  ctrlKey: false,
  metaKey: false,
  shiftKey: false,
  altKey: false,
  ...mods,
});

describe('keyboard shortcuts', () => {
  it('maps Ctrl or Cmd with N, K, B and Shift+R', () => {
    expect(shortcutFor(key('n', { ctrlKey: true }))).toBe('new-chat');
    expect(shortcutFor(key('n', { metaKey: true }))).toBe('new-chat');
    expect(shortcutFor(key('k', { ctrlKey: true }))).toBe('focus-search');
    expect(shortcutFor(key('b', { metaKey: true }))).toBe('toggle-panel');
    expect(shortcutFor(key('R', { ctrlKey: true, shiftKey: true }))).toBe('regenerate');
  });

  it('ignores plain keys, Alt chords, Ctrl+R (reload) and IME composition', () => {
    expect(shortcutFor(key('n'))).toBeNull();
    expect(shortcutFor(key('n', { ctrlKey: true, altKey: true }))).toBeNull();
    expect(shortcutFor(key('r', { ctrlKey: true }))).toBeNull();
    expect(shortcutFor(key('N', { ctrlKey: true, shiftKey: true }))).toBeNull();
    expect(shortcutFor({ ...key('k', { ctrlKey: true }), isComposing: true })).toBeNull();
  });
});

describe('capability notices', () => {
  it('a step down warns and stays, a step up is quiet, silent switching shows nothing', () => {
    expect(toastStyle({ direction: 'down' }, false)).toBe('warn');
    expect(toastStyle({ direction: 'up' }, false)).toBe('info');
    expect(toastStyle({ direction: 'down' }, true)).toBeNull();
  });

  it("recognises main's plain-notice echo of a recent change only", () => {
    const change = {
      direction: 'down' as const,
      from: 'a',
      to: 'b',
      what: 'Mai now uses Demo 30 MB.',
      why: 'memory at 83 %',
      bringBack: 'It comes back…',
      at: 1000,
    };
    expect(isCapabilityEcho('Mai now uses Demo 30 MB. Why: memory at 83 %. It comes back…', [change], 2000)).toBe(true);
    expect(isCapabilityEcho('The engine stopped.', [change], 2000)).toBe(false);
    expect(isCapabilityEcho('Mai now uses Demo 30 MB. Why: …', [change], 60_000)).toBe(false);
  });
});

describe('formatting', () => {
  it('bytes, percentages and countdowns', () => {
    expect(formatBytes(2.5 * 2 ** 30)).toBe('2.5 GiB');
    expect(formatBytes(12 * 2 ** 30)).toBe('12 GiB');
    expect(formatBytes(300 * 2 ** 20)).toBe('300 MiB');
    expect(formatBytes(null)).toBe('—');
    expect(formatPercent(0.8312)).toBe('83.1 %');
    expect(formatPercent(0.8, 0)).toBe('80 %');
    expect(formatCountdown(272)).toBe('4:32');
    expect(formatCountdown(3725)).toBe('1:02:05');
    expect(formatCountdown(0.2)).toBe('0:01');
    expect(formatCountdown(null)).toBe('—');
  });

  it('decision metrics in the unit their name implies', () => {
    expect(formatMetric('latest', 0.832)).toBe('83.2 %');
    expect(formatMetric('threshold', 0.8)).toBe('80.0 %');
    expect(formatMetric('slopePerSecond', 0.0012)).toBe('0.12 pts/s');
    expect(formatMetric('heldSeconds', 12.345)).toBe('12.3 s');
    expect(formatMetric('tokensPerSecond', 21.44)).toBe('21.4 tok/s');
    expect(formatMetric('swapInBytesPerSecond', 2 * 2 ** 20)).toBe('2 MiB/s');
    expect(formatMetric('samplesOverCritical', 2)).toBe('2');
    expect(formatMetric('anything', null)).toBe('—');
    expect(formatMetric('ok', false)).toBe('no');
    expect(humanizeKey('secondsToThreshold')).toBe('seconds to threshold');
    expect(humanizeKey('psiSomeAvg10')).toBe('psi some avg 10 s');
  });

  it('relative times for the conversation list', () => {
    const now = Date.UTC(2025, 0, 10, 12);
    expect(formatAgo(now - 10_000, now)).toBe('just now');
    expect(formatAgo(now - 5 * 60_000, now)).toBe('5 min ago');
    expect(formatAgo(now - 3 * 3_600_000, now)).toBe('3 h ago');
    expect(formatAgo(now - 3 * 86_400_000, now)).toMatch(/^2025-01-0[67]$/);
  });
});

describe('model names', () => {
  const ladder = [
    {
      id: '/m/a.gguf',
      path: '/m/a.gguf',
      name: 'Demo 30 MB',
      synthetic: true,
      memBytes: 1,
      vramBytes: 0,
      estimatedMemBytes: 1,
      correction: 1,
      measurements: 0,
    },
  ];
  it('uses the ladder name, else the file name without .gguf', () => {
    expect(modelLabel('/m/a.gguf', ladder)).toBe('Demo 30 MB');
    expect(modelLabel('/m/other.GGUF', ladder)).toBe('other');
    expect(modelLabel(4, ladder)).toBe('4');
    expect(baseName('C:\\models\\x.gguf')).toBe('x');
  });
});
