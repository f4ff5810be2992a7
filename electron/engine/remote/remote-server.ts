/**
 * Talking to one OpenAI-compatible server: its address, the key sent to that origin only (never
 * after a redirect, never in a message or log line), the probes (`/health`, `/v1/models`, `/props`)
 * and the HTTP failures turned into sentences. The streaming reply itself is in remote-stream.ts.
 */
import type { z } from 'zod';
import { remoteModelsSchema, remotePropsSchema, type RemoteEngine } from '../../../shared/remote';
import { redact, RemoteError } from './remote-error';

/** Time a probe may take before the server counts as not answering, ms. */
export const DEFAULT_PROBE_TIMEOUT_MS = 5000;

/** What a probe of the server found. */
export interface ServerProbe {
  /** Model ids the server lists. */
  models: string[];
  /** Context size per slot, tokens, when the server says (llama-server's `/props`). */
  contextSize: number | null;
  /** Parallel slots, when the server says. */
  slots: number | null;
  /** Round trip of the `/v1/models` request, ms. */
  rttMs: number;
}

/** One server: requests go to its origin with its key. */
export class RemoteServer {
  /** The base URL without a trailing slash. */
  readonly baseUrl: string;
  /** `host:port`, how the user is told where a conversation goes. */
  readonly host: string;
  private readonly apiKey: string | undefined;

  constructor(engine: RemoteEngine) {
    const url = new URL(engine.baseUrl);
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new RemoteError('refused', `${url.protocol} is not a web address Mai can use for a server; use http:// or https://.`);
    // A base URL given with its /v1 suffix is accepted as the same server.
    const prefix = url.pathname.replace(/\/+$/, '').replace(/\/v1$/, '');
    this.baseUrl = `${url.origin}${prefix}`;
    this.host = url.host;
    this.apiKey = engine.apiKey || undefined;
  }

  /** Whether the address is plain http to a machine other than this one (the conversation crosses the network unencrypted). */
  get unencryptedOverNetwork(): boolean {
    const { protocol, hostname } = new URL(this.baseUrl);
    return protocol === 'http:' && !/^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/.test(hostname);
  }

  /** Removes the key from text that may echo it. */
  redact(text: string): string {
    return redact(text, this.apiKey);
  }

  /**
   * A request to `path` on this server. `redirect: 'error'`: a redirect could carry the key to
   * another origin, so none is followed.
   */
  async request(path: string, init: { method?: string; body?: unknown; signal?: AbortSignal; accept?: string } = {}): Promise<Response> {
    const headers: Record<string, string> = { accept: init.accept ?? 'application/json' };
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    if (this.apiKey) headers.authorization = `Bearer ${this.apiKey}`;
    try {
      return await fetch(`${this.baseUrl}${path}`, {
        method: init.method ?? 'GET',
        headers,
        redirect: 'error',
        ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
        ...(init.signal ? { signal: init.signal } : {}),
      });
    } catch (error) {
      if (init.signal?.aborted) throw error;
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? (error as Error).message;
      throw new RemoteError('unreachable', this.redact(`The server at ${this.host} could not be reached (${why}).`));
    }
  }

  /** Turns a failed HTTP answer into a RemoteError with a sentence; resolves for 2xx. */
  async assertOk(response: Response, what: string): Promise<void> {
    if (response.ok) return;
    const body = this.redact((await response.text().catch(() => '')).slice(0, 300));
    const detail = serverMessage(body);
    const { status } = response;
    if (status === 401 || status === 403) {
      throw new RemoteError(
        'unauthorized',
        `The server at ${this.host} refused the API key${this.apiKey ? '' : ' (none was given)'} (HTTP ${status}). Check the key in Mai's settings.`,
      );
    }
    if (status === 404 && what === 'model')
      throw new RemoteError('model-missing', `The server at ${this.host} does not serve that model${detail ? `: ${detail}` : ''}.`);
    if (status >= 500) throw new RemoteError('server-error', `The server at ${this.host} failed (HTTP ${status})${detail ? `: ${detail}` : ''}.`);
    if (/context|too long|exceed/i.test(detail))
      throw new RemoteError('context', `The conversation does not fit the server's context at ${this.host}: ${detail}`);
    throw new RemoteError('refused', `The server at ${this.host} refused the ${what} request (HTTP ${status})${detail ? `: ${detail}` : ''}.`);
  }

