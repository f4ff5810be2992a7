/**
 * `npm start`'s launcher (build/start-electron.mjs) end to end without GitHub: Electron's own
 * installer (node_modules/electron/install.js, @electron/get) downloads a stand-in runtime from a
 * mirror on 127.0.0.1 (tests/helpers/stand-in-electron.ts says what is fake and why), checks it
 * against the mirror's SHASUMS256.txt, unpacks it, and the launcher runs it on the app's folder.
 *
 * Each case runs in a fresh folder: the app's package.json, the launcher, and a copy of the
 * `electron` package (the installer unpacks into its own folder, so the shared node_modules/electron
 * is never touched), with @electron/get and the zip extractor linked from the real install.
 * Only Electron's documented variables point the installer at the mirror and the cache.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseStandInRecord, StandInElectronMirror } from '../helpers/stand-in-electron';

const repo = path.resolve(__dirname, '..', '..');
const realElectron = path.join(repo, 'node_modules', 'electron');
const version = (JSON.parse(readFileSync(path.join(realElectron, 'package.json'), 'utf8')) as { version: string }).version;
const scratch = mkdtempSync(path.join(os.tmpdir(), 'mai-electron-start-'));
const realElectronState = () => ['path.txt', 'dist'].map((name) => existsSync(path.join(realElectron, name)));

/** A folder laid out like a fresh clone after `npm ci`, as far as the launcher is concerned. */
function freshApp(name: string): string {
  const app = path.join(scratch, name);
  mkdirSync(path.join(app, 'build'), { recursive: true });
  copyFileSync(path.join(repo, 'package.json'), path.join(app, 'package.json'));
  for (const file of ['start-electron.mjs', 'electron-runtime.mjs']) copyFileSync(path.join(repo, 'build', file), path.join(app, 'build', file));
  const electron = path.join(app, 'node_modules', 'electron');
  mkdirSync(electron, { recursive: true });
  for (const file of ['package.json', 'install.js', 'index.js', 'cli.js', 'checksums.json'])
    copyFileSync(path.join(realElectron, file), path.join(electron, file));
  for (const dependency of ['@electron/get', '@electron-internal/extract-zip']) {
    mkdirSync(path.dirname(path.join(app, 'node_modules', dependency)), { recursive: true });
    symlinkSync(path.join(repo, 'node_modules', dependency), path.join(app, 'node_modules', dependency), 'dir');
  }
  return app;
}

interface Run {
  code: number | null;
  stderr: string;
  record: ReturnType<typeof parseStandInRecord> | null;
}

/**
 * Runs the launcher as `npm start` would after its build, with a clean environment: only PATH, a
 * private HOME and cache, Electron's variables, and an inherited ELECTRON_RUN_AS_NODE that must not
 * reach Electron.
 */
