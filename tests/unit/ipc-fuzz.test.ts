/**
 * IPC fuzzing of `dispatch`, the one gate every transport (Electron's ipcMain, the web host's
 * WebSocket through RpcPeer) passes a renderer call through: 10 000 seeded random calls with valid,
 * unknown, prototype and non-string method names and random, malformed, huge, cyclic and
 * prototype-polluting params. Handlers only record what reaches them.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { appContract } from '../../shared/contract';
import { errorDataSchema, MaiError, type Result } from '../../shared/errors';
import { createMemoryPortPair, dispatch, RpcPeer, type Contract } from '../../shared/rpc';
import { rng } from '../helpers/rng';

const CASES = 10_000;
const SEED = 0x6d61_6931;

const random = rng(SEED);
const int = (n: number) => Math.floor(random() * n);
const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;
const chance = (p: number) => random() < p;

const METHODS = Object.keys(appContract.methods);
const HUGE = 'x'.repeat(1024 * 1024);
const PROTO_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', '__defineGetter__', '__lookupSetter__', 'isPrototypeOf'];

/** A value valid for a zod schema, built from its definition (good enough for this contract). */
function sample(schema: z.ZodType, depth = 0): unknown {
  const def = (schema as unknown as { _zod: { def: Record<string, unknown> & { type: string } } })._zod.def;
  const checks = ((def.checks as Array<{ _zod: { def: Record<string, unknown> } }> | undefined) ?? []).map((c) => c._zod.def);
  const inner = (key: string) => sample(def[key] as z.ZodType, depth + 1);
  switch (def.type) {
    case 'string': {
      const min = Number(checks.find((c) => c.check === 'min_length')?.minimum ?? 1);
      return 'm'.repeat(Math.max(1, min));
    }
    case 'number': {
      const lower = checks.find((c) => c.check === 'greater_than');
      return lower ? Number(lower.value) + (lower.inclusive ? 0 : 1) : 1;
    }
    case 'boolean':
      return true;
    case 'null':
      return null;
    case 'literal':
      return (def.values as unknown[])[0];
    case 'enum':
      return Object.values(def.entries as Record<string, unknown>)[0];
    case 'object':
      return Object.fromEntries(Object.entries(def.shape as Record<string, z.ZodType>).map(([key, value]) => [key, sample(value, depth + 1)]));
    case 'array':
      return [];
    case 'record':
      return {};
    case 'tuple':
      return (def.items as z.ZodType[]).map((item) => sample(item, depth + 1));
    case 'optional':
    case 'default':
    case 'prefault':
    case 'readonly':
    case 'catch':
    case 'nonoptional':
      return inner('innerType');
    case 'nullable':
      return null;
    case 'union':
      return sample((def.options as z.ZodType[])[0] as z.ZodType, depth + 1);
    case 'pipe':
      return inner('in');
    case 'lazy':
      return depth > 5 ? null : sample((def.getter as () => z.ZodType)(), depth + 1);
    default:
      return null;
  }
}

/** A valid params / result per method where the sampler manages one (checked, not assumed). */
const validParams = new Map<string, unknown>();
const validResults = new Map<string, unknown>();
for (const method of METHODS) {
  const spec = appContract.methods[method as keyof typeof appContract.methods];
  const params = sample(spec.params);
  if (spec.params.safeParse(params).success) validParams.set(method, params);
  const result = sample(spec.result);
  if (spec.result.safeParse(result).success) validResults.set(method, result);
}

function randomString(): string {
  switch (int(9)) {
    case 0:
      return '';
    case 1:
      return HUGE.slice(0, int(HUGE.length) + 1);
    case 2:
      return pick(PROTO_KEYS);
    case 3:
      return pick(METHODS);
    case 4:
      return String.fromCharCode(...Array.from({ length: int(40) }, () => int(0x10000)));
    case 5:
      return '\u0000\u202E\uD800\uFEFF';
    case 6:
      return `<script>alert(${int(100)})</script>`;
    case 7:
      return '../'.repeat(int(20)) + 'etc/passwd';
    default:
      return random().toString(36).slice(2);
  }
}

function cyclic(): object {
  const a: Record<string, unknown> = { name: 'a' };
  a.self = a;
  a.list = [a, { back: a }];
  return a;
}

