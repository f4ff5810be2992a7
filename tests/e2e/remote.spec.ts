/**
 * "Use a bigger machine" in Debian's Chromium, through the real web host and engine, against a
 * real llama.cpp `llama-server` on 127.0.0.1 (built by build/llama-server.mjs; the specs that need
 * it say they skipped when it is not built): a server added in Settings and tested, its model chosen
 * as a rung; with the policy "a server first" a reply streams from it, the footer names the host,
 * Stop works; the server killed mid-reply or frozen (SIGSTOP) → the reply is retried on a model
 * here with a notice saying why, and Mai goes back to the server only after the stabilization
 * period; a wrong key is a clear sentence; "this machine first" under memory pressure moves to the
 * server. The API key is in no log line, in settings.json, or in anything the page received.
 */
import { expect, test, type Page } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { llamaServerMissing, startLlamaServer, type RunningProcess } from '../helpers/llama-server';
import { ensureTestModels, testsDir, type TestModels } from '../helpers/models';
import { startHost, type RunningHost } from './web-host';

const KEY = 'sk-mai-e2e-remote-5c1d0b7e';
const ALIAS = 'big-remote';
const GiB = 2 ** 30;
/** The server's context for the long replies (the 30 MB byte-vocabulary model never ends one: a reply to stop or cut). */
const LONG_CONTEXT = 8192;

let models: TestModels;
let host: RunningHost | null = null;
let server: RunningProcess | null = null;
let hog: ChildProcess | null = null;

test.beforeAll(async () => {
  models = await ensureTestModels();
  // The engine's test hooks (short remote timeouts where the engine reads them); the host passes its environment on.
  process.env.MAI_TEST_HOOKS = '1';
});

test.afterEach(async () => {
  hog?.kill('SIGKILL');
  hog = null;
  await host?.stop();
  host = null;
  server?.child.kill('SIGCONT');
  await server?.kill();
  server = null;
});

function userDataWith(settings: Record<string, unknown>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mai-remote-e2e-'));
  writeFileSync(path.join(dir, 'settings.json'), JSON.stringify(settings, null, 2));
  return dir;
}

async function open(page: Page, running: RunningHost): Promise<void> {
  await page.goto(running.url);
  try {
    await expect(page.getByTestId('engine-state')).toHaveAttribute('data-state', 'ready', { timeout: 60_000 });
  } catch (error) {
    throw new Error(`${(error as Error).message}\n--- web host output ---\n${running.output().slice(-4000)}`, { cause: error });
  }
}

/** Every byte the page received over the web host's WebSocket, to check no key ever reached it. */
function recordFrames(page: Page): string[] {
  const frames: string[] = [];
  page.on('websocket', (ws) => ws.on('framereceived', (frame) => frames.push(String(frame.payload))));
  return frames;
}

/** Settings → "Use a bigger machine": address, key, Test connection; resolves with the test's facts or its sentence. */
async function testConnection(page: Page, url: string, key?: string): Promise<void> {
  if (!(await page.getByTestId('settings-dialog').isVisible())) await page.getByTestId('open-settings').click();
  const section = page.getByTestId('remote-section');
  await section.getByTestId('remote-url').fill(url);
  await section.getByTestId('remote-key').fill(key ?? '');
  await section.getByTestId('remote-test').click();
  await expect(section.getByTestId('remote-test-result').or(section.getByTestId('remote-error'))).toBeVisible({ timeout: 30_000 });
}

/** Test connection, tick `model`, save, and pick the policy. */
async function addServer(page: Page, url: string, key: string | undefined, policy: 'remote-first' | 'local-first'): Promise<void> {
  await testConnection(page, url, key);
  const section = page.getByTestId('remote-section');
  await expect(section.getByTestId('remote-test-facts')).toContainText(/Reachable in \d+ ms · 1 model · context [\d,]+ tokens · 1 slot/);
  const box = section.locator(`[data-testid=remote-model][data-model="${ALIAS}"]`);
  await box.check();
  await section.getByTestId('remote-save').click();
  await expect(section.getByTestId('remote-server')).toHaveCount(1);
  await section.getByTestId(`remote-policy-${policy}`).check();
  await expect(section.getByTestId('remote-policy')).toHaveAttribute('data-value', policy);
  await page.keyboard.press('Escape');
}

