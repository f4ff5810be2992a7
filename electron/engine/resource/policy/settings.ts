/**
 * Scaler settings: the zod schema (units, defaults, valid ranges) and a parser whose errors name
 * the field, the valid range and — for files — the line. Thresholds have no default here: they
 * come from the hardware tier (see hardware-tiers.ts) unless the user overrides them.
 */
import type { z } from 'zod';
import { scalerSettingsSchema, type ScalerSettings } from '../../../../shared/scaler-settings';

export { scalerSettingsSchema, type ScalerSettings, type ScalerSettingsInput } from '../../../../shared/scaler-settings';

/** One problem in a settings or trace document. */
export interface ValidationIssue {
  /** Dotted path of the field, e.g. `settings.degradeThreshold` or `samples[12].t`. */
  field: string;
  /** 1-based line in the source text, when the input came from text. */
  line?: number;
  message: string;
}

/** Thrown for invalid settings or traces; `issues` lists every problem found. */
export class ResourceInputError extends Error {
  constructor(
    readonly kind: 'settings' | 'trace',
    readonly issues: ValidationIssue[],
  ) {
    super(`invalid ${kind}:\n` + issues.map(formatIssue).join('\n'));
    this.name = 'ResourceInputError';
  }
}

/** `line 12: samples[3].t: must be …` */
export function formatIssue(issue: ValidationIssue): string {
  return `${issue.line !== undefined ? `line ${issue.line}: ` : ''}${issue.field}: ${issue.message}`;
}

/** Formats a zod path the way a reader of the JSON would: `samples[3].cpuLoad`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const key of path) out += typeof key === 'number' ? `[${key}]` : `${out ? '.' : ''}${String(key)}`;
  return out || '(root)';
}

/** Finds the source line of a field in a parsed document (the tools' located JSON does this). */
export interface LineLocator {
  lineOf(path: ReadonlyArray<PropertyKey>): number | undefined;
}

/** Converts zod issues to `ValidationIssue`s, with lines when the source text is known. */
export function issuesFromZod(
  error: z.ZodError,
  options: { prefix?: ReadonlyArray<PropertyKey>; located?: LineLocator; input?: unknown } = {},
): ValidationIssue[] {
  const prefix = options.prefix ?? [];
  return error.issues.map((issue) => {
    let path: PropertyKey[] = [...prefix, ...issue.path];
    let message = issue.message;
    if (issue.code === 'unrecognized_keys') {
      path = [...path, issue.keys[0] ?? ''];
      message = `unknown setting (valid: ${Object.keys(scalerSettingsSchema.shape).join(', ')})`;
    } else if (issue.code === 'invalid_type' && issue.input === undefined) {
      message = `is missing (${issue.message.replace(/^Invalid input: /, '')})`;
    } else if ('input' in issue && issue.input !== undefined && typeof issue.input !== 'object') {
      message += `; got ${JSON.stringify(issue.input)}`;
    }
    const line = options.located?.lineOf(path);
    return line === undefined ? { field: formatPath(path), message } : { field: formatPath(path), line, message };
  });
}

/** Validates settings from an object; throws `ResourceInputError` naming each bad field and its range. */
export function parseScalerSettings(input: unknown): ScalerSettings {
  const result = scalerSettingsSchema.safeParse(input ?? {}, { reportInput: true });
  if (!result.success) throw new ResourceInputError('settings', issuesFromZod(result.error));
  return result.data;
}
