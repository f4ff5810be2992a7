/**
 * Creating a loaded model's context and chat session at a rung's cost (context size and KV-cache
 * type): at a load, and again when a cascade step changes the cost of the model in use, which
 * keeps the model and recreates only this part (docs/cascade.md).
 *
 * The KV-cache type goes to node-llama-cpp's `experimentalKvCacheKeyType` / `ValueType` context
 * options. node-llama-cpp 3.21 marks both "experimental and highly unstable … may not work as
 * intended or even crash the process … may change or get removed without a breaking change
 * version", and advises to use them only with types verified on the hardware in use. Mai uses only
 * Q8_0 (besides the F16 default), the type llama.cpp's own server offers for `--cache-type-k/-v`,
 * and docs/cascade.md says what was checked.
 */
import path from 'node:path';
import type { ChatWrapper, Llama, LlamaChatSession, LlamaContext, LlamaModel } from 'node-llama-cpp';
import { MaiError } from '../../shared/errors';
import type { RuntimeLoadRequest } from './models/model-runtime';

/** Context tokens when the request leaves it open and the model was trained for at least this many. */
const DEFAULT_CONTEXT = 4096;

/** node-llama-cpp's name of a KV-cache type (its `GgmlType` keys). */
const GGML_TYPE = { f16: 'F16', q8_0: 'Q8_0' } as const;

/** A context and the one chat session on it. */
export interface ChatContext {
  context: LlamaContext;
  session: LlamaChatSession;
}

/** The context size `request` asks of `model`, tokens. */
export function contextSizeFor(model: LlamaModel, request: RuntimeLoadRequest): number {
  return request.contextSize ?? Math.min(DEFAULT_CONTEXT, model.trainContextSize || DEFAULT_CONTEXT);
}

/**
 * Creates the context and its chat session. The thread cap is raised to every math core while the
 * context is created and set to `threads` after: node-llama-cpp clamps a context's ideal thread
 * count to the cap in force at its creation, and `llama.maxThreads` then follows the free cores
 * between (and during) replies without a reload. Rejects with a MaiError that names the context.
 */
export async function createChatContext(
  llama: Llama,
  model: LlamaModel,
  request: RuntimeLoadRequest,
  threads: number,
  chatWrapper: ChatWrapper | undefined,
): Promise<ChatContext> {
  const contextSize = contextSizeFor(model, request);
  const kv = GGML_TYPE[request.kvCacheType ?? 'f16'];
  llama.maxThreads = Math.max(threads, llama.cpuMathCores);
  let context: LlamaContext;
  try {
    context = await model.createContext({
      contextSize,
      threads: { ideal: Math.max(threads, llama.cpuMathCores), min: 1 },
      // F16 is node-llama-cpp's default: left unset, so the default path stays the library's own.
      ...(kv === 'F16' ? {} : { experimentalKvCacheKeyType: kv, experimentalKvCacheValueType: kv }),
    });
  } catch (error) {
    throw new MaiError(
      'model-load-failed',
      `Not enough memory for a ${contextSize}-token context${kv === 'F16' ? '' : ` with a ${kv} KV cache`} with ${path.basename(request.path)}: ${(error as Error).message.replace(/\.?\s*$/, '.')}`,
    );
  } finally {
    llama.maxThreads = threads;
  }
  const { LlamaChatSession } = await import('node-llama-cpp');
  const session = new LlamaChatSession({ contextSequence: context.getSequence(), ...(chatWrapper ? { chatWrapper } : {}) });
  return { context, session };
}
