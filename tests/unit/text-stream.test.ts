/**
 * The engine's reply-text stream (electron/engine/wire.ts): text handed over inside node-llama-cpp's
 * token callback is sent after that callback has returned, whole and in order, and a flush at the
 * reply's end leaves nothing behind.
 */
import { describe, expect, it } from 'vitest';
import { createTextStream } from '../../electron/engine/wire';

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('createTextStream', () => {
  it('never sends inside the callback that hands text over, and sends it on the next turn', async () => {
    const sent: string[] = [];
    const stream = createTextStream((text) => sent.push(text));
    stream.push('Hel');
    expect(sent).toEqual([]);
    await nextTurn();
    expect(sent).toEqual(['Hel']);
    stream.push('lo');
    await nextTurn();
    expect(sent).toEqual(['Hel', 'lo']);
  });

  it('joins the pieces that arrive before a send, keeping their order', async () => {
    const sent: string[] = [];
    const stream = createTextStream((text) => sent.push(text));
    for (const piece of ['a', 'b', '', 'c']) stream.push(piece);
    await nextTurn();
    expect(sent).toEqual(['abc']);
  });

  it('flush sends what is queued at once, and the scheduled send then has nothing to add', async () => {
    const sent: string[] = [];
    const stream = createTextStream((text) => sent.push(text));
    stream.push('partial ');
    stream.push('text');
    stream.flush();
    expect(sent).toEqual(['partial text']);
    await nextTurn();
    stream.flush();
    expect(sent).toEqual(['partial text']);
  });

  it('sends nothing for a reply without text', async () => {
    const sent: string[] = [];
    const stream = createTextStream((text) => sent.push(text));
    stream.push('');
    stream.flush();
    await nextTurn();
    expect(sent).toEqual([]);
  });
});
