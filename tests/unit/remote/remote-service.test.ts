/**
 * Main's remote engines: the API key lives in its own private store (never settings.json, the log
 * or anything the window receives), one per server origin; the policy `local-only` tells the engine
 * of no server; the plain-http warning; the engine's reports reach the window without a key.
 *
 * The settings service and the key files are the real ones on a temp folder. The engine process is
 * played by a stand-in that answers `remote:probe` and sends `remote:status` in the engine
 * protocol's shapes (each parsed with shared/engine-protocol.ts's schemas); the real probe runs
 * against the real llama-server in the integration and e2e tests. Electron's safeStorage cannot
 * run here: a stand-in with its three methods reverses the bytes, enough to tell encrypted from plain.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { appContract } from '../../../shared/contract';
import { engineContract } from '../../../shared/engine-protocol';
import { MaiError } from '../../../shared/errors';
import type { RemoteEngine, RemoteStatus } from '../../../shared/remote';
import { SettingsService } from '../../../electron/main/core/settings-service';
import { isLoopback, plainHttpWarning, remoteAddress, remoteKeysFor, RemoteKeys, remoteKeyFile, RemoteService } from '../../../electron/main/core/remote';
import { SafeStorageSecretStore, type SafeStorageLike } from '../../../electron/main/electron/safe-storage-store';

const KEY = 'sk-remote-7f3a9c1e5b2d';

function fakeSafeStorage(): SafeStorageLike {
  return {
    isEncryptionAvailable: () => true,
    getSelectedStorageBackend: () => 'gnome_libsecret',
    encryptString: (text) => Buffer.from(`enc:${[...text].reverse().join('')}`),
    decryptString: (bytes) => [...bytes.toString('utf8').slice(4)].reverse().join(''),
  };
}

/** The engine process as far as RemoteService talks to it. */
class EngineStandIn {
  readonly probes: RemoteEngine[] = [];
  private statusListener: ((statuses: RemoteStatus[]) => void) | null = null;
  probeError: Error | null = null;

  call = async (method: string, params: unknown): Promise<never> => {
    if (method !== 'remote:probe') throw new Error(`unexpected engine call ${method}`);
    const parsed = engineContract.methods['remote:probe'].params.parse(params);
    this.probes.push(parsed);
    if (this.probeError) throw this.probeError;
    return engineContract.methods['remote:probe'].result.parse({
      host: new URL(parsed.baseUrl).host,
      models: ['big-model', 'other'],
      contextSize: 4096,
      slots: 1,
      rttMs: 3,
      warning: null,
    }) as never;
  };

  onEngine = (event: string, listener: (statuses: RemoteStatus[]) => void): (() => void) => {
    if (event === 'remote:status') this.statusListener = listener;
    return () => {};
  };

  sendStatus(statuses: unknown): void {
    this.statusListener?.(engineContract.events['remote:status'].parse(statuses));
  }
}

function setup(options: { keys?: 'file' | 'safe-storage' | 'none' } = {}) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mai-remote-'));
  const settingsFile = path.join(dir, 'settings.json');
  const settings = new SettingsService({ file: settingsFile, apply: async () => {} });
  const engine = new EngineStandIn();
  const logs: string[] = [];
  const keyDir = path.join(dir, 'remote-keys');
  const keys =
    options.keys === 'none'
      ? remoteKeysFor({ dataDir: null })
      : options.keys === 'safe-storage'
        ? remoteKeysFor({ remoteKeyStore: (origin) => new SafeStorageSecretStore(remoteKeyFile(keyDir, origin, '.json'), fakeSafeStorage()) })
        : remoteKeysFor({ dataDir: dir });
  const service = new RemoteService({ engine: engine as never, settings, keys, log: (level, message) => logs.push(`${level} ${message}`) });
  const statuses: RemoteStatus[][] = [];
  service.on('onRemoteStatus', (s) => statuses.push(s));
  return { dir, settingsFile, settings, engine, logs, keyDir, service, statuses };
}

const filesUnder = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).map((name) => path.join(dir, name)) : []);

