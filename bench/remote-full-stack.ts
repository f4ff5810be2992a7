/**
 * The remote figures at the full stack (bench/remote-bench.ts runs these next to its engine-level
 * ones): the real AppCore with the real engine process (bench-util's startCore, as the web host
 * runs it), a real llama-server on 127.0.0.1 configured the way Settings does it (`remote:save`,
 * then `remote:set-policy` remote-first), and a subscriber on the app's events timing `onChatToken`.
 *
 * Where the server's own rate comes from: llama-server's log. For every reply it prints
 * `slot print_timing: … | task N |        eval time = X ms / N tokens (…, Y tokens per second)`,
 * the same `t_token_generation` and `n_decoded` its `timings.predicted_per_second` is computed
 * from. The bench reads the log lines the server printed during each reply (exactly one is
 * expected; a reply with none or several is dropped and counted). A relaying proxy was the other
 * choice; it would put one more hop in the path being measured, the log puts none.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startLlamaServer, type RunningProcess } from '../tests/helpers/llama-server';
import { loadAverage, median, round, sleep, startCoreOn, sendAndMeasure, waitForQuiet, type BenchModels, type CoreHarness } from './bench-util';

const PROMPT_TEXT = 'Tell me about the river.';

/** `eval time` lines (not `prompt eval time`) in llama-server's log: the task id and its tokens/s. */
export function serverEvalRates(log: string): Array<{ task: number; tokensPerSecond: number }> {
  const rates: Array<{ task: number; tokensPerSecond: number }> = [];
  const line = /task (\d+) \|\s+eval time =\s*[\d.]+ ms \/\s*\d+ tokens \(\s*[\d.]+ ms per token,\s*([\d.]+) tokens per second\)/g;
  for (const match of log.matchAll(line)) rates.push({ task: Number(match[1]), tokensPerSecond: Number(match[2]) });
  return rates;
}

/** A bare client's time to first token, ms: fetch, the bytes scanned for the first `"content":"` with text. */
export async function bareTtft(url: string, text: string, maxTokens: number): Promise<number> {
  const started = performance.now();
  const response = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'small', messages: [{ role: 'user', content: text }], stream: true, max_tokens: maxTokens, seed: 1 }),
  });
  const decoder = new TextDecoder();
  let seen = '';
  let first = 0;
  for await (const bytes of response.body as unknown as AsyncIterable<Uint8Array>) {
    seen += decoder.decode(bytes, { stream: true });
    if (!first && /"content":"[^"]/.test(seen)) first = performance.now();
  }
  return first - started;
}

