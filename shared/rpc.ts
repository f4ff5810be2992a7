/**
 * A transport-agnostic request/response + event peer (VS Code's channels, Signal's worker
 * protocol): sequence-numbered requests, errors as data, events, every message parsed with zod on
 * arrival. The same code runs over `process` (child_process), `parentPort` (utilityProcess), a
 * WebSocket, or an in-memory pair in tests.
 */
import { z } from 'zod';
import { errorDataSchema, fromErrorData, MaiError, toErrorData, type ErrorData, type Result } from './errors';

/** Anything that can carry structured-clone/JSON messages both ways. */
export interface MessagePortLike {
  send(message: unknown): void;
  /** Subscribes to incoming messages; returns an unsubscribe function. */
  onMessage(handler: (message: unknown) => void): () => void;
}

/** One method of a contract: what it takes and what it answers. */
export interface MethodSpec<P extends z.ZodType = z.ZodType, R extends z.ZodType = z.ZodType> {
  params: P;
  result: R;
}

/** A protocol contract: methods one side serves, events it emits. */
export interface Contract {
  methods: Record<string, MethodSpec>;
  events: Record<string, z.ZodType>;
}

export type MethodName<C extends Contract> = keyof C['methods'] & string;
export type EventName<C extends Contract> = keyof C['events'] & string;
export type ParamsOf<C extends Contract, M extends MethodName<C>> = z.input<C['methods'][M]['params']>;
export type ResultOf<C extends Contract, M extends MethodName<C>> = z.output<C['methods'][M]['result']>;
export type PayloadOf<C extends Contract, E extends EventName<C>> = z.output<C['events'][E]>;

const seqSchema = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

/** The envelope every message has, whatever the contract. */
export const envelopeSchema = z.union([
  z.object({ kind: z.literal('request'), seq: seqSchema, method: z.string().max(100), params: z.unknown() }),
  z.object({ kind: z.literal('response'), seq: seqSchema, ok: z.literal(true), result: z.unknown() }),
  z.object({ kind: z.literal('response'), seq: seqSchema, ok: z.literal(false), error: errorDataSchema }),
  z.object({ kind: z.literal('event'), name: z.string().max(100), payload: z.unknown() }),
]);
export type Envelope = z.infer<typeof envelopeSchema>;

/** Called for every message that was refused, so that the host can log it; never throws. */
export type ProtocolErrorHandler = (problem: string, message: unknown) => void;

export interface CallOptions {
  signal?: AbortSignal;
  /** Milliseconds before the call fails with `timeout`; default none. */
  timeoutMs?: number;
}

interface Pending {
  method: string;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  cleanup: () => void;
}

/** Handlers for every method of a served contract. */
export type Handlers<C extends Contract> = {
  [M in MethodName<C>]: (params: z.output<C['methods'][M]['params']>) => Promise<ResultOf<C, M>> | ResultOf<C, M>;
};

type KeysOfUnion<T> = T extends unknown ? keyof T : never;
/** The methods that appear in more than one slice. */
type Duplicated<S extends readonly object[]> = S extends readonly [infer Head, ...infer Rest extends readonly object[]]
  ? (keyof Head & KeysOfUnion<Rest[number]>) | Duplicated<Rest>
  : never;
/** The methods of `C` that no slice serves. */
type Unserved<C extends Contract, S extends readonly object[]> = Exclude<MethodName<C>, KeysOfUnion<S[number]>>;
/** `unknown` when every method is served exactly once; otherwise a type naming what is wrong. */
export type ServedExactlyOnce<C extends Contract, S extends readonly object[]> = ([Duplicated<S>] extends [never] ? unknown : { duplicated: Duplicated<S> }) &
  ([Unserved<C, S>] extends [never] ? unknown : { unserved: Unserved<C, S> });

/**
 * Joins the handler slices the services expose into the handlers of a whole contract. The compiler
 * refuses a method that no slice serves or that two slices serve (the error names them); the same
 * is checked again when it runs, for slices built from `any`.
 */
export function mergeHandlers<C extends Contract, const S extends readonly Partial<Handlers<C>>[]>(
  contract: C,
  slices: S & ServedExactlyOnce<C, S>,
): Handlers<C> {
  const merged: Record<string, unknown> = {};
  for (const slice of slices as readonly Partial<Handlers<C>>[]) {
    for (const [method, handler] of Object.entries(slice)) {
      if (Object.hasOwn(merged, method)) throw new Error(`${method} is served twice.`);
      merged[method] = handler;
    }
  }
  const unserved = Object.keys(contract.methods).filter((method) => !Object.hasOwn(merged, method));
  if (unserved.length > 0) throw new Error(`Nobody serves ${unserved.join(', ')}.`);
  return merged as Handlers<C>;
}

