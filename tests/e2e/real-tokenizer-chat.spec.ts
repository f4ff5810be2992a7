/**
 * The whole app in Debian's Chromium on the test model built on Qwen2's real tokenizer and chat
 * template (docs/test-models.md): a message with accents, CJK and emoji is answered by a reply that
 * ends by itself — nobody presses Stop — and both texts come back unchanged after a reload.
 */
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { ensureRealTokenizerModel } from '../helpers/real-tokenizer-model';
import { startHost, type RunningHost } from './web-host';

const MAX_TOKENS = 256;
let host: RunningHost;

test.beforeAll(async () => {
  const modelPath = await ensureRealTokenizerModel();
  // The later --models-dir (a folder with this model only) wins over web-host.ts's demo models.
  host = await startHost(['--models-dir', path.dirname(modelPath), '--model', modelPath, '--max-tokens', String(MAX_TOKENS)]);
});

test.afterAll(async () => {
  await host?.stop();
});

test('a reply from a model with a real tokenizer ends by itself, and multilingual text survives a reload', async ({ page }) => {
  await page.goto(host.url);
  await expect(page.getByTestId('engine-state')).toHaveAttribute('data-state', 'ready');
  await expect(page.getByTestId('model-name')).toContainText('Mai test model');

  const text = 'Café 東京 🎉';
  await page.getByTestId('composer-input').fill(text);
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('message-user')).toHaveText(text);
  const reply = page.getByTestId('message-assistant').first();
  // Done without a Stop: the model emitted its end-of-sequence token.
  await expect(reply).toHaveAttribute('data-status', 'done');
  await expect(page.getByTestId('stop-button')).toHaveCount(0);
  const body = (await reply.locator('.message-body').innerText()).trim();
  expect(body).toMatch(/^[A-Z].*\.$/su);
  expect(body).not.toContain('\uFFFD');
  const tokens = Number(/(\d+) tokens ·/.exec(await reply.locator('.message-stats').innerText())?.[1]);
  expect(tokens).toBeGreaterThan(0);
  expect(tokens).toBeLessThan(MAX_TOKENS);

  // Saved by Mai and read back: the same texts after a reload.
  await page.reload();
  await expect(page.getByTestId('message-user')).toHaveText(text);
  await expect(page.getByTestId('message-assistant').first().locator('.message-body')).toHaveText(body);
});
