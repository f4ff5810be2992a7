/**
 * Reads and checks a GGUF file's header before node-llama-cpp sees the file.
 *
 * node-llama-cpp's metadata reader trusts the counts it reads: a 55-byte file that declares an
 * array of 2^40 items makes it allocate until V8 aborts, and truncated files or tensors past the
 * end are not caught. This reader bounds every count and length by the bytes really left in the
 * file, holds at most one 64 KiB chunk (plus the few short strings it keeps), and refuses a bad
 * file with a sentence that names the problem and where it is.
 *
 * Format: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md; the rules llama.cpp's own
 * reader (ggml/src/gguf.cpp) applies are applied here too, so a file that passes is not refused by
 * llama.cpp's header reader for a structural reason.
 */
import { isUtf8 } from 'node:buffer';
import { open, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import { MaiError } from '../../../shared/errors';

export interface GgufSummary {
  /** GGUF version: 2 or 3. */
  version: number;
  tensorCount: number;
  metadataCount: number;
  architecture?: string;
  name?: string;
  contextLength?: number;
  blockCount?: number;
  embeddingLength?: number;
  fileType?: number;
  /** Metadata key `mai.synthetic` is the boolean true (Mai's generated demo models). */
  synthetic: boolean;
  /** File offset where the tensor data starts (after the header and its padding). */
  tensorDataOffset: number;
  /** Bytes of tensor data the header describes, each tensor padded to the alignment. */
  tensorDataBytes: number;
  fileSize: number;
  alignment: number;
}

export interface ValidateGgufOptions {
  /** Refuse files whose metadata (the key-value section) is larger than this. Default 64 MiB. */
  maxMetadataBytes?: number;
}

/** Bytes read from the file at a time; also the largest buffer this reader holds. */
const CHUNK_BYTES = 64 * 1024;
const DEFAULT_MAX_METADATA_BYTES = 64 * 1024 * 1024;
const MAX_KEY_BYTES = 64 * 1024;
/** GGML_MAX_NAME: llama.cpp refuses a tensor name of 64 bytes or more (it stores it NUL-terminated). */
const GGML_MAX_NAME = 64;
const GGML_MAX_DIMS = 4;
const DEFAULT_ALIGNMENT = 32;
/** Strings longer than this are checked but not kept (general.architecture and general.name). */
const MAX_KEPT_STRING_BYTES = 4096;
/** Smallest metadata pair: key length (8) + a 1-byte key + value type (4) + a 1-byte value. */
const MIN_KV_BYTES = 8 + 1 + 4 + 1;
/** Smallest tensor info: name length (8) + n_dims (4) + one dimension (8) + type (4) + offset (8). */
const MIN_TENSOR_INFO_BYTES = 8 + 4 + 8 + 4 + 8;
const HEADER_BYTES = 4 + 4 + 8 + 8;
/** A declared size of 1 TiB or more is no cut-off file: no model header or tensor is that large. */
const ABSURD_BYTES = 2 ** 40;
const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const TWO_32 = 0x1_0000_0000;

const VALUE_TYPE = {
  U8: 0,
  I8: 1,
  U16: 2,
  I16: 3,
  U32: 4,
  I32: 5,
  F32: 6,
  BOOL: 7,
  STRING: 8,
  ARRAY: 9,
  U64: 10,
  I64: 11,
  F64: 12,
} as const;
const VALUE_TYPE_NAMES = ['u8', 'i8', 'u16', 'i16', 'u32', 'i32', 'f32', 'bool', 'string', 'array', 'u64', 'i64', 'f64'];
/** Byte size of each fixed-size value type (0: string and array). */
const VALUE_TYPE_SIZES = [1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8];

/**
 * ggml type id -> [name, elements per block, bytes per block], as ggml's type_traits in the llama.cpp
 * that node-llama-cpp 3.21.1 ships (read from its libggml-base.so with ggml_blck_size/ggml_type_size;
 * its GGUF reader refuses type ids >= GGML_TYPE_COUNT = 43). A block size of 0 marks an id ggml has removed: llama.cpp refuses it.
 */
const GGML_TYPES: readonly (readonly [string, number, number])[] = [
  ['F32', 1, 4],
  ['F16', 1, 2],
  ['Q4_0', 32, 18],
  ['Q4_1', 32, 20],
  ['Q4_2', 0, 0],
  ['Q4_3', 0, 0],
  ['Q5_0', 32, 22],
  ['Q5_1', 32, 24],
  ['Q8_0', 32, 34],
  ['Q8_1', 32, 36],
  ['Q2_K', 256, 84],
  ['Q3_K', 256, 110],
  ['Q4_K', 256, 144],
  ['Q5_K', 256, 176],
  ['Q6_K', 256, 210],
  ['Q8_K', 256, 292],
  ['IQ2_XXS', 256, 66],
  ['IQ2_XS', 256, 74],
  ['IQ3_XXS', 256, 98],
  ['IQ1_S', 256, 50],
  ['IQ4_NL', 32, 18],
  ['IQ3_S', 256, 110],
  ['IQ2_S', 256, 82],
  ['IQ4_XS', 256, 136],
  ['I8', 1, 1],
  ['I16', 1, 2],
  ['I32', 1, 4],
  ['I64', 1, 8],
  ['F64', 1, 8],
  ['IQ1_M', 256, 56],
  ['BF16', 1, 2],
  ['Q4_0_4_4', 0, 0],
  ['Q4_0_4_8', 0, 0],
  ['Q4_0_8_8', 0, 0],
  ['TQ1_0', 256, 54],
  ['TQ2_0', 256, 66],
  ['IQ4_NL_4_4', 0, 0],
  ['IQ4_NL_4_8', 0, 0],
  ['IQ4_NL_8_8', 0, 0],
  ['MXFP4', 32, 17],
  ['NVFP4', 64, 36],
  ['Q1_0', 128, 18],
  ['Q2_0', 64, 18],
];

/** Reads and checks the header of the GGUF file at `path`; throws a MaiError naming the problem. */
export async function validateGguf(path: string, options: ValidateGgufOptions = {}): Promise<GgufSummary> {
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => error);
  if (info instanceof Error) {
    if (info.code === 'ENOENT' || info.code === 'ENOTDIR') throw new MaiError('model-not-found', `No model file at ${path}.`);
    throw new MaiError('model-invalid', `Mai cannot read ${path} (${info.code ?? info.message}).`);
  }
  if (!info.isFile()) throw new MaiError('model-invalid', `${path} is not a file.`);
  const handle = await open(path, 'r').catch((error: NodeJS.ErrnoException) => {
    throw new MaiError('model-invalid', `Mai cannot open ${path} (${error.code ?? error.message}).`);
  });
  try {
    const { size } = await handle.stat();
    const maxMetadataBytes = options.maxMetadataBytes ?? DEFAULT_MAX_METADATA_BYTES;
    return await new GgufHeaderReader(handle, basename(path), size, maxMetadataBytes).read();
  } finally {
    await handle.close();
  }
}

