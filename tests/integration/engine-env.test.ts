/**
 * The Hugging Face token never reaches the engine or node-llama-cpp's binary-test processes: both
 * parse untrusted models in native code (electron/main/core/engine-env.ts). The real engine
 * (dist/engine/index.js) started by the web host's launcher; its environment read back from
 * /proc/<pid>/environ, as another process on the machine would see it.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { forkTestProcess, NodeEngineLauncher, type EngineProcess } from '../../electron/main/core/engine-launcher';
import { engineEntry, testsDir } from '../helpers/models';

const TOKEN = 'hf_engineMustNotSeeThis0123456789';
const env = { ...process.env, MAI_GPU: 'off', HF_TOKEN: TOKEN, HUGGING_FACE_HUB_TOKEN: TOKEN, hf_token: TOKEN, MAI_ENV_PROBE: 'kept' };

let engine: EngineProcess | null = null;
afterEach(() => {
  engine?.kill('SIGKILL');
  engine = null;
});

describe.runIf(process.platform === 'linux')('the engine environment', () => {
  it('has no Hugging Face token, and keeps the other variables', () => {
    engine = new NodeEngineLauncher(engineEntry, env).launch();
    expect(engine.pid).toBeTypeOf('number');
    const environ = readFileSync(`/proc/${engine.pid}/environ`, 'utf8').split('\0');
    expect(environ).toContain('MAI_ENV_PROBE=kept');
    expect(environ.join('\n')).not.toContain(TOKEN);
  });
});

describe('the binary-test process environment', () => {
  it("has no Hugging Face token, and has node-llama-cpp's switch", async () => {
    const child = forkTestProcess(env)(path.join(testsDir, 'fixtures', 'report-env.cjs'));
    const names = await new Promise<string[]>((resolve) => child.onMessage((message) => resolve(message as string[])));
    expect(names).toContain('MAI_ENV_PROBE');
    expect(names).toContain('TEST_BINDING_CP');
    expect(names.map((name) => name.toUpperCase())).not.toContain('HF_TOKEN');
    expect(names).not.toContain('HUGGING_FACE_HUB_TOKEN');
  });
});
