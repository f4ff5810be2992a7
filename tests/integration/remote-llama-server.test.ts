/**
 * RemoteRuntime against a real llama.cpp `llama-server` on 127.0.0.1 (built by
 * build/llama-server.mjs; .ci/run builds it so CI never skips these): a reply streams, Stop
 * works, a wrong key is one sentence and the key is in no log line, a server killed mid-reply or
 * frozen with SIGSTOP is a clear error within seconds, and llama.cpp's RPC pair (`ggml-rpc-server` +
 * `llama-server --rpc`) serves a reply Mai streams.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RemoteError } from '../../electron/engine/remote/remote-error';
import { RemoteRuntime } from '../../electron/engine/remote/remote-runtime';
import type { GenerateResult } from '../../electron/engine/models/model-runtime';
import { llamaServerMissing, startLlamaServer, startRpcServer, type RunningProcess } from '../helpers/llama-server';
import { ensureTestModels } from '../helpers/models';
import { ensureRealTokenizerModel } from '../helpers/real-tokenizer-model';

const KEY = 'sk-mai-llama-key-7d3e9a01';
if (llamaServerMissing) console.warn(`remote-llama-server.test.ts skipped: ${llamaServerMissing}`);

const started: RunningProcess[] = [];
afterAll(async () => {
  for (const process of started.splice(0)) {
    process.child.kill('SIGCONT');
    await process.kill();
  }
});

function runtimeFor(server: RunningProcess, options: { apiKey?: string; idleTimeoutMs?: number } = {}) {
  const logs: string[] = [];
  const runtime = new RemoteRuntime({
    engine: { baseUrl: server.url, ...(options.apiKey ? { apiKey: options.apiKey } : {}) },
    idleTimeoutMs: options.idleTimeoutMs ?? 20_000,
    log: (level, message) => logs.push(`${level} ${message}`),
  });
  return { runtime, logs };
}

let nextId = 0;
function ask(runtime: RemoteRuntime, onText: (text: string, requestId: string) => void = () => {}, maxTokens = 64): Promise<GenerateResult> {
  const requestId = `r${nextId++}`;
  return runtime.generate(
    {
      requestId,
      history: [
        { role: 'system', text: 'You are Mai.' },
        { role: 'user', text: 'Tell me about the river.' },
      ],
      maxTokens,
      seed: 1,
    },
    (text) => onText(text, requestId),
  );
}

describe.skipIf(llamaServerMissing !== null)('RemoteRuntime on a real llama-server', () => {
  let server: RunningProcess;
  let longServer: RunningProcess;

  beforeAll(async () => {
    const model = await ensureRealTokenizerModel();
    server = await startLlamaServer({ model, alias: 'mai-test', apiKey: KEY });
    started.push(server);
    // The byte-vocabulary model does not end its replies: a long reply to cut.
    const { tiny } = await ensureTestModels();
    longServer = await startLlamaServer({ model: tiny, alias: 'tiny' });
    started.push(longServer);
  });

  it('streams a reply with the server context and figures, the key sent and never logged', async () => {
    const { runtime, logs } = runtimeFor(server, { apiKey: KEY });
    const loaded = await runtime.load({ path: 'mai-test' });
    expect(loaded).toMatchObject({ name: `mai-test on 127.0.0.1:${server.port}`, contextSize: 2048, sizeBytes: 0 });
    const pieces: string[] = [];
    const result = await ask(runtime, (text) => pieces.push(text));
    expect(pieces.length).toBeGreaterThan(1);
    expect(result.text).toBe(pieces.join(''));
    expect(result.stopReason).toBe('eogToken');
    expect(result.stats.tokens).toBeGreaterThan(1);
    expect(result.stats.tokensPerSecond).toBeGreaterThan(0);
    expect(runtime.lastServerTimings?.predicted_per_second).toBeGreaterThan(0);
    expect(runtime.figures('mai-test')).toMatchObject({ replies: 1, failures: 0 });
    expect(runtime.figures('mai-test').rttMs).toBeGreaterThan(0);
    expect(logs.join('\n')).not.toContain(KEY);
  });

  it('a wrong key is one clear sentence, and neither key reaches a log line', async () => {
    const { runtime, logs } = runtimeFor(server, { apiKey: 'sk-not-the-key-1234' });
    const error = await runtime.load({ path: 'mai-test' }).then(
      () => null,
      (thrown: unknown) => thrown as RemoteError,
    );
    expect(error?.failure).toBe('unauthorized');
    expect(error?.message).toBe(`The server at 127.0.0.1:${server.port} refused the API key (HTTP 401). Check the key in Mai's settings.`);
    const everything = [error?.message, ...logs, server.output()].join('\n');
    expect(everything).not.toContain('sk-not-the-key-1234');
    expect(logs.join('\n')).not.toContain(KEY);
  });

  it('Stop ends the reply with the text so far', async () => {
    const { runtime } = runtimeFor(longServer);
    await runtime.load({ path: 'tiny' });
    let seen = '';
    const result = await ask(
      runtime,
      (text, requestId) => {
        seen += text;
        if (seen.length >= 5) runtime.stop(requestId);
      },
      2000,
    );
    expect(result.stopReason).toBe('abort');
    expect(result.text).toBe(seen);
    // Still serving after a stopped request.
    expect((await ask(runtime, () => {}, 8)).stats.tokens).toBeGreaterThan(0);
  });

  it('the server killed mid-reply is a clear error within seconds, the text so far streamed', async () => {
    const victim = await startLlamaServer({ model: (await ensureTestModels()).tiny, alias: 'tiny' });
    started.push(victim);
    const { runtime } = runtimeFor(victim);
    await runtime.load({ path: 'tiny' });
    let killedAt = 0;
    const failed = await ask(
      runtime,
      () => {
        if (killedAt) return;
        killedAt = performance.now();
        victim.child.kill('SIGKILL');
      },
      2000,
    ).then(
      () => null,
      (error: unknown) => error as RemoteError,
    );
    const noticedMs = performance.now() - killedAt;
    expect(failed?.failure).toMatch(/^(incomplete|unreachable)$/);
    expect(failed?.message).toMatch(/broke during the reply|stopped before it was finished|could not be reached/);
    expect(noticedMs).toBeLessThan(3000);
    expect(runtime.figures('tiny').failures).toBe(1);
  });

  it('a frozen server (SIGSTOP) is given up after the idle timeout', async () => {
    const frozen = await startLlamaServer({ model: (await ensureTestModels()).tiny, alias: 'tiny' });
    started.push(frozen);
    const { runtime } = runtimeFor(frozen, { idleTimeoutMs: 2000 });
    await runtime.load({ path: 'tiny' });
    let stoppedAt = 0;
    const failed = await ask(
      runtime,
      () => {
        if (stoppedAt) return;
        stoppedAt = performance.now();
        frozen.child.kill('SIGSTOP');
      },
      2000,
    ).then(
      () => null,
      (error: unknown) => error as RemoteError,
    );
    frozen.child.kill('SIGCONT');
    expect(failed?.failure).toBe('timeout');
    expect(failed?.message).toBe(`The server at 127.0.0.1:${frozen.port} sent nothing for 2 s; Mai gave up on the reply.`);
    // Bytes already in flight may arrive after the stop; the timeout counts from the last one.
    expect(performance.now() - stoppedAt).toBeLessThan(6000);
  });

  it("llama.cpp's RPC pair serves a reply that Mai streams (the layers on the RPC device)", async () => {
    const rpc = await startRpcServer();
    started.push(rpc);
    const pooled = await startLlamaServer({ model: await ensureRealTokenizerModel(), alias: 'pooled', rpc: `127.0.0.1:${rpc.port}` });
    started.push(pooled);
    expect(pooled.output()).toMatch(new RegExp(`RPC0\\[127\\.0\\.0\\.1:${rpc.port}\\].*model buffer size`));
    const { runtime } = runtimeFor(pooled);
    await runtime.load({ path: 'pooled' });
    const pieces: string[] = [];
    const result = await ask(runtime, (text) => pieces.push(text));
    expect(pieces.length).toBeGreaterThan(1);
    expect(result.stopReason).toBe('eogToken');
  });
});