async function send(page: Page, text: string) {
  const before = await page.getByTestId('message-assistant').count();
  await page.getByTestId('composer-input').fill(text);
  await page.keyboard.press('Enter');
  return page.getByTestId('message-assistant').nth(before);
}

const remoteHost = (running: RunningProcess) => `127.0.0.1:${running.port}`;

/** Waits until the model in use is the server's (the header marks it), with the host's log in the error otherwise. */
async function expectOnServer(page: Page, running: RunningProcess, timeout = 60_000): Promise<void> {
  try {
    await expect(page.getByTestId('model-remote')).toContainText(remoteHost(running), { timeout });
  } catch (error) {
    throw new Error(`${(error as Error).message}\n--- web host output ---\n${host?.output().slice(-6000)}`, { cause: error });
  }
}

/** Neither the host's log nor settings.json nor the page saw the key. */
function expectKeyNowhere(userData: string, frames: string[], running: RunningHost): void {
  expect(running.output()).not.toContain(KEY);
  expect(readFileSync(path.join(userData, 'settings.json'), 'utf8')).not.toContain(KEY);
  expect(frames.join('\n')).not.toContain(KEY);
  // The key is kept apart, in a file only the user can read.
  expect(readdirSync(path.join(userData, 'remote-keys'))).toHaveLength(1);
}

test('a server saved in Settings: the plain-http warning, the key kept apart, nothing sent under "this machine only"', async ({ page }) => {
  const userData = userDataWith({});
  host = await startHost(['--model', models.tiny, '--user-data', userData, '--max-tokens', '24']);
  const frames = recordFrames(page);
  await open(page, host);
  await page.getByTestId('open-settings').click();
  const section = page.getByTestId('remote-section');
  await expect(section.getByRole('heading', { name: 'Use a bigger machine' })).toBeVisible();
  // The default: this machine only.
  await expect(section.getByTestId('remote-policy')).toHaveAttribute('data-value', 'local-only');
  await expect(section.getByTestId('remote-policy-local-only')).toBeChecked();
  // A documentation-only address (TEST-NET-1): saving contacts nothing, and nothing is sent under local-only.
  await section.getByTestId('remote-url').fill('http://192.0.2.1:8080/v1/');
  await section.getByTestId('remote-key').fill(KEY);
  await section.getByTestId('remote-save').click();
  const row = section.getByTestId('remote-server');
  await expect(row).toHaveAttribute('data-host', '192.0.2.1:8080');
  await expect(row.getByTestId('remote-warning')).toContainText(
    '192.0.2.1:8080 is reached over plain http: the conversation and the API key cross the network unencrypted',
  );
  await expect(row.getByTestId('remote-key-status')).toHaveText('API key saved in a file only your account can read');
  await expect(row.getByTestId('remote-health')).toHaveAttribute('data-health', 'unused');
  await expect(section.getByTestId('remote-key')).toHaveValue('');
  expectKeyNowhere(userData, frames, host);
  // Forget the key, then remove the server: the key file goes with it.
  await row.getByTestId('remote-forget-key').click();
  await expect(row.getByTestId('remote-key-status')).toHaveText('No API key');
  expect(readdirSync(path.join(userData, 'remote-keys'))).toHaveLength(0);
  await row.getByTestId('remote-remove').click();
  await expect(section.getByTestId('remote-server')).toHaveCount(0);
  // A bad address is a sentence, nothing saved.
  await section.getByTestId('remote-url').fill('ftp://192.0.2.1');
  await section.getByTestId('remote-save').click();
  await expect(section.getByTestId('remote-error')).toContainText('use http:// or https://');
});

