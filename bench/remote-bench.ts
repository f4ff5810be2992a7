/**
 * Remote rungs: what Mai's streaming path costs on top of a real llama-server on 127.0.0.1 (built
 * by build/llama-server.mjs), on the small synthetic model (one slot, one thread).
 *
 * - tokensPerSecondRatio: tokens/s as RemoteRuntime measures them (first to last piece of text)
 *   ÷ the server's own `timings.predicted_per_second` for the same replies; medians. Target ≥ 0.97.
 * - ttftOverhead: RemoteRuntime's time to first token − a bare client's (fetch, the bytes scanned
 *   for the first `"content":"` with text, no SSE parsing, no zod) on the same prompt, replies
 *   alternating; medians. Target ≤ 15 ms.
 *
 * Run alone: node build/run-ts.mjs bench/remote-bench.ts [--quick]
 */
import { RemoteRuntime } from '../electron/engine/remote/remote-runtime';
import { llamaServerMissing, startLlamaServer } from '../tests/helpers/llama-server';
import { ensureModels, median, round, waitForQuiet } from './bench-util';

const PROMPT = [{ role: 'user' as const, text: 'Tell me about the river.' }];

/** A bare client's time to first token, ms (the reference the overhead is measured against). */
async function bareTtft(url: string, maxTokens: number): Promise<number> {
  const started = performance.now();
  const response = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'small', messages: [{ role: 'user', content: PROMPT[0]!.text }], stream: true, max_tokens: maxTokens, seed: 1 }),
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

/** The remote group: see the file comment. */
export async function runRemoteBenchmarks({ quick }: { quick: boolean }): Promise<Record<string, unknown>> {
  if (llamaServerMissing) return { skipped: true, error: llamaServerMissing };
  const { small } = await ensureModels();
  const server = await startLlamaServer({ model: small, alias: 'small' });
  try {
    const runtime = new RemoteRuntime({ engine: { baseUrl: server.url }, log: () => {} });
    await runtime.load({ path: 'small' });
    const replies = quick ? 4 : 10;
    const maxTokens = quick ? 64 : 128;
    await waitForQuiet(quick ? 2000 : 10_000);
    // One warm-up of each, not counted.
    await bareTtft(server.url, 8);
    await runtime.generate({ requestId: 'warm', history: PROMPT, maxTokens: 8, seed: 1 }, () => {});
    const ratios: number[] = [];
    const seen: number[] = [];
    const serverRates: number[] = [];
    const maiTtft: number[] = [];
    const bare: number[] = [];
    for (let i = 0; i < replies; i++) {
      bare.push(await bareTtft(server.url, maxTokens));
      const result = await runtime.generate({ requestId: `b${i}`, history: PROMPT, maxTokens, seed: 1 }, () => {});
      const serverRate = runtime.lastServerTimings?.predicted_per_second ?? 0;
      if (serverRate > 0 && result.stats.tokensPerSecond > 0) ratios.push(result.stats.tokensPerSecond / serverRate);
      seen.push(result.stats.tokensPerSecond);
      serverRates.push(serverRate);
      maiTtft.push(result.stats.ttftMs);
    }
    const ratio = round(median(ratios), 3);
    const overhead = round(median(maiTtft) - median(bare), 1);
    return {
      replies,
      maxTokens,
      tokensPerSecondRatio: {
        ratio,
        seenTokensPerSecond: round(median(seen), 1),
        serverTokensPerSecond: round(median(serverRates), 1),
        target: '≥ 0.97',
        meetsTarget: ratio >= 0.97,
      },
      ttftOverhead: {
        overheadMs: overhead,
        maiTtftMs: round(median(maiTtft), 1),
        bareTtftMs: round(median(bare), 1),
        target: '≤ 15 ms',
        meetsTarget: overhead <= 15,
      },
    };
  } finally {
    await server.kill();
  }
}

if (process.argv[1]?.endsWith('remote-bench.ts')) {
  console.log(JSON.stringify(await runRemoteBenchmarks({ quick: process.argv.includes('--quick') }), null, 2));
}