/**
 * One end of a connection. It can serve one contract (`served`, answering requests and emitting
 * its events) and call another (`remote`, sending requests and receiving its events).
 */
export class RpcPeer<Served extends Contract, Remote extends Contract> {
  private seq = 0;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Map<string, Set<(payload: unknown) => void>>();
  private readonly unsubscribe: () => void;
  private closed = false;

  constructor(
    private readonly port: MessagePortLike,
    private readonly served: Served | null,
    private readonly remote: Remote | null,
    private readonly handlers: Partial<Handlers<Served>>,
    private readonly onProtocolError: ProtocolErrorHandler = () => {},
  ) {
    this.unsubscribe = port.onMessage((message) => {
      try {
        this.receive(message);
      } catch (error) {
        // Nothing a peer sends may take this process down.
        this.onProtocolError(`message handling failed: ${toErrorData(error).message}`, message);
      }
    });
  }

  /** Calls a method of the remote contract; rejects with a MaiError on an error answer. */
  call<M extends MethodName<Remote>>(method: M, params: ParamsOf<Remote, M>, options: CallOptions = {}): Promise<ResultOf<Remote, M>> {
    const spec = this.remote?.methods[method];
    if (!spec) return Promise.reject(new MaiError('unknown-method', `Unknown method ${method}.`));
    if (this.closed) return Promise.reject(new MaiError('engine-unavailable', 'The connection is closed.'));
    const parsed = spec.params.safeParse(params);
    if (!parsed.success) {
      return Promise.reject(new MaiError('bad-request', `Invalid parameters for ${method}: ${z.prettifyError(parsed.error)}`));
    }
    const seq = ++this.seq;
    return new Promise<ResultOf<Remote, M>>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const onAbort = () => {
        this.settle(seq, undefined, new MaiError('timeout', `${method} was cancelled.`));
      };
      const cleanup = () => {
        if (timer) clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
      };
      this.pending.set(seq, { method, resolve: resolve as (value: unknown) => void, reject, cleanup });
      if (options.timeoutMs !== undefined) {
        timer = setTimeout(() => {
          this.settle(seq, undefined, new MaiError('timeout', `${method} did not answer within ${options.timeoutMs} ms.`));
        }, options.timeoutMs);
      }
      if (options.signal) {
        if (options.signal.aborted) return onAbort();
        options.signal.addEventListener('abort', onAbort, { once: true });
      }
      this.post({ kind: 'request', seq, method, params: parsed.data });
    });
  }

  /** Emits an event of the served contract; the payload is validated before it leaves. */
  emit<E extends EventName<Served>>(name: E, payload: PayloadOf<Served, E>): void {
    const schema = this.served?.events[name];
    if (!schema) throw new MaiError('unknown-method', `Unknown event ${name}.`);
    const parsed = schema.safeParse(payload);
    if (!parsed.success) throw new MaiError('bad-request', `Invalid payload for ${name}: ${z.prettifyError(parsed.error)}`);
    this.post({ kind: 'event', name, payload: parsed.data });
  }

  /** Subscribes to an event of the remote contract; returns an unsubscribe function. */
  on<E extends EventName<Remote>>(name: E, listener: (payload: PayloadOf<Remote, E>) => void): () => void {
    let set = this.listeners.get(name);
    if (!set) this.listeners.set(name, (set = new Set()));
    const wrapped = listener as (payload: unknown) => void;
    set.add(wrapped);
    return () => set.delete(wrapped);
  }

  /** Number of calls still waiting for an answer. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** Fails every pending call with `error` and stops listening. */
  close(error: Error = new MaiError('engine-unavailable', 'The connection closed.')): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    for (const seq of [...this.pending.keys()]) this.settle(seq, undefined, error);
  }

  private post(message: Envelope): void {
    try {
      this.port.send(message);
    } catch (error) {
      this.onProtocolError(`send failed: ${toErrorData(error).message}`, message);
    }
  }

  private settle(seq: number, value: unknown, error?: Error): void {
    const entry = this.pending.get(seq);
    if (!entry) return;
    this.pending.delete(seq);
    entry.cleanup();
    if (error) entry.reject(error);
    else entry.resolve(value);
  }

  private receive(raw: unknown): void {
    if (this.closed) return;
    const envelope = envelopeSchema.safeParse(raw);
    if (!envelope.success) {
      this.onProtocolError('malformed message', raw);
      // A request we can identify still gets an answer, so its caller does not wait forever.
      const seq = (raw as { seq?: unknown } | null)?.seq;
      if ((raw as { kind?: unknown } | null)?.kind === 'request' && seqSchema.safeParse(seq).success) {
        this.post({ kind: 'response', seq: seq as number, ok: false, error: { name: 'MaiError', code: 'bad-request', message: 'Malformed request.' } });
      }
      return;
    }
    const message = envelope.data;
    switch (message.kind) {
      case 'request':
        void this.serve(message.seq, message.method, message.params);
        return;
      case 'response':
        this.receiveResponse(message);
        return;
      case 'event':
        this.receiveEvent(message.name, message.payload);
        return;
      default:
        message satisfies never;
    }
  }

  private receiveResponse(message: Extract<Envelope, { kind: 'response' }>): void {
    const entry = this.pending.get(message.seq);
    if (!entry) {
      this.onProtocolError(`response to unknown request ${message.seq}`, message);
      return;
    }
    if (!message.ok) return this.settle(message.seq, undefined, fromErrorData(message.error));
    const spec = this.remote?.methods[entry.method];
    const parsed = spec?.result.safeParse(message.result);
    if (!parsed?.success) {
      this.onProtocolError(`invalid result for ${entry.method}`, message);
      return this.settle(message.seq, undefined, new MaiError('bad-request', `The answer to ${entry.method} was malformed.`));
    }
    this.settle(message.seq, parsed.data);
  }

  private receiveEvent(name: string, payload: unknown): void {
    const schema = this.remote?.events[name];
    if (!schema) return this.onProtocolError(`unknown event ${name}`, payload);
    const parsed = schema.safeParse(payload);
    if (!parsed.success) return this.onProtocolError(`invalid payload for event ${name}`, payload);
    for (const listener of this.listeners.get(name) ?? []) {
      try {
        listener(parsed.data);
      } catch (error) {
        this.onProtocolError(`listener for ${name} threw: ${toErrorData(error).message}`, payload);
      }
    }
  }

  private async serve(seq: number, method: string, params: unknown): Promise<void> {
    const outcome = await dispatch(this.served, this.handlers, method, params, (error) =>
      this.onProtocolError(`${method} failed unexpectedly: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`, null),
    );
    if (outcome.ok) this.post({ kind: 'response', seq, ok: true, result: outcome.value });
    else this.post({ kind: 'response', seq, ok: false, error: outcome.error });
  }
}

