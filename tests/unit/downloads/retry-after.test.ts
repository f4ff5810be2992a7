/** Retry-After (RFC 9110 §10.2.3): delay-seconds or an HTTP-date in one of its three forms; anything else is ignored. */
import { describe, expect, it } from 'vitest';
import { parseRetryAfter } from '../../../electron/main/core/downloads/errors';

const NOW = Date.UTC(1994, 10, 6, 8, 49, 0); // Sun, 06 Nov 1994 08:49:00 GMT

describe('parseRetryAfter', () => {
  it.each([
    ['120', 120_000],
    [' 0 ', 0],
    ['Sun, 06 Nov 1994 08:49:37 GMT', 37_000], // IMF-fixdate
    ['Sunday, 06-Nov-94 08:49:37 GMT', 37_000], // RFC 850
    ['Sun Nov  6 08:49:37 1994', 37_000], // asctime, always GMT
    ['Sun, 06 Nov 1994 08:48:00 GMT', 0], // in the past: retry now
  ])('reads %j as %d ms', (value, ms) => {
    expect(parseRetryAfter(value, NOW)).toBe(ms);
  });

  it.each([
    '1.5',
    '-5',
    '+5',
    '5s',
    '',
    'soon',
    '2026-12-05T10:00:00Z',
    'Sun, 06 Nov 1994 08:49:37',
    '06 Nov 1994 08:49:37 GMT',
    'Sun, 32 Nov 1994 08:49:37 GMT',
    'Sun, 06 Nov 1994 25:49:37 GMT',
  ])('ignores %j', (value) => {
    expect(parseRetryAfter(value, NOW)).toBeNull();
  });

  it('is null without a header', () => {
    expect(parseRetryAfter(null, NOW)).toBeNull();
  });
});
