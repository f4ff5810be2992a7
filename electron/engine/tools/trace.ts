/**
 * The trace format `npm run simulate` replays (docs/trace-format.md describes every field).
 * Parsing is strict about values — missing, negative, out-of-range or out-of-order values are
 * errors naming the field and the line — and lenient about unknown fields, so traces written for
 * later versions still replay.
 */
import { z } from 'zod';
import { HardwareTierDetector } from '../resource/policy/hardware-tiers';
import { JsonLocationError, parseLocatedJson, type LocatedJson } from './located-json';
import { resolveScalerSettings } from '../resource/policy/resolved-settings';
import { ResourceInputError, formatPath, issuesFromZod, scalerSettingsSchema, type ValidationIssue } from '../resource/policy/settings';
import type { StaticHardwareInfo } from '../resource/types';

const number = (unit: string) => z.number({ error: `must be a number (${unit})` }).refine(Number.isFinite, { error: `must be a finite number (${unit})` });
const nonNegative = (unit: string) => number(unit).min(0, { error: `must not be negative (${unit})` });
const fraction = (unit: string) =>
  number(unit)
    .min(0, { error: `must be from 0 to 1 (${unit})` })
    .max(1, { error: `must be from 0 to 1 (${unit})` });

const machineSchema = z.object({
  /** Logical cores. */
  cpuCores: z.number({ error: 'must be a whole number of cores' }).int({ error: 'must be a whole number of cores' }).min(1, { error: 'must be at least 1' }),
  /** Physical cores (the threads the model's math may use); default `cpuCores`. Recorded traces carry it. */
  physicalCores: z
    .number({ error: 'must be a whole number of cores' })
    .int({ error: 'must be a whole number of cores' })
    .min(1, { error: 'must be at least 1' })
    .optional(),
  memTotalBytes: nonNegative('bytes').min(1, { error: 'must be more than 0 bytes' }),
  swapTotalBytes: nonNegative('bytes').optional(),
  gpus: z.array(z.object({ name: z.string({ error: 'must be a string' }), vramTotalBytes: nonNegative('bytes') })).optional(),
});

const modelSchema = z.object({
  id: z.string({ error: 'must be a string' }).min(1, { error: 'must not be empty' }),
  memBytes: nonNegative('bytes'),
  vramBytes: nonNegative('bytes').default(0),
  loadSeconds: nonNegative('seconds'),
  kvBytesPerToken: nonNegative('bytes per token').optional(),
  tokensPerSecond: nonNegative('tokens per second').optional(),
  /** Rungs of one model (its cascade steps) share this key; absent: the id. */
  modelKey: z.string({ error: 'must be a string' }).min(1, { error: 'must not be empty' }).optional(),
  /** Time to reach this rung from another rung of the same model (the context is recreated). */
  stepSeconds: nonNegative('seconds').optional(),
  contextSize: nonNegative('tokens').optional(),
});

const sampleSchema = z.object({
  t: nonNegative('seconds from the start'),
  cpuLoad: fraction('fraction of all cores busy with other work'),
  otherMemUsedBytes: nonNegative('bytes'),
  otherVramUsedBytes: nonNegative('bytes').optional(),
  swapUsedBytes: nonNegative('bytes').optional(),
  swapInBytesPerSecond: nonNegative('bytes per second').optional(),
  psiSomeAvg10: fraction('fraction of time stalled').optional(),
  psiFullAvg10: fraction('fraction of time stalled').optional(),
  /**
   * Recorded traces: the assistant's measured memory minus its model's `memBytes` (runtime, caches;
   * negative when the estimate was high). The replay counts the resident model's `memBytes` plus this.
   */
  ownMemOffsetBytes: number('bytes').optional(),
  onBattery: z.boolean({ error: 'must be true or false' }).optional(),
  batteryPercent: number('percent').min(0, { error: 'must be from 0 to 100' }).max(100, { error: 'must be from 0 to 100' }).optional(),
});