/**
 * Validates a call against a contract, runs its handler and validates the answer. Every transport
 * (RpcPeer, Electron's ipcMain) goes through here, so validation is the same everywhere.
 */
export async function dispatch<C extends Contract>(
  contract: C | null,
  handlers: Partial<Handlers<C>>,
  method: unknown,
  params: unknown,
  onUnexpected?: (error: unknown) => void,
): Promise<Result<unknown>> {
  const fail = (code: ErrorData['code'], message: string): Result<unknown> => ({ ok: false, error: { name: 'MaiError', code, message } });
  if (typeof method !== 'string' || !contract || !Object.hasOwn(contract.methods, method)) {
    return fail('unknown-method', `Unknown method ${typeof method === 'string' ? method.slice(0, 100) : typeof method}.`);
  }
  const spec = contract.methods[method];
  const handler = (handlers as Record<string, ((p: unknown) => unknown) | undefined>)[method];
  if (!spec || !handler) return fail('unknown-method', `Unknown method ${method}.`);
  const parsed = spec.params.safeParse(params);
  if (!parsed.success) return fail('bad-request', `Invalid parameters for ${method}: ${z.prettifyError(parsed.error)}`);
  try {
    return { ok: true, value: spec.result.parse(await handler(parsed.data)) };
  } catch (error) {
    // No stack trace crosses a boundary: it names files on this machine. The serving side logs it.
    if (!(error instanceof MaiError)) onUnexpected?.(error);
    return { ok: false, error: toErrorData(error) };
  }
}

/** Two connected in-memory ports (asynchronous delivery, JSON round trip like a real transport). */
export function createMemoryPortPair(): [MessagePortLike, MessagePortLike] {
  const handlers: [Set<(m: unknown) => void>, Set<(m: unknown) => void>] = [new Set(), new Set()];
  const make = (self: 0 | 1): MessagePortLike => ({
    send(message) {
      const copy: unknown = JSON.parse(JSON.stringify(message));
      queueMicrotask(() => handlers[self === 0 ? 1 : 0].forEach((h) => h(copy)));
    },
    onMessage(handler) {
      handlers[self].add(handler);
      return () => handlers[self].delete(handler);
    },
  });
  return [make(0), make(1)];
}