interface TensorRecord {
  name: string;
  offset: number;
  bytes: number;
}

class GgufHeaderReader {
  private readonly buf = Buffer.allocUnsafe(CHUNK_BYTES);
  /** File position of buf[0]. */
  private bufStart = 0;
  /** File position just past the last valid byte in buf. */
  private bufEnd = 0;
  /** File position of the next byte to read. */
  private pos = 0;

  // Where the reader is, for messages.
  private section: 'header' | 'metadata' | 'tensors' = 'header';
  private kvIndex = 0;
  private kvKey: string | undefined;
  private kvItem: number | undefined;
  private tensorIndex = 0;
  private tensorName: string | undefined;

  private metadataStart = HEADER_BYTES;

  constructor(
    private readonly handle: FileHandle,
    private readonly file: string,
    private readonly size: number,
    private readonly maxMetadataBytes: number,
  ) {}

  // ------------------------------------------------------------------------------------------
  // Messages

  private fail(message: string): never {
    throw new MaiError('model-invalid', `${this.file} ${message}`);
  }

  private where(): string {
    if (this.section === 'header') return 'the header';
    if (this.section === 'metadata') {
      if (this.kvKey === undefined) return `the name of metadata key ${this.kvIndex}`;
      const item = this.kvItem === undefined ? '' : `, at array item ${this.kvItem}`;
      return `the value of metadata key ${this.kvIndex} (${show(this.kvKey)})${item}`;
    }
    return `tensor info ${this.tensorIndex}${this.tensorName === undefined ? '' : ` (${show(this.tensorName)})`}`;
  }

