/**
 * A test model on a real tokenizer and chat template whose replies end by themselves (see
 * tests/fixtures/real-tokenizer-model.ts and docs/test-models.md), written once into
 * tests/.tmp/real-tokenizer-models/v<design>/ and reused while its design and size are unchanged.
 * Kept out of tests/.tmp/models, the folder the synthetic-model tests list as Mai's models folder.
 */
import path from 'node:path';
import { QWEN2_TEST_MODEL, REAL_TOKENIZER_MODEL_DESIGN, writeRealTokenizerModel, type RealTokenizerModelSpec } from '../fixtures/real-tokenizer-model';
import { testsDir } from './models';

export const realTokenizerModelsDir = path.join(testsDir, '.tmp', 'real-tokenizer-models', `v${REAL_TOKENIZER_MODEL_DESIGN}`);

/**
 * The path of the model (default: Qwen2's tokenizer and ChatML template, 45 MB), generating it on
 * first use (about 3 s, with the tokenizer extracted from node-llama-cpp's llama.cpp bundle by git
 * into ~/.cache/mai on the first run on a machine). `dir` defaults to realTokenizerModelsDir.
 */
export async function ensureRealTokenizerModel(spec: RealTokenizerModelSpec = QWEN2_TEST_MODEL, dir = realTokenizerModelsDir): Promise<string> {
  return writeRealTokenizerModel(spec, dir);
}
