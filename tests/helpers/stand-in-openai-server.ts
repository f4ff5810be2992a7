/**
 * A stand-in OpenAI-compatible server on 127.0.0.1, for the one edge a real llama-server cannot be
 * made to show: a broken answer (malformed or oversized SSE event, a web page, a stream cut before
 * `[DONE]`, an error echoing the key). It follows OpenAI's streaming chat-completions format (`data:
 * {json}` events, `data: [DONE]` last) as llama-server speaks it; everything else is tested against
 * the real llama-server (tests/integration/remote-llama-server.test.ts). The model name in the
 * request picks the behaviour.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** Behaviours, chosen by the request's `model`. */
export type StandInModel = 'good' | 'malformed' | 'oversized' | 'html' | 'no-done' | 'server-error' | 'hang' | 'echo-key' | 'redirect';

export interface StandInServer {
  url: string;
  /** Authorization headers received, in order. */
  authorizations: Array<string | undefined>;
  /** Where `redirect` sends the client. */
  redirectTo: string | null;
  close(): Promise<void>;
}

const chunk = (content: string, finish: string | null = null) =>
  `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content }, finish_reason: finish }] })}\n\n`;

/** Starts the stand-in; `apiKey` set: requests without `Bearer <apiKey>` get 401. */
export async function startStandInServer(apiKey?: string): Promise<StandInServer> {
  const state: StandInServer = { url: '', authorizations: [], redirectTo: null, close: async () => {} };
  const server = http.createServer((req, res) => {
    state.authorizations.push(req.headers.authorization);
    if (apiKey && req.headers.authorization !== `Bearer ${apiKey}`) {
      res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'Invalid API Key', type: 'authentication_error' } }));
      return;
    }
    if (req.url === '/health') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    if (req.url === '/v1/models') return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ object: 'list', data: [] }));
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions') return void res.writeHead(404).end();
    let body = '';
    req.on('data', (data: Buffer) => (body += data.toString()));
    req.on('end', () => {
      const model = (JSON.parse(body) as { model: StandInModel }).model;
      const sse = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' };
      switch (model) {
        case 'good':
          res.writeHead(200, sse);
          res.end(`${chunk('Hello')}${chunk(' there')}${chunk('', 'stop')}data: [DONE]\n\n`);
          return;
        case 'malformed':
          res.writeHead(200, sse);
          res.end(`${chunk('Hello')}data: {"choices": [ oops\n\ndata: [DONE]\n\n`);
          return;
        case 'oversized':
          res.writeHead(200, sse);
          res.end(`${chunk('Hello')}data: {"choices":[{"delta":{"content":"${'x'.repeat(400_000)}"}}]}\n\ndata: [DONE]\n\n`);
          return;
        case 'html':
          res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><html><body>Sign in to the proxy</body></html>');
          return;
        case 'no-done':
          res.writeHead(200, sse);
          res.end(`${chunk('Hello')}${chunk(' the')}`);
          return;
        case 'server-error':
          res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'out of memory on the GPU' } }));
          return;
        case 'echo-key':
          res.writeHead(500, { 'content-type': 'text/plain' }).end(`bad request with header ${req.headers.authorization}`);
          return;
        case 'redirect':
          res.writeHead(307, { location: state.redirectTo ?? '/' }).end();
          return;
        case 'hang':
          // Headers and one token, then silence: a server that stopped mid-reply.
          res.writeHead(200, sse);
          res.write(chunk('Hello'));
          return;
        default:
          res.writeHead(404).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}
