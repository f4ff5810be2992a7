/**
 * The engine's domain types and the `shared/` wire schemas cannot drift apart unnoticed. Most of
 * the check is the compiler's (`npm run typecheck` covers tests/): the engine's sample, settings,
 * rung inputs, reply request and result, capability change and performance types are `z.infer` of
 * the shared schemas, and electron/engine/wire.ts passes every other domain value where its wire
 * type is expected, without casts. What assignability cannot see is a field the domain has and a
 * strict wire object would silently strip; the key comparisons below catch that.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import type { PreflightData, ResourceSnapshot, resourceSampleFieldsSchema } from '../../../shared/resource';
import type { TrendSnapshot } from '../../../electron/engine/resource/policy/scaler-types';
import type { PreflightAnswer, ResourceSample } from '../../../electron/engine/resource/types';
import { jsonSafe } from '../../../electron/engine/wire';

describe('domain and wire shapes', () => {
  it('have the same fields where the wire object is strict', () => {
    expectTypeOf<keyof PreflightAnswer>().toEqualTypeOf<keyof PreflightData>();
    expectTypeOf<keyof TrendSnapshot>().toEqualTypeOf<keyof ResourceSnapshot['trends']['memory']>();
    expectTypeOf<keyof ResourceSample>().toEqualTypeOf<keyof z.infer<typeof resourceSampleFieldsSchema>>();
  });

  it('carries what JSON cannot as null, as the wire schemas expect', () => {
    const answer: PreflightAnswer = { verdict: 'go', modelId: 'm', threads: 2, expectedSeconds: Infinity, projectedMemoryFraction: 0.5, secondsToThreshold: null, reason: 'fine' };
    expect(jsonSafe(answer)).toEqual({ ...answer, expectedSeconds: null });
  });
});
