/**
 * Real models from the Hugging Face Hub, through the UI in Debian's Chromium against the real web
 * host and engine, with `HF_ENDPOINT` pointed at the fake Hub (tests/helpers/fake-hub.ts: two real
 * listeners on 127.0.0.1, the Hub and its CDN; the real Hub cannot be reached from the test
 * machines). The chat model it serves is built on Qwen2's real BPE tokenizer and ChatML template
 * (tests/helpers/real-tokenizer-model.ts, docs/test-models.md), so after "Use" the reply comes from
 * a model that is not a demo and ends by itself; the other files are synthetic GGUFs. Covered:
 * search → repository → quantization → progress → verified → installed with its provenance →
 * Verify again → Use → a reply; a gated repository without a token and a file whose bytes do not
 * match the Hub's SHA-256, each refused with its sentence and no file left among the models; a
 * repository that is not on the Hub, a 429 with a long Retry-After and a 5xx that persists, each
 * with its sentence and no file, and a 5xx that passes, downloaded and verified; a repository with
 * no chat GGUF says so; the chat's first-real-model card (shown with demo models only, downloads on
 * click, gone afterwards, a dismissal remembered across a restart); a token saved in Settings
 * (never shown again, sent to the Hub and never to its CDN, forgotten on request).
 */
import { expect, test, type Locator, type Page } from '@playwright/test';
import { copyFileSync, existsSync, mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FakeHub } from '../helpers/fake-hub';
import { ensureTestModels, type TestModels } from '../helpers/models';
import { ensureRealTokenizerModel } from '../helpers/real-tokenizer-model';
import { startHost, type RunningHost } from './web-host';

const CHAT_REPO = 'test-org/Tiny-Chat-GGUF';
const Q4 = 'Tiny-Chat-Q4_K_M.gguf';
const Q8 = 'Tiny-Chat-Q8_0.gguf';
const GATED_REPO = 'test-org/Gated-Chat-GGUF';
const GATED_FILE = 'Gated-Chat-Q4_K_M.gguf';
const VISION_REPO = 'test-org/Vision-Projector-GGUF';

/** Generous: a reply of the real-tokenizer model ends by itself well before this. */
const MAX_TOKENS = 256;

let models: TestModels;
/** The Q4 file's bytes: a model on a real tokenizer and chat template (about 45 MB). */
let chatModel: string;
let hub: FakeHub;
let host: RunningHost | null = null;

test.beforeAll(async () => {
  models = await ensureTestModels();
  chatModel = await ensureRealTokenizerModel();
  hub = await FakeHub.start([
    {
      id: CHAT_REPO,
      licence: 'apache-2.0',
      downloads: 12_345,
      likes: 67,
      files: [
        { path: Q4, content: chatModel },
        { path: Q8, content: models.medium },
        // A vision projector is not a chat model: never offered.
        { path: 'mmproj-Tiny-Chat-f16.gguf', content: models.tiny },
        { path: 'README.md', content: Buffer.from('# Tiny chat\n'), lfs: false },
      ],
    },
    { id: GATED_REPO, gated: 'manual', licence: 'other', downloads: 50, likes: 2, files: [{ path: GATED_FILE, content: models.tiny }] },
    { id: VISION_REPO, licence: 'mit', downloads: 10, likes: 1, files: [{ path: 'mmproj-model-f16.gguf', content: models.tiny }] },
  ]);
  process.env.HF_ENDPOINT = hub.endpoint;
  delete process.env.HF_TOKEN;
});

test.afterAll(async () => {
  await hub?.close();
  delete process.env.HF_ENDPOINT;
});

test.afterEach(async () => {
  await host?.stop();
  host = null;
  hub.faults = { ...hub.faults, wrongBytesFrom: null, throttleBytesPerSecond: null, rateLimited: null, serverError: null };
  hub.pageSize = 50;
  delete process.env.MAI_TEST_CATALOG;
  delete process.env.MAI_TEST_HOOKS;
});

