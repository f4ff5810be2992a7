/**
 * Hub downloads when things go wrong, through Mai's core against the fake Hub on loopback: a cut
 * and a restart of Mai (resumed, hash checked), `main` moved during a download, wrong bytes, and
 * every error a user must understand — each with its sentence and no file left among the models.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AppCoreOptions } from '../../electron/main/core/app-core';
import { writeSyntheticModels } from '../fixtures/synthetic-models';
import { FakeHub } from '../helpers/fake-hub';
import { GATED_REPO, hubRepos, REPO, SMALL_FILE, TINY_FILE } from '../helpers/hub-fixtures';
import { hubCore, modelFiles, partialFiles, settle, type HubCore } from '../helpers/hub-core';
import { testModelsDir } from '../helpers/models';

let hub: FakeHub;
let tiny: string;
let small: string;
const cores: HubCore[] = [];
const MB = 1024 * 1024;
/** Short retries so the give-up paths finish in a second or two. */
const quickRetries: AppCoreOptions['downloadOptions'] = { retryBaseDelayMs: 50, maxRetries: 2 };

beforeAll(async () => {
  const [a, b] = await writeSyntheticModels(testModelsDir, ['mai-demo-1mb', 'mai-demo-30mb']);
  tiny = a as string;
  small = b as string;
  hub = await FakeHub.start(hubRepos({ tiny, small }));
});

afterEach(async () => {
  for (const c of cores.splice(0)) await c.dispose();
  hub.reset();
});

afterAll(async () => {
  await hub?.close();
});

function start(env: NodeJS.ProcessEnv = {}, options: Partial<AppCoreOptions> = {}, root?: string): HubCore {
  const c = hubCore({ HF_ENDPOINT: hub.endpoint, ...env }, options, root);
  cores.push(c);
  return c;
}

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** Resolves once a download has at least `bytes` on disk. */
function progressed(c: HubCore, id: string, bytes: number): Promise<void> {
  return new Promise((resolve) => {
    const off = c.core.downloads?.on('progress', (p) => {
      if (p.id === id && p.receivedBytes >= bytes) {
        off?.();
        resolve();
      }
    });
  });
}

