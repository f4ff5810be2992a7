/**
 * The Hub through Mai's core against the fake Hub (tests/helpers/fake-hub.ts) on loopback: search
 * with paging, a repository's models grouped with their fit, a verified download pinned to a commit
 * with its provenance, a split model as one download, the token sent to the Hub only, and "verify
 * again". The engine is not started: none of this needs it.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import { writeSyntheticModels } from '../fixtures/synthetic-models';
import { FakeHub } from '../helpers/fake-hub';
import { EMPTY_REPO, FILLER_COUNT, GATED_REPO, hubRepos, REPO, SMALL_FILE, SPLIT_FIRST, TINY_FILE } from '../helpers/hub-fixtures';
import { testModelsDir } from '../helpers/models';
import { hubCore, modelFiles, settle, type HubCore } from '../helpers/hub-core';

let hub: FakeHub;
let tiny: string;
const cores: HubCore[] = [];

beforeAll(async () => {
  const [a, b] = await writeSyntheticModels(testModelsDir, ['mai-demo-1mb', 'mai-demo-30mb']);
  tiny = a as string;
  hub = await FakeHub.start(hubRepos({ tiny, small: b as string }));
});

afterEach(async () => {
  for (const c of cores.splice(0)) await c.dispose();
  hub.reset();
  hub.pageSize = 50;
});

afterAll(async () => {
  await hub?.close();
});

function start(env: NodeJS.ProcessEnv = {}): HubCore {
  const c = hubCore({ HF_ENDPOINT: hub.endpoint, ...env });
  cores.push(c);
  return c;
}

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('the Hub through the core', () => {
  it('searches GGUF repositories, most downloaded first, and pages with the Link header', async () => {
    hub.pageSize = 4;
    const { core } = start();
    const first = await core.handlers['hub:search']({ query: 'chat', cursor: null });
    expect(first.items.map((i) => i.repo)).toEqual([REPO, GATED_REPO, 'filler/Tiny-Chat-Variant-6-GGUF', 'filler/Tiny-Chat-Variant-5-GGUF']);
    expect(first.items[0]).toEqual({
      repo: REPO,
      downloads: 5000,
      likes: 42,
      lastModified: expect.stringMatching(/^2026-/),
      licence: 'apache-2.0',
      gated: false,
    });
    expect(first.items[1]?.gated).toBe(true);
    expect(first.nextCursor).toEqual(expect.any(String));
    const seen = [...first.items];
    for (let cursor = first.nextCursor; cursor;) {
      const page = await core.handlers['hub:search']({ query: 'chat', cursor });
      seen.push(...page.items);
      cursor = page.nextCursor;
    }
    // Every GGUF repository once; the one without GGUF files is not a search result.
    expect(seen.map((i) => i.repo).sort()).toEqual(
      [GATED_REPO, REPO, ...Array.from({ length: FILLER_COUNT }, (_, i) => `filler/Tiny-Chat-Variant-${i}-GGUF`)].sort(),
    );
    expect(hub.hubRequests.filter((r) => r.url.startsWith('/api/models?')).length).toBe(Math.ceil(seen.length / 4));
  });

  it('lists a repository’s chat models: split parts joined, the projector left out, quantization from the name, fit and layout read by a range request', async () => {
    hub.pageSize = 3; // the tree comes in pages too
    const { core } = start();
    const listing = await core.handlers['hub:repo']({ repo: REPO });
    expect(listing).toMatchObject({ repo: REPO, commit: hub.head(REPO), licence: 'apache-2.0', gated: false, message: null });
    expect(listing.files.map((f) => [f.file, f.quantization, f.parts.length])).toEqual([
      [SPLIT_FIRST, 'Q4_K_M', 3],
      [TINY_FILE, 'Q8_0', 1],
      [SMALL_FILE, 'F32', 1],
    ]);
    const split = listing.files[0];
    expect(split?.sizeBytes).toBe(readFileSync(tiny).length);
    // No resource sample yet in this core: the fit says so rather than guessing.
    expect(listing.files.every((f) => f.fit.kind === 'unknown' && !f.installed)).toBe(true);
    // The layout came from the first bytes of a file, through the CDN, by a ranged request.
    expect(hub.cdnRequests.some((r) => r.range?.startsWith('bytes=0-') && r.status === 206)).toBe(true);
    const treePages = hub.hubRequests.filter((r) => r.url.includes('/tree/'));
    expect(treePages.length).toBeGreaterThan(1);

    expect(await core.handlers['hub:repo']({ repo: EMPTY_REPO })).toMatchObject({ files: [], message: 'This repository has no GGUF files.' });
    await expect(core.handlers['hub:repo']({ repo: 'test-org/no-such-repo' })).rejects.toThrow('The repository test-org/no-such-repo was not found on');
  });

  it('says when a repository’s file list was truncated (more pages than Mai reads)', async () => {
    const id = `test-org/Many-Files-${Date.now()}-GGUF`;
    await hub.addRepo({
      id,
      files: [{ path: TINY_FILE, content: tiny }, ...Array.from({ length: 55 }, (_, i) => ({ path: `notes/n${i}.txt`, content: Buffer.from(`note ${i}`) }))],
    });
    hub.pageSize = 1;
    const { core } = start();
    const listing = await core.handlers['hub:repo']({ repo: id });
    expect(listing.message).toMatch(/The file list was truncated after 50 files; some models of this repository may be missing here\.$/);
    expect(hub.hubRequests.filter((r) => r.url.includes('/tree/'))).toHaveLength(50);
  });

  it('downloads a model pinned to the commit it resolved, verified against the Hub’s SHA-256, and records where it came from', async () => {
    const { core, modelsDir } = start();
    const commit = hub.head(REPO);
    const started = await core.handlers['hub:download']({ repo: REPO, file: TINY_FILE, revision: 'main' });
    expect(started.url).toBe(`${hub.endpoint}/${REPO}/resolve/${commit}/${TINY_FILE}`);
    const done = await settle(core, started.id);
    expect(done.state).toBe('done');
    expect(sha256(path.join(modelsDir, TINY_FILE))).toBe(sha256(tiny));
    // Every byte request named the commit, never the branch.
    const resolves = hub.hubRequests.filter((r) => r.url.includes('/resolve/'));
    expect(resolves.length).toBeGreaterThan(0);
    expect(resolves.every((r) => r.url.includes(`/resolve/${commit}/`))).toBe(true);
    // Installed in this repository's listing; not in another repository holding a file of the same name.
    expect((await core.handlers['hub:repo']({ repo: REPO })).files.find((f) => f.file === TINY_FILE)?.installed).toBe(true);
    const other = `test-org/Same-Name-${Date.now()}-GGUF`;
    await hub.addRepo({ id: other, files: [{ path: TINY_FILE, content: tiny }] });
    expect((await core.handlers['hub:repo']({ repo: other })).files.find((f) => f.file === TINY_FILE)?.installed).toBe(false);
    const models = await core.handlers['models:list']({});
    const entry = models.find((m) => m.fileName === TINY_FILE);
    expect(entry?.provenance).toEqual({
      repo: REPO,
      files: [TINY_FILE],
      commit,
      sha256: [sha256(tiny)],
      endpoint: hub.endpoint,
      verifiedAt: expect.any(Number),
    });
    expect(await core.handlers['models:verify']({ path: path.join(modelsDir, TINY_FILE) })).toEqual({
      ok: true,
      message: `${TINY_FILE} matches the SHA-256 the Hub states for ${REPO} at commit ${commit.slice(0, 10)}.`,
    });
    // A changed byte is found by "verify again".
    const bytes = readFileSync(path.join(modelsDir, TINY_FILE));
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 1;
    writeFileSync(path.join(modelsDir, TINY_FILE), bytes);
    const again = await core.handlers['models:verify']({ path: path.join(modelsDir, TINY_FILE) });
    expect(again.ok).toBe(false);
    expect(again.message).toMatch(new RegExp(`^${TINY_FILE} has changed since it was downloaded`));
  });

  it('refuses a catalog pin that disagrees with the Hub, naming both checksums, and accepts one that agrees', async () => {
    const { core } = start();
    const commit = hub.head(REPO);
    await expect(core.hub.download({ repo: REPO, file: TINY_FILE, revision: commit, id: 'pinned-entry', pinnedSha256: 'f'.repeat(64) })).rejects.toThrow(
      `The catalog's pinned SHA-256 for ${TINY_FILE} (ffffffffffff…) disagrees with the Hub's (${sha256(tiny).slice(0, 12)}…) for ${REPO} at commit ${commit.slice(0, 10)}; the download was not started.`,
    );
    expect(core.downloads?.list()).toEqual([]);
    const agreed = await core.hub.download({ repo: REPO, file: TINY_FILE, revision: commit, id: 'pinned-entry', pinnedSha256: sha256(tiny) });
    expect((await settle(core, agreed.id)).state).toBe('done');
  });

  it('downloads every part of a split model as one download; the parts appear in the models folder together', async () => {
    const { core, modelsDir } = start();
    const started = await core.handlers['hub:download']({ repo: REPO, file: SPLIT_FIRST, revision: 'main' });
    expect(started.totalBytes).toBe(readFileSync(tiny).length);
    const done = await settle(core, started.id);
    expect(done).toMatchObject({ state: 'done', receivedBytes: readFileSync(tiny).length });
    const names = [1, 2, 3].map((k) => `Tiny-Chat-Q4_K_M-0000${k}-of-00003.gguf`);
    expect(modelFiles(modelsDir)).toEqual(names);
    expect(Buffer.concat(names.map((n) => readFileSync(path.join(modelsDir, n)))).equals(readFileSync(tiny))).toBe(true);
    // The library offers the split model once, at its whole size, with all parts in its provenance.
    const listed = (await core.handlers['models:list']({})).filter((m) => m.fileName.includes('Q4_K_M'));
    expect(listed.map((m) => [m.fileName, m.sizeBytes, m.provenance?.files.length])).toEqual([[names[0], readFileSync(tiny).length, 3]]);
    expect((await core.handlers['models:verify']({ path: path.join(modelsDir, names[0] as string) })).message).toMatch(/\(all 3 parts\) matches/);
    // Deleting it deletes every part and its record.
    expect(await core.handlers['models:remove']({ path: path.join(modelsDir, names[0] as string) })).toMatchObject({ removed: true });
    expect(modelFiles(modelsDir)).toEqual([]);
    expect(existsSync(path.join(modelsDir, '.mai-provenance', `${names[0]}.json`))).toBe(false);
  });

  it('sends the token to the Hub’s host only: never to the CDN, and never into a log', async () => {
    const token = 'hf_testTokenNeverLogged1234567890';
    hub.validTokens.add(token);
    hub.gatedAccess.set(GATED_REPO, new Set([token]));
    // The core's log sink, and the console too (anything logging around the sink).
    const printed: string[] = [];
    const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((level) =>
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void printed.push(args.map(String).join(' '))),
    );
    onTestFinished(() => spies.forEach((spy) => spy.mockRestore()));
    const { core, logs } = start({ HF_TOKEN: token });
    expect(await core.handlers['hub:token-status']({})).toEqual({ source: 'environment', endpoint: hub.endpoint, encrypted: null });
    await core.handlers['hub:repo']({ repo: GATED_REPO });
    const started = await core.handlers['hub:download']({ repo: GATED_REPO, file: 'Gated-Chat-Q8_0.gguf', revision: 'main' });
    expect((await settle(core, started.id)).state).toBe('done');
    expect(hub.hubRequests.length).toBeGreaterThan(0);
    expect(hub.hubRequests.every((r) => r.authorization === `Bearer ${token}`)).toBe(true);
    expect(hub.cdnRequests.length).toBeGreaterThan(0);
    expect(hub.cdnRequests.every((r) => r.authorization === null)).toBe(true);
    expect(logs.join('\n')).not.toContain(token);
    expect(printed.join('\n')).not.toContain(token);
  });

  it('keeps a token set in Settings in a file only the user can read, prefers it to HF_TOKEN, and forgets it', async () => {
    const { core, dataDir } = start({ HF_TOKEN: 'hf_fromEnvironment' });
    expect(await core.handlers['hub:set-token']({ token: 'hf_fromSettings' })).toEqual({ source: 'settings', endpoint: hub.endpoint, encrypted: false });
    const file = path.join(dataDir, 'hub-token');
    expect(readFileSync(file, 'utf8')).toBe('hf_fromSettings');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    // The fake Hub knows neither token: it refuses the one Mai sent, which is the one from Settings.
    await expect(core.handlers['hub:repo']({ repo: REPO })).rejects.toThrow(
      /refused the Hugging Face token \(HTTP 401: Invalid credentials in Authorization header\); set a valid token in Settings or remove it\.$/,
    );
    expect(hub.hubRequests.at(-1)?.authorization).toBe('Bearer hf_fromSettings');
    expect(await core.handlers['hub:set-token']({ token: null })).toEqual({ source: 'environment', endpoint: hub.endpoint, encrypted: null });
    expect(existsSync(file)).toBe(false);
  });
});
