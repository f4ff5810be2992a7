/** The incremental SSE reader: events split anywhere across chunks, every line ending, the size cap. */
import { describe, expect, it } from 'vitest';
import { RemoteError } from '../../../electron/engine/remote/remote-error';
import { SseReader } from '../../../electron/engine/remote/sse';

const bytes = (text: string) => new TextEncoder().encode(text);

/** Feeds `text` cut into pieces of `size` bytes and collects the events. */
function read(text: string, size: number, reader = new SseReader()): string[] {
  const all = bytes(text);
  const events: string[] = [];
  for (let i = 0; i < all.length; i += size) events.push(...reader.push(all.subarray(i, i + size)));
  return events;
}

describe('SseReader', () => {
  const stream = 'data: {"a":1}\n\n: a comment\nevent: x\ndata: {"b":"é✓"}\n\r\ndata: line one\r\ndata: line two\r\n\r\ndata: [DONE]\r\r';
  const expected = ['{"a":1}', '{"b":"é✓"}', 'line one\nline two', '[DONE]'];

  it.each([1, 2, 3, 7, 1000])('reads the same events whatever the chunk size (%i bytes)', (size) => {
    expect(read(stream, size)).toEqual(expected);
  });

  it('keeps an unfinished event buffered and says so', () => {
    const reader = new SseReader();
    expect(reader.push(bytes('data: {"a":'))).toEqual([]);
    expect(reader.midEvent).toBe(true);
    expect(reader.push(bytes('1}\n\n'))).toEqual(['{"a":1}']);
    expect(reader.midEvent).toBe(false);
  });

  it('refuses an event over the cap, whether it arrives whole or without end', () => {
    const big = `data: ${'x'.repeat(2000)}\n\n`;
    expect(() => read(big, 5000, new SseReader(1024, 'The test server'))).toThrow(/over 1 KB/);
    expect(() => read(`data: ${'x'.repeat(5000)}`, 100, new SseReader(1024))).toThrow(RemoteError);
    // Many events within the cap, together far over it, are fine.
    expect(read('data: 12345\n\n'.repeat(500), 4096, new SseReader(1024))).toHaveLength(500);
  });
});
