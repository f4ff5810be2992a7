/**
 * A settings object in one JSON file, validated by a zod object schema the caller supplies. A bad
 * file never stops the app: a corrupt one is quarantined and defaults are used; a file with a few
 * bad fields keeps the good ones and resets only the bad ones, saying which.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { MaiError } from '../../../../shared/errors';
import { fsyncDir, quarantine, readJsonFile, writeFileAtomic } from './atomic-file';

/** Any zod object schema; its top-level keys are the settings. */
export type SettingsSchema = z.ZodObject;

export interface SettingsLoadResult<T> {
  value: T;
  /** Set when the file was unparseable (or hopeless) and was moved aside; defaults are in use. */
  quarantined?: { movedTo: string; reason: string };
  /** Set when some fields were invalid and were reset to their defaults. */
  reset?: { fields: string[]; message: string };
  /** Set when the file exists but could not be read (permissions, I/O); defaults are in use. */
  unreadable?: string;
}

/** The parts of zod's internal definition this module reads to describe a field's valid values. */
interface ZodDefLike {
  type: string;
  innerType?: { _zod: { def: ZodDefLike } };
  checks?: Array<{ _zod: { def: { check: string; value?: unknown; inclusive?: boolean; format?: string; minimum?: number; maximum?: number } } }>;
  entries?: Record<string, unknown>;
  values?: unknown[];
}

const WRAPPERS = new Set(['optional', 'nullable', 'default', 'prefault', 'catch', 'readonly', 'nonoptional']);

function defOf(schema: unknown): ZodDefLike {
  let def = (schema as { _zod: { def: ZodDefLike } })._zod.def;
  while (WRAPPERS.has(def.type) && def.innerType) def = def.innerType._zod.def;
  return def;
}

function numberRule(def: ZodDefLike): string {
  let min: { value: number; inclusive: boolean } | undefined;
  let max: { value: number; inclusive: boolean } | undefined;
  let integer = false;
  for (const check of def.checks ?? []) {
    const c = check._zod.def;
    if (c.check === 'greater_than' && typeof c.value === 'number') min = { value: c.value, inclusive: c.inclusive ?? true };
    if (c.check === 'less_than' && typeof c.value === 'number') max = { value: c.value, inclusive: c.inclusive ?? true };
    if (c.check === 'number_format' && /int/.test(c.format ?? '')) integer = true;
  }
  const kind = integer ? 'a whole number' : 'a number';
  if (min && max && min.inclusive && max.inclusive) return `${kind} between ${min.value} and ${max.value}`;
  const parts: string[] = [];
  if (min) parts.push(min.inclusive ? `at least ${min.value}` : `greater than ${min.value}`);
  if (max) parts.push(max.inclusive ? `at most ${max.value}` : `less than ${max.value}`);
  return parts.length ? `${kind} ${parts.join(' and ')}` : kind;
}

function stringRule(def: ZodDefLike): string {
  let min: number | undefined;
  let max: number | undefined;
  for (const check of def.checks ?? []) {
    const c = check._zod.def;
    if (c.check === 'min_length') min = c.minimum;
    if (c.check === 'max_length') max = c.maximum;
    if (c.check === 'length_equals') min = max = c.value as number;
  }
  if (min !== undefined && max !== undefined) return min === max ? `text of exactly ${min} characters` : `text of ${min} to ${max} characters`;
  if (max !== undefined) return `text of at most ${max} characters`;
  if (min !== undefined) return `text of at least ${min} characters`;
  return 'text';
}

