/**
 * A real HTTP file server on 127.0.0.1 (random port) for download tests: Range requests (206,
 * Content-Range, Accept-Ranges, ETag, If-Range, 416), 404 for unknown paths, redirects, and
 * controls to misbehave on purpose: throttle, cut the connection mid-file once, stall mid-file once,
 * ignore Range. It records every request (method, path, Range, If-Range, status, bytes sent).
 */
import { open, stat } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  range: string | null;
  ifRange: string | null;
  status: number;
  /** Body bytes written for this request. */
  bytesSent: number;
}

export interface HttpModelServerOptions {
  /** URL path (e.g. '/models/a.gguf') → file on disk. */
  files: Record<string, string>;
  /** URL path → location, answered with 302. */
  redirects?: Record<string, string>;
}

const CHUNK = 64 * 1024;

export class HttpModelServer {
  /** Body bytes per second for every response; null = as fast as possible. */
  throttleBytesPerSecond: number | null = null;
  /** Answer Range requests with the whole file (200), like a server without resume support. */
  ignoreRange = false;
  readonly requests: RecordedRequest[] = [];

  private cutAfter: number | null = null;
  private stallAfter: number | null = null;
  private readonly server: http.Server;
  private readonly files = new Map<string, string>();
  private readonly redirects = new Map<string, string>();

  private constructor(options: HttpModelServerOptions) {
    for (const [p, f] of Object.entries(options.files)) this.files.set(p, f);
    for (const [p, to] of Object.entries(options.redirects ?? {})) this.redirects.set(p, to);
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch(() => res.destroy());
    });
  }

  /** Starts listening on 127.0.0.1 with a free port. */
  static async start(options: HttpModelServerOptions): Promise<HttpModelServer> {
    const server = new HttpModelServer(options);
    await new Promise<void>((resolve) => server.server.listen(0, '127.0.0.1', resolve));
    return server;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  url(urlPath: string): string {
    return `${this.baseUrl}${urlPath}`;
  }

  /** The next response body is cut (socket destroyed) after `bytes` bytes; once. */
  cutAfterBytes(bytes: number): void {
    this.cutAfter = bytes;
  }

  /** The next response body stops after `bytes` bytes and the socket stays open silently; once. */
  stallAfterBytes(bytes: number): void {
    this.stallAfter = bytes;
  }

  /** Range headers of the requests so far (null for requests without one). */
  get rangeHeaders(): (string | null)[] {
    return this.requests.map((r) => r.range);
  }

  /** Body bytes sent over all requests. */
  get bytesSent(): number {
    return this.requests.reduce((sum, r) => sum + r.bytesSent, 0);
  }

  /** Forgets recorded requests and disarms the controls. */
  reset(): void {
    this.requests.length = 0;
    this.cutAfter = null;
    this.stallAfter = null;
    this.throttleBytesPerSecond = null;
    this.ignoreRange = false;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const urlPath = new URL(req.url ?? '/', 'http://x').pathname;
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      path: urlPath,
      range: headerValue(req.headers.range),
      ifRange: headerValue(req.headers['if-range']),
      status: 0,
      bytesSent: 0,
    };
    this.requests.push(record);
    const redirect = this.redirects.get(urlPath);
    if (redirect) {
      record.status = 302;
      res.writeHead(302, { location: redirect, 'content-length': '0' }).end();
      return;
    }
    const file = this.files.get(urlPath);
    const info = file ? await stat(file).catch(() => null) : null;
    if (!file || !info?.isFile()) {
      record.status = 404;
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found');
      return;
    }
    const size = info.size;
    const etag = `"${size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
    const lastModified = info.mtime.toUTCString();
    const headers: Record<string, string> = { 'accept-ranges': 'bytes', etag, 'last-modified': lastModified, 'content-type': 'application/octet-stream' };

    let start = 0;
    let end = size - 1;
    let status = 200;
    // If-Range: the range only applies while the client's validator still matches this file.
    const rangeApplies = record.range !== null && !this.ignoreRange && (record.ifRange === null || record.ifRange === etag || record.ifRange === lastModified);
    if (rangeApplies && record.range) {
      const m = /^bytes=(\d+)-(\d*)$/.exec(record.range.trim());
      if (!m) {
        record.status = 416;
        res.writeHead(416, { ...headers, 'content-range': `bytes */${size}` }).end();
        return;
      }
      start = Number(m[1]);
      end = m[2] ? Math.min(Number(m[2]), size - 1) : size - 1;
      if (start >= size || start > end) {
        record.status = 416;
        res.writeHead(416, { ...headers, 'content-range': `bytes */${size}` }).end();
        return;
      }
      status = 206;
      headers['content-range'] = `bytes ${start}-${end}/${size}`;
    }
    headers['content-length'] = String(end - start + 1);
    record.status = status;
    res.writeHead(status, headers);
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    await this.sendBody(file, start, end, res, record);
  }

  private async sendBody(file: string, start: number, end: number, res: http.ServerResponse, record: RecordedRequest): Promise<void> {
    const cutAfter = this.cutAfter;
    const stallAfter = this.stallAfter;
    this.cutAfter = null;
    this.stallAfter = null;
    const fh = await open(file, 'r');
    const began = Date.now();
    try {
      let position = start;
      while (position <= end) {
        if (res.destroyed) return;
        const bps = this.throttleBytesPerSecond;
        // Small chunks when throttled so the rate is smooth rather than bursty.
        const chunkSize = bps ? Math.max(1024, Math.min(CHUNK, Math.floor(bps / 50))) : CHUNK;
        let length = Math.min(chunkSize, end - position + 1);
        const limit = cutAfter ?? stallAfter;
        if (limit !== null) length = Math.min(length, limit - record.bytesSent);
        if (length <= 0) break;
        const buffer = Buffer.alloc(length);
        const { bytesRead } = await fh.read(buffer, 0, length, position);
        if (bytesRead <= 0) break;
        const ok = res.write(buffer.subarray(0, bytesRead));
        record.bytesSent += bytesRead;
        position += bytesRead;
        if (!ok) await drained(res);
        if (bps) {
          const due = began + (record.bytesSent / bps) * 1000;
          const wait = due - Date.now();
          if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        }
      }
      if (cutAfter !== null && record.bytesSent >= cutAfter && position <= end) {
        // Let what was written reach the client, then drop the connection like a network cut.
        await new Promise<void>((resolve) => res.write('', () => resolve()));
        res.socket?.destroy();
        return;
      }
      if (stallAfter !== null && record.bytesSent >= stallAfter && position <= end) return; // say nothing more
      res.end();
    } finally {
      await fh.close();
    }
  }
}

/** Waits for 'drain' (or the client going away), leaving no listener behind. */
/** Resolves when `res` can take more data (or is gone). */
export function drained(res: http.ServerResponse): Promise<void> {
  if (res.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

function headerValue(value: string | string[] | undefined): string | null {
  if (value === undefined) return null;
  return Array.isArray(value) ? (value[0] ?? null) : value;
}