function randomValue(depth = 0): unknown {
  const leaf = depth > 4;
  switch (int(leaf ? 9 : 16)) {
    case 0:
      return randomString();
    case 1:
      return pick([0, -0, 1, -1, 1.5, NaN, Infinity, -Infinity, Number.MAX_SAFE_INTEGER + 2, Number.MIN_VALUE, 1e308, 2 ** 53, -(2 ** 31)]);
    case 2:
      return chance(0.5);
    case 3:
      return null;
    case 4:
      return undefined;
    case 5:
      return () => 'function';
    case 6:
      return Symbol('sym');
    case 7:
      return BigInt(int(1000));
    case 8:
      return pick([new Date(NaN), new Date(0), /re(gex)+/g, new Map([[1, 2]]), new Set([1]), new Uint8Array(8), new ArrayBuffer(4), new Error('e')]);
    case 9:
      return Array.from({ length: int(6) }, () => randomValue(depth + 1));
    case 10:
    case 11: {
      const object: Record<string, unknown> = {};
      for (let i = int(6); i > 0; i -= 1) object[chance(0.3) ? pick(PROTO_KEYS) : randomString().slice(0, 50)] = randomValue(depth + 1);
      return object;
    }
    case 12:
      // The classic: JSON.parse makes "__proto__" an own key, which a careless merge copies into Object.prototype.
      return JSON.parse(
        pick([
          '{"__proto__":{"polluted":1}}',
          '{"constructor":{"prototype":{"polluted":2}}}',
          '{"patch":{"__proto__":{"polluted":3}}}',
          '{"text":"hi","__proto__":{"polluted":4}}',
          '{"__proto__":{"toString":"polluted"}}',
        ]),
      );
    case 13: {
      const dict = Object.create(null) as Record<string, unknown>;
      dict.text = randomString();
      return dict;
    }
    case 14:
      return cyclic();
    default:
      return Array.from({ length: 200 }, () => ({ deep: [[[[{ x: randomString().slice(0, 10) }]]]] }));
  }
}

function randomMethod(): unknown {
  const roll = random();
  if (roll < 0.55) return pick(METHODS);
  if (roll < 0.65) return pick(PROTO_KEYS);
  if (roll < 0.75) return randomString();
  if (roll < 0.85) {
    const name = pick(METHODS);
    return pick([name.toUpperCase(), ` ${name}`, `${name}\u0000`, `${name}/../app:get-state`, name.replace(':', ''), `${name}:`]);
  }
  return pick([42, null, undefined, {}, [], ['app:get-state'], Symbol('app:get-state'), () => 'app:get-state', { toString: () => 'app:get-state' }, NaN, true]);
}

function randomParams(method: unknown): unknown {
  const valid = typeof method === 'string' ? validParams.get(method) : undefined;
  if (valid !== undefined && chance(0.4)) {
    // Valid params, sometimes with junk and pollution keys next to them (an object schema strips them).
    if (chance(0.5) && typeof valid === 'object' && valid !== null)
      return { ...(valid as object), ...(randomValue(3) as object), ...(JSON.parse('{"__proto__":{"polluted":5}}') as object) };
    return structuredClone(valid);
  }
  const value = randomValue();
  // Half go through JSON like the WebSocket would carry them (functions and undefined vanish).
  if (chance(0.5)) {
    try {
      const json = JSON.stringify(value);
      return json === undefined ? undefined : (JSON.parse(json) as unknown);
    } catch {
      return value; // cyclic or BigInt: as Electron's structured clone would carry it
    }
  }
  return value;
}

interface Call {
  method: string;
  params: unknown;
}

const calls: Call[] = [];
const handlerProblems: string[] = [];

/** Handlers that record what reaches them, and sometimes fail the ways a real one could. */
function recordingHandlers(contract: Contract): Record<string, (params: unknown) => Promise<unknown>> {
  const handlers: Record<string, (params: unknown) => Promise<unknown>> = {};
  for (const method of Object.keys(contract.methods)) {
    handlers[method] = async (params) => {
      calls.push({ method, params });
      const spec = contract.methods[method];
      if (!spec?.params.safeParse(params).success) handlerProblems.push(`${method} got params that do not match its schema`);
      if (typeof params !== 'object' || params === null || Object.getPrototypeOf(params) !== Object.prototype)
        handlerProblems.push(`${method} got a non-plain object`);
      if (params && Object.hasOwn(params, '__proto__')) handlerProblems.push(`${method} got an own __proto__ key`);
      const roll = random();
      if (roll < 0.05) throw new MaiError('busy', 'Busy, try again.');
      if (roll < 0.1) throw new Error('handler exploded');
      if (roll < 0.13) throw pick(['a string', { code: 'internal' }, undefined, null, 42]);
      if (roll < 0.16) return { not: 'the result' };
      if (!validResults.has(method)) throw new MaiError('not-found', `No sample result for ${method}.`);
      return structuredClone(validResults.get(method));
    };
  }
  return handlers;
}

const protoBefore = Object.getOwnPropertyNames(Object.prototype).sort();
const counts = { answered: 0, refused: 0, threw: 0, handlerCalls: 0, byCode: new Map<string, number>() };