/** A fresh models folder holding only the 1 MB demo model. */
function demoFolder(): { dir: string; tiny: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mai-hub-models-'));
  const tiny = path.join(dir, path.basename(models.tiny));
  copyFileSync(models.tiny, tiny);
  return { dir, tiny };
}

async function start(dir: string, model: string, userData = mkdtempSync(path.join(os.tmpdir(), 'mai-hub-user-'))): Promise<RunningHost> {
  return startHost(['--models-dir', dir, '--user-data', userData, '--model', model, '--max-tokens', String(MAX_TOKENS)]);
}

/** "45 MiB": a size as the page writes it (renderer/lib/format.ts). */
const mib = (bytes: number) => `${Math.round(bytes / 2 ** 20)} MiB`;

/**
 * Sends `text` and checks what a user sees of a real model's reply: done by itself (nobody pressed
 * Stop) in fewer tokens than the limit, some text, no replacement characters, no demo label.
 */
async function expectRealReply(page: Page, text: string): Promise<void> {
  await page.getByTestId('composer-input').fill(text);
  await page.keyboard.press('Enter');
  const reply = page.getByTestId('message-assistant').last();
  await expect(reply).toHaveAttribute('data-status', 'done', { timeout: 60_000 });
  await expect(page.getByTestId('stop-button')).toHaveCount(0);
  const body = (await reply.locator('.message-body').innerText()).trim();
  expect(body.length).toBeGreaterThan(0);
  expect(body).not.toContain('\uFFFD');
  const tokens = Number(/(\d+) tokens ·/.exec(await reply.locator('.message-stats').innerText())?.[1]);
  expect(tokens).toBeGreaterThan(0);
  expect(tokens).toBeLessThan(MAX_TOKENS);
  await expect(page.getByTestId('model-name')).toContainText('Mai test model');
  await expect(page.getByTestId('model-name')).not.toContainText('demo');
}

async function ready(page: Page, running: RunningHost): Promise<void> {
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(running.url);
  try {
    await expect(page.getByTestId('engine-state')).toHaveAttribute('data-state', 'ready', { timeout: 60_000 });
  } catch (error) {
    throw new Error(`${(error as Error).message}\n--- web host output ---\n${running.output().slice(-4000)}`, { cause: error });
  }
}

async function openModels(page: Page): Promise<Locator> {
  await page.getByTestId('open-models').click();
  const dialog = page.getByRole('dialog', { name: 'Models' });
  await expect(dialog).toBeVisible();
  return dialog;
}

async function openRepo(dialog: Locator, query: string, repo: string): Promise<Locator> {
  await dialog.getByTestId('hub-search').fill(query);
  const result = dialog.locator(`[data-testid="hub-result"][data-repo="${repo}"]`);
  await expect(result).toBeVisible();
  await result.getByRole('button', { name: `Open ${repo}` }).click();
  const view = dialog.getByTestId('hub-repo');
  await expect(view).toHaveAttribute('data-repo', repo);
  return view;
}

/** GGUF files (finished ones) in a models folder. */
const ggufFiles = (dir: string) => readdirSync(dir).filter((name) => name.toLowerCase().endsWith('.gguf'));
/** Partial files left in the folder's download area. */
const partials = (dir: string) => (existsSync(path.join(dir, '.partial')) ? readdirSync(path.join(dir, '.partial')) : []);

