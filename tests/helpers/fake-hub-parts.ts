/** The fake Hub's pieces that are not HTTP routing: stored files with their hashes, tree items, request logs. */
import { createHash } from 'node:crypto';
import { open, stat } from 'node:fs/promises';
import type http from 'node:http';
import type { FakeFile, HubRequest } from './fake-hub';

export interface StoredFile {
  path: string;
  content: Buffer | string;
  size: number;
  sha256: string;
  /** git blob id (sha1 of "blob <size>\0" + bytes) for non-LFS files; a stand-in for LFS ones. */
  oid: string;
  lfs: boolean;
}

export async function storeFile(file: FakeFile): Promise<StoredFile> {
  const lfs = file.lfs ?? file.path.endsWith('.gguf');
  let size: number;
  const sha256 = createHash('sha256');
  const sha1 = createHash('sha1');
  if (typeof file.content === 'string') {
    size = (await stat(file.content)).size;
    sha1.update(`blob ${size}\0`);
    const fh = await open(file.content, 'r');
    try {
      for await (const chunk of fh.createReadStream({ highWaterMark: 1 << 20 })) {
        sha256.update(chunk as Buffer);
        sha1.update(chunk as Buffer);
      }
    } finally {
      await fh.close().catch(() => undefined);
    }
  } else {
    size = file.content.byteLength;
    sha256.update(file.content);
    sha1.update(`blob ${size}\0`).update(file.content);
  }
  return { path: file.path, content: file.content, size, sha256: sha256.digest('hex'), oid: sha1.digest('hex'), lfs };
}

export function treeItem(f: StoredFile): Record<string, unknown> {
  return { type: 'file', oid: f.oid, size: f.size, path: f.path, ...(f.lfs ? { lfs: { oid: f.sha256, size: f.size, pointerSize: 134 } } : {}) };
}

export async function readPaths(req: http.IncomingMessage): Promise<string[]> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks).toString('utf8');
  if ((req.headers['content-type'] ?? '').includes('application/json')) {
    const parsed = JSON.parse(body) as { paths?: unknown };
    return Array.isArray(parsed.paths) ? parsed.paths.map(String) : [];
  }
  return new URLSearchParams(body).getAll('paths');
}

export function logEntry(req: http.IncomingMessage): HubRequest {
  const one = (v: string | string[] | undefined) => (Array.isArray(v) ? (v[0] ?? null) : (v ?? null));
  return {
    method: req.method ?? 'GET',
    url: req.url ?? '/',
    authorization: one(req.headers.authorization),
    range: one(req.headers.range),
    status: 0,
    bytesSent: 0,
    at: Date.now(),
  };
}

export function bearer(authorization: string | null): string | null {
  const m = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
  return m?.[1] ?? null;
}
