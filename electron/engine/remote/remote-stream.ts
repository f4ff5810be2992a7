/**
 * One streamed reply from `/v1/chat/completions` (`stream: true`): the SSE events read as they
 * arrive, each parsed with zod, text handed on at once, `usage` and llama-server's `timings` kept
 * from the last events. Stop aborts the request; no byte for `idleTimeoutMs` aborts it as a hang.
 * Every way the stream can go wrong ends in a RemoteError with a sentence.
 */
import { chatChunkSchema, type RemoteTimings } from '../../../shared/remote';
import { RemoteError } from './remote-error';
import type { RemoteServer } from './remote-server';
import { SseReader } from './sse';

/** One message as the OpenAI API takes it. */
export interface ApiMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** What to stream and how long to wait. */
export interface StreamRequest {
  model: string;
  messages: ApiMessage[];
  maxTokens: number;
  temperature?: number;
  seed?: number;
  /** Stop: aborting it ends the reply with the text so far (not an error). */
  signal: AbortSignal;
  /** No byte for this long (waiting for the answer, or between two events) is a hang, ms. */
  idleTimeoutMs: number;
  /** Cap on one SSE event, bytes. */
  maxEventBytes: number;
}

/** How the reply went, with the times the engine's figures are made of (performance.now(), ms). */
export interface StreamOutcome {
  text: string;
  /** The server's `finish_reason` (`stop`, `length`), or null when stopped by the user. */
  finishReason: string | null;
  aborted: boolean;
  /** Events that carried text (llama-server sends one per token). */
  chunks: number;
  startedAt: number;
  firstAt: number;
  lastAt: number;
  endedAt: number;
  /** Generated tokens as the server counts them (`usage.completion_tokens`), when it says. */
  completionTokens: number | null;
  /** llama-server's own figures for this reply. */
  timings: RemoteTimings | null;
}

/** Streams one reply; `onText` hears each piece of text as it arrives. */
export async function streamChat(server: RemoteServer, request: StreamRequest, onText: (text: string) => void): Promise<StreamOutcome> {
  const hang = new AbortController();
  let idle: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(idle);
    idle = setTimeout(() => hang.abort(), request.idleTimeoutMs);
  };
  const outcome: StreamOutcome = {
    text: '',
    finishReason: null,
    aborted: false,
    chunks: 0,
    startedAt: performance.now(),
    firstAt: 0,
    lastAt: 0,
    endedAt: 0,
    completionTokens: null,
    timings: null,
  };
  const signal = AbortSignal.any([request.signal, hang.signal]);
  const body = {
    model: request.model,
    messages: request.messages,
    stream: true,
    // vLLM and OpenAI send usage on a last chunk only when asked; llama-server sends timings anyway.
    stream_options: { include_usage: true },
    max_tokens: request.maxTokens,
    ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
    ...(request.seed !== undefined ? { seed: request.seed } : {}),
  };
  arm();
  try {
    const response = await server.request('/v1/chat/completions', { method: 'POST', body, signal, accept: 'text/event-stream' });
    arm();
    server.assertNotHtml(response);
    await server.assertOk(response, 'model');
    if (!response.body) throw new RemoteError('incomplete', `The server at ${server.host} sent no reply body.`);
    const reader = new SseReader(request.maxEventBytes, `The server at ${server.host}`);
    let done = false;
    for await (const bytes of response.body as unknown as AsyncIterable<Uint8Array>) {
      arm();
      for (const data of reader.push(bytes)) {
        if (data === '[DONE]') {
          done = true;
          break;
        }
        take(server, data, outcome, onText);
      }
      if (done) break;
    }
    if (!done) {
      throw new RemoteError(
        'incomplete',
        `The reply from ${server.host} stopped before it was finished (the stream ended without [DONE]${reader.midEvent ? ', in the middle of an event' : ''}).`,
      );
    }
  } catch (error) {
    if (request.signal.aborted) {
      outcome.aborted = true;
    } else if (hang.signal.aborted) {
      throw new RemoteError(
        'timeout',
        `The server at ${server.host} sent nothing for ${Math.round(request.idleTimeoutMs / 1000)} s; Mai gave up on the reply.`,
      );
    } else if (error instanceof RemoteError) {
      throw error;
    } else {
      // The connection dropped mid-body (the server was killed): undici says "terminated".
      throw new RemoteError('incomplete', server.redact(`The connection to ${server.host} broke during the reply (${(error as Error).message}).`));
    }
  } finally {
    clearTimeout(idle);
  }
  outcome.endedAt = performance.now();
  return outcome;
}

/** Reads one event into the outcome. */
function take(server: RemoteServer, data: string, outcome: StreamOutcome, onText: (text: string) => void): void {
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    throw new RemoteError('malformed', `The server at ${server.host} sent an event that is not JSON; Mai stopped reading the reply.`);
  }
  // An error sent inside the stream (llama-server and vLLM do this once streaming has begun).
  const streamed = (json as { error?: { message?: unknown } } | null)?.error;
  if (streamed) {
    const message = typeof streamed.message === 'string' ? streamed.message.slice(0, 200) : 'no reason given';
    throw new RemoteError('server-error', server.redact(`The server at ${server.host} failed during the reply: ${message}`));
  }
  const parsed = chatChunkSchema.safeParse(json);
  if (!parsed.success)
    throw new RemoteError('malformed', `The server at ${server.host} sent an event that is not a chat-completion chunk; Mai stopped reading the reply.`);
  const chunk = parsed.data;
  const choice = chunk.choices[0];
  const text = choice?.delta?.content;
  if (text) {
    outcome.lastAt = performance.now();
    if (!outcome.firstAt) outcome.firstAt = outcome.lastAt;
    outcome.chunks++;
    outcome.text += text;
    onText(text);
  }
  if (choice?.finish_reason) outcome.finishReason = choice.finish_reason;
  if (chunk.usage?.completion_tokens !== undefined) outcome.completionTokens = chunk.usage.completion_tokens;
  if (chunk.timings) outcome.timings = chunk.timings;
}
