import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { EmptyContract } from '../../shared/engine-protocol';
import { MaiError } from '../../shared/errors';
import { createMemoryPortPair, dispatch, RpcPeer, type Contract, type MessagePortLike } from '../../shared/rpc';

const served = {
  methods: {
    'stream:run': { params: z.object({ id: z.string(), count: z.number().int().min(1).max(50) }), result: z.object({ id: z.string(), total: z.number() }) },
    'math:fail': { params: z.object({}), result: z.object({}) },
    'math:crash': { params: z.object({}), result: z.object({}) },
    'math:bad-result': { params: z.object({}), result: z.object({ n: z.number() }) },
  },
  events: { 'stream:chunk': z.object({ id: z.string(), n: z.number() }) },
} satisfies Contract;
type None = EmptyContract;

function pair() {
  const [a, b] = createMemoryPortPair();
  const problems: string[] = [];
  const server: RpcPeer<typeof served, None> = new RpcPeer(
    b,
    served,
    null,
    {
      'stream:run': async ({ id, count }) => {
        for (let n = 0; n < count; n += 1) {
          server.emit('stream:chunk', { id, n });
          await new Promise((resolve) => setTimeout(resolve, 1));
        }
        return { id, total: count };
      },
      'math:fail': () => {
        throw new MaiError('model-not-found', 'No model file at /nowhere.gguf.');
      },
      'math:crash': () => {
        throw new TypeError('boom');
      },
      'math:bad-result': () => ({ n: 'not a number' }) as unknown as { n: number },
    },
    (problem) => problems.push(`server: ${problem}`),
  );
  const client = new RpcPeer<None, typeof served>(a, null, served, {}, (problem) => problems.push(`client: ${problem}`));
  return { a, b, client, server, problems };
}

describe('RPC peer over an in-memory pair', () => {
  it('answers a request with a validated result', async () => {
    const { client } = pair();
    await expect(client.call('stream:run', { id: 'x', count: 1 })).resolves.toEqual({ id: 'x', total: 1 });
  });

  it('keeps two interleaved streams apart', async () => {
    const { client } = pair();
    const seen: Record<string, number[]> = { a: [], b: [] };
    client.on('stream:chunk', ({ id, n }) => seen[id]?.push(n));
    const [ra, rb] = await Promise.all([client.call('stream:run', { id: 'a', count: 20 }), client.call('stream:run', { id: 'b', count: 15 })]);
    expect(ra.total).toBe(20);
    expect(rb.total).toBe(15);
    expect(seen.a).toEqual([...Array(20).keys()]);
    expect(seen.b).toEqual([...Array(15).keys()]);
  });

  it('carries an expected failure as data, with its code and sentence', async () => {
    const { client } = pair();
    const error = await client.call('math:fail', {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MaiError);
    expect(error).toMatchObject({ code: 'model-not-found', message: 'No model file at /nowhere.gguf.' });
  });

  it('turns an unexpected throw into an internal error without killing the server', async () => {
    const { client } = pair();
    await expect(client.call('math:crash', {})).rejects.toMatchObject({ code: 'internal', message: 'boom' });
    await expect(client.call('stream:run', { id: 'x', count: 1 })).resolves.toMatchObject({ total: 1 });
  });

  it('refuses parameters of the wrong shape on both sides', async () => {
    const { client, a } = pair();
    await expect(client.call('stream:run', { id: 'x', count: 999 })).rejects.toMatchObject({ code: 'bad-request' });
    // Bypass the client's own check: the server still refuses and answers.
    const answer = new Promise<unknown>((resolve) => a.onMessage(resolve));
    a.send({ kind: 'request', seq: 77, method: 'stream:run', params: { id: 5 } });
    await expect(answer).resolves.toMatchObject({ kind: 'response', seq: 77, ok: false, error: { code: 'bad-request' } });
  });

  it('rejects a malformed answer instead of trusting it', async () => {
    const { client, problems } = pair();
    await expect(client.call('math:bad-result', {})).rejects.toMatchObject({ code: 'internal' });
    // The serving side logs the unexpected failure (with its stack) instead of sending the stack.
    expect(problems.some((p) => p.startsWith('server: math:bad-result failed unexpectedly'))).toBe(true);
  });

  it('survives garbage on the wire and keeps answering', async () => {
    const { a, b, client, problems } = pair();
    const junk: unknown[] = [
      null,
      42,
      'text',
      [],
      { kind: 'nope' },
      { kind: 'request' },
      { kind: 'request', seq: -1, method: 'x' },
      { kind: 'response', seq: 999, ok: true, result: 1 },
      { kind: 'event', name: 'stream:chunk', payload: { id: 1 } },
      { kind: 'event', name: 'unknown', payload: {} },
    ];
    for (const message of junk) {
      a.send(message);
      b.send(message);
    }
    await expect(client.call('stream:run', { id: 'after', count: 2 })).resolves.toMatchObject({ total: 2 });
    expect(problems.length).toBeGreaterThanOrEqual(junk.length);
  });

  it('answers an identifiable malformed request so the caller does not wait forever', async () => {
    const { a } = pair();
    const answer = new Promise<unknown>((resolve) => a.onMessage(resolve));
    a.send({ kind: 'request', seq: 5 });
    await expect(answer).resolves.toMatchObject({ seq: 5, ok: false, error: { code: 'bad-request' } });
  });

  it('fails pending calls when the connection closes, and times out calls nobody answers', async () => {
    const silent: MessagePortLike = { send: () => {}, onMessage: () => () => {} };
    const client = new RpcPeer<None, typeof served>(silent, null, served, {});
    await expect(client.call('stream:run', { id: 'x', count: 1 }, { timeoutMs: 20 })).rejects.toMatchObject({ code: 'timeout' });
    const pending = client.call('stream:run', { id: 'y', count: 1 });
    client.close(new MaiError('engine-crashed', 'The engine crashed (killed by SIGKILL).'));
    await expect(pending).rejects.toMatchObject({ code: 'engine-crashed' });
    expect(client.pendingCount).toBe(0);
  });
});

describe('dispatch (Electron IPC and WebSocket share it)', () => {
  const handlers = { 'stream:run': ({ id, count }: { id: string; count: number }) => ({ id, total: count }) };
  it('refuses unknown channels and prototype keys', async () => {
    for (const method of ['nope', '__proto__', 'constructor', 'toString', 42, null]) {
      const result = await dispatch(served, handlers, method, {});
      expect(result).toMatchObject({ ok: false, error: { code: 'unknown-method' } });
    }
  });
  it('refuses a payload of the wrong shape with a sentence naming the field', async () => {
    const result = await dispatch(served, handlers, 'stream:run', { id: 'x', count: 'three' });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.message).toContain('count');
  });
  it('answers a valid call', async () => {
    await expect(dispatch(served, handlers, 'stream:run', { id: 'x', count: 3 })).resolves.toEqual({ ok: true, value: { id: 'x', total: 3 } });
  });
});