/** An app core on `localModel` with `server` (model `alias`) saved and remote-first; resolves once the model moved to it. */
async function startRemoteCore(server: RunningProcess, alias: string, localModel: string, maxTokens: number) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mai-remote-bench-'));
  const settingsFile = path.join(dir, 'settings.json');
  // One second of stabilization: the failover figure moves back to the restarted server between kills.
  writeFileSync(settingsFile, JSON.stringify({ stabilizationSeconds: 1 }));
  const started = await startCoreOn(localModel, { maxTokens, settingsFile, dataDir: dir });
  const harness: CoreHarness = {
    ...started.harness,
    shutdown: async () => {
      await started.harness.shutdown();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  const remoteName = `${alias} on 127.0.0.1:${server.port}`;
  try {
    const moved = harness.waitFor('onModelChanged', ({ model }) => model?.name === remoteName, 60_000);
    await harness.core.handlers['remote:save']({ baseUrl: server.url, models: [alias] });
    await harness.core.handlers['remote:set-policy']({ policy: 'remote-first' });
    await moved;
  } catch (error) {
    await harness.shutdown();
    throw new Error(`the app did not move to ${remoteName}: ${(error as Error).message}\n${harness.diagnose()}`, { cause: error });
  }
  return { harness, remoteName };
}

/**
 * The replies llama-server logged that are not in `seen` (added to it), waiting up to 2 s for at
 * least `atLeast`: its stderr is a pipe of its own, read in no fixed order with the HTTP socket.
 */
async function newReplies(server: RunningProcess, seen: Set<number>, atLeast = 1): Promise<number[]> {
  const deadline = performance.now() + 2000;
  for (;;) {
    const fresh = serverEvalRates(server.output()).filter((r) => !seen.has(r.task));
    if (fresh.length >= atLeast || performance.now() >= deadline) {
      for (const r of fresh) seen.add(r.task);
      return fresh.map((r) => r.tokensPerSecond);
    }
    await sleep(20);
  }
}

/**
 * Tokens/s at the app subscriber ÷ the server's rate for the same replies, and the subscriber's time
 * to first token (chat:send called → first onChatToken) − a bare client's, replies alternating.
 */
export async function fullStackStreaming(models: BenchModels, quick: boolean): Promise<Record<string, unknown>> {
  const replies = quick ? 4 : 10;
  const maxTokens = quick ? 64 : 128;
  const server = await startLlamaServer({ model: models.small, alias: 'small' });
  let started: Awaited<ReturnType<typeof startRemoteCore>> | null = null;
  try {
    started = await startRemoteCore(server, 'small', models.tiny, maxTokens);
    const { harness, remoteName } = started;
    await bareTtft(server.url, 'Warm-up.', 8);
    await sendAndMeasure(harness, 'Warm-up.');
    const logged = new Set<number>();
    await newReplies(server, logged, 2);
    const ratios: number[] = [];
    const seen: number[] = [];
    const serverRates: number[] = [];
    const stackTtft: number[] = [];
    const bare: number[] = [];
    const dropped: string[] = [];
    const quietWaits: Array<{ waitedMs: number; busy: number }> = [];
    const loadDuring: number[] = [];
    for (let i = 0; i < replies; i++) {
      quietWaits.push(await waitForQuiet(quick ? 2000 : 10_000));
      loadDuring.push(loadAverage()[0]!);
      // A short request first, not counted: after the quiet wait the first request pays for a cold
      // connection and caches; then the two sides in alternating order.
      await bareTtft(server.url, 'Warm-up.', 1);
      await newReplies(server, logged);
      await harness.core.handlers['chat:new']({});
      const measureBare = async () => {
        bare.push(await bareTtft(server.url, PROMPT_TEXT, maxTokens));
        await newReplies(server, logged);
      };
      if (i % 2 === 0) await measureBare();
      const reply = await sendAndMeasure(harness, PROMPT_TEXT);
      const rates = await newReplies(server, logged);
      if (i % 2 === 1) await measureBare();
      if (reply.model !== remoteName) {
        dropped.push(`reply ${i} came from ${reply.model || 'nowhere'}`);
        continue;
      }
      if (rates.length !== 1 || !(reply.tokensPerSecond > 0)) {
        dropped.push(`reply ${i}: ${rates.length} eval-time lines in the server log, ${round(reply.tokensPerSecond, 1)} tokens/s seen`);
        continue;
      }
      ratios.push(reply.tokensPerSecond / rates[0]!);
      seen.push(reply.tokensPerSecond);
      serverRates.push(rates[0]!);
      stackTtft.push(reply.ttftMs);
    }
    const ratio = round(median(ratios), 3);
    const overhead = round(median(stackTtft) - median(bare), 1);
    return {
      replies,
      measured: ratios.length,
      maxTokens,
      dropped,
      tokensPerSecondRatio: {
        ratio,
        seenTokensPerSecond: round(median(seen), 1),
        serverTokensPerSecond: round(median(serverRates), 1),
        allRatios: ratios.map((r) => round(r, 3)),
        target: '≥ 0.97',
        meetsTarget: ratio >= 0.97,
      },
      ttftOverhead: {
        overheadMs: overhead,
        stackTtftMs: round(median(stackTtft), 1),
        bareTtftMs: round(median(bare), 1),
        target: '≤ 15 ms',
        meetsTarget: overhead <= 15,
      },
      quietWaits,
      loadAverageDuring: loadDuring.map((l) => round(l, 2)),
    };
  } finally {
    await started?.harness.shutdown();
    await server.kill();
  }
}

/**
 * The server SIGKILLed by the subscriber at the first onChatToken of a reply from it → the first
 * onChatToken of the retried reply (a message of its own, on a local rung). The retry is stopped
 * there, the server restarted on its port, and the next kill waits for the app to move back.
 */
export async function fullStackFailover(models: BenchModels, kills: number): Promise<Record<string, unknown>> {
  let server = await startLlamaServer({ model: models.tiny, alias: 'remote-tiny' });
  let harness: CoreHarness | null = null;
  const times: number[] = [];
  const retriedOn: string[] = [];
  const problems: string[] = [];
  try {
    const started = await startRemoteCore(server, 'remote-tiny', models.medium, 2000);
    harness = started.harness;
    const h = harness;
    for (let i = 0; i < kills; i++) {
      if (i > 0) {
        const since = h.events.length;
        server = await startLlamaServer({ model: models.tiny, alias: 'remote-tiny', port: server.port });
        if (h.core.models.current?.name !== started.remoteName)
          await h.waitFor('onModelChanged', ({ model }) => model?.name === started.remoteName, 90_000, since);
      }
      await h.core.handlers['chat:new']({});
      const victim = server;
      let killedAt = 0;
      let killedMessage = '';
      // Killed from inside the subscriber, synchronously, at the first token it gets.
      const off = h.core.subscribe((event, payload) => {
        if (event !== 'onChatToken' || killedAt) return;
        killedAt = performance.now();
        killedMessage = (payload as { messageId: string }).messageId;
        victim.child.kill('SIGKILL');
      });
      const since = h.events.length;
      try {
        await h.core.handlers['chat:send']({ text: 'Tell me a long story' });
        const retried = await h.waitFor('onChatToken', ({ messageId }) => killedAt > 0 && messageId !== killedMessage, 30_000, since);
        times.push(retried.at - killedAt);
        const retryId = retried.payload.messageId;
        await h.core.handlers['chat:stop']({});
        const done = await h.waitFor('onChatMessage', ({ message }) => message.id === retryId && message.status !== 'streaming', 30_000, since);
        retriedOn.push(done.payload.message.model ?? '');
      } catch (error) {
        problems.push(`kill ${i}: ${(error as Error).message}\n${h.diagnose()}`);
        await Promise.resolve(h.core.handlers['chat:stop']({})).catch(() => undefined);
      } finally {
        off();
        await victim.kill();
      }
    }
  } finally {
    await harness?.shutdown();
    await server.kill();
  }
  return {
    kills,
    measured: times.length,
    medianMs: round(median(times), 0),
    maxMs: round(Math.max(...times), 0),
    allMs: times.map((t) => round(t, 0)),
    retriedOn: [...new Set(retriedOn)],
    problems,
    loadAverageAfter: loadAverage(),
  };
}
