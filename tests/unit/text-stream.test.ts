/**
 * The engine's reply-text stream (electron/engine/wire.ts): text handed over inside node-llama-cpp's
 * token callback is sent after that callback has returned, at most once per interval, whole and in
 * order, and a flush at the reply's end leaves nothing behind. Timers and the clock are faked, so
 * the intervals are exact whatever the machine's load.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createTextStream, TEXT_SEND_INTERVAL_MS } from '../../electron/engine/wire';

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate', 'performance'] });
});
afterEach(() => {
  vi.useRealTimers();
});

/** Runs what `setImmediate` queued (and nothing scheduled later). */
const nextTurn = () => vi.advanceTimersByTime(0);

describe('createTextStream', () => {
  it('never sends inside the callback that hands text over; the first piece goes on the next turn', () => {
    const sent: string[] = [];
    const stream = createTextStream((text) => sent.push(text));
    stream.push('Hel');
    expect(sent).toEqual([]);
    nextTurn();
    expect(sent).toEqual(['Hel']);
  });

  it('sends token by token when tokens come slower than the interval', () => {
    const sent: string[] = [];
    const stream = createTextStream((text) => sent.push(text));
    for (const piece of ['one ', 'two ', 'three']) {
      stream.push(piece);
      nextTurn();
      vi.advanceTimersByTime(TEXT_SEND_INTERVAL_MS + 5);
    }
    expect(sent).toEqual(['one ', 'two ', 'three']);
  });

  it('joins what comes within one interval into one send, in order, when the interval ends', () => {
    const sent: string[] = [];
    const stream = createTextStream((text) => sent.push(text), 16);
    stream.push('a');
    nextTurn();
    for (const piece of ['b', '', 'c', 'd']) {
      vi.advanceTimersByTime(2);
      stream.push(piece);
    }
    expect(sent).toEqual(['a']);
    vi.advanceTimersByTime(7); // 15 ms after the first send
    expect(sent).toEqual(['a']);
    vi.advanceTimersByTime(1);
    expect(sent).toEqual(['a', 'bcd']);
  });

  it('flush sends what is queued at once, and nothing is sent twice', () => {
    const sent: string[] = [];
    const stream = createTextStream((text) => sent.push(text));
    stream.push('partial ');
    nextTurn();
    stream.push('text');
    stream.flush();
    expect(sent).toEqual(['partial ', 'text']);
    vi.advanceTimersByTime(100);
    stream.flush();
    expect(sent).toEqual(['partial ', 'text']);
  });

  it('sends nothing for a reply without text', () => {
    const sent: string[] = [];
    const stream = createTextStream((text) => sent.push(text));
    stream.push('');
    stream.flush();
    vi.advanceTimersByTime(100);
    expect(sent).toEqual([]);
  });
});