test('search → repository → quantization → progress → verified and installed with its provenance → Verify again → Use → a reply', async ({ page }) => {
  test.setTimeout(180_000);
  const folder = demoFolder();
  host = await start(folder.dir, folder.tiny);
  await ready(page, host);
  const dialog = await openModels(page);

  // Results carry what the Hub says of each repository, as text.
  await dialog.getByTestId('hub-search').fill('Tiny-Chat');
  const result = dialog.locator(`[data-testid="hub-result"][data-repo="${CHAT_REPO}"]`);
  await expect(result).toBeVisible();
  await expect(result.getByTestId('hub-downloads')).toHaveText('12k downloads');
  await expect(result.getByTestId('hub-likes')).toHaveText('67 likes');
  await expect(result.getByTestId('hub-licence')).toHaveText('apache-2.0');
  await expect(result.getByTestId('hub-updated')).toHaveText(/^Updated /);
  await expect(result.getByTestId('hub-gated')).toHaveCount(0);
  // The search went to the Hub's models API, filtered to GGUF.
  expect(hub.hubRequests.some((r) => r.url.startsWith('/api/models?') && /search=Tiny-Chat/.test(r.url) && /filter=gguf/.test(r.url))).toBe(true);

  await result.getByRole('button', { name: `Open ${CHAT_REPO}` }).click();
  const view = dialog.getByTestId('hub-repo');
  // Grouped by quantization, with size and fit; the vision projector is not offered.
  await expect(view.getByTestId('hub-quant-group')).toHaveCount(2);
  await expect(view.locator('[data-testid="hub-quant-group"][data-quantization="Q4_K_M"]')).toBeVisible();
  await expect(view.locator('[data-testid="hub-quant-group"][data-quantization="Q8_0"]')).toBeVisible();
  await expect(view.getByText(/mmproj/)).toHaveCount(0);
  const q4 = view.locator(`[data-testid="hub-file"][data-file="${Q4}"]`);
  await expect(q4.getByTestId('hub-file-size')).toHaveText(mib(hub.fileInfo(CHAT_REPO, Q4).size));
  await expect(q4.getByTestId('fit-badge')).toHaveText(/^(Full GPU|Partly on GPU|Fits on CPU|Does not fit|Measuring…)$/);

  // Slow enough to see the bar move (~9 s for 45 MB).
  hub.faults.throttleBytesPerSecond = 5e6;
  await q4.getByRole('button', { name: `Download ${Q4}` }).click();
  const download = dialog.locator('[data-testid^="download-"][data-state]').filter({ hasText: Q4 });
  await expect(download).toHaveAttribute('data-state', /downloading|verifying|done/);
  const bar = download.getByRole('progressbar');
  await expect.poll(async () => Number(await download.getAttribute('data-received')), { timeout: 30_000 }).toBeGreaterThan(0);
  await expect(bar).toBeVisible();
  hub.faults.throttleBytesPerSecond = null;
  await expect(download).toHaveAttribute('data-state', 'done', { timeout: 60_000 });
  await expect(download.getByTestId('download-state')).toHaveText('Verified and installed');
  // The file's row now says installed.
  await expect(q4.getByTestId('hub-download')).toHaveText('Installed');

  const landed = path.join(folder.dir, Q4);
  const row = dialog.locator(`[data-testid="installed-model"][data-path="${landed}"]`);
  await expect(row).toBeVisible();
  const { sha256 } = hub.fileInfo(CHAT_REPO, Q4);
  await expect(row.getByTestId('provenance-repo')).toHaveText(`From ${CHAT_REPO}`);
  await expect(row.getByTestId('provenance-commit')).toHaveText(`commit ${hub.head(CHAT_REPO).slice(0, 7)}`);
  await expect(row.getByTestId('provenance-sha')).toContainText(sha256.slice(0, 12));
  await row.getByTestId('verify-again').click();
  await expect(row.getByTestId('verify-result')).toHaveAttribute('role', 'status');
  await expect(row.getByTestId('verify-result')).not.toBeEmpty();

  await row.getByRole('button', { name: 'Use Tiny-Chat-Q4_K_M' }).click();
  await expect(row).toHaveAttribute('data-in-use', 'true', { timeout: 60_000 });
  await page.screenshot({ path: path.join('test-results', 'screenshots', 'hub-installed.png') });
  // Installed from the Hub, it is not a demo.
  await expect(row.getByText('Demo · gibberish')).toHaveCount(0);
  await dialog.getByTestId('models-close').click();
  await expect(page.getByTestId('model-select')).toHaveValue(landed);
  // The downloaded model answers with its own tokenizer and template, and stops by itself.
  await expectRealReply(page, 'Hello! Café 🎉');
});

