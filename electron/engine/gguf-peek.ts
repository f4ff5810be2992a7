import { validateGguf } from './models/gguf-validate';

/**
 * The check before a file reaches node-llama-cpp: the whole GGUF header is read with every count
 * bounded by the file's size (a malformed header can make the native reader allocate until the
 * process dies). Throws a MaiError naming the problem; returns the file size.
 */
export async function assertLooksLikeGguf(path: string): Promise<number> {
  return (await validateGguf(path)).fileSize;
}
