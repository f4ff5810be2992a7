/**
 * The web host: the same core as the Electron app, served to a browser on 127.0.0.1 only. Every
 * HTTP request and the WebSocket need the random token (in the URL once, then an HttpOnly cookie);
 * the WebSocket also needs this page's Origin; the Host header must be loopback (DNS rebinding).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { appContract, type AppContract } from '../../../shared/contract';
import type { EmptyContract } from '../../../shared/engine-protocol';
import { RpcPeer, type MessagePortLike } from '../../../shared/rpc';
import type { AppCore } from '../core/app-core';
import { rendererCsp } from './csp';

export interface WebHostOptions {
  core: AppCore;
  /** The built renderer (index.html and assets). */
  rendererDir: string;
  /** 0 or absent: a random free port. */
  port?: number;
  /** Absent: 32 random bytes, hex. */
  token?: string;
  /** Largest WebSocket message accepted, bytes. Default 8 MiB. */
  maxMessageBytes?: number;
  log?: (message: string) => void;
}

export interface WebHost {
  url: string;
  port: number;
  token: string;
  /** Open WebSocket clients. */
  readonly clients: number;
  close(): Promise<void>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

function sameSecret(given: string | null | undefined, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function cookieToken(request: IncomingMessage): string | undefined {
  const header = request.headers.cookie ?? '';
  for (const part of header.split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === 'mai_token') return value.join('=');
  }
  return undefined;
}

export async function startWebHost(options: WebHostOptions): Promise<WebHost> {
  const token = options.token ?? randomBytes(32).toString('hex');
  const log = options.log ?? (() => {});
  const rendererDir = path.resolve(options.rendererDir);
  let port = 0;
  const allowedHosts = () => [`127.0.0.1:${port}`, `localhost:${port}`];
  const allowedOrigins = () => allowedHosts().map((host) => `http://${host}`);

  const authorized = (request: IncomingMessage, url: URL) => sameSecret(url.searchParams.get('token'), token) || sameSecret(cookieToken(request), token);

  const refuse = (response: ServerResponse, status: number, text: string) => {
    response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
    response.end(text);
  };

  const server = createServer((request, response) => {
    void (async () => {
      if (!allowedHosts().includes(request.headers.host ?? '')) return refuse(response, 421, 'Mai only answers on its loopback address.');
      const url = new URL(request.url ?? '/', `http://${request.headers.host}`);
      if (!authorized(request, url)) return refuse(response, 401, 'Mai needs the token from the address it printed at start.');
      if (request.method !== 'GET' && request.method !== 'HEAD') return refuse(response, 405, 'Only GET is served here.');
      const relative = url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname).replace(/^\/+/, '');
      const file = path.resolve(rendererDir, relative);
      if (!file.startsWith(rendererDir + path.sep)) return refuse(response, 404, 'Not found.');
      const body = await readFile(file).catch(() => null);
      if (!body) return refuse(response, 404, 'Not found.');
      const headers: Record<string, string> = {
        'Content-Type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream',
        'Content-Security-Policy': rendererCsp(allowedHosts().map((host) => `ws://${host}`)),
        'X-Content-Type-Options': 'nosniff',
        'Referrer-Policy': 'no-referrer',
        'Cross-Origin-Opener-Policy': 'same-origin',
        'Cache-Control': 'no-store',
      };
      if (url.searchParams.has('token')) headers['Set-Cookie'] = `mai_token=${token}; HttpOnly; SameSite=Strict; Path=/`;
      response.writeHead(200, headers);
      response.end(request.method === 'HEAD' ? undefined : body);
    })().catch((error: Error) => {
      log(`web host error: ${error.message}`);
      if (!response.headersSent) refuse(response, 500, 'Internal error.');
    });
  });

  const sockets = new WebSocketServer({ noServer: true, maxPayload: options.maxMessageBytes ?? 8 * 1024 * 1024 });
  server.on('upgrade', (request, socket, head) => {
    const url = new URL(request.url ?? '/', `http://${request.headers.host}`);
    const ok =
      url.pathname === '/ws' &&
      allowedHosts().includes(request.headers.host ?? '') &&
      allowedOrigins().includes(request.headers.origin ?? '') &&
      authorized(request, url);
    if (!ok) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n');
      return;
    }
    sockets.handleUpgrade(request, socket, head, (ws) => serveSocket(ws));
  });

  const serveSocket = (ws: WebSocket) => {
    const port: MessagePortLike = {
      send: (message) => {
        if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
      },
      onMessage(handler) {
        const listener = (data: Buffer, isBinary: boolean) => {
          if (isBinary) return handler(null);
          let parsed: unknown;
          try {
            parsed = JSON.parse(data.toString('utf8'));
          } catch {
            parsed = null; // RpcPeer refuses it as malformed.
          }
          handler(parsed);
        };
        ws.on('message', listener);
        return () => ws.off('message', listener);
      },
    };
    const peer = new RpcPeer<AppContract, EmptyContract>(port, appContract, null, options.core.handlers, (problem) => log(`refused from browser: ${problem}`));
    const unsubscribe = options.core.subscribe((event, payload) => peer.emit(event, payload));
    ws.on('close', () => {
      unsubscribe();
      peer.close();
    });
    ws.on('error', () => ws.terminate());
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    get clients() {
      return sockets.clients.size;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of sockets.clients) client.terminate();
        sockets.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
