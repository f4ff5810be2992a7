/**
 * The desktop experience in Debian's Chromium against the real web host and engine: the resource
 * panel following real memory pressure from another process, the capability notice, decision log
 * and suggestions it causes, settings and conversations surviving a restart of the host, keyboard
 * shortcuts (Escape stops a reply), and, from their own test, screenshots of the chat with the
 * panel open in light and dark and a check that the dark theme is dark.
 */
import { expect, test, type Page } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureTestModels, repoDir, testsDir, type TestModels } from '../helpers/models';
import { startHost, type RunningHost } from './web-host';

const GiB = 2 ** 30;
let models: TestModels;
let host: RunningHost | null = null;
let hog: ChildProcess | null = null;

test.beforeAll(async () => {
  models = await ensureTestModels();
  // The engine's resource overlay and other test hooks; the host passes its environment on.
  process.env.MAI_TEST_HOOKS = '1';
});

test.afterEach(async () => {
  hog?.kill('SIGKILL');
  hog = null;
  await host?.stop();
  host = null;
});

function memUsedBytes(): number {
  const info = readFileSync('/proc/meminfo', 'utf8');
  const total = Number(/MemTotal:\s+(\d+) kB/.exec(info)?.[1] ?? 0) * 1024;
  const available = Number(/MemAvailable:\s+(\d+) kB/.exec(info)?.[1] ?? 0) * 1024;
  return total - available;
}

function userDataWith(settings: Record<string, unknown> | null): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mai-desktop-'));
  mkdirSync(dir, { recursive: true });
  if (settings) writeFileSync(path.join(dir, 'settings.json'), JSON.stringify(settings, null, 2));
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

