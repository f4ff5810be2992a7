/**
 * The engine's domain types and the `shared/` wire schemas cannot drift apart unnoticed. Most of
 * the check is the compiler's (`npm run typecheck` covers tests/): the engine's sample, settings,
 * rung inputs, reply request and result, capability change and performance types are `z.infer` of
 * the shared schemas, and electron/engine/wire.ts passes every other domain value where its wire
 * type is expected, without casts. What assignability cannot see is a field the domain has and a
 * strict wire object would silently strip; the key comparisons below catch that. The numbers JSON
 * turns into null (Infinity, NaN) are typed `number | null` once mapped, as the wire schemas have them.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import {
  decisionSchema,
  preflightSchema,
  resourceSampleSchema,
  type PreflightData,
  type ResourceSnapshot,
  type resourceSampleFieldsSchema,
} from '../../../shared/resource';
import type { ScalerDecision, TrendSnapshot } from '../../../electron/engine/resource/policy/scaler-types';
import type { PreflightAnswer, ResourceSample } from '../../../electron/engine/resource/types';
import { toWireDecision, toWirePreflight, toWireSample } from '../../../electron/engine/wire';

/** What the other end receives: the value through JSON and the wire schema. */
const received = <T>(schema: { parse: (value: unknown) => T }, value: unknown): T => schema.parse(JSON.parse(JSON.stringify(value)));

describe('domain and wire shapes', () => {
  it('have the same fields where the wire object is strict', () => {
    expectTypeOf<keyof PreflightAnswer>().toEqualTypeOf<keyof PreflightData>();
    expectTypeOf<keyof TrendSnapshot>().toEqualTypeOf<keyof ResourceSnapshot['trends']['memory']>();
    expectTypeOf<keyof ResourceSample>().toEqualTypeOf<keyof z.infer<typeof resourceSampleFieldsSchema>>();
  });

  it('carries what JSON cannot as null, as the wire schemas expect, and types it so', () => {
    const answer: PreflightAnswer = {
      verdict: 'go',
      modelId: 'm',
      threads: 2,
      expectedSeconds: Infinity,
      projectedMemoryFraction: 0.5,
      secondsToThreshold: null,
      reason: 'fine',
    };
    const wire = toWirePreflight(answer);
    expectTypeOf(wire.expectedSeconds).toEqualTypeOf<number | null>();
    expect(wire).toEqual({ ...answer, expectedSeconds: null });
    expect(received(preflightSchema, wire)).toEqual(wire);
  });

  it('maps every number of a sample and a decision that JSON would change', () => {
    const sample: ResourceSample = {
      t: 1000,
      cpuOtherLoad: NaN,
      memTotalBytes: 16e9,
      memUsedBytes: 8e9,
      ownMemBytes: 1e9,
      psiSomeAvg10: Infinity,
      vramUsedBytes: 2e9,
    };
    const wireSample = toWireSample(sample);
    expectTypeOf(wireSample.cpuOtherLoad).toEqualTypeOf<number | null>();
    expect(wireSample).toEqual({ ...sample, cpuOtherLoad: null, psiSomeAvg10: null });
    expect(received(resourceSampleSchema, wireSample)).toEqual(wireSample);
    const decision: ScalerDecision = {
      id: 3,
      t: 2000,
      action: 'threads',
      path: 'cpu',
      reason: 'cores taken',
      from: 4,
      to: 2,
      metrics: { slope: -Infinity, level: 0.7, note: 'x', flag: true, none: null },
    };
    const wireDecision = toWireDecision(decision);
    expect(wireDecision).toEqual({ ...decision, metrics: { ...decision.metrics, slope: null } });
    expect(received(decisionSchema, wireDecision)).toEqual(wireDecision);
  });
});