test('"Change" replaces the server and its key follows the new address; a second server on the same host:port is refused', async ({ page }) => {
  const userData = userDataWith({});
  host = await startHost(['--model', models.tiny, '--user-data', userData, '--max-tokens', '24']);
  const frames = recordFrames(page);
  await open(page, host);
  await page.getByTestId('open-settings').click();
  const section = page.getByTestId('remote-section');
  // TEST-NET-1 addresses under "this machine only": saving contacts nothing.
  await section.getByTestId('remote-url').fill('http://192.0.2.1:8080');
  await section.getByTestId('remote-key').fill(KEY);
  await section.getByTestId('remote-save').click();
  await expect(section.getByTestId('remote-server')).toHaveAttribute('data-host', '192.0.2.1:8080');
  // The typo fixed through "Change": still one server, at the new address, with the key typed for it.
  await section.getByTestId('remote-edit').click();
  await expect(section.getByText('Change the server')).toBeVisible();
  await expect(section.getByTestId('remote-key')).toHaveAttribute('placeholder', 'Key saved (type to replace)');
  await section.getByTestId('remote-url').fill('http://192.0.2.10:8080');
  await section.getByTestId('remote-save').click();
  const row = section.getByTestId('remote-server');
  await expect(row).toHaveCount(1);
  await expect(row).toHaveAttribute('data-host', '192.0.2.10:8080');
  await expect(row.getByTestId('remote-key-status')).toHaveText('API key saved in a file only your account can read');
  expectKeyNowhere(userData, frames, host);
  // Another path on the same host:port would be the same runtime to the engine: refused with a sentence, nothing saved.
  await section.getByTestId('remote-url').fill('http://192.0.2.10:8080/other');
  await section.getByTestId('remote-save').click();
  await expect(section.getByTestId('remote-error')).toHaveText('A server at 192.0.2.10:8080 is already in the list; change that one instead.');
  await expect(section.getByTestId('remote-server')).toHaveCount(1);
  expect(JSON.parse(readFileSync(path.join(userData, 'settings.json'), 'utf8')).remoteEngines).toEqual([{ baseUrl: 'http://192.0.2.10:8080', models: [] }]);
});