const eventSchema = z.discriminatedUnion(
  'type',
  [
    z.object({ t: nonNegative('seconds from the start'), type: z.literal('generation-start'), expectedTokens: nonNegative('tokens').optional() }),
    z.object({
      t: nonNegative('seconds from the start'),
      type: z.literal('generation-end'),
      ok: z.boolean({ error: 'must be true or false' }).default(true),
      tokensPerSecond: nonNegative('tokens per second').optional(),
      ttftMs: nonNegative('milliseconds').optional(),
      error: z.enum(['out-of-memory', 'failed', 'aborted'], { error: 'must be "out-of-memory", "failed" or "aborted"' }).optional(),
    }),
  ],
  { error: 'type must be "generation-start" or "generation-end"' },
);

/**
 * A load as it happened in a recorded trace: the switch to `model` started at `t` and its model was
 * ready (or failed) `seconds` later. The replay's loads take these times instead of `loadSeconds`.
 */
const loadSchema = z.object({
  t: nonNegative('seconds from the start'),
  model: z.string({ error: 'must be the id of one of the models' }),
  seconds: nonNegative('seconds'),
  ok: z.boolean({ error: 'must be true or false' }).default(true),
});

/** The whole trace document. */
export const traceSchema = z.object({
  name: z.string({ error: 'must be a string' }).default('trace'),
  machine: machineSchema,
  models: z.array(modelSchema).min(1, { error: 'must list at least one model' }),
  initialModel: z.string({ error: 'must be the id of one of the models' }),
  settings: scalerSettingsSchema.optional(),
  samples: z.array(sampleSchema).min(1, { error: 'must hold at least one sample' }),
  events: z.array(eventSchema).default([]),
  loads: z.array(loadSchema).optional(),
});

/** A validated trace. */
export type Trace = z.output<typeof traceSchema>;
/** One sample of a trace. */
export type TraceSample = Trace['samples'][number];
/** One event of a trace. */
export type TraceEvent = Trace['events'][number];
/** One recorded load of a trace. */
export type TraceLoad = NonNullable<Trace['loads']>[number];

const MAX_ISSUES = 20;

