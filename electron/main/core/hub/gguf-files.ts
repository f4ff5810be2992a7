/**
 * A repository's GGUF files as chat models: split models (`name-00001-of-00003.gguf`, llama.cpp's
 * `gguf-split` naming) joined into one entry, vision projectors (`mmproj`) left out, the
 * quantization read from the file name.
 */

/** llama.cpp's split naming: `<prefix>-<k>-of-<n>.gguf`, five digits each. */
const SPLIT = /^(.*)-(\d{5})-of-(\d{5})\.gguf$/i;

/**
 * Quantization names as llama.cpp's `llama-quantize` and the usual uploaders write them in file
 * names: Q4_K_M, Q8_0, IQ4_XS, IQ2_XXS, Q4_0_4_4, TQ1_0, MXFP4, BF16, F16, F32 (also UD-Q4_K_XL → Q4_K_XL).
 */
const QUANT = /(?:^|[-_.])(I?Q\d(?:_[0-9A-Z]+)*|TQ\d_\d|MXFP4(?:_MOE)?|BF16|F16|F32|FP16|FP32)(?=[-_.]|$)/i;

export interface RepoFile {
  path: string;
  size: number;
  /** SHA-256 the Hub states (LFS), or null. */
  sha256: string | null;
}

export interface GgufModel {
  /** The file named when downloading: the file itself, or the first part. */
  file: string;
  /** Every file of the model, first part first. */
  parts: RepoFile[];
  quantization: string | null;
  sizeBytes: number;
}

/** The quantization a file name states, upper-case, or null. */
export function quantizationOf(fileName: string): string | null {
  const base = (fileName.split('/').pop() ?? fileName).replace(/\.gguf$/i, '').replace(/-\d{5}-of-\d{5}$/i, '');
  // The last match wins: "Qwen2.5-7B-Instruct-Q4_K_M" names the model before the quantization.
  let found: string | null = null;
  for (let rest = base; ;) {
    const m = QUANT.exec(rest);
    if (!m || m[1] === undefined) break;
    found = m[1].toUpperCase();
    rest = rest.slice((m.index ?? 0) + m[0].length);
  }
  return found;
}

/** `{prefix, index, count}` of a split part, or null for a file that is not one. */
export function splitPart(filePath: string): { prefix: string; index: number; count: number } | null {
  const m = SPLIT.exec(filePath);
  if (!m) return null;
  const index = Number(m[2]);
  const count = Number(m[3]);
  return index >= 1 && index <= count ? { prefix: m[1] ?? '', index, count } : null;
}

/** A vision projector (CLIP/mmproj): needed by multimodal models, never a chat model by itself. */
/** The name of part `index` of `count` of a split model (`prefix-0000k-of-0000n.gguf`), as llama.cpp's gguf-split writes it. */
export function splitPartName(prefix: string, index: number, count: number): string {
  return `${prefix}-${String(index).padStart(5, '0')}-of-${String(count).padStart(5, '0')}.gguf`;
}

export function isProjector(filePath: string): boolean {
  return /mmproj/i.test(filePath.split('/').pop() ?? filePath);
}

/** The chat models among a repository's files, smallest first. Incomplete split sets are left out. */
export function groupGgufFiles(files: readonly RepoFile[]): GgufModel[] {
  const models: GgufModel[] = [];
  const splits = new Map<string, RepoFile[]>();
  for (const f of files) {
    if (!f.path.toLowerCase().endsWith('.gguf') || isProjector(f.path)) continue;
    const part = splitPart(f.path);
    if (!part) {
      models.push({ file: f.path, parts: [f], quantization: quantizationOf(f.path), sizeBytes: f.size });
      continue;
    }
    const key = `${part.prefix}\u0000${part.count}`;
    const list = splits.get(key) ?? [];
    list[part.index - 1] = f;
    splits.set(key, list);
  }
  for (const [key, list] of splits) {
    const count = Number(key.split('\u0000')[1]);
    const parts = Array.from({ length: count }, (_, i) => list[i]);
    if (parts.some((p) => p === undefined)) continue;
    const complete = parts as RepoFile[];
    const first = complete[0] as RepoFile;
    models.push({ file: first.path, parts: complete, quantization: quantizationOf(first.path), sizeBytes: complete.reduce((sum, p) => sum + p.size, 0) });
  }
  return models.sort((a, b) => a.sizeBytes - b.sizeBytes || a.file.localeCompare(b.file));
}
