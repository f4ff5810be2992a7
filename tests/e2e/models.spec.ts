/**
 * The models page in Debian's Chromium against the real web host and engine: the catalog with this
 * machine's fit and every entry downloadable (resolved on the Hub when it starts), importing a
 * synthetic GGUF by path and chatting with it, a malformed file refused with its reason, deleting a
 * model after confirmation, and a catalog download through the UI from the fake Hub (progress,
 * pause, resume with a Range request to its CDN listener, verified landing). Each test has its own
 * models folder, because it adds and deletes files.
 */
import { expect, test, type Locator, type Page } from '@playwright/test';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { malformedGgufCorpus } from '../fixtures/malformed-gguf';
import { FakeHub } from '../helpers/fake-hub';
import { ensureTestModels, repoDir, type TestModels } from '../helpers/models';
import { startHost, type RunningHost } from './web-host';

let models: TestModels;
let host: RunningHost | null = null;
let hub: FakeHub | null = null;

test.beforeAll(async () => {
  models = await ensureTestModels();
  process.env.MAI_TEST_HOOKS = '1';
});

test.afterEach(async () => {
  await host?.stop();
  host = null;
  await hub?.close();
  hub = null;
  delete process.env.MAI_TEST_CATALOG;
});

/** A fresh models folder with copies of the 1 MB and 30 MB synthetic models. */
function modelsFolder(): { dir: string; tiny: string; small: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mai-models-page-'));
  const tiny = path.join(dir, path.basename(models.tiny));
  const small = path.join(dir, path.basename(models.small));
  copyFileSync(models.tiny, tiny);
  copyFileSync(models.small, small);
  return { dir, tiny, small };
}

async function startWith(dir: string, model: string, settings: Record<string, unknown> | null = null): Promise<RunningHost> {
  const userData = mkdtempSync(path.join(os.tmpdir(), 'mai-models-user-'));
  if (settings) writeFileSync(path.join(userData, 'settings.json'), JSON.stringify(settings, null, 2));
  return startHost(['--models-dir', dir, '--user-data', userData, '--model', model, '--max-tokens', '12']);
}

async function openModels(page: Page, running: RunningHost): Promise<Locator> {
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(running.url);
  try {
    await expect(page.getByTestId('engine-state')).toHaveAttribute('data-state', 'ready', { timeout: 60_000 });
  } catch (error) {
    throw new Error(`${(error as Error).message}\n--- web host output ---\n${running.output().slice(-4000)}`, { cause: error });
  }
  await page.getByTestId('open-models').click();
  const dialog = page.getByRole('dialog', { name: 'Models' });
  await expect(dialog).toBeVisible();
  return dialog;
}

const installedRow = (page: Page, file: string) => page.locator(`[data-testid="installed-model"][data-path="${file}"]`);

function memUsedBytes(): number {
  const info = readFileSync('/proc/meminfo', 'utf8');
  const total = Number(/MemTotal:\s+(\d+) kB/.exec(info)?.[1] ?? 0) * 1024;
  const available = Number(/MemAvailable:\s+(\d+) kB/.exec(info)?.[1] ?? 0) * 1024;
  return total - available;
}

test('under a memory budget set by the test, every catalog entry has a fit badge with its figures, one is recommended, and every entry can be downloaded', async ({
  page,
}) => {
  const folder = modelsFolder();
  // Mai treats the machine as having 4 GiB more than is in use now, acting at 80 % in every tier:
  // about 3 GB of room, whatever the test machine's size. The 0.6B entry (~1.3 GB with its KV
  // cache) fits; the 14B one (~10 GB) does not.
  const act = Object.fromEntries(['minimal', 'small', 'medium', 'large', 'workstation'].map((tier) => [tier, 0.8]));
  host = await startWith(folder.dir, folder.tiny, { memoryBudgetBytes: memUsedBytes() + 4 * 2 ** 30, actThresholds: act });
  // The fit needs a resource sample: wait for the first one on the panel's chart.
  await page.goto(host.url);
  await expect.poll(async () => Number((await page.getByTestId('chart-memory').getAttribute('data-points')) ?? '0'), { timeout: 60_000 }).toBeGreaterThan(0);
  await page.getByTestId('open-models').click();
  const dialog = page.getByRole('dialog', { name: 'Models' });
  const rows = dialog.locator('[data-testid^="catalog-"][data-fit]');
  await expect(rows.first()).toBeVisible();
  const count = await rows.count();
  expect(count).toBeGreaterThanOrEqual(8);
  for (let i = 0; i < count; i++) {
    const row = rows.nth(i);
    await expect(row.getByTestId('fit-badge')).toHaveText(/^(Full GPU|Partly on GPU|Fits on CPU|Does not fit)$/);
    // The sentence carries the figures (needs N GB, M GB free).
    await expect(row.getByTestId('fit-detail')).toHaveText(/\d+\.\d GB/);
  }
  // This machine has no GPU in the tests (MAI_GPU=off): nothing claims to run on one.
  await expect(dialog.locator('[data-fit="gpu"], [data-fit="partial"]')).toHaveCount(0);
  await expect(dialog.getByTestId('catalog-recommended')).toHaveCount(1);
  const smallest = dialog.getByTestId('catalog-qwen3-0.6b-q4km');
  await expect(smallest).toHaveAttribute('data-fit', 'cpu');
  await expect(smallest.getByTestId('fit-detail')).toHaveText(/Fits on the CPU: needs 1\.\d GB, \d\.\d GB free below the 80 % line\./);
  const big = dialog.getByTestId('catalog-qwen3-14b-q4km');
  await expect(big).toHaveAttribute('data-fit', 'no');
  await expect(big.getByTestId('fit-detail')).toHaveText(/Too big now: needs \d+\.\d GB, only \d\.\d GB free below the 80 % line\./);
  // What is recommended fits.
  await expect(dialog.locator('.catalog-row.recommended')).not.toHaveAttribute('data-fit', 'no');

  // Every entry can be downloaded, pinned or not: main resolves it on the Hub when it starts and
  // checks the bytes against the Hub's SHA-256. Nothing is refused ahead of time.
  const buttons = dialog.getByTestId('catalog-download');
  await expect(buttons).toHaveCount(count);
  for (let i = 0; i < count; i++) await expect(buttons.nth(i)).toBeEnabled();
  await expect(dialog.getByTestId('download-blocked-reason')).toHaveCount(0);
  await expect(dialog.getByText(/Not pinned/)).toHaveCount(0);
});

