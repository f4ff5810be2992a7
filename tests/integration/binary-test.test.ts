/**
 * node-llama-cpp's binary test under Mai's fuses (docs/security.md, "node-llama-cpp under the
 * RunAsNode fuse"). The real engine (dist/engine/index.js), real node-llama-cpp and a real
 * synthetic model; the engine process is made to look like Electron's utility process under the
 * RunAsNode fuse by tests/fixtures/fused-utility-process/shim.mjs (no `utilityProcess` in
 * `electron`, `child_process.fork` starting a second Mai that exits), because no Electron runtime
 * can run here.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NodeEngineLauncher } from '../../electron/main/core/engine-launcher';
import { createTestCore, tempDir } from '../helpers/app';
import { engineEntry, ensureTestModels, testsDir, type TestModels } from '../helpers/models';

const shim = path.join(testsDir, 'fixtures', 'fused-utility-process', 'shim.mjs');

let models: TestModels;
beforeAll(async () => {
  models = await ensureTestModels();
});

let harness: ReturnType<typeof createTestCore> | null = null;
afterEach(async () => {
  await harness?.core.shutdown();
  harness = null;
});

/** The engine's environment: the fused-utility-process shim, and a file listing every fork it refused. */
function fusedEngineEnv(): { env: NodeJS.ProcessEnv; forks: () => string[] } {
  const forkLog = path.join(tempDir('mai-forks-'), 'forks.log');
  writeFileSync(forkLog, '');
  const env = {
    ...process.env,
    MAI_GPU: 'off',
    MAI_TEST_HOOKS: '1',
    MAI_TEST_FORK_LOG: forkLog,
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${pathToFileURL(shim).href}`.trim(),
  };
  return { env, forks: () => readFileSync(forkLog, 'utf8').split('\n').filter(Boolean) };
}

describe('node-llama-cpp in an engine that cannot fork (a utility process under RunAsNode off)', () => {
  it('loads a model and answers: main runs the binary test, the engine never forks', async () => {
    const { env, forks } = fusedEngineEnv();
    harness = createTestCore({ initialModelPath: models.tiny, maxTokens: 16, launcher: new NodeEngineLauncher(engineEntry, env) });
    const { core, events, waitFor } = harness;
    await core.start();
    expect(events.filter((e) => e.event === 'onNotice' && (e.payload as { level: string }).level === 'error')).toEqual([]);
    const { assistantMessageId } = await core.handlers['chat:send']({ text: 'Hello there' });
    const done = await waitFor('onChatMessage', ({ message }) => message.id === assistantMessageId && message.status !== 'streaming');
    expect(done.message.status).toBe('done');
    expect(done.message.text.length).toBeGreaterThan(0);
    // node-llama-cpp's fork of its test file went to main, never to the (refused) executable.
    expect(forks()).toEqual([]);
  });

  it('control: without main running the test, the same engine finds no usable binary and no model loads', async () => {
    const { env, forks } = fusedEngineEnv();
    harness = createTestCore({
      initialModelPath: models.tiny,
      maxTokens: 16,
      launcher: new NodeEngineLauncher(engineEntry, env, { relayBinaryTests: false }),
    });
    const { core, events } = harness;
    await core.start();
    const errors = events
      .filter((e) => e.event === 'onNotice' && (e.payload as { level: string }).level === 'error')
      .map((e) => (e.payload as { message: string }).message);
    console.log(`without the relay: ${errors.join(' | ')}`);
    expect(errors.length).toBeGreaterThan(0);
    // The engine forked node-llama-cpp's test file and got a second Mai instead.
    expect(forks().some((file) => /testBindingBinary\.js$/.test(file))).toBe(true);
    expect(core.engine.status.state).toBe('ready');
  });
});
