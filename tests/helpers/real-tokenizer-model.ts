/**
 * A test model on a real tokenizer and chat template whose replies end by themselves (see
 * tests/fixtures/real-tokenizer-model.ts and docs/test-models.md), written once into
 * tests/.tmp/real-tokenizer-models/v<design>/<id>/ and reused while its design and size are
 * unchanged. One folder per model, so that a test can hand Mai that folder as its models folder
 * and find only that model in it; and none of them in tests/.tmp/models, the demo models' folder.
 */
import path from 'node:path';
import { QWEN2_TEST_MODEL, REAL_TOKENIZER_MODEL_DESIGN, writeRealTokenizerModel, type RealTokenizerModelSpec } from '../fixtures/real-tokenizer-model';
import { testsDir } from './models';

export const realTokenizerModelsDir = path.join(testsDir, '.tmp', 'real-tokenizer-models', `v${REAL_TOKENIZER_MODEL_DESIGN}`);

/**
 * The path of the model (default: Qwen2's tokenizer and ChatML template, 45 MB), generating it on
 * first use (a few seconds, with the tokenizer extracted from node-llama-cpp's llama.cpp bundle by
 * git into ~/.cache/mai on the first run on a machine). `dir` defaults to
 * `${realTokenizerModelsDir}/${spec.id}`; `path.dirname(result)` holds this model only.
 */
export async function ensureRealTokenizerModel(
  spec: RealTokenizerModelSpec = QWEN2_TEST_MODEL,
  dir = path.join(realTokenizerModelsDir, spec.id),
): Promise<string> {
  return writeRealTokenizerModel(spec, dir);
}