test('a synthetic GGUF imported by path is listed, can be chosen and answers; a malformed file is refused with its reason', async ({ page }) => {
  test.setTimeout(150_000);
  const folder = modelsFolder();
  host = await startWith(folder.dir, folder.tiny);
  const dialog = await openModels(page, host);

  const elsewhere = mkdtempSync(path.join(os.tmpdir(), 'mai-elsewhere-'));
  const outside = path.join(elsewhere, 'my-imported-model.gguf');
  copyFileSync(models.small, outside);
  await dialog.getByLabel('Path of a GGUF file').fill(outside);
  await dialog.getByTestId('import-submit').click();
  await expect(dialog.getByTestId('import-ok')).toHaveText(/my-imported-model\.gguf passed the check/);
  const row = installedRow(page, outside);
  await expect(row).toBeVisible();
  await expect(row).toContainText('Imported (stays where it is)');
  await expect(row.getByTestId('installed-remove')).toHaveText('Forget');

  await row.getByRole('button', { name: 'Use my-imported-model' }).click();
  await expect(row).toHaveAttribute('data-in-use', 'true', { timeout: 60_000 });
  await expect(row.getByTestId('in-use')).toBeVisible();
  await expect(installedRow(page, folder.tiny)).toHaveAttribute('data-in-use', 'false');
  await expect(row.getByTestId('installed-last-use')).toHaveText('Last used just now');

  // The array bomb (docs/models.md): 55 bytes whose array claims 2^40 items. It must be refused, with the reason.
  const corpus = malformedGgufCorpus(readFileSync(models.tiny));
  const findings = corpus.find((c) => c.name.startsWith('array bomb'));
  if (!findings) throw new Error('the malformed corpus lost its array bomb entry');
  const malformed = path.join(elsewhere, 'array-bomb.gguf');
  writeFileSync(malformed, findings.bytes);
  await dialog.getByLabel('Path of a GGUF file').fill(malformed);
  await dialog.getByTestId('import-submit').click();
  await expect(dialog.getByTestId('import-error')).toHaveText(findings.expect);
  await expect(installedRow(page, malformed)).toHaveCount(0);
  await expect(page.getByTestId('engine-state')).toHaveAttribute('data-state', 'ready');

  // Chat on the imported model.
  await dialog.getByTestId('models-close').click();
  await expect(dialog).toBeHidden();
  await page.getByTestId('composer-input').fill('Hello');
  await page.keyboard.press('Enter');
  const reply = page.getByTestId('message-assistant').last();
  await expect(reply).toHaveAttribute('data-status', 'done', { timeout: 60_000 });
  await expect(page.getByTestId('model-select')).toHaveValue(outside);
});

test('deleting a model from the models folder asks first, then removes it from the list and the disk; the model in use cannot be deleted', async ({ page }) => {
  const folder = modelsFolder();
  host = await startWith(folder.dir, folder.tiny);
  const dialog = await openModels(page, host);
  const inUse = installedRow(page, folder.tiny);
  await expect(inUse).toHaveAttribute('data-in-use', 'true');
  await expect(inUse.getByTestId('installed-remove')).toBeDisabled();

  const row = installedRow(page, folder.small);
  await row.getByTestId('installed-remove').click();
  const confirm = row.getByRole('alertdialog');
  await expect(confirm).toContainText(`Delete ${path.basename(folder.small)} from disk?`);
  // "Keep" leaves it alone.
  await confirm.getByRole('button', { name: 'Keep' }).click();
  await expect(confirm).toBeHidden();
  expect(existsSync(folder.small)).toBe(true);

  await row.getByTestId('installed-remove').click();
  await row.getByTestId('remove-confirm-yes').click();
  await expect(dialog.getByTestId('installed-outcome')).toHaveText(`${path.basename(folder.small)} was deleted.`);
  await expect(row).toHaveCount(0);
  expect(existsSync(folder.small)).toBe(false);
  // The model picker in the header follows.
  await expect(page.getByTestId('model-select').locator('option')).toHaveCount(1);
});

