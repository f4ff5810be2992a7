/**
 * The curated catalog: current instruct chat models in GGUF (Q4_K_M), smallest first; where each
 * repository and file name was confirmed is listed in docs/models.md. Architecture figures (layers,
 * KV heads, head size, training context) are the models' published ones; they give the KV-cache
 * estimate for the fit.
 *
 * Like any Hub search result, an entry is resolved when its download starts: the branch to a
 * commit, the size and SHA-256 from the Hub, every byte checked. A pin in `catalog-pins.json` is
 * optional and, where present, must agree with the Hub. Sizes marked `sizeIsApproximate` are the
 * rounded figures the repositories' pages give; the exact size comes from the Hub at download time.
 */
export interface CatalogEntry {
  id: string;
  name: string;
  /** Hugging Face repository and file; with `revision`, the hf: URI. */
  repo: string;
  file: string;
  /** Commit hash the file is pinned to; null until pinned. */
  revision: string | null;
  /** SHA-256 of the file (lower-case hex); null until pinned. */
  sha256: string | null;
  sizeBytes: number;
  sizeIsApproximate: boolean;
  quantization: string;
  parameters: string;
  /** Training context, tokens. */
  contextLength: number;
  licence: string;
  architecture: { layers: number; kvHeads: number; headDim: number };
  /** Tiers this entry is the recommended first download for. */
  recommendedFor: string[];
}

import pinsFile from './catalog-pins.json';

interface Pin {
  revision: string;
  sha256: string;
  sizeBytes: number;
}
const PIN_SHAPE = /^[0-9a-f]{40}$/;
const HASH_SHAPE = /^[0-9a-f]{64}$/;
const pins = pinsFile as Record<string, Partial<Pin>>;

/** An entry with its pin merged in (a malformed pin is ignored: the entry stays unpinned). */
const entry = (e: Omit<CatalogEntry, 'revision' | 'sha256'>): CatalogEntry => {
  const pin = pins[e.id];
  if (pin && typeof pin.revision === 'string' && PIN_SHAPE.test(pin.revision) && typeof pin.sha256 === 'string' && HASH_SHAPE.test(pin.sha256)) {
    return {
      ...e,
      revision: pin.revision,
      sha256: pin.sha256,
      ...(typeof pin.sizeBytes === 'number' ? { sizeBytes: pin.sizeBytes, sizeIsApproximate: false } : {}),
    };
  }
  return { ...e, revision: null, sha256: null };
};