async function launch(app: string, mirror: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<Run> {
  const recordFile = path.join(app, 'stand-in-record.txt');
  rmSync(recordFile, { force: true });
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: path.join(scratch, 'home'),
    ELECTRON_MIRROR: mirror,
    electron_use_remote_checksums: '1',
    electron_config_cache: path.join(scratch, 'electron-cache'),
    ELECTRON_RUN_AS_NODE: '1',
    MAI_STANDIN_RECORD: recordFile,
    ...extraEnv,
  };
  const child = spawn(process.execPath, [path.join(app, 'build', 'start-electron.mjs'), '--mai-test-flag'], {
    cwd: app,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const record = existsSync(recordFile) ? parseStandInRecord(readFileSync(recordFile, 'utf8')) : null;
  return { code, stderr, record };
}

describe.skipIf(process.platform === 'win32')('npm start without a runtime installed', () => {
  const mirror = new StandInElectronMirror(version);
  let mirrorUrl = '';
  const before = realElectronState();

  beforeAll(async () => {
    mirrorUrl = await mirror.start();
  });
  afterAll(async () => {
    await mirror.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  it("downloads the runtime with Electron's installer, checks it, unpacks it and starts it on the app, without ELECTRON_RUN_AS_NODE", async () => {
    const app = freshApp('first');
    const run = await launch(app, mirrorUrl);
    expect(run.stderr).toContain(`Mai needs Electron ${version}'s runtime`);
    expect(run.stderr).toContain(`from ${mirrorUrl}`);
    expect(run.stderr).toContain(`Electron ${version} is installed`);
    expect(run.code).toBe(0);
    const fileName = `electron-v${version}-${process.platform}-${process.arch}.zip`;
    expect(mirror.requests).toEqual(expect.arrayContaining([`/v${version}/${fileName}`, `/v${version}/SHASUMS256.txt`]));
    expect(run.record).not.toBeNull();
    expect(run.record!.args).toEqual(['.', '--mai-test-flag']);
    expect(run.record!.cwd).toBe(app);
    expect(run.record!.env.has('ELECTRON_RUN_AS_NODE')).toBe(false);
    expect(run.record!.env.get('MAI_STANDIN_RECORD')).toBe(path.join(app, 'stand-in-record.txt'));
    expect(readFileSync(path.join(app, 'node_modules', 'electron', 'dist', 'version'), 'utf8')).toBe(version);
    // The shared install was not touched.
    expect(realElectronState()).toEqual(before);
  });

  it("starts at once the second time: nothing is downloaded again, and Electron's exit code is npm start's", async () => {
    const app = path.join(scratch, 'first');
    const seen = mirror.requests.length;
    const run = await launch(app, mirrorUrl, { MAI_STANDIN_EXIT: '3' });
    expect(mirror.requests.slice(seen)).toEqual([]);
    expect(run.stderr).toBe('');
    expect(run.record?.args).toEqual(['.', '--mai-test-flag']);
    expect(run.code).toBe(3);
  });

  it('after node_modules is rebuilt, takes the archive from electron_config_cache instead of downloading it', async () => {
    const app = freshApp('reinstalled');
    const archivesBefore = mirror.archiveRequests().length;
    const run = await launch(app, mirrorUrl);
    expect(run.code).toBe(0);
    expect(run.record?.args[0]).toBe('.');
    // Only the checksums are fetched again (@electron/get never caches them); the archive is not.
    expect(mirror.archiveRequests().length).toBe(archivesBefore);
  });

  it('with the mirror down, says so in one sentence, suggests the browser version and exits non-zero', async () => {
    const down = new StandInElectronMirror(version);
    const downUrl = await down.start();
    await down.stop(); // the port is now refused
    const app = freshApp('offline');
    const run = await launch(app, downUrl, { electron_config_cache: path.join(scratch, 'empty-cache') });
    expect(run.code).not.toBe(0);
    expect(run.record).toBeNull();
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(2); // what it is about to do, then why it could not
    expect(lines[1]).toMatch(new RegExp(`^Electron's runtime could not be installed from ${downUrl.replace(/[.]/g, '\\.')}: the server could not be reached;`));
    expect(lines[1]).toContain('`npm run start:web`');
    expect(run.stderr).not.toContain('    at '); // no stack trace
    expect(existsSync(path.join(app, 'node_modules', 'electron', 'path.txt'))).toBe(false);
  });

  it('refuses an archive whose checksum does not match, and installs nothing', async () => {
    const tampered = new StandInElectronMirror(version, { wrongChecksum: true });
    const tamperedUrl = await tampered.start();
    try {
      const app = freshApp('tampered');
      const run = await launch(app, tamperedUrl, { electron_config_cache: path.join(scratch, 'tampered-cache') });
      expect(tampered.archiveRequests()).toHaveLength(1);
      expect(run.code).not.toBe(0);
      expect(run.record).toBeNull();
      expect(run.stderr).toContain('did not match its published SHA-256 checksum, so nothing was installed');
      expect(run.stderr).toContain('`npm run start:web`');
      expect(existsSync(path.join(app, 'node_modules', 'electron', 'path.txt'))).toBe(false);
      expect(existsSync(path.join(app, 'node_modules', 'electron', 'dist'))).toBe(false);
    } finally {
      await tampered.stop();
    }
  });
});