  /** The thing being read, as the subject of a sentence ("metadata key 3 (x)"). */
  private subject(): string {
    if (this.section === 'metadata') {
      const key = this.kvKey === undefined ? '' : ` (${show(this.kvKey)})`;
      const item = this.kvItem === undefined ? '' : `, array item ${this.kvItem},`;
      return `metadata key ${this.kvIndex}${key}${item}`;
    }
    if (this.section === 'tensors') return `tensor info ${this.tensorIndex}${this.tensorName === undefined ? '' : ` (${show(this.tensorName)})`}`;
    return 'the header';
  }

  /** A declared size larger than what is left: a wild one is damage, a plausible one may be a cut file. */
  private tooLarge(declaredBytes: number, what: string): never {
    const verdict = declaredBytes >= ABSURD_BYTES ? 'is damaged' : 'is truncated or damaged';
    const left = this.remaining;
    this.fail(`${verdict}: ${what} but only ${left} ${left === 1 ? 'byte remains' : 'bytes remain'} in the file.`);
  }

  private get remaining(): number {
    return this.size - this.pos;
  }

  // ------------------------------------------------------------------------------------------
  // Buffered reading. Hot paths stay synchronous: `if (!this.has(n)) await this.fill(n)`.

  private has(n: number): boolean {
    return this.pos >= this.bufStart && this.pos + n <= this.bufEnd;
  }

  /** Makes at least n (≤ CHUNK_BYTES) bytes at pos available in buf, or reports the file truncated. */
  private async fill(n: number): Promise<void> {
    if (this.pos + n > this.size) {
      this.fail(`is truncated: the file ends at byte ${this.size}, while reading ${this.where()}.`);
    }
    let kept = 0;
    if (this.pos >= this.bufStart && this.pos < this.bufEnd) {
      kept = this.bufEnd - this.pos;
      this.buf.copy(this.buf, 0, this.pos - this.bufStart, this.bufEnd - this.bufStart);
    }
    this.bufStart = this.pos;
    this.bufEnd = this.pos + kept;
    const target = Math.min(CHUNK_BYTES, this.size - this.pos);
    while (this.bufEnd - this.bufStart < target) {
      const filled = this.bufEnd - this.bufStart;
      const { bytesRead } = await this.handle.read(this.buf, filled, target - filled, this.bufEnd);
      if (bytesRead <= 0) {
        // The file shrank while it was being read.
        this.fail(`is truncated: the file ends at byte ${this.bufEnd}, while reading ${this.where()}.`);
      }
      this.bufEnd += bytesRead;
    }
  }

  private async need(n: number): Promise<void> {
    if (!this.has(n)) await this.fill(n);
  }

  private u32(): number {
    const v = this.buf.readUInt32LE(this.pos - this.bufStart);
    this.pos += 4;
    return v;
  }

  /** A u64 as a number: exact up to 2^53, above that only "too large" (use lastU64() for the digits). */
  private u64(): number {
    const at = this.pos - this.bufStart;
    const v = this.buf.readUInt32LE(at + 4) * TWO_32 + this.buf.readUInt32LE(at);
    this.pos += 8;
    return v;
  }

  /** The exact decimal digits of the u64 just read (still in buf). */
  private lastU64(): string {
    return this.buf.readBigUInt64LE(this.pos - 8 - this.bufStart).toString();
  }

  private skip(n: number): void {
    this.pos += n;
  }