test.describe('against a real llama-server', () => {
  test.skip(llamaServerMissing !== null, llamaServerMissing ?? '');

  test('remote first: a reply streams from the server, named "on <host>" in header, footer and panel; Stop works; the key is nowhere', async ({ page }) => {
    test.setTimeout(180_000);
    server = await startLlamaServer({ model: models.small, alias: ALIAS, apiKey: KEY, contextSize: LONG_CONTEXT });
    const userData = userDataWith({});
    host = await startHost(['--model', models.tiny, '--user-data', userData, '--max-tokens', '3000']);
    const frames = recordFrames(page);
    await open(page, host);
    await addServer(page, server.url, KEY, 'remote-first');
    // The model in use is the server's, and the header says where it runs.
    await expectOnServer(page, server);
    await expect(page.getByTestId('model-name')).toContainText(`${ALIAS} on ${remoteHost(server)}`);
    await expect(page.getByTestId('model-name').getByTestId('remote-host')).toContainText('remote');
    // The server's model is among the models to choose from, marked remote.
    await expect(page.getByTestId('model-select').locator('option', { hasText: `${ALIAS} on ${remoteHost(server)} · remote` })).toHaveCount(1);

    const reply = await send(page, 'Tell me a very long story about llamas.');
    await expect(reply).toHaveAttribute('data-status', 'streaming');
    await expect.poll(async () => (await reply.innerText()).length).toBeGreaterThan(20);
    const early = (await reply.innerText()).length;
    await expect.poll(async () => (await reply.innerText()).length).toBeGreaterThan(early);
    await page.getByTestId('stop-button').click();
    await expect(reply).toHaveAttribute('data-status', 'stopped');
    // The footer names the model and its host, marked remote.
    await expect(reply.locator('.message-stats')).toContainText(`${ALIAS} on ${remoteHost(server)}`);
    await expect(reply.locator('.message-stats').getByTestId('remote-host')).toBeVisible();
    // The panel's ladder has the remote rung with its figures.
    const rung = page.locator('[data-testid=ladder-rung][data-remote=true]');
    await expect(rung).toContainText(remoteHost(server));
    await expect(rung.getByTestId('ladder-remote-figures')).toContainText('first token');
    // A second reply after Stop is answered by the server too.
    const second = await send(page, 'And another one?');
    await expect(second).toHaveAttribute('data-status', 'streaming');
    await page.getByTestId('stop-button').click();
    await expect(second).toHaveAttribute('data-status', 'stopped');
    await expect(second.locator('.message-stats')).toContainText(remoteHost(server));
    expectKeyNowhere(userData, frames, host);
  });

  test('the server killed mid-reply: retried here within 3 s with a notice saying why; back on the server only after the stabilization period', async ({
    page,
  }) => {
    test.setTimeout(240_000);
    server = await startLlamaServer({ model: models.small, alias: ALIAS, contextSize: LONG_CONTEXT });
    const stabilizationSeconds = 8;
    host = await startHost(['--model', models.tiny, '--user-data', userDataWith({ stabilizationSeconds }), '--max-tokens', '3000']);
    await open(page, host);
    await addServer(page, server.url, undefined, 'remote-first');
    await expect(page.getByTestId('model-remote')).toContainText(remoteHost(server));

    const reply = await send(page, 'Tell me a very long story about llamas.');
    await expect.poll(async () => (await reply.innerText()).length).toBeGreaterThan(20);
    const port = server.port;
    const killedAt = Date.now();
    await server.kill();
    // The reply is kept and marked; the retry streams from a model on this machine within 3 s.
    await expect(reply).toHaveAttribute('data-status', 'interrupted', { timeout: 3_000 });
    const retry = page.getByTestId('message-assistant').last();
    await expect(retry).not.toHaveAttribute('data-id', (await reply.getAttribute('data-id')) ?? '');
    await expect(retry).toHaveAttribute('data-status', /streaming|done|stopped/, { timeout: Math.max(0, 3_000 - (Date.now() - killedAt)) });
    await expect(page.getByTestId('model-remote')).toHaveCount(0);
    await expect(
      page
        .getByTestId('notice')
        .filter({ hasText: `127.0.0.1:${port}` })
        .first(),
    ).toBeVisible();
    if ((await retry.getAttribute('data-status')) === 'streaming') await page.getByTestId('stop-button').click();
    await expect(retry.locator('.message-stats')).not.toContainText(`127.0.0.1:${port}`);

    // The server comes back on the same port: healthy again, but Mai waits out the stabilization period.
    server = await startLlamaServer({ model: models.small, alias: ALIAS, contextSize: LONG_CONTEXT, port });
    const back = Date.now();
    await expect(page.getByTestId('model-remote')).toContainText(`127.0.0.1:${port}`, { timeout: 120_000 });
    expect(Date.now() - back).toBeGreaterThanOrEqual(stabilizationSeconds * 1000 - 1000);
  });

  test('the server frozen with SIGSTOP: detected by timeout, the reply retried here with a notice saying why', async ({ page }) => {
    test.setTimeout(240_000);
    server = await startLlamaServer({ model: models.small, alias: ALIAS, contextSize: LONG_CONTEXT });
    host = await startHost(['--model', models.tiny, '--user-data', userDataWith({ stabilizationSeconds: 600 }), '--max-tokens', '3000']);
    await open(page, host);
    await addServer(page, server.url, undefined, 'remote-first');
    const reply = await send(page, 'Tell me a very long story about llamas.');
    await expect.poll(async () => (await reply.innerText()).length).toBeGreaterThan(20);
    server.child.kill('SIGSTOP');
    await expect(reply).toHaveAttribute('data-status', 'interrupted', { timeout: 60_000 });
    await expect(
      page
        .getByTestId('notice')
        .filter({ hasText: /sent nothing for \d+ s/ })
        .first(),
    ).toBeVisible();
    const retry = page.getByTestId('message-assistant').last();
    await expect(retry.locator('.message-meta')).toBeVisible({ timeout: 60_000 });
    await expect(page.getByTestId('model-remote')).toHaveCount(0);
  });

  test('a wrong API key: a clear sentence in Settings, and the key in no log line; a model id with markup is shown as text', async ({ page }) => {
    // The server names its model; Mai treats that name as untrusted text.
    const hostile = '<img src=x onerror="window.__pwned=1">';
    server = await startLlamaServer({ model: models.tiny, alias: hostile, apiKey: KEY });
    const userData = userDataWith({});
    host = await startHost(['--model', models.tiny, '--user-data', userData, '--max-tokens', '24']);
    await open(page, host);
    const wrong = 'sk-wrong-key-0a9b8c7d';
    await testConnection(page, server.url, wrong);
    await expect(page.getByTestId('remote-error')).toHaveText(
      `The server at ${remoteHost(server)} refused the API key (HTTP 401). Check the key in Mai's settings.`,
    );
    await testConnection(page, server.url);
    await expect(page.getByTestId('remote-error')).toContainText('refused the API key (none was given)');
    await testConnection(page, server.url, KEY);
    await expect(page.getByTestId('remote-test-facts')).toContainText('1 model');
    await expect(page.getByTestId('remote-model')).toHaveAttribute('data-model', hostile);
    await expect(page.getByTestId('remote-models')).toContainText(hostile);
    expect(await page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();
    await expect(page.getByTestId('remote-models').locator('img')).toHaveCount(0);
    expect(host.output()).not.toContain(wrong);
    expect(host.output()).not.toContain(KEY);
  });

  test('this machine first: under memory pressure Mai moves to the server instead of the smallest model here', async ({ page }) => {
    test.setTimeout(240_000);
    server = await startLlamaServer({ model: models.tiny, alias: ALIAS });
    // A budget 2 GiB over what is in use makes the models' sizes matter, as on a small machine.
    const budget = memUsedBytes() + 2 * GiB;
    const userData = userDataWith({ memoryBudgetBytes: budget, stabilizationSeconds: 600, actThresholds: { minimal: 0.6, small: 0.6 } });
    host = await startHost(['--model', models.medium, '--user-data', userData, '--max-tokens', '200']);
    await open(page, host);
    await addServer(page, server.url, undefined, 'local-first');
    // Nothing moves while memory is fine.
    await expect(page.getByTestId('model-name')).toContainText('Demo 120 MB');
    await expect(page.getByTestId('model-remote')).toHaveCount(0);
    const target = Math.max(0, 0.68 * budget - memUsedBytes());
    hog = spawn(process.execPath, [path.join(testsDir, 'fixtures/memory-hog.mjs'), String(Math.round(target)), String(64 * 2 ** 20), '200'], {
      stdio: 'ignore',
    });
    await expect(page.getByTestId('model-remote')).toContainText(remoteHost(server), { timeout: 120_000 });
    await expect(page.getByTestId('model-name')).toContainText(`${ALIAS} on ${remoteHost(server)}`);
    await expect(page.getByTestId('model-name').getByTestId('remote-host')).toBeVisible();
    // The move is told like a local switch: what changed (naming the host, marked remote), why, and what brings the local model back.
    const moved = page.getByTestId('capability-notice').filter({ hasText: 'leaves this machine' }).last();
    await expect(moved.getByTestId('capability-what')).toContainText(`${ALIAS} on ${remoteHost(server)}`);
    await expect(moved.getByTestId('capability-what')).toContainText(`the conversation now leaves this machine for ${remoteHost(server)}`);
    await expect(moved.getByTestId('capability-what').getByTestId('remote-host')).toBeVisible();
    await expect(moved.getByTestId('capability-why')).toContainText('memory on this machine is short for Demo 120 MB');
    await expect(moved.getByTestId('capability-bring-back')).toContainText(/^Demo 120 MB.* comes back by itself .*Then Mai answers on this machine again\.$/);
  });
});

function memUsedBytes(): number {
  const info = readFileSync('/proc/meminfo', 'utf8');
  const total = Number(/MemTotal:\s+(\d+) kB/.exec(info)?.[1] ?? 0) * 1024;
  const available = Number(/MemAvailable:\s+(\d+) kB/.exec(info)?.[1] ?? 0) * 1024;
  return total - available;
}
