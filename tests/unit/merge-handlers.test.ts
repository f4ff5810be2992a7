/**
 * mergeHandlers joins the handler slices the services expose into a whole contract's handlers:
 * a method nobody serves or two services serve is refused by the compiler (the `@ts-expect-error`
 * lines fail `tsc` if the check stops catching them) and again when it runs.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { dispatch, mergeHandlers, type Contract, type Handlers } from '../../shared/rpc';

const contract = {
  methods: {
    'a:one': { params: z.object({}), result: z.number() },
    'a:two': { params: z.object({ n: z.number() }), result: z.number() },
    'b:one': { params: z.object({}), result: z.string() },
  },
  events: {},
} satisfies Contract;
type C = typeof contract;

const first: Pick<Handlers<C>, 'a:one' | 'a:two'> = { 'a:one': () => 1, 'a:two': ({ n }) => n * 2 };
const second: Pick<Handlers<C>, 'b:one'> = { 'b:one': () => 'b' };
const again: Pick<Handlers<C>, 'a:two'> = { 'a:two': ({ n }) => n };

describe('mergeHandlers', () => {
  it('serves every method from the slice that owns it', async () => {
    const handlers = mergeHandlers(contract, [first, second]);
    expect(await dispatch(contract, handlers, 'a:two', { n: 21 })).toEqual({ ok: true, value: 42 });
    expect(await dispatch(contract, handlers, 'b:one', {})).toEqual({ ok: true, value: 'b' });
  });

  it('refuses a method served twice', () => {
    // @ts-expect-error — 'a:two' is in two slices.
    expect(() => mergeHandlers(contract, [first, second, again])).toThrow('a:two is served twice.');
  });

  it('refuses a contract with a method nobody serves', () => {
    // @ts-expect-error — nobody serves 'b:one'.
    expect(() => mergeHandlers(contract, [first])).toThrow('Nobody serves b:one.');
  });
});