  /**
   * Reads a GGUF string (u64 length + bytes) of at most `maxBytes`, checks that it is UTF-8 (unless
   * `checkUtf8` is false) and returns it when it is short enough to keep, else undefined.
   */
  private async string(what: () => string, maxBytes: number, keep: boolean, checkUtf8 = true): Promise<string | undefined> {
    await this.need(8);
    const length = this.u64();
    const digits = (): string => (length > MAX_SAFE ? this.lastU64() : String(length));
    if (length > this.remaining) this.tooLarge(length, `${what()} declares a string of ${digits()} bytes`);
    if (length > maxBytes) this.fail(`is damaged: ${what()} is ${digits()} bytes long; the limit is ${maxBytes} bytes.`);
    this.checkMetadataSize(length);
    if (length <= CHUNK_BYTES) {
      await this.need(length);
      const at = this.pos - this.bufStart;
      const bytes = this.buf.subarray(at, at + length);
      if (checkUtf8 && !isUtf8(bytes)) this.fail(`is damaged: ${what()} is not valid UTF-8 text.`);
      this.pos += length;
      return keep && length <= MAX_KEPT_STRING_BYTES ? bytes.toString('utf8') : undefined;
    }
    if (!checkUtf8) {
      this.skip(length);
      return undefined;
    }
    // Longer than a chunk: check it piece by piece, cutting each piece before an incomplete character.
    let left = length;
    while (left > 0) {
      await this.need(Math.min(left, CHUNK_BYTES));
      const at = this.pos - this.bufStart;
      const available = Math.min(left, this.bufEnd - this.pos);
      const cut = available < left ? completeUtf8Prefix(this.buf, at, available) : available;
      if (!isUtf8(this.buf.subarray(at, at + cut))) this.fail(`is damaged: ${what()} is not valid UTF-8 text.`);
      this.pos += cut;
      left -= cut;
    }
    return undefined;
  }

  private checkMetadataSize(moreBytes: number): void {
    if (this.section !== 'metadata') return;
    if (this.pos + moreBytes - this.metadataStart > this.maxMetadataBytes) {
      this.fail(`has more metadata than Mai reads (over ${formatMiB(this.maxMetadataBytes)}): ${this.subject()} goes past that limit.`);
    }
  }

  // ------------------------------------------------------------------------------------------
  // The file

  async read(): Promise<GgufSummary> {
    if (this.size === 0) this.fail('is empty (0 bytes), so it is not a GGUF model file.');
    await this.fill(Math.min(this.size, HEADER_BYTES));
    const head = this.buf.subarray(0, Math.min(this.size, 4));
    if (this.size < 4 || head.toString('latin1') !== 'GGUF') {
      const length =
        this.size < 4
          ? `it is only ${this.size} byte${this.size === 1 ? '' : 's'} long and starts with '${escapeBytes(head)}'`
          : `it starts with '${escapeBytes(head)}'${knownFormat(this.buf.subarray(0, this.bufEnd))}`;
      this.fail(`is not a GGUF model file (${length}).`);
    }
    this.pos = 4;
    await this.need(4);
    const version = this.u32();
    this.checkVersion(version);

    await this.need(16);
    const tensorCount = this.u64();
    const tensorDigits = tensorCount > MAX_SAFE ? this.lastU64() : String(tensorCount);
    const metadataCount = this.u64();
    const metadataDigits = metadataCount > MAX_SAFE ? this.lastU64() : String(metadataCount);
    if (metadataCount * MIN_KV_BYTES > this.remaining) {
      this.tooLarge(metadataCount * MIN_KV_BYTES, `the header declares ${metadataDigits} metadata keys (at least ${MIN_KV_BYTES} bytes each)`);
    }
    // A wild tensor count is refused now; a plausible one once the metadata is read (a file cut in
    // the metadata is then reported where it is cut).
    const tensorInfoBytes = tensorCount * MIN_TENSOR_INFO_BYTES;
    if (tensorInfoBytes > this.remaining && tensorInfoBytes >= ABSURD_BYTES) {
      this.tooLarge(tensorInfoBytes, `the header declares ${tensorDigits} tensors (at least ${MIN_TENSOR_INFO_BYTES} bytes of description each)`);
    }

    const meta = await this.readMetadata(metadataCount);
    const alignment = meta.alignment;

    this.section = 'tensors';
    if (tensorCount * MIN_TENSOR_INFO_BYTES > this.remaining) {
      this.tooLarge(
        tensorCount * MIN_TENSOR_INFO_BYTES,
        `after the metadata, the ${tensorCount} tensor descriptions need at least ${tensorCount * MIN_TENSOR_INFO_BYTES} bytes`,
      );
    }
    const tensors: TensorRecord[] = [];
    const names = new Set<string>();
    for (let i = 0; i < tensorCount; i++) {
      this.tensorIndex = i;
      this.tensorName = undefined;
      tensors.push(await this.readTensorInfo(names, alignment));
    }

    if (tensorCount === 0) {
      this.fail('has no tensors, so it is not a model llama.cpp can load (it may be a vocabulary-only file).');
    }
    const tensorDataOffset = alignUp(this.pos, alignment);
    if (tensorDataOffset > this.size) {
      this.fail(`is truncated: the file ends at byte ${this.size}, inside the padding before the tensor data (which starts at byte ${tensorDataOffset}).`);
    }
    const tensorDataBytes = this.checkTensorLayout(tensors, tensorDataOffset, alignment);

    const arch = meta.architecture;
    const archNumber = (suffix: string): number | undefined => (arch === undefined ? undefined : meta.numbers.get(`${arch}.${suffix}`));
    return {
      version,
      tensorCount,
      metadataCount,
      ...(arch !== undefined && { architecture: arch }),
      ...(meta.name !== undefined && { name: meta.name }),
      ...optionalNumber('contextLength', archNumber('context_length')),
      ...optionalNumber('blockCount', archNumber('block_count')),
      ...optionalNumber('embeddingLength', archNumber('embedding_length')),
      ...optionalNumber('fileType', meta.numbers.get('general.file_type')),
      synthetic: meta.synthetic,
      tensorDataOffset,
      tensorDataBytes,
      fileSize: this.size,
      alignment,
    };
  }