test('a catalog entry downloads through the UI from the (fake) Hub: the bar moves, pause and resume continue from the partial file, and the verified model is installed', async ({
  page,
}) => {
  test.setTimeout(180_000);
  const folder = modelsFolder();
  // The fake Hub (tests/helpers/fake-hub.ts) serving the 30 MB synthetic model; the catalog entry
  // is resolved through it when the download starts, like any Hub download.
  const fileName = 'mai-test-download.gguf';
  const source = mkdtempSync(path.join(os.tmpdir(), 'mai-served-'));
  const served = path.join(source, fileName);
  copyFileSync(models.small, served);
  const bytes = readFileSync(served);
  hub = await FakeHub.start([{ id: 'test-org/test-repo', licence: 'apache-2.0', files: [{ path: fileName, content: served }] }]);
  // Slow enough to watch the bar and press Pause (~12 s for the whole file).
  hub.faults.throttleBytesPerSecond = 2.5e6;
  process.env.MAI_TEST_CATALOG = JSON.stringify({
    huggingFaceBaseUrl: hub.endpoint,
    entries: [
      {
        id: 'test-download',
        name: 'Test Download 30 MB',
        repo: 'test-org/test-repo',
        file: fileName,
        revision: hub.head('test-org/test-repo'),
        sha256: createHash('sha256').update(bytes).digest('hex'),
        sizeBytes: bytes.length,
      },
    ],
  });
  host = await startWith(folder.dir, folder.tiny);
  const dialog = await openModels(page, host);
  await expect(installedRow(page, folder.tiny)).toHaveAttribute('data-in-use', 'true', { timeout: 60_000 });
  const entry = dialog.getByTestId('catalog-test-download');
  await expect(entry).toHaveAttribute('data-pinned', 'true');
  await entry.getByRole('button', { name: 'Download Test Download 30 MB' }).click();

  const download = dialog.getByTestId('download-test-download');
  await expect(download).toHaveAttribute('data-state', 'downloading');
  const bar = download.getByRole('progressbar', { name: `${fileName} download progress` });
  await expect.poll(async () => Number(await bar.getAttribute('value')), { timeout: 30_000 }).toBeGreaterThan(0);
  const first = Number(await bar.getAttribute('value'));
  await expect.poll(async () => Number(await bar.getAttribute('value')), { timeout: 30_000 }).toBeGreaterThan(first);
  expect(Number(await bar.getAttribute('max'))).toBe(bytes.length);
  // Speed and time left are shown while it runs.
  await expect(download.getByTestId('download-figures')).toHaveText(/MiB of 29 MiB · .+\/s · \d+:\d\d left/);

  await download.getByRole('button', { name: `Pause ${fileName} download` }).click();
  await expect(download).toHaveAttribute('data-state', 'paused');
  const pausedAt = Number(await download.getAttribute('data-received'));
  expect(pausedAt).toBeGreaterThan(0);
  expect(pausedAt).toBeLessThan(bytes.length);
  mkdirSync(path.join(repoDir, 'test-results', 'screenshots'), { recursive: true });
  await page.screenshot({ path: path.join(repoDir, 'test-results', 'screenshots', 'models-page.png') });

  hub.faults.throttleBytesPerSecond = null;
  const requestsBefore = hub.cdnRequests.length;
  await download.getByRole('button', { name: `Resume ${fileName} download` }).click();
  await expect(download).toHaveAttribute('data-state', 'done', { timeout: 60_000 });
  await expect(download.getByTestId('download-state')).toHaveText('Verified and installed');
  // The resume asked only for the rest of the file.
  const resumed = hub.cdnRequests.slice(requestsBefore).find((r) => r.method === 'GET');
  expect(resumed?.range).toBe(`bytes=${pausedAt}-`);
  expect(resumed?.bytesSent).toBe(bytes.length - pausedAt);

  const landed = path.join(folder.dir, fileName);
  await expect(installedRow(page, landed)).toBeVisible();
  expect(createHash('sha256').update(readFileSync(landed)).digest('hex')).toBe(createHash('sha256').update(bytes).digest('hex'));
  await expect(entry.getByTestId('catalog-download')).toHaveText('Installed');
  await page.screenshot({ path: path.join(repoDir, 'test-results', 'screenshots', 'models-page-downloaded.png') });
});