test('results page with More results; a gated repository without a token and a file with the wrong bytes are refused with their sentences, and no file is left among the models', async ({
  page,
}) => {
  test.setTimeout(150_000);
  const folder = demoFolder();
  host = await start(folder.dir, folder.tiny);
  await ready(page, host);
  const dialog = await openModels(page);
  const before = ggufFiles(folder.dir);

  // Paging: two results a page, sorted by downloads; "More results" brings the third.
  hub.pageSize = 2;
  await dialog.getByTestId('hub-search').fill('-GGUF');
  const results = dialog.getByTestId('hub-result');
  await expect(results).toHaveCount(2);
  await expect(results.nth(0)).toHaveAttribute('data-repo', CHAT_REPO);
  await expect(results.nth(1)).toHaveAttribute('data-repo', GATED_REPO);
  await dialog.getByTestId('hub-more').click();
  await expect(results).toHaveCount(3);
  await expect(results.nth(2)).toHaveAttribute('data-repo', VISION_REPO);
  await expect(dialog.getByTestId('hub-more')).toHaveCount(0);
  hub.pageSize = 50;
  await dialog.getByTestId('hub-search').fill('');

  // A repository with only a vision projector has nothing to offer, and says so.
  const vision = await openRepo(dialog, 'Vision-Projector', VISION_REPO);
  await expect(vision.getByTestId('hub-repo-empty')).not.toBeEmpty();
  await expect(vision.getByTestId('hub-download')).toHaveCount(0);
  await vision.getByTestId('hub-back').click();

  // Gated, no token: the sentence names the model page where the licence is accepted.
  await dialog.getByTestId('hub-search').fill('');
  const gated = await openRepo(dialog, 'Gated-Chat', GATED_REPO);
  await expect(gated.getByTestId('hub-gated')).toBeVisible();
  await gated.getByRole('button', { name: `Download ${GATED_FILE}` }).click();
  const gatedError = dialog.getByRole('alert').filter({ hasText: `${hub.endpoint}/${GATED_REPO}` });
  await expect(gatedError).toBeVisible({ timeout: 30_000 });
  expect(ggufFiles(folder.dir)).toEqual(before);
  // Nothing reached the CDN: the Hub refused before any byte.
  expect(hub.cdnRequests.filter((r) => r.url.includes(GATED_FILE))).toHaveLength(0);
  await gated.getByTestId('hub-back').click();

  // Wrong bytes from the CDN: refused after hashing, and deleted.
  hub.faults.wrongBytesFrom = 4096;
  await dialog.getByTestId('hub-search').fill('');
  const chat = await openRepo(dialog, 'Tiny-Chat', CHAT_REPO);
  await chat
    .locator(`[data-testid="hub-file"][data-file="${Q8}"]`)
    .getByRole('button', { name: `Download ${Q8}` })
    .click();
  const download = dialog.locator('[data-testid^="download-"][data-state]').filter({ hasText: Q8 });
  await expect(download).toHaveAttribute('data-state', 'failed', { timeout: 60_000 });
  await expect(download.getByTestId('download-error')).toHaveText(/SHA-256/);
  expect(ggufFiles(folder.dir)).toEqual(before);
  expect(partials(folder.dir).filter((name) => name.includes('Tiny-Chat'))).toEqual([]);
  await expect(dialog.locator(`[data-testid="installed-model"][data-path="${path.join(folder.dir, Q8)}"]`)).toHaveCount(0);
  await page.screenshot({ path: path.join('test-results', 'screenshots', 'hub-errors.png') });
});

