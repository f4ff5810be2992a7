/**
 * The pure parts of the Hub client: file names to chat models (split parts, projectors,
 * quantization), the architecture from a GGUF file's first bytes, ETags to SHA-256, `Link` paging,
 * and the fetch rule that the token goes to the Hub's origin only, redirects are followed by hand
 * and a loop is stopped. The fetch is exercised against real HTTP listeners on 127.0.0.1.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { groupGgufFiles, quantizationOf } from '../../../electron/main/core/hub/gguf-files';
import { readGgufArchitecture } from '../../../electron/main/core/hub/gguf-head';
import { nextLink, sha256FromEtag } from '../../../electron/main/core/hub/hub-client';
import { createHubFetch } from '../../../electron/main/core/hub/hub-fetch';
import { hubEndpointFrom } from '../../../electron/main/core/hub';
import { DownloadFailure } from '../../../electron/main/core/downloads';

describe('GGUF files of a repository', () => {
  it.each([
    ['Qwen2.5-7B-Instruct-Q4_K_M.gguf', 'Q4_K_M'],
    ['Llama-3.2-1B-Instruct-IQ4_XS.gguf', 'IQ4_XS'],
    ['mistral-7b-instruct-v0.2.Q5_K_S.gguf', 'Q5_K_S'],
    ['gemma-3-4b-it-UD-Q4_K_XL.gguf', 'Q4_K_XL'],
    ['phi-4-bf16.gguf', 'BF16'],
    ['model-f16-00001-of-00002.gguf', 'F16'],
    ['Q8_0/Big-Model-Q8_0-00001-of-00004.gguf', 'Q8_0'],
    ['qwen2.5-0.5b-instruct-q4_0.gguf', 'Q4_0'],
    ['gpt-oss-20b-MXFP4.gguf', 'MXFP4'],
    ['model.gguf', null],
  ])('reads the quantization of %s', (name, expected) => {
    expect(quantizationOf(name)).toBe(expected);
  });

  it('joins complete split sets, leaves incomplete ones and projectors out, smallest first', () => {
    const f = (path: string, size: number) => ({ path, size, sha256: null });
    const models = groupGgufFiles([
      f('m-Q8_0.gguf', 800),
      f('Q4/m-Q4_K_M-00002-of-00002.gguf', 100),
      f('Q4/m-Q4_K_M-00001-of-00002.gguf', 300),
      f('m-F16-00001-of-00003.gguf', 500), // parts 2 and 3 missing
      f('mmproj-m-f16.gguf', 50),
      f('README.md', 1),
    ]);
    expect(models.map((m) => [m.file, m.parts.map((p) => p.path), m.sizeBytes, m.quantization])).toEqual([
      ['Q4/m-Q4_K_M-00001-of-00002.gguf', ['Q4/m-Q4_K_M-00001-of-00002.gguf', 'Q4/m-Q4_K_M-00002-of-00002.gguf'], 400, 'Q4_K_M'],
      ['m-Q8_0.gguf', ['m-Q8_0.gguf'], 800, 'Q8_0'],
    ]);
  });
});

/** A GGUF header with the given metadata (strings, u32 and string arrays). */
function gguf(meta: Array<[string, string | number | string[]]>): Buffer {
  const parts: Buffer[] = [Buffer.from('GGUF'), u32(3), u64(0), u64(meta.length)];
  const str = (s: string) => Buffer.concat([u64(Buffer.byteLength(s)), Buffer.from(s)]);
  for (const [key, value] of meta) {
    parts.push(str(key));
    if (typeof value === 'string') parts.push(u32(8), str(value));
    else if (typeof value === 'number') parts.push(u32(4), u32(value));
    else parts.push(u32(9), u32(8), u64(value.length), ...value.map(str));
  }
  return Buffer.concat(parts);
}
function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}
function u64(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b;
}

describe('architecture from the first bytes', () => {
  const header = gguf([
    ['general.architecture', 'qwen2'],
    ['general.tags', ['a', 'b']],
    ['qwen2.block_count', 28],
    ['qwen2.context_length', 32768],
    ['qwen2.embedding_length', 3584],
    ['qwen2.attention.head_count', 28],
    ['qwen2.attention.head_count_kv', 4],
    ['tokenizer.ggml.tokens', Array.from({ length: 1000 }, (_, i) => `tok${i}`)],
  ]);

  it('reads layers, KV heads, head size (embedding ÷ heads without key_length) and context', () => {
    expect(readGgufArchitecture(header)).toEqual({
      kind: 'found',
      value: { architecture: 'qwen2', layers: 28, kvHeads: 4, headDim: 128, contextLength: 32768 },
    });
  });

  it('asks for more bytes when the buffer ends first, and refuses what is not GGUF', () => {
    expect(readGgufArchitecture(header.subarray(0, 100))).toEqual({ kind: 'need-more' });
    expect(readGgufArchitecture(Buffer.from('<html>not a model</html>'))).toMatchObject({ kind: 'invalid' });
  });
});