describe('RemoteService', () => {
  it('keeps the key out of settings.json, the log and the view, in a 0600 file of its own', async () => {
    const { settingsFile, service, logs, keyDir } = setup();
    const view = await service.save({ baseUrl: 'http://127.0.0.1:8080/v1/', models: ['big-model'], apiKey: KEY });
    expect(view.engines).toEqual([
      { baseUrl: 'http://127.0.0.1:8080', host: '127.0.0.1:8080', models: ['big-model'], hasApiKey: true, keyEncrypted: false, warning: null },
    ]);
    // What the window receives is what the contract lets through, and no key.
    const sent = JSON.stringify(appContract.methods['remote:save'].result.parse(view));
    expect(sent).not.toContain(KEY);
    expect(JSON.stringify(await service.view())).not.toContain(KEY);
    const saved = readFileSync(settingsFile, 'utf8');
    expect(saved).toContain('http://127.0.0.1:8080');
    expect(saved).not.toContain(KEY);
    expect(logs.join('\n')).toContain('127.0.0.1:8080');
    expect(logs.join('\n')).not.toContain(KEY);
    const [file] = filesUnder(keyDir);
    expect(file).toBeDefined();
    expect(path.basename(file!)).not.toContain('127.0.0.1');
    expect(statSync(file!).mode & 0o777).toBe(0o600);
    expect(readFileSync(file!, 'utf8').trim()).toBe(KEY);
  });

  it('tells the engine of no server under local-only, and of the server with its key once a policy is picked', async () => {
    const { service } = setup();
    await service.save({ baseUrl: 'http://127.0.0.1:8080', models: ['big-model'], apiKey: KEY });
    await service.save({ baseUrl: 'http://127.0.0.1:9090', models: [] });
    expect(await service.config()).toEqual({ policy: 'local-only', engines: [] });
    await service.setPolicy('remote-first');
    // A server without a chosen model is no rung: not sent either.
    expect(await service.config()).toEqual({ policy: 'remote-first', engines: [{ baseUrl: 'http://127.0.0.1:8080', models: ['big-model'], apiKey: KEY }] });
    expect(engineContract.methods['manager:configure'].params.shape.remote.parse(await service.config()).engines).toHaveLength(1);
  });

  it('tests a connection with the saved key when none is typed, and with the typed one otherwise', async () => {
    const { service, engine } = setup();
    await service.save({ baseUrl: 'http://127.0.0.1:8080', models: [], apiKey: KEY });
    const result = await service.test({ baseUrl: 'http://127.0.0.1:8080/v1' });
    expect(result).toMatchObject({ host: '127.0.0.1:8080', models: ['big-model', 'other'], contextSize: 4096, slots: 1, warning: null });
    await service.test({ baseUrl: 'http://127.0.0.1:8080', apiKey: 'typed-key' });
    await service.test({ baseUrl: 'http://127.0.0.1:9999' });
    expect(engine.probes).toEqual([
      { baseUrl: 'http://127.0.0.1:8080', apiKey: KEY },
      { baseUrl: 'http://127.0.0.1:8080', apiKey: 'typed-key' },
      { baseUrl: 'http://127.0.0.1:9999' },
    ]);
  });

  it('passes the engine’s sentence on with any echo of the key removed', async () => {
    const { service, engine } = setup();
    engine.probeError = new MaiError('forbidden', `The server at 127.0.0.1:8080 refused the API key (HTTP 401): bad key ${KEY}.`);
    const failure = await service.test({ baseUrl: 'http://127.0.0.1:8080', apiKey: KEY }).catch((e: MaiError) => e);
    expect(failure).toBeInstanceOf(MaiError);
    expect((failure as MaiError).code).toBe('forbidden');
    expect((failure as MaiError).message).toBe('The server at 127.0.0.1:8080 refused the API key (HTTP 401): bad key [API key].');
  });

  it('warns about plain http beyond this machine, in the test result and the saved view', async () => {
    const { service } = setup();
    const result = await service.test({ baseUrl: 'http://192.168.1.20:8080' });
    expect(result.warning).toMatch(/192\.168\.1\.20:8080 is reached over plain http: the conversation and the API key cross the network unencrypted/);
    const view = await service.save({ baseUrl: 'http://192.168.1.20:8080', models: ['big-model'] });
    expect(view.engines[0]?.warning).toBe(result.warning);
    expect(view.engines[0]).toMatchObject({ hasApiKey: false, keyEncrypted: null });
  });

  it('forgets the key with the server, but keeps it while another saved server shares its origin', async () => {
    const { service, settings, keyDir } = setup();
    await service.save({ baseUrl: 'http://127.0.0.1:8080', models: ['a'], apiKey: KEY });
    // Two servers on one origin can no longer be saved; a settings.json from before may hold them.
    await settings.update({ remoteEngines: [...settings.value.remoteEngines, { baseUrl: 'http://127.0.0.1:8080/lab', models: ['b'] }] });
    expect((await service.view()).engines.map((e) => e.hasApiKey)).toEqual([true, true]);
    await service.remove('http://127.0.0.1:8080/lab/v1');
    expect(filesUnder(keyDir)).toHaveLength(1);
    const view = await service.remove('http://127.0.0.1:8080');
    expect(view.engines).toEqual([]);
    expect(filesUnder(keyDir)).toHaveLength(0);
    await expect(service.remove('http://127.0.0.1:8080')).rejects.toThrow('No server at http://127.0.0.1:8080 is saved.');
  });

  it('refuses a second server on the same host:port, whatever its path or scheme, and saves nothing', async () => {
    const { service, settings } = setup();
    await service.save({ baseUrl: 'https://gpu.lan/llama', models: ['llama'] });
    const refused = await service.save({ baseUrl: 'https://gpu.lan/qwen/v1', models: ['qwen'] }).catch((e: MaiError) => e);
    expect(refused).toBeInstanceOf(MaiError);
    expect((refused as MaiError).code).toBe('bad-request');
    expect((refused as MaiError).message).toBe('A server at gpu.lan is already in the list; change that one instead.');
    // http://gpu.lan (port 80) and https://gpu.lan (443) are both "gpu.lan" to the engine.
    await expect(service.save({ baseUrl: 'http://gpu.lan', models: ['qwen'] })).rejects.toThrow('A server at gpu.lan is already in the list');
    await expect(service.save({ baseUrl: 'https://gpu.lan:8443/qwen', models: ['qwen'] })).resolves.toBeDefined();
    expect(settings.value.remoteEngines.map((e) => e.baseUrl)).toEqual(['https://gpu.lan/llama', 'https://gpu.lan:8443/qwen']);
    // Saving the same entry again (another path while editing it) is no collision.
    await service.save({ baseUrl: 'https://gpu.lan/llama', models: ['llama', 'llama-2'] });
    await service.save({ baseUrl: 'https://gpu.lan/v2', models: ['llama'], previousBaseUrl: 'https://gpu.lan/llama' });
    expect(settings.value.remoteEngines.map((e) => e.baseUrl)).toEqual(['https://gpu.lan/v2', 'https://gpu.lan:8443/qwen']);
    // Editing one server onto the other's host:port is refused too.
    await expect(service.save({ baseUrl: 'https://gpu.lan:8443', models: ['x'], previousBaseUrl: 'https://gpu.lan/v2' })).rejects.toThrow(
      'A server at gpu.lan:8443 is already in the list; change that one instead.',
    );
  });

  it('tells the engine of one server per host:port even when settings.json holds two', async () => {
    const { service, settings } = setup();
    await settings.update({
      remotePolicy: 'remote-first',
      remoteEngines: [
        { baseUrl: 'https://gpu.lan/llama', models: ['llama'] },
        { baseUrl: 'https://gpu.lan/qwen', models: ['qwen'] },
      ],
    });
    expect((await service.config()).engines).toEqual([{ baseUrl: 'https://gpu.lan/llama', models: ['llama'] }]);
  });

  it('replaces the edited server instead of adding one, and moves its key when the origin changes', async () => {
    const { service, settings, keyDir, engine } = setup();
    await service.save({ baseUrl: 'http://127.0.0.1:8008', models: ['big-model'], apiKey: KEY });
    await service.save({ baseUrl: 'http://127.0.0.1:7070', models: ['other'] });
    // The typo fixed: the form still says "Key saved", and Test connection uses that key before saving.
    await service.test({ baseUrl: 'http://127.0.0.1:8080', previousBaseUrl: 'http://127.0.0.1:8008' });
    expect(engine.probes.at(-1)).toEqual({ baseUrl: 'http://127.0.0.1:8080', apiKey: KEY });
    const view = await service.save({ baseUrl: 'http://127.0.0.1:8080/v1', models: ['big-model'], previousBaseUrl: 'http://127.0.0.1:8008' });
    expect(view.engines.map((e) => [e.baseUrl, e.hasApiKey])).toEqual([
      ['http://127.0.0.1:8080', true],
      ['http://127.0.0.1:7070', false],
    ]);
    // The key now belongs to the new origin only: one file, and the old origin has none.
    expect(filesUnder(keyDir)).toHaveLength(1);
    await service.test({ baseUrl: 'http://127.0.0.1:8008' });
    expect(engine.probes.at(-1)).toEqual({ baseUrl: 'http://127.0.0.1:8008' });
    await service.setPolicy('remote-first');
    expect((await service.config()).engines[0]).toEqual({ baseUrl: 'http://127.0.0.1:8080', models: ['big-model'], apiKey: KEY });
    expect(settings.value.remoteEngines).toHaveLength(2);
    // A new key typed while editing goes to the new origin; a forgotten one leaves none behind.
    await service.save({ baseUrl: 'http://127.0.0.1:8081', models: ['big-model'], apiKey: 'new-key', previousBaseUrl: 'http://127.0.0.1:8080' });
    expect((await service.config()).engines[0]).toEqual({ baseUrl: 'http://127.0.0.1:8081', models: ['big-model'], apiKey: 'new-key' });
    expect(filesUnder(keyDir)).toHaveLength(1);
    await service.save({ baseUrl: 'http://127.0.0.1:8082', models: ['big-model'], apiKey: null, previousBaseUrl: 'http://127.0.0.1:8081' });
    expect(filesUnder(keyDir)).toHaveLength(0);
    expect((await service.view()).engines.map((e) => [e.baseUrl, e.hasApiKey])).toEqual([
      ['http://127.0.0.1:8082', false],
      ['http://127.0.0.1:7070', false],
    ]);
    // The edited server is gone (removed elsewhere): a sentence, nothing saved.
    await expect(service.save({ baseUrl: 'http://127.0.0.1:9000', models: [], previousBaseUrl: 'http://127.0.0.1:8008' })).rejects.toThrow(
      'No server at http://127.0.0.1:8008 is saved; add this one as a new server.',
    );
    expect(settings.value.remoteEngines).toHaveLength(2);
  });

  it('keeps the key where it is when the edit keeps the origin', async () => {
    const { service, keyDir } = setup();
    await service.save({ baseUrl: 'http://127.0.0.1:8080/a', models: ['m'], apiKey: KEY });
    const view = await service.save({ baseUrl: 'http://127.0.0.1:8080/b', models: ['m'], previousBaseUrl: 'http://127.0.0.1:8080/a' });
    expect(view.engines.map((e) => [e.baseUrl, e.hasApiKey])).toEqual([['http://127.0.0.1:8080/b', true]]);
    expect(filesUnder(keyDir)).toHaveLength(1);
  });

  it('forgets a key on request (null) and keeps it when the save leaves the key out', async () => {
    const { service } = setup();
    await service.save({ baseUrl: 'http://127.0.0.1:8080', models: ['a'], apiKey: KEY });
    expect((await service.save({ baseUrl: 'http://127.0.0.1:8080', models: ['a', 'b'] })).engines[0]?.hasApiKey).toBe(true);
    expect((await service.save({ baseUrl: 'http://127.0.0.1:8080', models: ['a'], apiKey: null })).engines[0]?.hasApiKey).toBe(false);
  });

  it('stores the key encrypted with safeStorage in the desktop app', async () => {
    const { service, keyDir, dir } = setup({ keys: 'safe-storage' });
    const view = await service.save({ baseUrl: 'https://gpu.example:8443', models: ['big-model'], apiKey: KEY });
    expect(view.engines[0]).toMatchObject({ hasApiKey: true, keyEncrypted: true, warning: null });
    const [file] = filesUnder(keyDir);
    expect(file!.endsWith('.json')).toBe(true);
    expect(readFileSync(file!, 'utf8')).not.toContain(KEY);
    expect(statSync(file!).mode & 0o777).toBe(0o600);
    // No other file in the data folder holds it either.
    for (const other of filesUnder(dir).filter((f) => !f.endsWith('remote-keys'))) expect(readFileSync(other, 'utf8')).not.toContain(KEY);
    await service.setPolicy('local-first');
    expect((await service.config()).engines[0]?.apiKey).toBe(KEY);
  });

  it('refuses to save a key where there is no place for it, with a sentence, and saves nothing', async () => {
    const { service, settings } = setup({ keys: 'none' });
    await expect(service.save({ baseUrl: 'http://127.0.0.1:8080', models: ['a'], apiKey: KEY })).rejects.toThrow(/API keys cannot be saved in this mode/);
    expect(settings.value.remoteEngines).toEqual([]);
    expect((await service.save({ baseUrl: 'http://127.0.0.1:8080', models: ['a'] })).engines).toHaveLength(1);
  });

  it('relays the engine’s health reports for saved servers only, without the key', async () => {
    const { service, engine, statuses } = setup();
    await service.save({ baseUrl: 'http://127.0.0.1:8080', models: ['big-model'], apiKey: KEY });
    await service.setPolicy('remote-first');
    await service.config();
    const figures = { replies: 2, failures: 1, ttftMs: 40, tokensPerSecond: 90, rttMs: 2, lastError: `echo ${KEY}` };
    engine.sendStatus([
      { host: '127.0.0.1:8080', baseUrl: 'http://127.0.0.1:8080', health: 'healthy', checkedAt: 1, lastError: `said ${KEY}`, models: { 'big-model': figures } },
      { host: '127.0.0.1:7070', baseUrl: 'http://127.0.0.1:7070', health: 'unreachable', checkedAt: 1, lastError: null, models: {} },
    ]);
    expect(statuses).toHaveLength(1);
    expect(statuses[0]!.map((s) => s.host)).toEqual(['127.0.0.1:8080']);
    expect(JSON.stringify(appContract.events.onRemoteStatus.parse(statuses[0]))).not.toContain(KEY);
    expect(statuses[0]![0]!.lastError).toBe('said [API key]');
    expect((await service.view()).statuses).toEqual(statuses[0]);
  });
});

