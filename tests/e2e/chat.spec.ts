/**
 * The whole app in Debian's Chromium: web host, real engine, real node-llama-cpp on a synthetic
 * model. Waits on what the page shows, never on sleeps.
 */
import { expect, test } from '@playwright/test';
import WebSocket from 'ws';
import { ensureTestModels } from '../helpers/models';
import { startHost, type RunningHost } from './web-host';

let host: RunningHost;

test.beforeAll(async () => {
  const models = await ensureTestModels();
  // The 30 MB model and a high token cap make a reply long enough to stop by hand.
  host = await startHost(['--model', models.small, '--max-tokens', '3000']);
});

test.afterAll(async () => {
  await host?.stop();
});

test('chat: tokens stream in, a long reply can be stopped, a second message is answered', async ({ page }) => {
  await page.goto(host.url);
  await expect(page.getByTestId('engine-state')).toHaveAttribute('data-state', 'ready');
  await expect(page.getByTestId('model-name')).toContainText('Demo 30 MB');
  // The token is taken out of the address bar once used.
  await expect(page).not.toHaveURL(/token=/);

  await page.getByTestId('composer-input').fill('Tell me a very long story about llamas.');
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('message-user')).toHaveText('Tell me a very long story about llamas.');
  const reply = page.getByTestId('message-assistant').first();
  await expect(reply).toHaveAttribute('data-status', 'streaming');
  // Tokens arrive while it streams: the text grows between two looks.
  await expect.poll(async () => (await reply.innerText()).length).toBeGreaterThan(20);
  const early = (await reply.innerText()).length;
  await expect.poll(async () => (await reply.innerText()).length).toBeGreaterThan(early);

  await page.getByTestId('stop-button').click();
  await expect(reply).toHaveAttribute('data-status', 'stopped');
  await expect(reply.locator('.message-meta')).toContainText('Stopped');
  const partial = await reply.locator('.message-body').innerText();
  expect(partial.length).toBeGreaterThan(0);
  await expect(page.getByTestId('tokens-per-second')).toContainText('tokens/s');

  await page.getByTestId('composer-input').fill('Thanks. A second question?');
  await page.getByTestId('send-button').click();
  const second = page.getByTestId('message-assistant').nth(1);
  await expect(second).toHaveAttribute('data-status', 'streaming');
  await expect.poll(async () => (await second.innerText()).length).toBeGreaterThan(10);
  await page.getByTestId('stop-button').click();
  await expect(second).toHaveAttribute('data-status', 'stopped');
  // The first reply is untouched by the second.
  expect(await reply.locator('.message-body').innerText()).toBe(partial);
});

test('bad input: empty and 1 MB messages get a clear error and the draft is kept', async ({ page }) => {
  await page.goto(host.url);
  await expect(page.getByTestId('engine-state')).toHaveAttribute('data-state', 'ready');
  await page.getByTestId('composer-input').fill('   ');
  await page.getByTestId('send-button').click();
  await expect(page.getByTestId('notice').last()).toContainText('The message is empty');

  const huge = 'y'.repeat(1024 * 1024);
  await page.getByTestId('composer-input').fill(huge);
  await page.getByTestId('send-button').click();
  await expect(page.getByTestId('notice').last()).toContainText('Mai accepts up to 100,000');
  expect((await page.getByTestId('composer-input').inputValue()).length).toBe(huge.length);
  await expect(page.getByTestId('engine-state')).toHaveAttribute('data-state', 'ready');
});

test('the web host refuses requests and WebSockets without its token or from another origin', async ({ request }) => {
  const noToken = await request.get(`${host.origin}/`);
  expect(noToken.status()).toBe(401);
  const wrongToken = await request.get(`${host.origin}/?token=${'0'.repeat(host.token.length)}`);
  expect(wrongToken.status()).toBe(401);
  const asset = await request.get(`${host.origin}/assets/anything.js`);
  expect(asset.status()).toBe(401);
  const withToken = await request.get(host.url);
  expect(withToken.status()).toBe(200);
  expect(withToken.headers()['content-security-policy']).toContain("script-src 'self'");

  const tryWs = (url: string, origin: string) =>
    new Promise<string>((resolve) => {
      const ws = new WebSocket(url, { origin });
      ws.on('open', () => {
        ws.close();
        resolve('open');
      });
      ws.on('error', () => resolve('refused'));
      ws.on('unexpected-response', () => resolve('refused'));
    });
  const wsBase = `ws://127.0.0.1:${new URL(host.origin).port}/ws`;
  expect(await tryWs(wsBase, host.origin)).toBe('refused');
  expect(await tryWs(`${wsBase}?token=${host.token}`, 'http://evil.example')).toBe('refused');
  expect(await tryWs(`${wsBase}?token=${host.token}`, host.origin)).toBe('open');
});

test('malformed messages on the WebSocket are refused with an answer and nothing goes down', async ({ page }) => {
  const ws = new WebSocket(`ws://127.0.0.1:${new URL(host.origin).port}/ws?token=${host.token}`, { origin: host.origin });
  await new Promise((resolve) => ws.on('open', resolve));
  const answers: Array<{ seq?: number; ok?: boolean; error?: { code: string } }> = [];
  ws.on('message', (data) => {
    const message = JSON.parse(String(data)) as { kind: string; seq?: number; ok?: boolean; error?: { code: string } };
    if (message.kind === 'response') answers.push(message);
  });
  ws.send('not json');
  ws.send(JSON.stringify({ kind: 'request', seq: 1, method: 'no:such-channel', params: {} }));
  ws.send(JSON.stringify({ kind: 'request', seq: 2, method: 'models:select', params: { path: 42 } }));
  ws.send(JSON.stringify({ kind: 'request', seq: 3, method: 'app:get-state', params: {} }));
  await expect.poll(() => answers.length).toBe(3);
  expect(answers.find((a) => a.seq === 1)?.error?.code).toBe('unknown-method');
  expect(answers.find((a) => a.seq === 2)?.error?.code).toBe('bad-request');
  expect(answers.find((a) => a.seq === 3)?.ok).toBe(true);
  ws.close();
  // The page still works afterwards.
  await page.goto(host.url);
  await expect(page.getByTestId('engine-state')).toHaveAttribute('data-state', 'ready');
});
