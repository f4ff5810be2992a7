/**
 * Settings → "Record a trace" in Debian's Chromium against the real web host and engine: Record,
 * the recording counts samples, Stop, the file's path is shown with a copy button (the browser
 * cannot open folders), and the file is a trace the simulator's parser accepts.
 */
import { expect, test } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { parseTraceText } from '../../electron/engine/tools/trace';
import { ensureTestModels, type TestModels } from '../helpers/models';
import { startHost, type RunningHost } from './web-host';

let models: TestModels;
let host: RunningHost | null = null;

test.beforeAll(async () => {
  models = await ensureTestModels();
});

test.afterEach(async () => {
  await host?.stop();
  host = null;
});

test('Record a trace: record, see it recording, stop, copy the file path; the file replays', async ({ page, context }) => {
  test.setTimeout(240_000);
  host = await startHost(['--model', models.tiny]);
  await page.goto(host.url);
  await expect(page.getByTestId('engine-state')).toHaveAttribute('data-state', 'ready', { timeout: 60_000 });
  // A trace records the scaler, which exists once the first model has loaded: its first sample
  // is the first point of the resource panel's memory chart (open by default). Loading can take a minute on a busy machine.
  const points = async () => Number((await page.getByTestId('chart-memory').getAttribute('data-points')) ?? '0');
  await expect.poll(points, { timeout: 120_000 }).toBeGreaterThanOrEqual(1);

  await page.getByTestId('open-settings').click();
  const section = page.getByTestId('trace-section');
  await expect(section.getByTestId('trace-status')).toContainText('Not recording');
  await section.getByTestId('trace-start').click();
  await expect(section.getByTestId('trace-status')).toContainText('Recording');
  await expect(section.getByTestId('trace-message')).toHaveCount(0);
  await expect(section.getByTestId('trace-stop')).toBeVisible();
  // The counters follow the recording (the configuration's first samples are in it from the start).
  await expect(section.getByTestId('trace-status')).toContainText(/Recording: [1-9]\d* samples/);

  await section.getByTestId('trace-stop').click();
  await expect(section.getByTestId('trace-status')).toContainText(/Saved \d+ samples/);
  const file = (await section.getByTestId('trace-path').textContent()) ?? '';
  expect(file).toMatch(/[/\\]traces[/\\]mai-trace-[\dT-]+\.json$/);
  // The browser cannot open the folder: it offers the path to copy instead.
  await expect(section.getByTestId('trace-reveal')).toHaveCount(0);
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: host.origin });
  await section.getByTestId('trace-copy-path').click();
  await expect(section.getByTestId('trace-message')).toHaveText('Path copied.');
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(file);

  const trace = parseTraceText(readFileSync(file, 'utf8'));
  expect(trace.samples.length).toBeGreaterThan(0);
  expect(trace.initialModel).toMatch(/\.gguf$/);
});