  private checkVersion(version: number): void {
    if (version === 2 || version === 3) return;
    const swapped = ((version & 0xff) << 24) | ((version & 0xff00) << 8) | ((version >>> 8) & 0xff00) | (version >>> 24);
    if (version !== 0 && (version & 0xffff) === 0) {
      const hint = swapped >>> 0 <= 3 ? `GGUF version ${swapped >>> 0} written big-endian` : `version ${version}, which looks byte-swapped`;
      this.fail(`is a big-endian GGUF file (${hint}); Mai and llama.cpp read only little-endian GGUF files.`);
    }
    if (version === 1) this.fail('is GGUF version 1, an old format llama.cpp no longer loads; convert the model again with a current llama.cpp.');
    this.fail(`is GGUF version ${version}; Mai reads GGUF versions 2 and 3.`);
  }

  private async readMetadata(
    count: number,
  ): Promise<{ alignment: number; architecture?: string; name?: string; synthetic: boolean; numbers: Map<string, number> }> {
    this.section = 'metadata';
    this.metadataStart = this.pos;
    const keys = new Set<string>();
    const numbers = new Map<string, number>();
    let architecture: string | undefined;
    let name: string | undefined;
    let alignment = DEFAULT_ALIGNMENT;
    let synthetic = false;
    for (let i = 0; i < count; i++) {
      this.kvIndex = i;
      this.kvKey = undefined;
      this.kvItem = undefined;
      const key = await this.readKey(i);
      if (keys.has(key)) this.fail(`is damaged: metadata key ${i} (${show(key)}) appears twice.`);
      keys.add(key);
      this.kvKey = key;

      await this.need(4);
      const type = this.u32();
      if (key === 'general.alignment' && type !== VALUE_TYPE.U32) {
        this.fail(`is damaged: metadata key ${i} (general.alignment) is ${describeValueType(type)}; llama.cpp requires a u32.`);
      }
      if (type === VALUE_TYPE.ARRAY) {
        await this.skipArray();
        continue;
      }
      const value = await this.readScalar(type, key === 'general.architecture' || key === 'general.name');
      if (key === 'general.alignment') {
        const a = value as number;
        if (a === 0 || (a & (a - 1)) !== 0) this.fail(`is damaged: its alignment ${a} (metadata key ${i}, general.alignment) is not a power of two.`);
        alignment = a;
      } else if (key === 'general.architecture' && typeof value === 'string') architecture = value;
      else if (key === 'general.name' && typeof value === 'string') name = value;
      else if (key === 'mai.synthetic') synthetic = value === true;
      if (typeof value === 'number' && Number.isSafeInteger(value) && isSummaryNumberKey(key)) numbers.set(key, value);
    }
    this.kvKey = undefined;
    this.kvItem = undefined;
    return { alignment, synthetic, numbers, ...(architecture !== undefined && { architecture }), ...(name !== undefined && { name }) };
  }

