/**
 * RemoteRuntime against a stand-in server on 127.0.0.1 for the broken answers a real llama-server
 * cannot be made to give (tests/helpers/stand-in-openai-server.ts says why): each ends in a clear
 * sentence, and the API key goes to that server only and never into a message or a log line.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { RemoteError } from '../../electron/engine/remote/remote-error';
import { RemoteRuntime } from '../../electron/engine/remote/remote-runtime';
import { startStandInServer, type StandInModel, type StandInServer } from '../helpers/stand-in-openai-server';

const KEY = 'sk-mai-test-5f2c1d9e8a7b';
const servers: StandInServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function runtimeOn(model: StandInModel, options: { key?: string; serverKey?: string; idleTimeoutMs?: number } = {}) {
  const server = await startStandInServer(options.serverKey);
  servers.push(server);
  const logs: string[] = [];
  const runtime = new RemoteRuntime({
    engine: { baseUrl: server.url, ...(options.key ? { apiKey: options.key } : {}) },
    idleTimeoutMs: options.idleTimeoutMs ?? 10_000,
    log: (level, message) => logs.push(`${level} ${message}`),
  });
  await runtime.load({ path: model });
  return { server, runtime, logs };
}

let nextId = 0;
async function reply(runtime: RemoteRuntime) {
  const pieces: string[] = [];
  const result = await runtime.generate({ requestId: `r${nextId++}`, history: [{ role: 'user', text: 'Hi' }], maxTokens: 32 }, (text) => pieces.push(text));
  return { result, pieces };
}

async function failure(runtime: RemoteRuntime): Promise<RemoteError> {
  const error = await reply(runtime).then(
    () => null,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(RemoteError);
  return error as RemoteError;
}

describe('RemoteRuntime on a stand-in server', () => {
  it('streams a well-formed reply, with the key sent to that server', async () => {
    const { server, runtime } = await runtimeOn('good', { key: KEY, serverKey: KEY });
    const { result, pieces } = await reply(runtime);
    expect(pieces).toEqual(['Hello', ' there']);
    expect(result).toMatchObject({ text: 'Hello there', stopReason: 'eogToken', model: `good on ${new URL(server.url).host}` });
    expect(server.authorizations.every((header) => header === `Bearer ${KEY}`)).toBe(true);
    expect(runtime.figures('good')).toMatchObject({ replies: 1, failures: 0 });
  });

  it.each([
    ['malformed', 'malformed', /not JSON/],
    ['oversized', 'oversized', /over 256 KB/],
    ['html', 'html', /web page, not an OpenAI-compatible API/],
    ['no-done', 'incomplete', /stopped before it was finished \(the stream ended without \[DONE\]\)/],
    ['server-error', 'server-error', /failed \(HTTP 500\): out of memory on the GPU/],
  ] as const)('a %s answer is a clear error', async (model, kind, sentence) => {
    const { runtime } = await runtimeOn(model);
    const error = await failure(runtime);
    expect(error.failure).toBe(kind);
    expect(error.message).toMatch(sentence);
    expect(runtime.figures(model)).toMatchObject({ failures: 1, lastError: error.message });
  });

  it('a server that goes silent mid-reply is given up after the idle timeout', async () => {
    const { runtime } = await runtimeOn('hang', { idleTimeoutMs: 1500 });
    const error = await failure(runtime);
    expect(error.failure).toBe('timeout');
    expect(error.message).toMatch(/sent nothing for 2 s/);
  });

  it('a wrong key is one sentence; the key is in no message and no log line, even when the server echoes it', async () => {
    const wrong = await startStandInServer(KEY);
    servers.push(wrong);
    const logs: string[] = [];
    const runtime = new RemoteRuntime({ engine: { baseUrl: wrong.url, apiKey: 'sk-wrong-key-0000' }, log: (_level, message) => logs.push(message) });
    const refused = await runtime.load({ path: 'good' }).then(
      () => null,
      (error: unknown) => error as RemoteError,
    );
    expect(refused?.failure).toBe('unauthorized');
    expect(refused?.message).toMatch(/refused the API key \(HTTP 401\)\. Check the key/);
    expect(refused?.message).not.toContain('sk-wrong-key-0000');

    const echo = await runtimeOn('echo-key', { key: KEY });
    const error = await failure(echo.runtime);
    expect(error.message).toContain('[API key]');
    const everything = [error.message, ...echo.logs, ...logs, JSON.stringify(echo.runtime.figures('echo-key'))].join('\n');
    expect(everything).not.toContain(KEY);
    expect(everything).not.toContain('sk-wrong-key-0000');
  });

  it('a redirect is not followed, so the key never reaches another origin', async () => {
    const other = await startStandInServer();
    servers.push(other);
    const { server, runtime } = await runtimeOn('redirect', { key: KEY });
    server.redirectTo = `${other.url}/v1/chat/completions`;
    const error = await failure(runtime);
    expect(error.failure).toBe('unreachable');
    expect(other.authorizations).toEqual([]);
  });

  it('Stop ends a reply with the text so far, not an error', async () => {
    const { runtime } = await runtimeOn('hang');
    const requestId = 'stop-me';
    const pieces: string[] = [];
    const running = runtime.generate({ requestId, history: [{ role: 'user', text: 'Hi' }], maxTokens: 32 }, (text) => {
      pieces.push(text);
      runtime.stop(requestId);
    });
    await expect(running).resolves.toMatchObject({ text: 'Hello', stopReason: 'abort' });
    expect(runtime.stop(requestId)).toBe(false);
  });
});