  /** Refuses an answer that is a web page instead of the API. */
  assertNotHtml(response: Response): void {
    const type = response.headers.get('content-type') ?? '';
    if (/text\/html/i.test(type))
      throw new RemoteError('html', `${this.host} answered with a web page, not an OpenAI-compatible API. Check the address (and the port).`);
  }

  /** GETs JSON from `path` and parses it with `schema`, within `timeoutMs`. */
  async getJson<T extends z.ZodType>(path: string, schema: T, timeoutMs = DEFAULT_PROBE_TIMEOUT_MS, signal?: AbortSignal): Promise<z.output<T>> {
    const timeout = AbortSignal.timeout(timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    try {
      const response = await this.request(path, { signal: combined });
      this.assertNotHtml(response);
      await this.assertOk(response, path);
      const parsed = schema.safeParse(await response.json().catch(() => undefined));
      if (!parsed.success) throw new RemoteError('malformed', `${this.host}${path} did not answer as an OpenAI-compatible server does.`);
      return parsed.data;
    } catch (error) {
      if (timeout.aborted && !signal?.aborted)
        throw new RemoteError('timeout', `The server at ${this.host} did not answer ${path} within ${Math.round(timeoutMs / 1000)} s.`);
      throw error;
    }
  }

  /**
   * Health, models, and (where the server has it) `/props`. `/health` is llama-server's: another
   * server without it is judged by `/v1/models` alone.
   */
  async probe(signal?: AbortSignal): Promise<ServerProbe> {
    const timeout = AbortSignal.timeout(DEFAULT_PROBE_TIMEOUT_MS);
    const health = await this.request('/health', { signal: signal ? AbortSignal.any([signal, timeout]) : timeout }).catch((error: unknown) => error as Error);
    if (health instanceof Error) {
      if (timeout.aborted && !signal?.aborted)
        throw new RemoteError('timeout', `The server at ${this.host} did not answer /health within ${DEFAULT_PROBE_TIMEOUT_MS / 1000} s.`);
      throw health;
    }
    // 503 is llama-server still loading its model; 404 a server without /health.
    if (health.status === 503) throw new RemoteError('server-error', `The server at ${this.host} is still loading its model.`);
    if (health.status === 401 || health.status === 403) await this.assertOk(health, 'health');
    await health.body?.cancel();
    const started = performance.now();
    const models = await this.getJson('/v1/models', remoteModelsSchema, DEFAULT_PROBE_TIMEOUT_MS, signal);
    const rttMs = performance.now() - started;
    const props = await this.getJson('/props', remotePropsSchema, DEFAULT_PROBE_TIMEOUT_MS, signal).catch(() => null);
    return {
      models: models.data.map((model) => model.id),
      contextSize: props?.default_generation_settings?.n_ctx ?? null,
      slots: props?.total_slots ?? null,
      rttMs,
    };
  }
}

/** The `error.message` (or `message`) of an OpenAI-style error body, else the start of the body. */
function serverMessage(body: string): string {
  try {
    const json = JSON.parse(body) as { error?: { message?: unknown } | string; message?: unknown };
    const message = typeof json.error === 'string' ? json.error : (json.error?.message ?? json.message);
    if (typeof message === 'string') return message.slice(0, 200);
  } catch {
    // Not JSON: the text itself, unless it is a page.
  }
  return /<html|<!doctype/i.test(body) ? '' : body.trim().slice(0, 200);
}