  private async readKey(index: number): Promise<string> {
    const at = this.pos;
    await this.string(() => `the name of metadata key ${index}`, MAX_KEY_BYTES, false, true);
    const length = this.pos - at - 8;
    if (length === 0) this.fail(`is damaged: metadata key ${index} has an empty name.`);
    // string() consumed it; it is short enough (≤ 64 KiB = one chunk) to still be in the buffer.
    const start = at + 8 - this.bufStart;
    return this.buf.toString('utf8', start, start + length);
  }

  /** Reads a non-array value; returns it when it is a number, bool or a kept string. */
  private async readScalar(type: number, keepString: boolean): Promise<number | boolean | string | undefined> {
    if (type === VALUE_TYPE.STRING) return this.string(() => `the value of ${this.subject()}`, Number.MAX_SAFE_INTEGER, keepString);
    const size = VALUE_TYPE_SIZES[type];
    if (size === undefined || size === 0) this.fail(`is damaged: ${this.subject()} has unknown value type ${type}.`);
    this.checkMetadataSize(size);
    await this.need(size);
    const at = this.pos - this.bufStart;
    this.pos += size;
    switch (type) {
      case VALUE_TYPE.U8:
        return this.buf.readUInt8(at);
      case VALUE_TYPE.I8:
        return this.buf.readInt8(at);
      case VALUE_TYPE.U16:
        return this.buf.readUInt16LE(at);
      case VALUE_TYPE.I16:
        return this.buf.readInt16LE(at);
      case VALUE_TYPE.U32:
        return this.buf.readUInt32LE(at);
      case VALUE_TYPE.I32:
        return this.buf.readInt32LE(at);
      case VALUE_TYPE.F32:
        return this.buf.readFloatLE(at);
      case VALUE_TYPE.BOOL:
        return this.buf.readUInt8(at) !== 0;
      case VALUE_TYPE.U64:
        return Number(this.buf.readBigUInt64LE(at));
      case VALUE_TYPE.I64:
        return Number(this.buf.readBigInt64LE(at));
      default:
        return this.buf.readDoubleLE(at);
    }
  }

  private async skipArray(): Promise<void> {
    await this.need(12);
    const itemType = this.u32();
    const count = this.u64();
    const digits = count > MAX_SAFE ? this.lastU64() : String(count);
    const subject = this.subject();
    if (itemType === VALUE_TYPE.ARRAY) {
      if (count * (4 + 8) > this.remaining) this.tooLarge(count * 12, `${subject} declares ${digits} array items`);
      this.fail(`is damaged: ${subject} is an array of arrays, which llama.cpp does not read.`);
    }
    const itemSize = itemType === VALUE_TYPE.STRING ? 8 : VALUE_TYPE_SIZES[itemType];
    if (itemSize === undefined || itemSize === 0) this.fail(`is damaged: ${subject} is an array of unknown value type ${itemType}.`);
    // An array of N items of at least s bytes needs N*s bytes: check before touching any item.
    if (count * itemSize > this.remaining) this.tooLarge(count * itemSize, `${subject} declares ${digits} array items`);
    this.checkMetadataSize(count * itemSize);
    if (itemType !== VALUE_TYPE.STRING) {
      this.skip(count * itemSize);
      return;
    }
    // Token strings may be raw bytes (RWKV's vocabulary is): llama.cpp reads them as bytes.
    const checkUtf8 = !this.kvKey?.startsWith('tokenizer.');
    for (let i = 0; i < count; i++) {
      // Fast path, for vocabularies of 100k+ tokens: the whole string is already in the buffer.
      if (this.has(8)) {
        const at = this.pos - this.bufStart;
        const length = this.buf.readUInt32LE(at + 4) * TWO_32 + this.buf.readUInt32LE(at);
        const end = at + 8 + length;
        if (end <= this.bufEnd - this.bufStart && this.pos + 8 + length - this.metadataStart <= this.maxMetadataBytes) {
          if (checkUtf8 && !isUtf8Range(this.buf, at + 8, end)) {
            this.kvItem = i;
            this.fail(`is damaged: the value of ${this.subject()} is not valid UTF-8 text.`);
          }
          this.pos += 8 + length;
          continue;
        }
      }
      this.kvItem = i;
      await this.string(() => `the value of ${this.subject()}`, Number.MAX_SAFE_INTEGER, false, checkUtf8);
    }
    this.kvItem = undefined;
  }