describe('remote addresses', () => {
  it('is one spelling per server, and refuses what is not http(s) or carries credentials', () => {
    expect(remoteAddress(' http://Example.com:8080/v1/ ')).toEqual({
      baseUrl: 'http://example.com:8080',
      host: 'example.com:8080',
      origin: 'http://example.com:8080',
    });
    expect(remoteAddress('https://h/proxy/llm/').baseUrl).toBe('https://h/proxy/llm');
    expect(() => remoteAddress('ftp://h')).toThrow('ftp: is not an address Mai can use for a server; use http:// or https://.');
    expect(() => remoteAddress('http://user:pw@h')).toThrow('Put the API key in its own field, not in the address.');
    expect(() => remoteAddress('not a url')).toThrow(/is not a web address/);
  });

  it('warns for plain http to another machine only', () => {
    for (const url of ['http://127.0.0.1:8080', 'http://localhost:1', 'http://[::1]:8080', 'http://127.3.2.1', 'http://[::ffff:127.0.0.1]', 'https://10.0.0.2'])
      expect(plainHttpWarning(url), url).toBeNull();
    for (const url of ['http://10.0.0.2:8080', 'http://gpu-box.local', 'http://[fe80::1]', 'http://128.0.0.1', 'http://localhost.example.com'])
      expect(plainHttpWarning(url), url).toMatch(/unencrypted/);
    expect(isLoopback('LOCALHOST')).toBe(true);
  });

  it('keeps one key per origin', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mai-remote-keys-'));
    const keys = new RemoteKeys((origin) => new SafeStorageSecretStore(remoteKeyFile(dir, origin), fakeSafeStorage()));
    await keys.write('http://a:1', 'key-a');
    await keys.write('http://b:1', 'key-b');
    expect([await keys.read('http://a:1'), await keys.read('http://b:1'), await keys.read('http://c:1')]).toEqual(['key-a', 'key-b', null]);
    expect(keys.encrypted('http://a:1')).toBe(true);
  });
});