test('a repository that is not on the Hub, a 429 with a long Retry-After and a 5xx that persists each say so, and leave no file; a 5xx that passes is retried and the file verified', async ({
  page,
}) => {
  test.setTimeout(150_000);
  // A catalog entry whose repository has gone from the Hub (renamed or deleted since it was listed).
  const gone = { ...hub.fileInfo(CHAT_REPO, Q8) };
  process.env.MAI_TEST_HOOKS = '1';
  process.env.MAI_TEST_CATALOG = JSON.stringify({
    huggingFaceBaseUrl: hub.endpoint,
    replace: true,
    entries: [
      {
        id: 'gone-chat',
        name: 'Gone Chat',
        repo: 'test-org/Gone-Chat-GGUF',
        file: 'Gone-Chat-Q8_0.gguf',
        revision: hub.head(CHAT_REPO),
        sha256: gone.sha256,
        sizeBytes: gone.size,
      },
    ],
  });
  const folder = demoFolder();
  host = await start(folder.dir, folder.tiny);
  await ready(page, host);
  const dialog = await openModels(page);
  const before = ggufFiles(folder.dir);
  const host127 = new URL(hub.endpoint).host.replace(/\./g, '\\.');

  const entry = dialog.getByTestId('catalog-gone-chat');
  await entry.getByTestId('catalog-download').click();
  await expect(entry.getByTestId('download-start-error')).toHaveText(
    new RegExp(
      `^The repository test-org/Gone-Chat-GGUF was not found on ${host127}; check its name \\(a private repository also needs a token that can read it\\)\\.$`,
    ),
    { timeout: 30_000 },
  );
  expect(ggufFiles(folder.dir)).toEqual(before);
  expect(partials(folder.dir)).toEqual([]);

  const chat = await openRepo(dialog, 'Tiny-Chat', CHAT_REPO);
  const q8 = chat.locator(`[data-testid="hub-file"][data-file="${Q8}"]`);
  const cdnBefore = hub.cdnRequests.length;

  // 429 asking for ten minutes: said at once with the wait, not waited out with the page hanging.
  hub.faults.rateLimited = { count: 100, retryAfterSeconds: 600 };
  await q8.getByRole('button', { name: `Download ${Q8}` }).click();
  await expect(q8.getByTestId('hub-download-error')).toHaveText(
    new RegExp(`^${host127} is limiting requests \\(HTTP 429 Too Many Requests\\); it asks to wait 600 s, so try again later\\.$`),
    { timeout: 30_000 },
  );
  hub.faults.rateLimited = null;

  // 503 on every request: retried with backoff, then said.
  hub.faults.serverError = { count: 100, status: 503 };
  await q8.getByRole('button', { name: `Download ${Q8}` }).click();
  await expect(q8.getByTestId('hub-download-error')).toHaveText(new RegExp(`^${host127} had a server error \\(HTTP 503 Service Unavailable\\)`), {
    timeout: 30_000,
  });
  expect(hub.hubRequests.filter((r) => r.status === 503).length).toBeGreaterThan(1);
  hub.faults.serverError = null;
  // Neither reached the CDN, and nothing is among the models.
  expect(hub.cdnRequests.length).toBe(cdnBefore);
  expect(ggufFiles(folder.dir)).toEqual(before);
  expect(partials(folder.dir)).toEqual([]);
  await page.screenshot({ path: path.join('test-results', 'screenshots', 'hub-http-errors.png') });

  // Two 503s, then the Hub recovers: the download goes through, verified.
  hub.faults.serverError = { count: 2, status: 503 };
  await q8.getByRole('button', { name: `Download ${Q8}` }).click();
  const download = dialog.locator('[data-testid^="download-"][data-state]').filter({ hasText: Q8 });
  await expect(download).toHaveAttribute('data-state', 'done', { timeout: 60_000 });
  await expect(download.getByTestId('download-state')).toHaveText('Verified and installed');
  await expect(q8.getByTestId('hub-download-error')).toHaveCount(0);
  expect(hub.faults.serverError?.count).toBe(0);
  expect(ggufFiles(folder.dir).sort()).toEqual([...before, Q8].sort());
  expect(partials(folder.dir)).toEqual([]);
});