  private async readTensorInfo(names: Set<string>, alignment: number): Promise<TensorRecord> {
    const i = this.tensorIndex;
    const name = (await this.string(() => `the name of tensor info ${i}`, GGML_MAX_NAME - 1, true)) ?? '';
    if (name === '') this.fail(`is damaged: tensor info ${i} has an empty name.`);
    if (names.has(name)) this.fail(`is damaged: two tensors are named ${show(name)} (the second is tensor info ${i}).`);
    names.add(name);
    this.tensorName = name;
    const subject = `tensor ${show(name)}`;

    await this.need(4);
    const dimCount = this.u32();
    if (dimCount === 0 || dimCount > GGML_MAX_DIMS)
      this.fail(`is damaged: ${subject} (tensor info ${i}) has ${dimCount} dimensions; llama.cpp allows 1 to ${GGML_MAX_DIMS}.`);
    await this.need(8 * dimCount + 4 + 8);
    const dims: number[] = [];
    for (let d = 0; d < dimCount; d++) {
      const n = this.u64();
      if (n === 0) this.fail(`is damaged: ${subject} has a dimension ${d} of 0 elements.`);
      if (n > MAX_SAFE) this.fail(`is damaged: ${subject} declares dimension ${d} of ${this.lastU64()} elements.`);
      dims.push(n);
    }
    const typeId = this.u32();
    const type = GGML_TYPES[typeId];
    if (!type) this.fail(`is damaged: ${subject} has unknown ggml type ${typeId} (the bundled llama.cpp knows types 0 to ${GGML_TYPES.length - 1}).`);
    const [typeName, blockSize, typeSize] = type;
    if (blockSize === 0) this.fail(`is damaged: ${subject} has ggml type ${typeId} (${typeName}), which llama.cpp has removed.`);
    const shape = `[${dims.join(', ')}]`;
    const rowLength = dims[0] ?? 1;
    if (rowLength % blockSize !== 0) {
      this.fail(`is damaged: ${subject} of type ${typeName} has ${rowLength} elements per row, not a multiple of its block size ${blockSize}.`);
    }
    let bytes = BigInt(rowLength / blockSize) * BigInt(typeSize);
    for (const n of dims.slice(1)) bytes *= BigInt(n);
    // Sizes and offsets that no file could have are damage; plausible ones past the end of this
    // file are reported by checkTensorLayout (as truncation when the tensors are laid out correctly).
    if (bytes > BigInt(this.size) && bytes >= BigInt(ABSURD_BYTES)) {
      this.fail(`is damaged: ${subject} (shape ${shape}, ${typeName}) would take ${bytes} bytes, more than the whole file (${this.size} bytes).`);
    }
    const offset = this.u64();
    if (offset > this.size && offset >= ABSURD_BYTES) {
      this.fail(`is damaged: ${subject} has a data offset of ${offset > MAX_SAFE ? this.lastU64() : offset}, beyond the end of the file (${this.size} bytes).`);
    }
    if (offset % alignment !== 0) this.fail(`is damaged: ${subject} has a data offset of ${offset}, not a multiple of the file's alignment ${alignment}.`);
    return { name, offset, bytes: Number(bytes) };
  }

