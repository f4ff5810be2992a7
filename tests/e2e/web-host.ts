/** Starts the built web host as a real child process and reads its address from its first line. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoDir, testModelsDir } from '../helpers/models';

export interface RunningHost {
  url: string;
  origin: string;
  token: string;
  process: ChildProcess;
  output: () => string;
  stop: () => Promise<void>;
}

export async function startHost(args: string[] = []): Promise<RunningHost> {
  const userData = mkdtempSync(path.join(os.tmpdir(), 'mai-e2e-'));
  const child = spawn(process.execPath, [path.join(repoDir, 'dist/web/index.js'), '--user-data', userData, '--models-dir', testModelsDir, ...args], {
    env: { ...process.env, MAI_GPU: 'off' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`web host did not start:\n${output}`)), 30_000);
    const check = () => {
      const match = /Mai is running at (\S+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout?.on('data', check);
    child.once('exit', (code) => reject(new Error(`web host exited with ${code}:\n${output}`)));
  });
  const parsed = new URL(url);
  return {
    url,
    origin: parsed.origin,
    token: parsed.searchParams.get('token') ?? '',
    process: child,
    output: () => output,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
