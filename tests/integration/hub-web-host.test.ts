/**
 * `npm run start:web` honours HF_ENDPOINT and HF_TOKEN: the built web host runs as a real child
 * process pointed at the fake Hub, is driven over its WebSocket like the browser drives it, and
 * downloads a verified model; the token reaches the Hub's listener only, and neither the host's
 * output nor its log files contain it. Needs `npm run build`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { writeSyntheticModels } from '../fixtures/synthetic-models';
import { FakeHub } from '../helpers/fake-hub';
import { hubRepos, REPO, TINY_FILE } from '../helpers/hub-fixtures';
import { repoDir, testModelsDir } from '../helpers/models';

const TOKEN = 'hf_webHostTokenMustNotLeak987654321';
const entry = path.join(repoDir, 'dist', 'web', 'index.js');
let hub: FakeHub;
let child: ChildProcess;
let output = '';
let ws: WebSocket;
let userData: string;
let modelsDir: string;
const events: Array<{ name: string; payload: unknown }> = [];

beforeAll(async () => {
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`npm run build\` first.`);
  const [tiny, small] = await writeSyntheticModels(testModelsDir, ['mai-demo-1mb', 'mai-demo-30mb']);
  hub = await FakeHub.start(hubRepos({ tiny: tiny as string, small: small as string }));
  hub.validTokens.add(TOKEN);
  const root = mkdtempSync(path.join(os.tmpdir(), 'mai-web-hub-'));
  userData = path.join(root, 'data');
  modelsDir = path.join(root, 'models');
  mkdirSync(modelsDir, { recursive: true });
  // One model already there: no demo models are written, and the engine has something small to load.
  copyFileSync(tiny as string, path.join(modelsDir, 'mai-demo-1mb.gguf'));
  child = spawn(process.execPath, [entry, '--user-data', userData, '--models-dir', modelsDir], {
    env: { ...process.env, MAI_GPU: 'off', HF_ENDPOINT: hub.endpoint, HF_TOKEN: TOKEN },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = await new Promise<URL>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`web host did not start:\n${output}`)), 60_000);
    child.stdout?.on('data', () => {
      const m = /Mai is running at (\S+)/.exec(output);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(new URL(m[1]));
      }
    });
    child.once('exit', (code) => reject(new Error(`web host exited with ${code}:\n${output}`)));
  });
  ws = new WebSocket(`ws://127.0.0.1:${url.port}/ws?token=${url.searchParams.get('token')}`, { origin: url.origin });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  ws.on('message', (data) => {
    const message = JSON.parse(String(data)) as { kind: string; name?: string; payload?: unknown };
    if (message.kind === 'event' && message.name) events.push({ name: message.name, payload: message.payload });
  });
});

afterAll(async () => {
  ws?.close();
  if (child && child.exitCode === null) {
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }
  await hub?.close();
});

let seq = 1;
function call<T>(method: string, params: unknown): Promise<T> {
  const id = seq++;
  return new Promise((resolve, reject) => {
    const onMessage = (data: WebSocket.RawData) => {
      const message = JSON.parse(String(data)) as { kind: string; seq?: number; ok?: boolean; result?: T; error?: { message: string } };
      if (message.kind !== 'response' || message.seq !== id) return;
      ws.off('message', onMessage);
      if (message.ok) resolve(message.result as T);
      else reject(new Error(message.error?.message));
    };
    ws.on('message', onMessage);
    ws.send(JSON.stringify({ kind: 'request', seq: id, method, params }));
  });
}

/** Every file under a folder, recursively (the host's logs, settings, download queue). */
function allFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? allFiles(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

describe('the web host and the Hub', () => {
  it('uses HF_ENDPOINT and HF_TOKEN: search, a verified download, the token to the Hub only and in no log', async () => {
    expect(await call('hub:token-status', {})).toEqual({ source: 'environment', endpoint: hub.endpoint, encrypted: null });
    expect(output).toContain(`Hugging Face Hub: ${hub.endpoint} (token from HF_TOKEN)`);
    const found = await call<{ items: Array<{ repo: string }> }>('hub:search', { query: 'tiny', cursor: null });
    expect(found.items.map((i) => i.repo)).toContain(REPO);
    const started = await call<{ id: string }>('hub:download', { repo: REPO, file: TINY_FILE, revision: 'main' });
    await expect
      .poll(
        () =>
          events.some(
            (e) =>
              e.name === 'onDownload' && (e.payload as { id: string; state: string }).id === started.id && (e.payload as { state: string }).state === 'done',
          ),
        { timeout: 60_000 },
      )
      .toBe(true);
    expect(readFileSync(path.join(modelsDir, TINY_FILE)).equals(readFileSync(path.join(modelsDir, 'mai-demo-1mb.gguf')))).toBe(true);
    const models = await call<Array<{ fileName: string; provenance?: { endpoint: string } }>>('models:list', {});
    expect(models.find((m) => m.fileName === TINY_FILE)?.provenance?.endpoint).toBe(hub.endpoint);

    expect(hub.hubRequests.length).toBeGreaterThan(0);
    expect(hub.hubRequests.every((r) => r.authorization === `Bearer ${TOKEN}`)).toBe(true);
    expect(hub.cdnRequests.length).toBeGreaterThan(0);
    expect(hub.cdnRequests.every((r) => r.authorization === null)).toBe(true);
    expect(output).not.toContain(TOKEN);
    for (const file of allFiles(userData)) expect(readFileSync(file, 'utf8'), file).not.toContain(TOKEN);
  });
});