  /**
   * Checks no tensors overlap, they are packed as llama.cpp requires, and each lies inside the file.
   * The first two depend on the header alone, so when they hold a tensor past the end means the
   * file was cut short.
   */
  private checkTensorLayout(tensors: readonly TensorRecord[], dataOffset: number, alignment: number): number {
    const byOffset = [...tensors].sort((a, b) => a.offset - b.offset);
    for (let k = 1; k < byOffset.length; k++) {
      const a = byOffset[k - 1];
      const b = byOffset[k];
      if (a && b && a.offset + a.bytes > b.offset) {
        const range = (t: TensorRecord) => `bytes ${dataOffset + t.offset}–${dataOffset + t.offset + t.bytes}`;
        this.fail(`is damaged: tensors ${show(a.name)} (${range(a)}) and ${show(b.name)} (${range(b)}) overlap.`);
      }
    }
    let expected = 0;
    for (const t of tensors) {
      if (t.offset !== expected) {
        this.fail(
          `is damaged: tensor ${show(t.name)} starts at data offset ${t.offset} where llama.cpp expects ${expected} (tensors must follow each other in header order, each padded to ${alignment} bytes).`,
        );
      }
      expected += alignUp(t.bytes, alignment);
    }
    for (const t of tensors) {
      const start = dataOffset + t.offset;
      const end = start + t.bytes;
      if (end > this.size) this.fail(`is truncated: tensor ${show(t.name)} needs bytes ${start}–${end} but the file ends at ${this.size}.`);
    }
    return expected;
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers

const SUMMARY_NUMBER_SUFFIXES = ['.context_length', '.block_count', '.embedding_length'];

function isSummaryNumberKey(key: string): boolean {
  return key === 'general.file_type' || SUMMARY_NUMBER_SUFFIXES.some((s) => key.endsWith(s));
}

function optionalNumber<K extends string>(key: K, value: number | undefined): { [P in K]?: number } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: number };
}

function describeValueType(type: number): string {
  const name = VALUE_TYPE_NAMES[type];
  return name === undefined ? `of unknown value type ${type}` : name === 'array' ? 'an array' : `a ${name}`;
}

function alignUp(n: number, alignment: number): number {
  return Math.ceil(n / alignment) * alignment;
}

function formatMiB(bytes: number): string {
  return bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MiB` : `${bytes} bytes`;
}

/** Whether buf[start, end) is UTF-8; ASCII (most tokens) is checked without creating a view. */
function isUtf8Range(buf: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    if ((buf[i] ?? 0) >= 0x80) return isUtf8(buf.subarray(start, end));
  }
  return true;
}

/** Length of the longest prefix of buf[at, at+length) that does not end inside a UTF-8 sequence. */
function completeUtf8Prefix(buf: Buffer, at: number, length: number): number {
  for (let back = 1; back <= Math.min(3, length); back++) {
    const byte = buf[at + length - back] ?? 0;
    if ((byte & 0xc0) === 0x80) continue; // continuation byte: keep looking for the lead byte
    const sequence = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return sequence > back ? length - back : length;
  }
  return length;
}

/** Bytes as printable ASCII with \xNN escapes: 'PK\x03\x04'. */
function escapeBytes(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b >= 0x20 && b < 0x7f && b !== 0x27 && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`;
  return out;
}

/** A hint for files people mistake for GGUF models. */
function knownFormat(head: Buffer): string {
  const text = head.toString('latin1', 0, Math.min(head.length, 64));
  if (text.startsWith('PK\x03\x04')) return ', like a ZIP archive';
  if (text.startsWith('lmgg') || text.startsWith('tjgg') || text.startsWith('fmgg')) return ', like a pre-GGUF GGML model, which llama.cpp no longer loads';
  if (text.startsWith('version https://git-lfs')) return ', like a Git LFS pointer rather than the model itself';
  if (/^\s*</.test(text)) return ', like an HTML or XML page';
  if (head.length >= 10 && head.toString('latin1', 8, 10) === '{"') return ', like a safetensors file';
  return '';
}

/** A key or tensor name for a message: control characters escaped, at most 80 characters. */
function show(text: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return clean.length > 80 ? `${clean.slice(0, 77)}…` : clean;
}