/** Markdown punctuation and whitespace left out, to compare a reply's source with its rendering. */
const words = (text: string) => text.replace(/[`*_~#>\\\s]+/g, '');

async function ask(page: Page, text: string): Promise<void> {
  const before = await page.getByTestId('message-assistant').count();
  await page.getByTestId('composer-input').fill(text);
  await page.keyboard.press('Enter');
  const reply = page.getByTestId('message-assistant').nth(before);
  await expect(reply).not.toHaveAttribute('data-status', 'streaming', { timeout: 60_000 });
  await expect(reply).toHaveAttribute('data-status', 'done');
}

const chartLast = async (page: Page, id: string) => Number((await page.getByTestId(`chart-${id}`).getAttribute('data-last')) ?? 'NaN');
const chartPoints = async (page: Page, id: string) => Number((await page.getByTestId(`chart-${id}`).getAttribute('data-points')) ?? '0');

test('memory pressure from another program drives the panel, the notice, the log, the model and the suggestions', async ({ page }) => {
  test.setTimeout(240_000);
  await page.setViewportSize({ width: 1280, height: 800 });
  // A budget 2 GiB over what is in use makes the models' sizes matter, as on a small machine. Such
  // a budget is in the strictest tiers, whose critical line (~82 %) sits just over their act
  // threshold; acting at 60 % leaves room to cross the act threshold without an emergency.
  const budget = memUsedBytes() + 2 * GiB;
  const userData = userDataWith({ memoryBudgetBytes: budget, stabilizationSeconds: 600, actThresholds: { minimal: 0.6, small: 0.6 } });
  host = await startHost(['--model', models.medium, '--user-data', userData, '--max-tokens', '1500']);
  await open(page, host);
  await expect(page.getByTestId('model-name')).toContainText('Demo 120 MB');

  // The panel is open by default, with the scaler's state, the tier and the model's figures.
  const panel = page.getByTestId('resource-panel');
  await expect(panel).toBeVisible();
  await expect(page.getByTestId('scaler-status')).toHaveAttribute('data-kind', 'steady');
  await expect(page.getByTestId('panel-model-name')).toContainText('Demo 120 MB');
  await expect(page.getByTestId('panel-context')).toContainText('tokens');
  await expect(page.getByTestId('tier-label')).not.toBeEmpty();
  await expect(page.getByTestId('chart-vram')).toHaveCount(0); // no GPU here (MAI_GPU=off)
  // The chart fills at 1 Hz.
  await expect.poll(() => chartPoints(page, 'memory'), { timeout: 20_000 }).toBeGreaterThanOrEqual(3);
  const pointsBefore = await chartPoints(page, 'memory');
  const lastBefore = await chartLast(page, 'memory');
  await expect.poll(() => chartPoints(page, 'memory')).toBeGreaterThan(pointsBefore);

  // The act threshold as the panel shows it.
  const thresholdText = (await page.getByTestId('memory-card').locator('.legend-threshold').innerText()).match(/(\d+)\s*%/)?.[1];
  const threshold = Number(thresholdText) / 100;
  expect(threshold).toBe(0.6);

  // A long reply is under way on the 120 MB model when another program starts taking memory.
  await page.getByTestId('composer-input').fill('Tell me a very long story about llamas and their wool.');
  await page.keyboard.press('Enter');
  const story = page.getByTestId('message-assistant').first();
  await expect(story).toHaveAttribute('data-status', 'streaming');
  // Over the act threshold, well under the critical line (an emergency may cut a reply short).
  const target = Math.max(0, (threshold + 0.08) * budget - memUsedBytes());
  hog = spawn(process.execPath, [path.join(testsDir, 'fixtures/memory-hog.mjs'), String(Math.round(target)), String(64 * 2 ** 20), '200'], { stdio: 'ignore' });

  // The memory chart follows it.
  await expect.poll(() => chartLast(page, 'memory'), { timeout: 30_000 }).toBeGreaterThan(lastBefore + 0.15);
  // The memory chart draws its act line where the legend says; the CPU chart draws the scaler's
  // CPU limit (no step up above it) with its legend; both extend a forecast ahead of the newest point.
  await expect(page.getByTestId('chart-memory')).toHaveAttribute('data-threshold', threshold.toFixed(4));
  const cpuLimit = Number((await page.getByTestId('cpu-threshold').innerText()).match(/(\d+)\s*%/)?.[1]) / 100;
  expect(cpuLimit).toBeGreaterThan(0);
  await expect(page.getByTestId('chart-cpu')).toHaveAttribute('data-threshold', cpuLimit.toFixed(4));
  await expect(page.getByTestId('chart-cpu')).toHaveAttribute('data-forecast', /^[01]\.\d{4}$/, { timeout: 60_000 });
  await expect(page.getByTestId('chart-memory')).toHaveAttribute('data-forecast', /^[01]\.\d{4}$/, { timeout: 60_000 });

  // Mai steps down: the warning says what changed, why and what brings it back, and stays.
  const notice = page.getByTestId('capability-notice').filter({ has: page.locator('[data-testid=capability-why]') });
  await expect(notice.first()).toBeVisible({ timeout: 90_000 });
  await expect(notice.first()).toHaveAttribute('data-direction', 'down');
  await expect(notice.first().getByTestId('capability-why')).toContainText('%');
  await expect(notice.first().getByTestId('capability-bring-back')).not.toBeEmpty();
  // The decision log has the step down with its reason and numbers, newest first.
  const degrade = page
    .getByTestId('decision')
    .filter({ has: page.locator('.decision-action', { hasText: 'Stepped down' }) })
    .first();
  await expect(degrade).toBeVisible();
  await expect(degrade.getByTestId('decision-reason')).toContainText(/memory/i);
  await expect(degrade.locator('.metrics li').first()).toBeVisible();
  // The notification centre lists the change too.
  await expect(page.getByTestId('notification-count')).toBeVisible();
  await page.getByTestId('notification-bell').click();
  await expect(page.getByTestId('notification-entry').filter({ hasText: 'Model down' }).first()).toBeVisible();
  await page.getByTestId('notification-bell').click();
  await expect(page.getByTestId('notification-centre')).toHaveCount(0);

  // The reply in progress completes on the 120 MB model; the model changes after it.
  await expect(story).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
  await expect(story.locator('.message-meta')).toContainText('Demo 120 MB');
  await expect(page.getByTestId('model-name')).not.toContainText('Demo 120 MB', { timeout: 90_000 });
  await expect(page.getByTestId('model-name')).toContainText(/Demo (30|1) MB/);
  await expect(page.getByTestId('panel-model-name')).toContainText(/Demo (30|1) MB/);

  // Under pressure Mai suggests a smaller context; the button applies it and says so.
  const context = page.getByTestId('suggestion').and(page.locator('[data-kind=context]'));
  await expect(context).toBeVisible({ timeout: 30_000 });
  await expect(context.getByTestId('suggestion-detail')).toContainText('%');

  await context.getByTestId('suggestion-apply').click();
  await expect(page.getByTestId('suggestion-result').first()).toContainText('2048');
  await expect(page.getByTestId('suggestion-result').first()).toHaveAttribute('data-applied', 'true');
  await page.getByTestId('open-settings').click();
  await expect(page.getByTestId('setting-contextSize')).toHaveValue('2048');
  await page.getByTestId('settings-close').click();

  // Pausing automatic scaling shows in the scaler's state; resuming brings it back.
  await page.getByTestId('scaler-pause').click();
  await expect(page.getByTestId('scaler-status')).toHaveAttribute('data-kind', 'paused');
  await expect(page.getByTestId('scaler-pause')).toHaveText(/Resume/);
  await page.getByTestId('scaler-pause').click();
  await expect(page.getByTestId('scaler-status')).not.toHaveAttribute('data-kind', 'paused');

  // Once the other program lets go, the scaler waits out the stabilization period (600 s) before
  // stepping back up, and shows the time left, counting down.
  hog?.kill('SIGKILL');
  hog = null;
  const status = page.getByTestId('scaler-status');
  await expect(status).toHaveAttribute('data-kind', 'stabilizing', { timeout: 60_000 });
  // The pill names the rule that holds the upgrade: the stabilization period the setting governs
  // (600 s here), not the 300 s minimum gap between upgrades.
  await expect(status.getByTestId('scaler-kind')).toHaveAttribute('data-rule', 'stabilization');
  await expect(status.getByTestId('scaler-kind')).toContainText('Stabilization period');
  const countdown = page.getByTestId('scaler-countdown');
  await expect(countdown).toHaveText(/^\d+:\d{2}$/);
  const secondsLeft = async () => {
    const [minutes, seconds] = (await countdown.innerText()).split(':').map(Number);
    return (minutes ?? NaN) * 60 + (seconds ?? NaN);
  };
  const left = await secondsLeft();
  expect(left).toBeGreaterThan(0);
  expect(left).toBeLessThanOrEqual(600);
  await expect.poll(secondsLeft, { timeout: 20_000 }).toBeLessThan(left);
  await expect(status).toHaveAttribute('data-kind', 'stabilizing');
});

test('settings: every field with its default and range, refusals explained, saved values survive a restart', async ({ page }) => {
  test.setTimeout(150_000);
  const userData = userDataWith(null);
  host = await startHost(['--model', models.tiny, '--user-data', userData]);
  await open(page, host);
  await page.getByTestId('open-settings').click();
  const dialog = page.getByTestId('settings-dialog');
  await expect(dialog).toBeVisible();
  for (const key of [
    'actThresholds',
    'stabilizationSeconds',
    'qualityFloorPath',
    'pinnedModelPath',
    'preference',
    'modelsDir',
    'silentSwitching',
    'closeToTray',
    'memoryBudgetBytes',
    'contextSize',
    'maxReplyTokens',
  ]) {
    await expect(page.getByTestId(`setting-row-${key}`)).toBeVisible();
  }
  await expect(page.getByTestId('setting-facts-contextSize')).toContainText('Default: 4096 tokens');
  await expect(page.getByTestId('setting-facts-contextSize')).toContainText('512–131072 tokens');
  await expect(page.getByTestId('setting-facts-stabilizationSeconds')).toContainText('0–7200 s');
  await expect(page.getByTestId('setting-facts-actThresholds')).toContainText('30–99 %');
  await expect(page.getByTestId('setting-facts-memoryBudgetBytes')).toContainText('0.25–1024 GiB');

  // A value out of range: main's sentence, naming the field and its range, beside the field.
  await page.getByTestId('setting-contextSize').fill('100');
  await page.getByTestId('setting-contextSize').press('Enter');
  await expect(page.getByTestId('setting-error-contextSize')).toContainText('contextSize');
  await expect(page.getByTestId('setting-error-contextSize')).toContainText('512');
  await page.getByTestId('setting-actThresholds-small').fill('150');
  await page.getByTestId('setting-actThresholds-small').press('Enter');
  await expect(page.getByTestId('setting-error-actThresholds')).toContainText('actThresholds');

  // Good values are saved.
  await page.getByTestId('setting-contextSize').fill('8192');
  await page.getByTestId('setting-contextSize').press('Enter');
  await expect(page.getByTestId('setting-saved-contextSize')).toBeVisible();
  await expect(page.getByTestId('setting-error-contextSize')).toHaveCount(0);
  await page.getByTestId('setting-stabilizationSeconds').fill('120');
  await page.getByTestId('setting-stabilizationSeconds').press('Enter');
  await expect(page.getByTestId('setting-saved-stabilizationSeconds')).toBeVisible();
  await page.getByTestId('setting-actThresholds-small').fill('72');
  await page.getByTestId('setting-actThresholds-small').press('Enter');
  await expect(page.getByTestId('setting-saved-actThresholds')).toBeVisible();
  await page.getByTestId('setting-preference-quality').click();
  await expect(page.getByTestId('setting-preference')).toHaveAttribute('data-value', 'quality');
  await page.getByTestId('setting-memoryBudgetBytes').fill('3');
  await page.getByTestId('setting-memoryBudgetBytes').press('Enter');
  await expect(page.getByTestId('setting-saved-memoryBudgetBytes')).toBeVisible();
  await page.getByTestId('setting-silentSwitching').check();
  await expect(page.getByTestId('setting-saved-silentSwitching')).toBeVisible();
  await page.getByTestId('setting-pinnedModelPath').selectOption(models.small);
  await expect(page.getByTestId('setting-saved-pinnedModelPath')).toBeVisible();
  await page.getByTestId('setting-qualityFloorPath').selectOption(models.tiny);
  await expect(page.getByTestId('setting-saved-qualityFloorPath')).toBeVisible();
  await expect(page.getByTestId('setting-closeToTray')).toBeChecked(); // on by default
  await page.getByTestId('setting-closeToTray').uncheck();
  await expect(page.getByTestId('setting-saved-closeToTray')).toBeVisible();
  // The models folder is read once at start, and the page says so.
  await expect(page.getByTestId('setting-next-start-modelsDir')).toContainText('next start');
  // The act threshold's default is a figure for this machine's tier, not just "tier default".
  await expect(page.getByTestId('setting-facts-actThresholds')).toContainText(/Default: \d+ % on this machine/);
  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);

  const saved = JSON.parse(readFileSync(path.join(userData, 'settings.json'), 'utf8')) as Record<string, unknown>;
  expect(saved).toMatchObject({
    contextSize: 8192,
    stabilizationSeconds: 120,
    preference: 'quality',
    memoryBudgetBytes: 3 * GiB,
    silentSwitching: true,
    actThresholds: { small: 0.72 },
    qualityFloorPath: models.tiny,
    closeToTray: false,
  });

  // Restart the host on the same user data: the page shows the saved values.
  await host.stop();
  host = await startHost(['--user-data', userData]);
  await open(page, host);
  await page.getByTestId('open-settings').click();
  await expect(page.getByTestId('setting-contextSize')).toHaveValue('8192');
  await expect(page.getByTestId('setting-stabilizationSeconds')).toHaveValue('120');
  await expect(page.getByTestId('setting-actThresholds-small')).toHaveValue('72');
  await expect(page.getByTestId('setting-preference')).toHaveAttribute('data-value', 'quality');
  await expect(page.getByTestId('setting-memoryBudgetBytes')).toHaveValue('3');
  await expect(page.getByTestId('setting-silentSwitching')).toBeChecked();
  await expect(page.getByTestId('setting-pinnedModelPath')).toHaveValue(models.small);
  await expect(page.getByTestId('setting-qualityFloorPath')).toHaveValue(models.tiny);
  await expect(page.getByTestId('setting-closeToTray')).not.toBeChecked();
  // The pinned model is the one in use after the restart.
  await page.getByTestId('settings-close').click();
  await expect(page.getByTestId('model-name')).toContainText('Demo 30 MB');
});

test('conversations: listed, renamed, searched, deleted, with a system prompt, regenerate and copy; they survive a restart', async ({ page, context }) => {
  test.setTimeout(180_000);
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  const userData = userDataWith(null);
  host = await startHost(['--model', models.tiny, '--user-data', userData, '--max-tokens', '24']);
  await open(page, host);

  await ask(page, 'Llamas have woolly coats and live in the Andes.');
  const items = page.getByTestId('conversation-item');
  await expect(items).toHaveCount(1);
  await expect(items.first().getByTestId('conversation-title')).toContainText('Llamas have woolly coats');

  // The system prompt of this conversation.
  await page.getByTestId('system-prompt-toggle').click();
  await page.getByTestId('system-prompt-input').fill('You answer like a pirate.');
  await page.getByTestId('system-prompt-save').click();
  await expect(page.getByTestId('system-prompt-summary')).toHaveText('You answer like a pirate.');

  // Copy and regenerate the last reply.
  const reply = page.getByTestId('message-assistant').first();
  const firstText = await reply.locator('.message-body').innerText();
  await reply.getByTestId('copy-reply').click();
  await expect(reply.getByTestId('copy-reply')).toHaveAttribute('data-state', 'copied');
  // The reply's markdown source is copied; the page shows it rendered.
  expect(words(await page.evaluate(() => navigator.clipboard.readText()))).toBe(words(firstText));
  const firstId = await reply.getAttribute('data-id');
  await reply.getByTestId('regenerate-reply').click();
  const regenerated = page.getByTestId('message-assistant').first();
  await expect(regenerated).not.toHaveAttribute('data-id', firstId ?? '');
  await expect(regenerated).toHaveAttribute('data-status', 'done', { timeout: 60_000 });
  await expect(page.getByTestId('message-assistant')).toHaveCount(1);
  // Ctrl+Shift+R does the same.
  const secondId = await regenerated.getAttribute('data-id');
  await page.locator('body').click({ position: { x: 600, y: 300 } });
  await page.keyboard.press('Control+Shift+R');
  await expect(page.getByTestId('message-assistant').first()).not.toHaveAttribute('data-id', secondId ?? '');
  await expect(page.getByTestId('message-assistant').first()).toHaveAttribute('data-status', 'done', { timeout: 60_000 });
  await expect(page.getByTestId('message-assistant')).toHaveCount(1);

  // A second conversation.
  await page.getByTestId('new-chat').click();
  await expect(page.getByTestId('message-user')).toHaveCount(0);
  await ask(page, 'What is the boiling point of water on Everest?');
  await expect(items).toHaveCount(2);

  // Rename the llama one inline.
  const llama = items.filter({ hasText: 'Llamas have woolly' });
  await llama.hover();
  await llama.getByTestId('conversation-rename').click();
  await page.getByTestId('conversation-rename-input').fill('Andean wool');
  await page.getByTestId('conversation-rename-input').press('Enter');
  await expect(items.filter({ hasText: 'Andean wool' })).toHaveCount(1);

  // Search (Ctrl+K focuses the box): the hit shows a snippet with the match highlighted.
  await page.locator('body').click({ position: { x: 600, y: 300 } });
  await page.keyboard.press('Control+k');
  await expect(page.getByTestId('conversation-search')).toBeFocused();
  await page.keyboard.type('woolly');
  const hit = page.getByTestId('search-hit');
  await expect(hit).toHaveCount(1);
  await expect(hit.locator('mark')).toHaveText(/woolly/i);
  await expect(hit).toContainText('Andean wool');
  // Opening the hit shows that conversation.
  await hit.locator('button').click();
  await expect(page.getByTestId('message-user').first()).toContainText('Llamas have woolly coats');
  await expect(page.getByTestId('conversation-heading')).toHaveText('Andean wool');
  await expect(page.getByTestId('system-prompt-summary')).toHaveText('You answer like a pirate.');
  await page.getByTestId('conversation-search').fill('');

  // Delete the Everest one, confirming.
  const everest = items.filter({ hasText: 'boiling point' });
  await everest.hover();
  await everest.getByTestId('conversation-delete').click();
  await everest.getByTestId('conversation-delete-confirm').click();
  await expect(items).toHaveCount(1);

  // Restart: the list, the title, the messages and the system prompt are all still there.
  await host.stop();
  host = await startHost(['--model', models.tiny, '--user-data', userData, '--max-tokens', '24']);
  await open(page, host);
  await expect(items).toHaveCount(1);
  await expect(items.first().getByTestId('conversation-title')).toHaveText('Andean wool');
  await items.first().getByTestId('conversation-open').click();
  await expect(page.getByTestId('message-user').first()).toContainText('Llamas have woolly coats');
  await expect(page.getByTestId('message-assistant')).toHaveCount(1);
  await expect(page.getByTestId('system-prompt-summary')).toHaveText('You answer like a pirate.');
});

test('keyboard: Ctrl+B toggles the panel and it stays as left across a reload; Escape stops a reply; Ctrl+N starts a new chat', async ({ page }) => {
  test.setTimeout(120_000);
  // The 30 MB model and a high token cap make a reply long enough to stop by hand.
  host = await startHost(['--model', models.small, '--user-data', userDataWith(null), '--max-tokens', '3000']);
  await open(page, host);
  await expect(page.getByTestId('resource-panel')).toBeVisible();
  await page.keyboard.press('Control+b');
  await expect(page.getByTestId('resource-panel')).toHaveCount(0);
  await page.reload();
  await expect(page.getByTestId('engine-state')).toHaveAttribute('data-state', 'ready');
  await expect(page.getByTestId('resource-panel')).toHaveCount(0);
  await page.getByTestId('panel-toggle').click();
  await expect(page.getByTestId('resource-panel')).toBeVisible();

  // Escape in the composer stops the reply streaming in; its text stays as far as it got.
  await page.getByTestId('composer-input').fill('Tell me a very long story about llamas.');
  await page.keyboard.press('Enter');
  const reply = page.getByTestId('message-assistant').first();
  await expect(reply).toHaveAttribute('data-status', 'streaming');
  await expect.poll(async () => (await reply.locator('.message-body').innerText()).length).toBeGreaterThan(20);
  await expect(page.getByTestId('composer-input')).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(reply).toHaveAttribute('data-status', 'stopped');
  await expect(reply.locator('.message-meta')).toContainText('Stopped');
  const partial = await reply.locator('.message-body').innerText();
  expect(partial.length).toBeGreaterThan(20);
  await expect(page.getByTestId('stop-button')).toHaveCount(0);
  expect(await reply.locator('.message-body').innerText()).toBe(partial);

  await page.getByTestId('composer-input').focus();
  await page.keyboard.press('Control+n');
  await expect(page.getByTestId('message-user')).toHaveCount(0);
  await expect(page.getByTestId('conversation-item')).toHaveCount(2);
});

/** Relative luminance (WCAG) of a computed `rgb(r, g, b)` colour. */
function luminance(color: string): number {
  const [r, g, b] = (color.match(/\d+(\.\d+)?/g) ?? []).slice(0, 3).map((c) => {
    const v = Number(c) / 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * (r ?? NaN) + 0.7152 * (g ?? NaN) + 0.0722 * (b ?? NaN);
}

test('themes: screenshots of the chat with the panel open, light and dark; dark really is dark', async ({ page }) => {
  test.setTimeout(120_000);
  await page.setViewportSize({ width: 1280, height: 800 });
  host = await startHost(['--model', models.tiny, '--user-data', userDataWith(null), '--max-tokens', '48']);
  await open(page, host);
  await expect(page.getByTestId('resource-panel')).toBeVisible();
  await ask(page, 'Tell me about llamas and their wool.');
  await expect.poll(() => chartPoints(page, 'memory'), { timeout: 20_000 }).toBeGreaterThanOrEqual(5);

  // Written first, so that a person can look at them whatever the checks below find.
  const shots = path.join(repoDir, 'test-results', 'screenshots');
  mkdirSync(shots, { recursive: true });
  const colours: Record<string, { background: string; text: string; panel: string }> = {};
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    await expect.poll(() => page.evaluate(() => matchMedia('(prefers-color-scheme: dark)').matches)).toBe(colorScheme === 'dark');
    // The charts are rebuilt with the scheme's colours; wait for the next sample to be drawn.
    const points = await chartPoints(page, 'memory');
    await expect.poll(() => chartPoints(page, 'memory')).not.toBe(points);
    await page.screenshot({ path: path.join(shots, `chat-panel-${colorScheme}.png`) });
    colours[colorScheme] = await page.evaluate(() => {
      const body = getComputedStyle(document.body);
      const panel = document.querySelector('[data-testid="resource-panel"]');
      return { background: body.backgroundColor, text: body.color, panel: panel ? getComputedStyle(panel).backgroundColor : '' };
    });
  }
  await page.emulateMedia({ colorScheme: 'light' });
  const { light, dark } = colours as { light: (typeof colours)[string]; dark: (typeof colours)[string] };
  expect(dark.background).not.toBe(light.background);
  expect(dark.text).not.toBe(light.text);
  // Dark: a dark background under light text; light the other way round.
  expect(luminance(dark.background)).toBeLessThan(0.1);
  expect(luminance(dark.text)).toBeGreaterThan(0.5);
  expect(luminance(light.background)).toBeGreaterThan(0.8);
  expect(luminance(light.text)).toBeLessThan(0.1);
  expect(dark.panel).not.toBe(light.panel);
});