describe('Hub headers', () => {
  it('takes the SHA-256 from X-Linked-Etag with quotes and W/ stripped', () => {
    const sha = 'ab'.repeat(32);
    expect(sha256FromEtag(`"${sha}"`)).toBe(sha);
    expect(sha256FromEtag(`W/"${sha.toUpperCase()}"`)).toBe(sha);
    expect(sha256FromEtag('"a1b2c3"')).toBeNull(); // a git blob id, not an LFS SHA-256
  });

  it('finds the next page in a Link header', () => {
    expect(nextLink('<https://huggingface.co/api/models?cursor=abc>; rel="next"')).toBe('https://huggingface.co/api/models?cursor=abc');
    expect(nextLink('<https://x/prev>; rel="prev", <https://x/next>; rel="next"')).toBe('https://x/next');
    expect(nextLink(null)).toBeNull();
  });
});

describe('HF_ENDPOINT', () => {
  it('defaults to huggingface.co, drops trailing slashes, and reports a value that is not an http(s) address', () => {
    const warnings: string[] = [];
    const warn = (m: string) => warnings.push(m);
    expect(hubEndpointFrom({}, warn)).toBe('https://huggingface.co');
    expect(hubEndpointFrom({ HF_ENDPOINT: 'https://hf-mirror.example/' }, warn)).toBe('https://hf-mirror.example');
    expect(hubEndpointFrom({ HF_ENDPOINT: 'ftp://x' }, warn)).toBe('https://huggingface.co');
    expect(warnings).toEqual(['HF_ENDPOINT="ftp://x" is not an http(s) address; https://huggingface.co is used.']);
  });
});

describe('createHubFetch', () => {
  const seen: Array<{ server: 'hub' | 'cdn'; url: string; authorization: string | null }> = [];
  let hubServer: http.Server;
  let cdnServer: http.Server;
  const origin = (s: http.Server) => `http://127.0.0.1:${(s.address() as AddressInfo).port}`;

  beforeAll(async () => {
    const listener = (name: 'hub' | 'cdn') => (req: http.IncomingMessage, res: http.ServerResponse) => {
      seen.push({ server: name, url: req.url ?? '', authorization: req.headers.authorization ?? null });
      if (req.url === '/file') return void res.writeHead(302, { location: `${origin(cdnServer)}/blob` }).end();
      if (req.url === '/loop') return void res.writeHead(302, { location: `${origin(cdnServer)}/back` }).end();
      if (req.url === '/back') return void res.writeHead(302, { location: `${origin(hubServer)}/loop` }).end();
      if (req.url === '/gated') return void res.writeHead(401, { 'x-error-code': 'GatedRepo', 'x-error-message': 'Access restricted' }).end();
      if (req.url === '/echo')
        return void res.writeHead(401, { 'x-error-message': `Invalid credentials in Authorization header ${req.headers.authorization ?? ''}` }).end();
      res.writeHead(200, { 'content-type': 'text/plain' }).end('bytes');
    };
    hubServer = http.createServer(listener('hub'));
    cdnServer = http.createServer(listener('cdn'));
    await Promise.all([hubServer, cdnServer].map((s) => new Promise<void>((r) => s.listen(0, '127.0.0.1', r))));
  });
  afterAll(async () => {
    await Promise.all([hubServer, cdnServer].map((s) => new Promise<void>((r) => s.close(() => r()))));
  });

  it('sends the token to the Hub’s origin only, even when the caller set one, and follows the redirect to the CDN', async () => {
    const hubFetch = createHubFetch({ endpoint: origin(hubServer), token: () => 'hf_secret' });
    seen.length = 0;
    const response = await hubFetch(`${origin(hubServer)}/file`, { headers: { authorization: 'Bearer hf_secret' } });
    expect(await response.text()).toBe('bytes');
    expect(seen).toEqual([
      { server: 'hub', url: '/file', authorization: 'Bearer hf_secret' },
      { server: 'cdn', url: '/blob', authorization: null },
    ]);
  });

  it('stops a redirect loop with a sentence, and turns GatedRepo into one', async () => {
    const hubFetch = createHubFetch({ endpoint: origin(hubServer), token: () => null });
    const loop = await hubFetch(`${origin(hubServer)}/loop`).catch((e: unknown) => e);
    expect(loop).toBeInstanceOf(DownloadFailure);
    expect(loop).toMatchObject({ code: 'redirect-loop', message: expect.stringMatching(/kept redirecting \(\d+ redirects\)/) });
    const gated = await hubFetch(`${origin(hubServer)}/gated`).catch((e: unknown) => e);
    expect(gated).toMatchObject({ code: 'gated' });
  });

  it('never puts the token into a sentence, even when the server echoes it', async () => {
    const hubFetch = createHubFetch({ endpoint: origin(hubServer), token: () => 'hf_echoedSecret' });
    const refused = (await hubFetch(`${origin(hubServer)}/echo`).catch((e: unknown) => e)) as DownloadFailure;
    expect(refused.code).toBe('token-refused');
    expect(refused.message).toContain('Bearer [token]');
    expect(refused.message).not.toContain('hf_echoedSecret');
  });
});
