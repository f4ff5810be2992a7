/**
 * The curated catalog: real chat models in GGUF, smallest first. Architecture figures (layers, KV
 * heads, head size) are the models' published ones; they give the KV-cache estimate for the fit.
 *
 * Pinning: `revision` and `sha256` must be filled by `node build/pin-catalog.mjs` where Hugging
 * Face is reachable (it reads both from the Hub's API). An entry without them is listed with its
 * fit but cannot be downloaded: Mai never offers a file it cannot verify. File sizes marked
 * `sizeIsApproximate` are rounded public figures until pinning replaces them with exact ones.
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
    return { ...e, revision: pin.revision, sha256: pin.sha256, ...(typeof pin.sizeBytes === 'number' ? { sizeBytes: pin.sizeBytes, sizeIsApproximate: false } : {}) };
  }
  return { ...e, revision: null, sha256: null };
};

export const CATALOG: readonly CatalogEntry[] = [
  entry({
    id: 'qwen2.5-0.5b-instruct-q4km', name: 'Qwen2.5 0.5B Instruct', repo: 'bartowski/Qwen2.5-0.5B-Instruct-GGUF', file: 'Qwen2.5-0.5B-Instruct-Q4_K_M.gguf',
    sizeBytes: 397_808_192, sizeIsApproximate: false, quantization: 'Q4_K_M', parameters: '0.5B', contextLength: 32_768, licence: 'Apache-2.0',
    architecture: { layers: 24, kvHeads: 2, headDim: 64 }, recommendedFor: ['minimal'],
  }),
  entry({
    id: 'llama-3.2-1b-instruct-q4km', name: 'Llama 3.2 1B Instruct', repo: 'bartowski/Llama-3.2-1B-Instruct-GGUF', file: 'Llama-3.2-1B-Instruct-Q4_K_M.gguf',
    sizeBytes: 808e6, sizeIsApproximate: true, quantization: 'Q4_K_M', parameters: '1.2B', contextLength: 131_072, licence: 'Llama 3.2 Community License',
    architecture: { layers: 16, kvHeads: 8, headDim: 64 }, recommendedFor: [],
  }),
  entry({
    id: 'qwen2.5-1.5b-instruct-q4km', name: 'Qwen2.5 1.5B Instruct', repo: 'bartowski/Qwen2.5-1.5B-Instruct-GGUF', file: 'Qwen2.5-1.5B-Instruct-Q4_K_M.gguf',
    sizeBytes: 986e6, sizeIsApproximate: true, quantization: 'Q4_K_M', parameters: '1.5B', contextLength: 32_768, licence: 'Apache-2.0',
    architecture: { layers: 28, kvHeads: 2, headDim: 128 }, recommendedFor: ['small'],
  }),
  entry({
    id: 'llama-3.2-3b-instruct-q4km', name: 'Llama 3.2 3B Instruct', repo: 'bartowski/Llama-3.2-3B-Instruct-GGUF', file: 'Llama-3.2-3B-Instruct-Q4_K_M.gguf',
    sizeBytes: 2.02e9, sizeIsApproximate: true, quantization: 'Q4_K_M', parameters: '3.2B', contextLength: 131_072, licence: 'Llama 3.2 Community License',
    architecture: { layers: 28, kvHeads: 8, headDim: 128 }, recommendedFor: [],
  }),
  entry({
    id: 'qwen2.5-7b-instruct-q4km', name: 'Qwen2.5 7B Instruct', repo: 'bartowski/Qwen2.5-7B-Instruct-GGUF', file: 'Qwen2.5-7B-Instruct-Q4_K_M.gguf',
    sizeBytes: 4.68e9, sizeIsApproximate: true, quantization: 'Q4_K_M', parameters: '7.6B', contextLength: 32_768, licence: 'Apache-2.0',
    architecture: { layers: 28, kvHeads: 4, headDim: 128 }, recommendedFor: ['medium'],
  }),
  entry({
    id: 'llama-3.1-8b-instruct-q4km', name: 'Llama 3.1 8B Instruct', repo: 'bartowski/Meta-Llama-3.1-8B-Instruct-GGUF', file: 'Meta-Llama-3.1-8B-Instruct-Q4_K_M.gguf',
    sizeBytes: 4.92e9, sizeIsApproximate: true, quantization: 'Q4_K_M', parameters: '8.0B', contextLength: 131_072, licence: 'Llama 3.1 Community License',
    architecture: { layers: 32, kvHeads: 8, headDim: 128 }, recommendedFor: [],
  }),
  entry({
    id: 'mistral-nemo-12b-instruct-q4km', name: 'Mistral Nemo 12B Instruct', repo: 'bartowski/Mistral-Nemo-Instruct-2407-GGUF', file: 'Mistral-Nemo-Instruct-2407-Q4_K_M.gguf',
    sizeBytes: 7.48e9, sizeIsApproximate: true, quantization: 'Q4_K_M', parameters: '12.2B', contextLength: 131_072, licence: 'Apache-2.0',
    architecture: { layers: 40, kvHeads: 8, headDim: 128 }, recommendedFor: ['large'],
  }),
  entry({
    id: 'qwen2.5-14b-instruct-q4km', name: 'Qwen2.5 14B Instruct', repo: 'bartowski/Qwen2.5-14B-Instruct-GGUF', file: 'Qwen2.5-14B-Instruct-Q4_K_M.gguf',
    sizeBytes: 8.99e9, sizeIsApproximate: true, quantization: 'Q4_K_M', parameters: '14.8B', contextLength: 32_768, licence: 'Apache-2.0',
    architecture: { layers: 48, kvHeads: 8, headDim: 128 }, recommendedFor: [],
  }),
  entry({
    id: 'qwen2.5-32b-instruct-q4km', name: 'Qwen2.5 32B Instruct', repo: 'bartowski/Qwen2.5-32B-Instruct-GGUF', file: 'Qwen2.5-32B-Instruct-Q4_K_M.gguf',
    sizeBytes: 19.85e9, sizeIsApproximate: true, quantization: 'Q4_K_M', parameters: '32.8B', contextLength: 32_768, licence: 'Apache-2.0',
    architecture: { layers: 64, kvHeads: 8, headDim: 128 }, recommendedFor: ['workstation'],
  }),
];

/** The hf: URI of a pinned entry (the download manager resolves it). */
export function hfUri(e: CatalogEntry): string | null {
  return e.revision ? `hf:${e.repo}/${e.file}#${e.revision}` : null;
}
