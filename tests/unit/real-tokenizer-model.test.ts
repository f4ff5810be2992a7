/**
 * The generator of test models on a real tokenizer: repeatable bytes for a seed, the vocabulary and
 * template of llama.cpp's file carried over unchanged, clear sentences for what it cannot do.
 * (That node-llama-cpp loads the model and its replies end by themselves is in
 * tests/integration/real-tokenizer-model.test.ts.)
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readGgufFileInfo } from 'node-llama-cpp';
import { afterAll, describe, expect, it } from 'vitest';
import { float16Bits } from '../fixtures/gguf-writer';
import { llamaCppSourceFile } from '../fixtures/llama-cpp-source';
import { QWEN2_TEST_MODEL, writeRealTokenizerModel } from '../fixtures/real-tokenizer-model';

const tempDirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'mai-real-tokenizer-test-'));
  tempDirs.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

interface TokenizerMetadata {
  tokenizer: { chat_template: string; ggml: { model: string; tokens: string[]; token_type: number[]; merges: string[]; eos_token_id: number } };
}

describe('test models on a real tokenizer', () => {
  it('writes the same bytes for the same seed, and other weights for another seed', { timeout: 60_000 }, async () => {
    const [a, b, c] = await Promise.all([tempDir(), tempDir(), tempDir()]);
    const first = await writeRealTokenizerModel(QWEN2_TEST_MODEL, a);
    const again = await writeRealTokenizerModel(QWEN2_TEST_MODEL, b);
    const other = await writeRealTokenizerModel({ ...QWEN2_TEST_MODEL, seed: QWEN2_TEST_MODEL.seed + 1 }, c);
    expect(await sha256(again)).toBe(await sha256(first));
    expect((await stat(other)).size).toBe((await stat(first)).size);
    expect(await sha256(other)).not.toBe(await sha256(first));
    // A reasonable download for the Hub tests: the two 151,936-row F16 matrices and the vocabulary.
    expect((await stat(first)).size).toBeLessThan(50e6);
  });

  it("carries llama.cpp's Qwen2 vocabulary, merges and chat template unchanged", { timeout: 60_000 }, async () => {
    const file = await writeRealTokenizerModel(QWEN2_TEST_MODEL, await tempDir());
    const [ours, theirs] = await Promise.all([
      readGgufFileInfo(file, { logWarnings: false, readTensorInfo: true }),
      readGgufFileInfo(await llamaCppSourceFile('models/ggml-vocab-qwen2.gguf'), { logWarnings: false }),
    ]);
    const own = (ours.metadata as unknown as TokenizerMetadata).tokenizer;
    const source = (theirs.metadata as unknown as TokenizerMetadata).tokenizer;
    expect(own.ggml.model).toBe('gpt2');
    expect(own.ggml.tokens).toHaveLength(151_936);
    expect(own.ggml.tokens).toEqual(source.ggml.tokens);
    expect(Array.from(own.ggml.token_type)).toEqual(Array.from(source.ggml.token_type));
    expect(own.ggml.merges).toEqual(source.ggml.merges);
    expect(own.ggml.eos_token_id).toBe(151_643);
    expect(own.chat_template).toBe(source.chat_template);
    expect(ours.metadata.general.architecture).toBe('qwen2');
    expect(ours.tensorInfo?.map((t) => t.name)).toEqual(expect.arrayContaining(['token_embd.weight', 'output.weight', 'output.bias', 'blk.1.ffn_down.weight']));
  });

  it('refuses a vocabulary that is not byte-level BPE, and a file llama.cpp does not have, with a sentence', { timeout: 60_000 }, async () => {
    const dir = await tempDir();
    await expect(writeRealTokenizerModel({ ...QWEN2_TEST_MODEL, id: 'phi3', vocab: 'phi-3' }, dir)).rejects.toThrow(
      /ggml-vocab-phi-3\.gguf is not a byte-level BPE/,
    );
    await expect(llamaCppSourceFile('models/ggml-vocab-nope.gguf')).rejects.toThrow(/has no models\/ggml-vocab-nope\.gguf/);
    await expect(llamaCppSourceFile('../outside')).rejects.toThrow(/Not a path inside llama\.cpp/);
  });

  it('extracts a file from the bundle once and reuses it', async () => {
    const file = await llamaCppSourceFile('models/ggml-vocab-qwen2.gguf');
    expect(file).not.toContain(path.resolve('.'));
    const before = await stat(file);
    expect(await llamaCppSourceFile('models/ggml-vocab-qwen2.gguf')).toBe(file);
    expect((await stat(file)).mtimeMs).toBe(before.mtimeMs);
  });
});

describe('F16 encoding', () => {
  it('rounds to the nearest half, ties to even, with subnormals, infinities and NaN', () => {
    const cases: [number, number][] = [
      [0, 0x0000],
      [-0, 0x8000],
      [1, 0x3c00],
      [-2, 0xc000],
      [0.1, 0x2e66],
      [65504, 0x7bff],
      [65520, 0x7c00], // rounds up past the largest half
      [1e6, 0x7c00],
      [2 ** -24, 0x0001], // smallest subnormal
      [2 ** -26, 0x0000],
      [1 + 2 ** -11, 0x3c00], // a tie: to even
      [1 + 3 * 2 ** -11, 0x3c02], // a tie: to even, upwards
      [Infinity, 0x7c00],
      [-Infinity, 0xfc00],
    ];
    for (const [value, bits] of cases) expect(float16Bits(value), String(value)).toBe(bits);
    expect(float16Bits(NaN) & 0x7c00).toBe(0x7c00);
    expect(float16Bits(NaN) & 0x3ff).not.toBe(0);
  });
});