/** Validates a trace object; `located` adds line numbers to the errors. */
export function parseTrace(input: unknown, located?: LocatedJson): Trace {
  const result = traceSchema.safeParse(input, { reportInput: true });
  if (!result.success) throw new ResourceInputError('trace', issuesFromZod(result.error, located ? { located } : {}).slice(0, MAX_ISSUES));
  const trace = result.data;
  const issues: ValidationIssue[] = [];
  const add = (path: PropertyKey[], message: string): void => {
    if (issues.length >= MAX_ISSUES) return;
    const line = located?.lineOf(path);
    issues.push(line === undefined ? { field: formatPath(path), message } : { field: formatPath(path), line, message });
  };

  const ids = new Set<string>();
  trace.models.forEach((model, i) => {
    if (ids.has(model.id)) add(['models', i, 'id'], `"${model.id}" appears twice`);
    ids.add(model.id);
    // Smallest first between models, compared by their full rungs (the last of each model's
    // rungs); a model's cascade steps sit just under its full rung, cheapest step first.
    const key = (m: typeof model): string => m.modelKey ?? m.id;
    const previous = trace.models[i - 1];
    if (previous && key(previous) === key(model) && model.memBytes + model.vramBytes < previous.memBytes + previous.vramBytes) {
      add(['models', i, 'memBytes'], `a model's steps go cheapest first: ${model.id} is smaller than ${previous.id} before it`);
    }
    const next = trace.models[i + 1];
    if (next && key(next) !== key(model)) {
      const nextTop = trace.models.findLast((m) => key(m) === key(next))!;
      if (nextTop.memBytes + nextTop.vramBytes < model.memBytes + model.vramBytes)
        add(['models', trace.models.indexOf(nextTop), 'memBytes'], `the ladder must be smallest first: ${nextTop.id} is smaller than ${model.id} before it`);
    }
    if (previous && key(previous) !== key(model) && trace.models.slice(0, i - 1).some((m) => key(m) === key(model)))
      add(['models', i, 'modelKey'], `the rungs of model "${key(model)}" must be next to each other`);
  });
  if (!ids.has(trace.initialModel)) add(['initialModel'], `"${trace.initialModel}" is not one of the models (${[...ids].join(', ')})`);

  const vramTotal = (trace.machine.gpus ?? []).reduce((sum, gpu) => sum + gpu.vramTotalBytes, 0);
  trace.models.forEach((model, i) => {
    if (model.vramBytes > 0 && vramTotal === 0) add(['models', i, 'vramBytes'], 'the machine has no GPU with VRAM (machine.gpus)');
  });

  trace.samples.forEach((sample, i) => {
    const previous = trace.samples[i - 1];
    if (previous && sample.t <= previous.t) add(['samples', i, 't'], `must be after the previous sample's t (${previous.t}); got ${sample.t}`);
    if (sample.otherMemUsedBytes > trace.machine.memTotalBytes)
      add(['samples', i, 'otherMemUsedBytes'], `exceeds machine.memTotalBytes (${trace.machine.memTotalBytes}); got ${sample.otherMemUsedBytes}`);
    if (vramTotal > 0 && sample.otherVramUsedBytes === undefined) add(['samples', i, 'otherVramUsedBytes'], 'is missing (required when machine.gpus has VRAM)');
    if (sample.otherVramUsedBytes !== undefined && sample.otherVramUsedBytes > vramTotal)
      add(['samples', i, 'otherVramUsedBytes'], `exceeds the GPUs' VRAM (${vramTotal}); got ${sample.otherVramUsedBytes}`);
  });

  trace.loads?.forEach((load, i) => {
    if (!ids.has(load.model)) add(['loads', i, 'model'], `"${load.model}" is not one of the models (${[...ids].join(', ')})`);
    const previous = trace.loads?.[i - 1];
    if (previous && load.t < previous.t) add(['loads', i, 't'], `must not be before the previous load's t (${previous.t}); got ${load.t}`);
  });

  let generating = false;
  trace.events.forEach((event, i) => {
    const previous = trace.events[i - 1];
    if (previous && event.t < previous.t) add(['events', i, 't'], `must not be before the previous event's t (${previous.t}); got ${event.t}`);
    if (event.type === 'generation-start' && generating) add(['events', i, 'type'], 'a generation-start while a reply is already in progress');
    if (event.type === 'generation-end' && !generating) add(['events', i, 'type'], 'a generation-end without a generation-start');
    generating = event.type === 'generation-start';
  });

  if (trace.settings && issues.length === 0) {
    // Thresholds set alone are checked against the tier the trace's machine gets, as a run would.
    try {
      resolveScalerSettings(trace.settings, new HardwareTierDetector().detect(hardwareOfTrace(trace)), vramTotal);
    } catch (error) {
      if (!(error instanceof ResourceInputError)) throw error;
      for (const issue of error.issues) add(['settings', issue.field], issue.message);
    }
  }

  if (issues.length > 0) throw new ResourceInputError('trace', issues);
  return trace;
}

/** Parses and validates a trace file's text; errors name the field and the line. */
export function parseTraceText(text: string): Trace {
  let located: LocatedJson;
  try {
    located = parseLocatedJson(text);
  } catch (error) {
    if (error instanceof JsonLocationError) throw new ResourceInputError('trace', [{ field: '(syntax)', line: error.line, message: error.message }]);
    throw error;
  }
  return parseTrace(located.value, located);
}

/** The machine of a trace, as the tier detector sees it. */
export function hardwareOfTrace(trace: Trace): StaticHardwareInfo {
  return {
    cpuModel: 'trace',
    physicalCores: trace.machine.physicalCores ?? trace.machine.cpuCores,
    logicalCores: trace.machine.cpuCores,
    memTotalBytes: trace.machine.memTotalBytes,
    gpus: (trace.machine.gpus ?? []).map((gpu) => ({ name: gpu.name, vramTotalBytes: gpu.vramTotalBytes })),
    os: { platform: 'trace', release: '', arch: '' },
  };
}