/** A port on 127.0.0.1 nothing listens on (connections are refused). */
function closedPort(): Promise<number> {
  return new Promise<number>((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Nothing of a failed download is left: no model, no partial file. */
function expectNothingLeft(c: HubCore): void {
  expect(modelFiles(c.modelsDir)).toEqual([]);
  expect(partialFiles(c.modelsDir)).toEqual([]);
}

describe('Hub downloads under faults', () => {
  it('resumes after a cut and a restart of Mai from the partial file; the final hash matches', async () => {
    const first = start();
    const size = readFileSync(small).length;
    hub.faults.cutAfterBytes = 8 * MB;
    const started = await first.core.handlers['hub:download']({ repo: REPO, file: SMALL_FILE, revision: 'main' });
    await progressed(first, started.id, 8 * MB);
    // Mai quits while the download waits to retry after the cut.
    await first.dispose({ keepFiles: true });
    cores.splice(cores.indexOf(first), 1);
    const partial = readFileSync(path.join(first.modelsDir, '.partial', `${SMALL_FILE}.part`)).length;
    expect(partial).toBeGreaterThanOrEqual(8 * MB);
    expect(partial).toBeLessThan(size);

    const second = start({}, {}, first.root);
    await second.core.prepare(); // restores the queue and resumes the download
    const done = await settle(second.core, started.id);
    expect(done.state).toBe('done');
    expect(sha256(path.join(second.modelsDir, SMALL_FILE))).toBe(sha256(small));
    // The second run asked only for the rest.
    expect(hub.cdnRequests.some((r) => r.range === `bytes=${partial}-` && r.status === 206)).toBe(true);
    expect(hub.cdnRequests.reduce((sum, r) => sum + r.bytesSent, 0)).toBeLessThan(size * 1.5);
  });

  it('keeps reading the first commit when main moves during the download', async () => {
    const c = start();
    await hub.addRepo({ id: 'test-org/Moving-GGUF', files: [{ path: 'moving-F32.gguf', content: small }] });
    const firstCommit = hub.head('test-org/Moving-GGUF');
    hub.faults.throttleBytesPerSecond = 20 * MB;
    const started = await c.core.handlers['hub:download']({ repo: 'test-org/Moving-GGUF', file: 'moving-F32.gguf', revision: 'main' });
    await progressed(c, started.id, 2 * MB);
    const secondCommit = await hub.commit('test-org/Moving-GGUF', [{ path: 'moving-F32.gguf', content: tiny }]);
    expect(secondCommit).not.toBe(firstCommit);
    hub.faults.throttleBytesPerSecond = null;
    hub.faults.cutAfterBytes = 1 * MB; // the resume after this cut asks again, after the move
    const done = await settle(c.core, started.id);
    expect(done.state).toBe('done');
    expect(sha256(path.join(c.modelsDir, 'moving-F32.gguf'))).toBe(sha256(small));
    const resolves = hub.hubRequests.filter((r) => r.url.includes('/resolve/'));
    expect(resolves.length).toBeGreaterThan(1);
    expect(resolves.every((r) => r.url.includes(`/resolve/${firstCommit}/`))).toBe(true);
    const models = await c.core.handlers['models:list']({});
    expect(models.find((m) => m.fileName === 'moving-F32.gguf')?.provenance?.commit).toBe(firstCommit);
  });

  it('refuses wrong bytes: the download fails with the checksum sentence and the file is deleted', async () => {
    const c = start();
    hub.faults.wrongBytesFrom = 1000;
    const started = await c.core.handlers['hub:download']({ repo: REPO, file: TINY_FILE, revision: 'main' });
    const failed = await settle(c.core, started.id);
    expect(failed.error?.code).toBe('checksum-mismatch');
    expect(failed.error?.message).toMatch(
      new RegExp(
        `^${TINY_FILE} is damaged or not the expected file: its SHA-256 starts [0-9a-f]{12}… but ${sha256(tiny).slice(0, 12)}… was expected\\. The partial download was deleted\\.$`,
      ),
    );
    expectNothingLeft(c);
  });

  it('restarts from zero when the CDN ignores Range after a cut, and still verifies', async () => {
    const c = start();
    hub.faults.cutAfterBytes = 4 * MB;
    hub.faults.ignoreRange = true;
    const started = await c.core.handlers['hub:download']({ repo: REPO, file: SMALL_FILE, revision: 'main' });
    expect((await settle(c.core, started.id)).state).toBe('done');
    expect(sha256(path.join(c.modelsDir, SMALL_FILE))).toBe(sha256(small));
    expect(hub.cdnRequests.some((r) => r.range !== null && r.status === 200)).toBe(true);
  });

  it('honours Retry-After on a 429 and retries 5xx with backoff', async () => {
    const c = start({}, { downloadOptions: quickRetries });
    hub.faults.rateLimited = { count: 1, retryAfterSeconds: 1 };
    await c.core.handlers['hub:repo']({ repo: REPO });
    const limited = hub.hubRequests.findIndex((r) => r.status === 429);
    expect(limited).toBe(0);
    // The next request waited the second the Hub asked for.
    expect((hub.hubRequests[1]?.at ?? 0) - (hub.hubRequests[0]?.at ?? 0)).toBeGreaterThanOrEqual(950);
    hub.reset();
    hub.faults.hubFaultScope = (method, pathname) => method === 'GET' && pathname.includes('/resolve/');
    hub.faults.serverError = { count: 2, status: 503 };
    const started = await c.core.handlers['hub:download']({ repo: REPO, file: TINY_FILE, revision: 'main' });
    expect((await settle(c.core, started.id)).state).toBe('done');
    expect(hub.hubRequests.filter((r) => r.status === 503)).toHaveLength(2);
  });

  it('fails a Hub call at once, naming the wait, when a 5xx asks for a long Retry-After', async () => {
    const c = start();
    hub.faults.serverError = { count: 100, status: 503, retryAfterSeconds: 3600 };
    await expect(c.core.handlers['hub:repo']({ repo: REPO })).rejects.toThrow(
      /had a server error \(HTTP 503 Service Unavailable\) while sending the listing; it asks to wait 3600 s, so try again later\.$/,
    );
    expect(hub.hubRequests).toHaveLength(1);
  });

  it.each([
    [
      'a repository that does not exist',
      { repo: 'test-org/Nope-GGUF', file: 'x.gguf' },
      /^The repository test-org\/Nope-GGUF was not found on 127\.0\.0\.1:\d+; check its name \(a private repository also needs a token that can read it\)\.$/,
    ],
    [
      'a file that is not in the repository',
      { repo: REPO, file: 'Missing-Q4_K_M.gguf' },
      /^Missing-Q4_K_M\.gguf is not in test-org\/Tiny-Chat-GGUF at commit [0-9a-f]{10}\.$/,
    ],
    [
      'a revision that does not exist',
      { repo: REPO, file: TINY_FILE, revision: 'v9' },
      /^test-org\/Tiny-Chat-GGUF has no branch, tag or commit named "v9" on 127\.0\.0\.1:\d+\.$/,
    ],
    [
      'a gated model without a token',
      { repo: GATED_REPO, file: 'Gated-Chat-Q8_0.gguf' },
      /^test-org\/Gated-Chat-GGUF is gated: open http:\/\/127\.0\.0\.1:\d+\/test-org\/Gated-Chat-GGUF, accept its conditions, then set a Hugging Face token in Settings \(or HF_TOKEN\) and try again\.$/,
    ],
  ])('refuses %s with a sentence before anything is downloaded', async (_what, request, sentence) => {
    const c = start();
    await expect(c.core.handlers['hub:download']({ revision: 'main', ...request })).rejects.toThrow(sentence);
    expectNothingLeft(c);
    expect(hub.cdnRequests).toEqual([]);
  });

  it('says when the token is refused, and when it has no access to a gated model', async () => {
    hub.validTokens.add('hf_valid');
    const refused = start({ HF_TOKEN: 'hf_wrong' });
    await expect(refused.core.handlers['hub:download']({ repo: REPO, file: TINY_FILE, revision: 'main' })).rejects.toThrow(
      /refused the Hugging Face token \(HTTP 401/,
    );
    const noAccess = start({ HF_TOKEN: 'hf_valid' });
    await expect(noAccess.core.handlers['hub:download']({ repo: GATED_REPO, file: 'Gated-Chat-Q8_0.gguf', revision: 'main' })).rejects.toThrow(
      /^Your Hugging Face token has no access to test-org\/Gated-Chat-GGUF yet: open http:\/\/127\.0\.0\.1:\d+\/test-org\/Gated-Chat-GGUF, accept its conditions while signed in, then try again\.$/,
    );
    expectNothingLeft(refused);
    expectNothingLeft(noAccess);
  });

  it('says when the Hub cannot be reached at all', async () => {
    const closed = await closedPort();
    const c = start({ HF_ENDPOINT: `http://127.0.0.1:${closed}` });
    await expect(c.core.handlers['hub:search']({ query: 'qwen', cursor: null })).rejects.toThrow(
      `Could not reach 127.0.0.1:${closed}: the connection was refused. Check the internet connection (or HF_ENDPOINT).`,
    );
    expectNothingLeft(c);
  });

  it('names the CDN, not the Hub, when only the CDN cannot be reached', async () => {
    const closed = await closedPort();
    const c = start({}, { downloadOptions: quickRetries });
    hub.faults.cdnOriginOverride = `http://127.0.0.1:${closed}`;
    const started = await c.core.handlers['hub:download']({ repo: REPO, file: TINY_FILE, revision: 'main' });
    const failed = await settle(c.core, started.id);
    expect(failed.state).toBe('failed');
    const hubHost = new URL(hub.endpoint).host;
    expect(failed.error?.message).toBe(
      `Could not reach 127.0.0.1:${closed}: the connection was refused. ${hubHost} answered, but sends the file from 127.0.0.1:${closed}: allow that host too in the firewall or proxy.`,
    );
    expectNothingLeft(c);
  });

  it('retries a CDN 403 (an expired signed link) with a fresh link from the Hub; no token complaint', async () => {
    hub.validTokens.add('hf_valid');
    const c = start({ HF_TOKEN: 'hf_valid' }, { downloadOptions: quickRetries });
    // Set first: resolving the download asks the Hub only (HEAD without following to the CDN).
    hub.faults.cdnForbidden = 1;
    const started = await c.core.handlers['hub:download']({ repo: REPO, file: TINY_FILE, revision: 'main' });
    const done = await settle(c.core, started.id);
    expect(done.state).toBe('done');
    expect(hub.cdnRequests.filter((r) => r.status === 403)).toHaveLength(1);
    // The retry went through the Hub again (a fresh redirect), and the CDN never saw the token.
    expect(hub.hubRequests.filter((r) => r.url.includes('/resolve/') && r.method === 'GET').length).toBeGreaterThanOrEqual(2);
    expect(hub.cdnRequests.every((r) => r.authorization === null)).toBe(true);
    expect(sha256(path.join(c.modelsDir, TINY_FILE))).toBe(sha256(tiny));
  });

  it('fails a download in progress with a sentence: a redirect loop, a long Retry-After, 5xx that does not end; nothing is left', async () => {
    const cases: Array<[() => void, RegExp]> = [
      [
        () => void (hub.faults.redirectLoop = true),
        /^127\.0\.0\.1:\d+ kept redirecting \(\d+ redirects\) while Mai fetched Tiny-Chat-Q8_0\.gguf; the download was stopped\. Try again later\.$/,
      ],
      [
        () => void (hub.faults.rateLimited = { count: 100, retryAfterSeconds: 3600 }),
        /is limiting requests \(HTTP 429 Too Many Requests\); it asks to wait 60 min, so try again later\.$/,
      ],
      [
        () => void (hub.faults.serverError = { count: 100, status: 502 }),
        /had a server error \(HTTP 502 Bad Gateway\) while sending Tiny-Chat-Q8_0\.gguf \(gave up after 2 retries\)\.$/,
      ],
    ];
    for (const [fault, sentence] of cases) {
      const c = start({}, { downloadOptions: quickRetries });
      // Only the bytes' requests meet the fault (resolving the download reads the API and a HEAD without following redirects).
      hub.faults.hubFaultScope = (method, pathname) => method === 'GET' && pathname.includes('/resolve/');
      fault();
      const started = await c.core.handlers['hub:download']({ repo: REPO, file: TINY_FILE, revision: 'main' });
      const failed = await settle(c.core, started.id);
      expect(failed.state).toBe('failed');
      expect(failed.error?.message).toMatch(sentence);
      expect(modelFiles(c.modelsDir)).toEqual([]);
      hub.reset();
    }
  });

  it('refuses a download the disk has no room for, with the sizes', async () => {
    const c = start({}, { downloadOptions: { statfs: async () => ({ bavail: 10, bsize: 4096 }), diskMarginBytes: 0 } });
    const started = await c.core.handlers['hub:download']({ repo: REPO, file: SMALL_FILE, revision: 'main' });
    const failed = await settle(c.core, started.id);
    expect(failed.error).toEqual({ code: 'disk-full', message: `Not enough disk space for ${SMALL_FILE}: needs 0.03 GB, 0.00 GB free on ${c.modelsDir}.` });
    expectNothingLeft(c);
  });
});