/**
 * A test catalog that replaces the real one: its only entry is the fake Hub's Q4 file (the
 * real-tokenizer model), recommended for every tier, so the card offers it on any machine.
 */
function firstModelCatalog(): string {
  const { sha256, size } = hub.fileInfo(CHAT_REPO, Q4);
  return JSON.stringify({
    huggingFaceBaseUrl: hub.endpoint,
    replace: true,
    entries: [
      {
        id: 'tiny-chat-q4',
        name: 'Tiny Chat',
        repo: CHAT_REPO,
        file: Q4,
        revision: hub.head(CHAT_REPO),
        sha256,
        sizeBytes: size,
        licence: 'apache-2.0',
        parameters: '0.01B',
        // The real-tokenizer model's shape (tests/fixtures/real-tokenizer-model.ts): 2 layers, 4 heads of 16.
        architecture: { layers: 2, kvHeads: 4, headDim: 16 },
        recommendedFor: ['minimal', 'small', 'medium', 'large', 'workstation'],
      },
    ],
  });
}

test('the first-real-model card: shown with demo models only, nothing downloads before the click, the model is downloaded, checked and used, and the card goes away', async ({
  page,
}) => {
  test.setTimeout(180_000);
  process.env.MAI_TEST_HOOKS = '1';
  process.env.MAI_TEST_CATALOG = firstModelCatalog();
  const folder = demoFolder();
  const cdnBefore = hub.cdnRequests.length;
  host = await start(folder.dir, folder.tiny);
  await ready(page, host);
  const card = page.getByTestId('first-model-card');
  await expect(card).toBeVisible();
  await expect(card.getByTestId('first-model-name')).toHaveText('Tiny Chat');
  await expect(card.getByTestId('first-model-size')).toHaveText(mib(hub.fileInfo(CHAT_REPO, Q4).size));
  await expect(card.getByTestId('first-model-licence')).toHaveText('apache-2.0');
  await expect(card.getByTestId('fit-badge')).toBeVisible();
  // Nothing was fetched from the CDN, and nothing is queued, before the click.
  expect(hub.cdnRequests.length).toBe(cdnBefore);
  expect(ggufFiles(folder.dir)).toEqual([path.basename(folder.tiny)]);

  hub.faults.throttleBytesPerSecond = 5e6;
  await card.getByTestId('first-model-download').click();
  await expect(card.getByTestId('first-model-progress')).toBeVisible();
  await expect.poll(async () => Number((await card.getByRole('progressbar').getAttribute('value')) ?? '0'), { timeout: 30_000 }).toBeGreaterThan(0);
  await page.screenshot({ path: path.join('test-results', 'screenshots', 'first-model-card-progress.png') });
  hub.faults.throttleBytesPerSecond = null;

  // Verified, checked, on the ladder and in use; the card is gone.
  const landed = path.join(folder.dir, Q4);
  await expect(page.getByTestId('model-select')).toHaveValue(landed, { timeout: 90_000 });
  await expect(card).toHaveCount(0);
  await expectRealReply(page, 'Hello');
  await expect(page.getByTestId('first-model-card')).toHaveCount(0);
});

