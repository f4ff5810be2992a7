import { open, stat } from 'node:fs/promises';
import { MaiError } from '../../shared/errors';

/**
 * The minimal check before a file reaches node-llama-cpp: it exists, is a regular file, and starts
 * with the GGUF magic. (Full header validation lives in models/ — a malformed header can make the
 * native reader allocate until the process dies.)
 */
export async function assertLooksLikeGguf(path: string): Promise<number> {
  const info = await stat(path).catch(() => null);
  if (!info) throw new MaiError('model-not-found', `No model file at ${path}.`);
  if (!info.isFile()) throw new MaiError('model-invalid', `${path} is not a file.`);
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(8);
    const { bytesRead } = await handle.read(head, 0, 8, 0);
    if (bytesRead < 8 || head.toString('latin1', 0, 4) !== 'GGUF') {
      throw new MaiError('model-invalid', `${path} is not a GGUF model file (it does not start with "GGUF").`);
    }
    const version = head.readUInt32LE(4);
    if (version < 2 || version > 3) throw new MaiError('model-invalid', `${path} is GGUF version ${version}; Mai reads versions 2 and 3.`);
  } finally {
    await handle.close();
  }
  return info.size;
}