/** A phrase for what a field accepts, read from its schema ("a number between 0 and 2"). */
export function describeAllowed(fieldSchema: unknown): string {
  const def = defOf(fieldSchema);
  switch (def.type) {
    case 'number':
      return numberRule(def);
    case 'string':
      return stringRule(def);
    case 'boolean':
      return 'true or false';
    case 'enum':
      return `one of ${Object.values(def.entries ?? {})
        .map((v) => JSON.stringify(v))
        .join(', ')}`;
    case 'literal':
      return (def.values ?? []).map((v) => JSON.stringify(v)).join(' or ');
    default:
      return `a valid ${def.type}`;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function shortJson(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/**
 * One settings file (e.g. `<userData>/settings.json`). Call `load()` once, then read `value` and
 * change it with `update()`, which validates, writes atomically and resolves once durable.
 */
export class SettingsStore<S extends SettingsSchema> {
  private current: z.infer<S>;

  constructor(
    readonly file: string,
    readonly schema: S,
    private readonly defaults: z.infer<S>,
  ) {
    const parsed = schema.safeParse(defaults);
    // Invalid defaults are a programming error, not user data: fail loudly at construction.
    if (!parsed.success) throw new Error(`SettingsStore defaults do not match the schema: ${parsed.error.message}`);
    this.defaults = parsed.data as z.infer<S>;
    this.current = structuredClone(this.defaults);
  }

  /** A copy of the current settings. */
  get value(): z.infer<S> {
    return structuredClone(this.current);
  }

  /**
   * Reads the file. Missing → defaults (nothing written). Unparseable, not an object, or invalid as
   * a whole → quarantined, defaults. Fields missing (e.g. added in a newer version) take their
   * defaults silently; fields with invalid values are reset to their defaults, reported in
   * `reset`, and the repaired file is written back so the notice is shown once.
   */
  async load(): Promise<SettingsLoadResult<z.infer<S>>> {
    const result = await readJsonFile(this.file, this.schema);
    if (result.ok) {
      this.current = result.value as z.infer<S>;
      return { value: this.value };
    }
    this.current = structuredClone(this.defaults);
    if (result.kind === 'missing') return { value: this.value };
    if (result.kind === 'unreadable') return { value: this.value, unreadable: result.reason };
    if (result.kind === 'schema' && isPlainObject(result.raw)) {
      const salvaged = await this.salvage(result.raw);
      if (salvaged) return salvaged;
    }
    const movedTo = await quarantine(this.file, result.reason);
    return { value: this.value, quarantined: { movedTo, reason: result.reason } };
  }

  /**
   * Applies a partial change. Unknown keys and out-of-range values are refused with
   * MaiError('bad-request') and a sentence naming the field and what it accepts; nothing changes.
   * Resolves with the new settings once they are durable.
   */
  async update(patch: Partial<z.infer<S>>): Promise<z.infer<S>> {
    if (!isPlainObject(patch)) throw new MaiError('bad-request', 'Settings must be changed with an object of field values.');
    const shape = this.schema.shape as Record<string, unknown>;
    for (const key of Object.keys(patch)) {
      if (!Object.hasOwn(shape, key)) throw new MaiError('bad-request', `There is no setting called "${key}".`);
    }
    const parsed = this.schema.safeParse({ ...this.current, ...patch });
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = String(issue?.path[0] ?? '');
      if (!field || !Object.hasOwn(shape, field)) throw new MaiError('bad-request', `The settings are not valid: ${issue?.message ?? 'unknown problem'}.`);
      const given = (patch as Record<string, unknown>)[field] ?? (this.current as Record<string, unknown>)[field];
      throw new MaiError('bad-request', `The setting "${field}" must be ${describeAllowed(shape[field])}; ${shortJson(given)} is not allowed.`);
    }
    // Set before the write so overlapping updates build on each other; the write queue makes the
    // newest state win on disk.
    this.current = parsed.data as z.infer<S>;
    await this.write();
    return this.value;
  }

  /** Writes the current value, creating the folder on first use (durably, like the file). */
  private async write(): Promise<void> {
    const dir = path.dirname(this.file);
    const created = await fs.mkdir(dir, { recursive: true });
    if (created) await fsyncDir(path.dirname(created));
    const snapshot = this.current;
    await writeFileAtomic(this.file, () => `${JSON.stringify(snapshot, null, 2)}\n`);
  }

  /** Keeps valid fields of a schema-invalid file and resets the invalid ones; null if that is not enough. */
  private async salvage(raw: Record<string, unknown>): Promise<SettingsLoadResult<z.infer<S>> | null> {
    const shape = this.schema.shape as Record<string, unknown>;
    const candidate: Record<string, unknown> = { ...(this.defaults as Record<string, unknown>) };
    for (const key of Object.keys(shape)) if (Object.hasOwn(raw, key)) candidate[key] = raw[key];
    let parsed = this.schema.safeParse(candidate);
    if (parsed.success) {
      // Only missing fields: defaults fill them, nothing to tell the user.
      this.current = parsed.data as z.infer<S>;
      return { value: this.value };
    }
    const fields = [...new Set(parsed.error.issues.map((issue) => String(issue.path[0] ?? '')))];
    // An issue with no field (an object-level rule) cannot be pinned on one setting.
    if (fields.some((field) => !Object.hasOwn(shape, field))) return null;
    const details = fields.map((field) => `${field} (was ${shortJson(candidate[field])}; must be ${describeAllowed(shape[field])})`);
    for (const field of fields) candidate[field] = (this.defaults as Record<string, unknown>)[field];
    parsed = this.schema.safeParse(candidate);
    if (!parsed.success) return null;
    this.current = parsed.data as z.infer<S>;
    await this.write();
    const message = `${fields.length === 1 ? 'A setting had an invalid value and was' : 'Some settings had invalid values and were'} reset to the default: ${details.join(', ')}.`;
    return { value: this.value, reset: { fields, message } };
  }
}
