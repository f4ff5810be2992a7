/**
 * Malformed GGUF files lying in the models folder next to good models: the ladder is built
 * without node-llama-cpp ever reading them (its header reader would allocate until the engine
 * dies on the 2^40-item array), each is left out with a notice naming it and the reason, and Mai
 * answers on the good models.
 */
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { malformedGgufCorpus } from '../fixtures/malformed-gguf';
import { createTestCore, tempDir } from '../helpers/app';
import { ensureTestModels, type TestModels } from '../helpers/models';

let models: TestModels;
beforeAll(async () => {
  models = await ensureTestModels();
});

let harness: ReturnType<typeof createTestCore> | null = null;
afterEach(async () => {
  await harness?.core.shutdown();
  harness = null;
});

/** The corpus entries this test puts in the folder: the process killer first, then other kinds. */
const CHOSEN = [
  'array of 2^40 strings',
  'array of 2^40 numbers',
  'nested array bomb',
  'tensor offset 2^40',
  'cut in the middle of the tensor data',
  'three bytes',
];

describe('the model ladder with malformed files in the models folder', () => {
  it('leaves every malformed file out with its reason, the engine never dies, and a reply still comes', async () => {
    const corpus = malformedGgufCorpus(readFileSync(models.tiny));
    const chosen = CHOSEN.map((name) => {
      const entry = corpus.find((e) => e.name === name);
      if (!entry) throw new Error(`the corpus has no entry "${name}"`);
      return entry;
    });
    const dir = tempDir('mai-ladder-bad-');
    copyFileSync(models.tiny, path.join(dir, 'good-tiny.gguf'));
    copyFileSync(models.small, path.join(dir, 'good-small.gguf'));
    const bad = chosen.map((entry, i) => {
      const file = path.join(dir, `bad-${i}.gguf`);
      writeFileSync(file, entry.bytes);
      return { ...entry, file: path.basename(file) };
    });

    harness = createTestCore({ modelsDir: dir, initialModelPath: path.join(dir, 'good-small.gguf'), maxTokens: 16 });
    const { core, events, waitFor } = harness;
    await core.start();
    const pid = core.engine.pid;
    expect(pid).toBeGreaterThan(0);

    const notices = events.filter((e) => e.event === 'onNotice').map((e) => (e.payload as { message: string }).message);
    for (const entry of bad) {
      const notice = notices.find((m) => m.startsWith(`${entry.file} was left out of the model list:`));
      expect(notice, `notice for ${entry.name}`).toBeDefined();
      expect(notice).toMatch(entry.expect);
    }
    console.log(`refused ${bad.length} malformed files at ladder build, e.g. "${notices.find((m) => m.startsWith('bad-0.gguf'))}"`);
    const ladder = core.models.ladder.map((rung) => path.basename(rung.path));
    expect(ladder.sort()).toEqual(['good-small.gguf', 'good-tiny.gguf']);

    const { assistantMessageId } = await core.handlers['chat:send']({ text: 'Anyone there?' });
    const reply = await waitFor('onChatMessage', ({ message }) => message.id === assistantMessageId && message.status !== 'streaming');
    expect(reply.message.status).toBe('done');
    expect(reply.message.text.length).toBeGreaterThan(0);
    expect(core.engine.pid).toBe(pid);
    expect(core.engine.status.restarts).toBe(0);
  });
});