export const CATALOG: readonly CatalogEntry[] = [
  entry({
    id: 'qwen3-0.6b-q4km',
    name: 'Qwen3 0.6B',
    repo: 'bartowski/Qwen_Qwen3-0.6B-GGUF',
    file: 'Qwen_Qwen3-0.6B-Q4_K_M.gguf',
    sizeBytes: 0.48e9,
    sizeIsApproximate: true,
    quantization: 'Q4_K_M',
    parameters: '0.6B',
    contextLength: 32_768,
    licence: 'Apache-2.0',
    architecture: { layers: 28, kvHeads: 8, headDim: 128 },
    recommendedFor: ['minimal'],
  }),
  entry({
    id: 'llama-3.2-1b-instruct-q4km',
    name: 'Llama 3.2 1B Instruct',
    repo: 'bartowski/Llama-3.2-1B-Instruct-GGUF',
    file: 'Llama-3.2-1B-Instruct-Q4_K_M.gguf',
    sizeBytes: 0.81e9,
    sizeIsApproximate: true,
    quantization: 'Q4_K_M',
    parameters: '1.2B',
    contextLength: 131_072,
    licence: 'Llama 3.2 Community License',
    architecture: { layers: 16, kvHeads: 8, headDim: 64 },
    recommendedFor: [],
  }),
  entry({
    id: 'qwen3-1.7b-q4km',
    name: 'Qwen3 1.7B',
    repo: 'bartowski/Qwen_Qwen3-1.7B-GGUF',
    file: 'Qwen_Qwen3-1.7B-Q4_K_M.gguf',
    sizeBytes: 1.28e9,
    sizeIsApproximate: true,
    quantization: 'Q4_K_M',
    parameters: '1.7B',
    contextLength: 32_768,
    licence: 'Apache-2.0',
    architecture: { layers: 28, kvHeads: 8, headDim: 128 },
    recommendedFor: [],
  }),
  entry({
    id: 'llama-3.2-3b-instruct-q4km',
    name: 'Llama 3.2 3B Instruct',
    repo: 'bartowski/Llama-3.2-3B-Instruct-GGUF',
    file: 'Llama-3.2-3B-Instruct-Q4_K_M.gguf',
    sizeBytes: 2.02e9,
    sizeIsApproximate: true,
    quantization: 'Q4_K_M',
    parameters: '3.2B',
    contextLength: 131_072,
    licence: 'Llama 3.2 Community License',
    architecture: { layers: 28, kvHeads: 8, headDim: 128 },
    recommendedFor: [],
  }),
  entry({
    id: 'phi-4-mini-instruct-q4km',
    name: 'Phi-4-mini Instruct',
    repo: 'bartowski/microsoft_Phi-4-mini-instruct-GGUF',
    file: 'microsoft_Phi-4-mini-instruct-Q4_K_M.gguf',
    sizeBytes: 2.49e9,
    sizeIsApproximate: true,
    quantization: 'Q4_K_M',
    parameters: '3.8B',
    contextLength: 131_072,
    licence: 'MIT',
    architecture: { layers: 32, kvHeads: 8, headDim: 128 },
    recommendedFor: [],
  }),
  entry({
    id: 'gemma-3-4b-it-q4km',
    name: 'Gemma 3 4B Instruct',
    repo: 'bartowski/google_gemma-3-4b-it-GGUF',
    file: 'google_gemma-3-4b-it-Q4_K_M.gguf',
    sizeBytes: 2.49e9,
    sizeIsApproximate: true,
    quantization: 'Q4_K_M',
    parameters: '4.3B',
    contextLength: 131_072,
    licence: 'Gemma Terms of Use',
    architecture: { layers: 34, kvHeads: 4, headDim: 256 },
    recommendedFor: [],
  }),
  entry({
    id: 'qwen3-4b-q4km',
    name: 'Qwen3 4B',
    repo: 'bartowski/Qwen_Qwen3-4B-GGUF',
    file: 'Qwen_Qwen3-4B-Q4_K_M.gguf',
    sizeBytes: 2.5e9,
    sizeIsApproximate: true,
    quantization: 'Q4_K_M',
    parameters: '4.0B',
    contextLength: 32_768,
    licence: 'Apache-2.0',
    architecture: { layers: 36, kvHeads: 8, headDim: 128 },
    recommendedFor: ['small'],
  }),
  entry({
    id: 'qwen3-8b-q4km',
    name: 'Qwen3 8B',
    repo: 'bartowski/Qwen_Qwen3-8B-GGUF',
    file: 'Qwen_Qwen3-8B-Q4_K_M.gguf',
    sizeBytes: 5.03e9,
    sizeIsApproximate: true,
    quantization: 'Q4_K_M',
    parameters: '8.2B',
    contextLength: 32_768,
    licence: 'Apache-2.0',
    architecture: { layers: 36, kvHeads: 8, headDim: 128 },
    recommendedFor: ['medium'],
  }),
  entry({
    id: 'qwen3-14b-q4km',
    name: 'Qwen3 14B',
    repo: 'bartowski/Qwen_Qwen3-14B-GGUF',
    file: 'Qwen_Qwen3-14B-Q4_K_M.gguf',
    sizeBytes: 9.0e9,
    sizeIsApproximate: true,
    quantization: 'Q4_K_M',
    parameters: '14.8B',
    contextLength: 32_768,
    licence: 'Apache-2.0',
    architecture: { layers: 40, kvHeads: 8, headDim: 128 },
    recommendedFor: [],
  }),
  entry({
    id: 'mistral-small-24b-instruct-2501-q4km',
    name: 'Mistral Small 3 24B Instruct',
    repo: 'bartowski/Mistral-Small-24B-Instruct-2501-GGUF',
    file: 'Mistral-Small-24B-Instruct-2501-Q4_K_M.gguf',
    sizeBytes: 14.3e9,
    sizeIsApproximate: true,
    quantization: 'Q4_K_M',
    parameters: '23.6B',
    contextLength: 32_768,
    licence: 'Apache-2.0',
    architecture: { layers: 40, kvHeads: 8, headDim: 128 },
    recommendedFor: ['large'],
  }),
  entry({
    id: 'qwen3-32b-q4km',
    name: 'Qwen3 32B',
    repo: 'bartowski/Qwen_Qwen3-32B-GGUF',
    file: 'Qwen_Qwen3-32B-Q4_K_M.gguf',
    sizeBytes: 19.76e9,
    sizeIsApproximate: true,
    quantization: 'Q4_K_M',
    parameters: '32.8B',
    contextLength: 32_768,
    licence: 'Apache-2.0',
    architecture: { layers: 64, kvHeads: 8, headDim: 128 },
    recommendedFor: ['workstation'],
  }),
];
