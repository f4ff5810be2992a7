/**
 * Malformed GGUF files against the real engine process: every one is refused with its reason before
 * node-llama-cpp reads it, and the engine never dies (its pid never changes).
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { malformedGgufCorpus, type MalformedGguf } from '../fixtures/malformed-gguf';
import { createTestCore, tempDir } from '../helpers/app';
import { ensureTestModels, type TestModels } from '../helpers/models';

let models: TestModels;
let dir: string;
let corpus: (MalformedGguf & { path: string })[];

beforeAll(async () => {
  models = await ensureTestModels();
  dir = tempDir('mai-gguf-engine-');
  const entries = malformedGgufCorpus(await readFile(models.tiny));
  corpus = [];
  for (const [i, entry] of entries.entries()) {
    const file = path.join(dir, `bad-${String(i).padStart(2, '0')}.gguf`);
    await writeFile(file, entry.bytes);
    corpus.push({ ...entry, path: file });
  }
});

describe('malformed GGUF files against the engine process', () => {
  let harness: ReturnType<typeof createTestCore>;
  afterAll(async () => {
    await harness?.core.shutdown();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('refuses every malformed file with its reason and the engine never dies', async () => {
    harness = createTestCore({ initialModelPath: models.tiny, maxTokens: 8 });
    const { core } = harness;
    await core.start();
    const pid = core.engine.pid;
    expect(pid).toBeGreaterThan(0);

    let refused = 0;
    const failures: string[] = [];
    for (const entry of corpus) {
      const outcome = await Promise.resolve(core.handlers['models:select']({ path: entry.path })).then(
        () => null,
        (error: unknown) => error as { code?: string; message?: string },
      );
      if (outcome === null) failures.push(`${entry.name}: loaded`);
      else if (outcome.code !== 'model-invalid' || !entry.expect.test(outcome.message ?? ''))
        failures.push(`${entry.name}: ${outcome.code}: ${outcome.message}`);
      else refused++;
      if (core.engine.pid !== pid) {
        failures.push(`${entry.name}: the engine restarted (pid ${pid} -> ${core.engine.pid})`);
        break;
      }
    }
    console.log(`engine refused ${refused} of ${corpus.length} malformed GGUF files; engine pid ${pid} unchanged: ${core.engine.pid === pid}`);
    expect(failures).toEqual([]);
    expect(refused).toBe(corpus.length);
    expect(core.engine.pid).toBe(pid);
    expect(core.engine.status.restarts).toBe(0);
    expect(core.models.current?.path).toBe(models.tiny);
  });

  it('still loads a valid model afterwards and answers a message with it', async () => {
    const { core, waitFor } = harness;
    const pid = core.engine.pid;
    const loaded = await core.handlers['models:select']({ path: models.small });
    expect(loaded).toMatchObject({ path: models.small, synthetic: true });
    const { assistantMessageId } = await core.handlers['chat:send']({ text: 'Are you still there?' });
    const done = await waitFor('onChatMessage', ({ message }) => message.id === assistantMessageId && message.status !== 'streaming');
    expect(done.message.status).toBe('done');
    expect(done.message.text.length).toBeGreaterThan(0);
    expect(done.message.model).toBe(loaded.name);
    expect(core.engine.pid).toBe(pid);
  });
});
