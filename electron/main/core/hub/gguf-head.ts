/**
 * The architecture figures of a GGUF model from the first bytes of its file (read from the Hub by
 * a Range request): layers, KV heads, head size and training context, for the KV-cache part of the
 * fit estimate. Format: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md (little-endian;
 * header, then key-value metadata). The keys llama.cpp's converter writes are `general.architecture`
 * and `<arch>.block_count`, `<arch>.attention.head_count[_kv]`, `<arch>.embedding_length`,
 * `<arch>.attention.key_length`, `<arch>.context_length`; they come before the tokenizer's large
 * arrays, so a few hundred KB usually hold them.
 *
 * Main may not import the engine's GGUF reader (import lanes), and this one never touches a file:
 * it walks a buffer, bounds every length by the bytes it has, and stops at the first byte it lacks.
 */

export interface GgufArchitecture {
  architecture: string;
  layers: number;
  kvHeads: number;
  headDim: number;
  contextLength: number | null;
}

/** What a buffer gave: the figures, or that more bytes are needed, or that it is no GGUF. */
export type GgufHeadResult = { kind: 'found'; value: GgufArchitecture } | { kind: 'need-more' } | { kind: 'invalid'; reason: string };

const TYPE_SIZES = [1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8];
const STRING = 8;
const ARRAY = 9;

class OutOfBytes extends Error {}

/** Reads the architecture from the start of a GGUF file. */
export function readGgufArchitecture(buf: Buffer): GgufHeadResult {
  if (buf.length >= 4 && buf.toString('latin1', 0, 4) !== 'GGUF') return { kind: 'invalid', reason: 'it does not start with GGUF' };
  let pos = 0;
  const need = (n: number): void => {
    if (pos + n > buf.length) throw new OutOfBytes();
  };
  const u32 = (): number => {
    need(4);
    const v = buf.readUInt32LE(pos);
    pos += 4;
    return v;
  };
  const u64 = (): number => {
    need(8);
    const v = Number(buf.readBigUInt64LE(pos));
    pos += 8;
    return v;
  };
  const str = (): string => {
    const length = u64();
    need(length);
    const s = buf.toString('utf8', pos, pos + length);
    pos += length;
    return s;
  };
  const scalar = (type: number): number | string | boolean | null => {
    if (type === STRING) return str();
    const size = TYPE_SIZES[type];
    if (!size) throw new Error(`unknown value type ${type}`);
    need(size);
    const at = pos;
    pos += size;
    switch (type) {
      case 0:
        return buf.readUInt8(at);
      case 1:
        return buf.readInt8(at);
      case 2:
        return buf.readUInt16LE(at);
      case 3:
        return buf.readInt16LE(at);
      case 4:
        return buf.readUInt32LE(at);
      case 5:
        return buf.readInt32LE(at);
      case 6:
        return buf.readFloatLE(at);
      case 7:
        return buf.readUInt8(at) !== 0;
      case 10:
        return Number(buf.readBigUInt64LE(at));
      case 11:
        return Number(buf.readBigInt64LE(at));
      default:
        return buf.readDoubleLE(at);
    }
  };
  const values = new Map<string, number | string | boolean | number[]>();
  try {
    need(4);
    pos = 4;
    const version = u32();
    if (version !== 2 && version !== 3) return { kind: 'invalid', reason: `GGUF version ${version} is not read` };
    u64(); // tensor count
    const count = u64();
    for (let i = 0; i < count; i++) {
      const key = str();
      // The converter writes the model's keys before the tokenizer's: once those start, stop reading.
      if (key.startsWith('tokenizer.')) {
        const found = figures(values, true);
        if (found) return { kind: 'found', value: found };
      }
      const type = u32();
      if (type === ARRAY) {
        const itemType = u32();
        const items = u64();
        // Per-layer head counts (some architectures) are arrays of numbers: keep those, skip the rest.
        if (itemType !== STRING && itemType !== ARRAY && /\.attention\.head_count(_kv)?$/.test(key) && items <= 4096) {
          const list: number[] = [];
          for (let k = 0; k < items; k++) list.push(Number(scalar(itemType)));
          values.set(key, list);
        } else if (itemType === STRING) {
          for (let k = 0; k < items; k++) {
            const length = u64();
            need(length);
            pos += length;
          }
        } else {
          const size = TYPE_SIZES[itemType];
          if (!size) throw new Error(`unknown array type ${itemType}`);
          need(items * size);
          pos += items * size;
        }
      } else values.set(key, scalar(type) as number | string | boolean);
      const found = figures(values);
      if (found) return { kind: 'found', value: found };
    }
    const found = figures(values, true);
    return found ? { kind: 'found', value: found } : { kind: 'invalid', reason: 'its metadata has no layer or head counts' };
  } catch (error) {
    if (error instanceof OutOfBytes) return { kind: 'need-more' };
    return { kind: 'invalid', reason: (error as Error).message };
  }
}

/** The figures once every key needed is known (`complete`: the metadata ended, use what there is). */
function figures(values: Map<string, unknown>, complete = false): GgufArchitecture | null {
  const arch = values.get('general.architecture');
  if (typeof arch !== 'string') return null;
  const num = (suffix: string): number | null => {
    const v = values.get(`${arch}.${suffix}`);
    if (Array.isArray(v)) return v.length ? Math.max(...(v as number[])) : null;
    return typeof v === 'number' && Number.isFinite(v) ? v : null;
  };
  const layers = num('block_count');
  const heads = num('attention.head_count');
  const kvHeads = num('attention.head_count_kv');
  const embedding = num('embedding_length');
  const keyLength = num('attention.key_length');
  const context = num('context_length');
  const ready = layers !== null && heads !== null && embedding !== null && (complete || (kvHeads !== null && keyLength !== null && context !== null));
  if (!ready || !heads) return null;
  return {
    architecture: arch,
    layers,
    kvHeads: kvHeads ?? heads,
    headDim: keyLength ?? Math.round(embedding / heads),
    contextLength: context,
  };
}