afterAll(() => {
  const codes = [...counts.byCode].map(([code, n]) => `${code} ${n}`).join(', ');
  console.log(
    `ipc fuzz (dispatch): ${CASES} calls, answered ${counts.answered}, refused ${counts.refused} (${codes}), threw ${counts.threw}, handler calls ${counts.handlerCalls}, all with schema-valid params`,
  );
});

describe('dispatch under 10 000 random and malformed calls', () => {
  it('always resolves to a well-formed Result, calls handlers only with valid params, pollutes nothing', { timeout: 120_000 }, async () => {
    expect(validParams.size).toBeGreaterThan(METHODS.length / 2);
    const handlers = recordingHandlers(appContract);
    const failures: string[] = [];
    for (let i = 0; i < CASES; i += 1) {
      const method = randomMethod();
      const params = randomParams(method);
      const before = calls.length;
      let outcome: Result<unknown>;
      try {
        outcome = await dispatch(appContract, handlers as never, method, params);
      } catch (error) {
        counts.threw += 1;
        failures.push(`case ${i}: threw ${String(error)}`);
        continue;
      }
      const known = typeof method === 'string' && Object.hasOwn(appContract.methods, method);
      const handled = calls.length > before;
      if (outcome.ok) {
        counts.answered += 1;
        const spec = appContract.methods[method as keyof typeof appContract.methods];
        if (!spec.result.safeParse(outcome.value).success) failures.push(`case ${i}: ok result does not match ${String(method)}'s schema`);
      } else {
        counts.refused += 1;
        counts.byCode.set(outcome.error.code, (counts.byCode.get(outcome.error.code) ?? 0) + 1);
        if (!errorDataSchema.safeParse(outcome.error).success) failures.push(`case ${i}: malformed error ${JSON.stringify(outcome.error).slice(0, 200)}`);
        if (!known && outcome.error.code !== 'unknown-method') failures.push(`case ${i}: unknown method answered ${outcome.error.code}`);
        if (outcome.error.code === 'bad-request' && handled) failures.push(`case ${i}: handler ran for refused params`);
      }
      if (!known && handled) failures.push(`case ${i}: a handler ran for method ${String(method)}`);
      if (Object.keys(outcome).some((key) => key !== 'ok' && key !== 'value' && key !== 'error')) failures.push(`case ${i}: extra keys in outcome`);
    }
    counts.handlerCalls = calls.length;
    expect(failures.slice(0, 20)).toEqual([]);
    expect(handlerProblems.slice(0, 20)).toEqual([]);
    expect(counts.threw).toBe(0);
    expect(counts.answered + counts.refused).toBe(CASES);
    expect(counts.answered).toBeGreaterThan(1000);
    expect(counts.refused).toBeGreaterThan(1000);
    // Nothing reached Object.prototype, whatever __proto__/constructor keys came in.
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(protoBefore);
    expect(String({})).toBe('[object Object]');
    expect(Object.keys(appContract.methods)).toEqual(METHODS);
  });

  it('every unknown or prototype method name is refused as unknown-method without reaching a handler', async () => {
    const handlers = recordingHandlers(appContract);
    const before = calls.length;
    for (const method of [...PROTO_KEYS, 'no:such', '', 42, null, undefined, {}, Symbol('x'), 'app:get-state '.trim() + '\u0000']) {
      const outcome = await dispatch(appContract, handlers as never, method, {});
      expect(outcome.ok).toBe(false);
      if (!outcome.ok) expect(outcome.error.code).toBe('unknown-method');
    }
    expect(calls.length).toBe(before);
  });

  // Found by this suite: an Error's message and name longer than errorDataSchema allows used to make
  // the answer malformed, so the caller waited forever. toErrorData now clips them to the limits.
  it('an error with a very long message still reaches the caller as a valid answer', async () => {
    const contract = { methods: { 'x:fail': appContract.methods['chat:stop'] }, events: {} } satisfies Contract;
    const [a, b] = createMemoryPortPair();
    const server = new RpcPeer(b, contract, null, {
      'x:fail': () => {
        throw new Error(`Could not load ${'/very/long/path'.repeat(1000)}`);
      },
    });
    const client = new RpcPeer<{ methods: Record<string, never>; events: Record<string, never> }, typeof contract>(a, null, contract, {});
    const outcome = await dispatch(contract, { 'x:fail': () => Promise.reject(new Error('m'.repeat(20_000))) }, 'x:fail', {});
    try {
      // Without a timeout (the renderer sets none) this call would never settle.
      await expect(client.call('x:fail', {}, { timeoutMs: 1000 })).rejects.toMatchObject({ message: expect.stringContaining('Could not load') });
      expect(outcome.ok).toBe(false);
      if (!outcome.ok) expect(errorDataSchema.safeParse(outcome.error).success).toBe(true);
    } finally {
      client.close();
      server.close();
    }
  });
});