test('dismissing the first-real-model card is remembered across a restart', async ({ page }) => {
  test.setTimeout(150_000);
  process.env.MAI_TEST_HOOKS = '1';
  process.env.MAI_TEST_CATALOG = firstModelCatalog();
  const folder = demoFolder();
  const userData = mkdtempSync(path.join(os.tmpdir(), 'mai-hub-user-'));
  host = await start(folder.dir, folder.tiny, userData);
  await ready(page, host);
  const card = page.getByTestId('first-model-card');
  await expect(card).toBeVisible();
  await card.getByTestId('first-model-dismiss').click();
  await expect(card).toHaveCount(0);

  await host.stop();
  host = await start(folder.dir, folder.tiny, userData);
  await ready(page, host);
  // The settings have been read (the switch shows the dismissal), and the card stays away.
  await page.getByTestId('open-settings').click();
  const settings = page.getByRole('dialog', { name: 'Settings' });
  await expect(settings.getByTestId('setting-firstModelCardDismissed')).toBeChecked();
  await page.keyboard.press('Escape');
  await expect(settings).toBeHidden();
  await expect(page.getByTestId('model-select')).toHaveValue(folder.tiny);
  await expect(page.getByTestId('first-model-card')).toHaveCount(0);
  // Nothing was downloaded.
  expect(ggufFiles(folder.dir)).toEqual([path.basename(folder.tiny)]);
});

test('a token saved in Settings is never shown again, opens the gated model, goes to the Hub only (never to its CDN), and can be forgotten', async ({
  page,
}) => {
  test.setTimeout(150_000);
  const token = `hf_test_${'x'.repeat(24)}`;
  hub.validTokens.add(token);
  hub.gatedAccess.set(GATED_REPO, new Set([token]));
  const folder = demoFolder();
  host = await start(folder.dir, folder.tiny);
  await ready(page, host);

  await page.getByTestId('open-settings').click();
  const settings = page.getByRole('dialog', { name: 'Settings' });
  const section = settings.getByTestId('hub-token-section');
  await expect(section.getByTestId('hub-token-source')).toHaveText(/^No token/);
  await expect(section.getByTestId('hub-endpoint')).toHaveText(hub.endpoint);
  await expect(section.getByTestId('hub-token-forget')).toBeDisabled();
  const input = section.getByLabel('Access token');
  await expect(input).toHaveAttribute('type', 'password');
  await input.fill(token);
  await input.press('Enter');
  await expect(section.getByTestId('hub-token-outcome')).toHaveText('Token saved.');
  await expect(section.getByTestId('hub-token-source')).toHaveText('A token saved here is in use.');
  // The field is emptied and the page holds the token nowhere.
  await expect(input).toHaveValue('');
  expect(await page.content()).not.toContain(token);
  await page.screenshot({ path: path.join('test-results', 'screenshots', 'settings-token.png') });
  await page.keyboard.press('Escape');
  await expect(settings).toBeHidden();

  const cdnBefore = hub.cdnRequests.length;
  const hubBefore = hub.hubRequests.length;
  const dialog = await openModels(page);
  const gated = await openRepo(dialog, 'Gated-Chat', GATED_REPO);
  await gated.getByRole('button', { name: `Download ${GATED_FILE}` }).click();
  const download = dialog.locator('[data-testid^="download-"][data-state]').filter({ hasText: GATED_FILE });
  await expect(download).toHaveAttribute('data-state', 'done', { timeout: 60_000 });
  expect(ggufFiles(folder.dir)).toContain(GATED_FILE);
  // The Hub saw the token; the CDN never did.
  expect(hub.hubRequests.slice(hubBefore).some((r) => r.authorization === `Bearer ${token}`)).toBe(true);
  const cdn = hub.cdnRequests.slice(cdnBefore);
  expect(cdn.length).toBeGreaterThan(0);
  expect(cdn.every((r) => r.authorization === null)).toBe(true);
  // Nor is it in Mai's output.
  expect(host.output()).not.toContain(token);
  await dialog.getByTestId('models-close').click();

  await page.getByTestId('open-settings').click();
  await settings.getByTestId('hub-token-forget').click();
  await expect(settings.getByTestId('hub-token-outcome')).toHaveText('Token forgotten.');
  await expect(settings.getByTestId('hub-token-source')).toHaveText(/^No token/);
});
