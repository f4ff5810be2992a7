/** SettingsStore with an example schema (Mai's real settings are defined elsewhere). */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { describeAllowed, SettingsStore } from '../../../electron/main/core/store/settings-store';

const schema = z.object({
  temperature: z.number().min(0).max(2),
  maxTokens: z.number().int().min(1).max(8192),
  theme: z.enum(['system', 'light', 'dark']),
  name: z.string().max(40),
  telemetry: z.boolean(),
});
type Settings = z.infer<typeof schema>;
const defaults: Settings = { temperature: 0.7, maxTokens: 512, theme: 'system', name: '', telemetry: false };

let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'mai-settings-'));
  file = path.join(dir, 'settings.json');
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('SettingsStore', () => {
  it('uses defaults when the file is missing, and update persists atomically', async () => {
    const store = new SettingsStore(file, schema, defaults);
    expect(await store.load()).toEqual({ value: defaults });
    expect(existsSync(file)).toBe(false);
    expect(await store.update({ temperature: 1.2, theme: 'dark' })).toEqual({ ...defaults, temperature: 1.2, theme: 'dark' });
    const reopened = new SettingsStore(file, schema, defaults);
    expect((await reopened.load()).value).toEqual({ ...defaults, temperature: 1.2, theme: 'dark' });
    expect(readdirSync(dir)).toEqual(['settings.json']);
  });

  it('creates a missing folder on the first update', async () => {
    const nested = path.join(dir, 'a', 'b', 'settings.json');
    const store = new SettingsStore(nested, schema, defaults);
    await store.load();
    await store.update({ telemetry: true });
    expect(JSON.parse(readFileSync(nested, 'utf8'))).toEqual({ ...defaults, telemetry: true });
  });

  it('quarantines a corrupt file and loads defaults', async () => {
    writeFileSync(file, '{"temperature": 1.5, "max');
    const store = new SettingsStore(file, schema, defaults);
    const result = await store.load();
    expect(result.value).toEqual(defaults);
    expect(result.quarantined?.reason).toMatch(/not valid JSON/);
    expect(path.basename(result.quarantined!.movedTo)).toMatch(/^settings\.json\.corrupt-/);
    expect(readFileSync(result.quarantined!.movedTo, 'utf8')).toBe('{"temperature": 1.5, "max');
    expect(existsSync(file)).toBe(false);
  });

  it('quarantines JSON that is not an object', async () => {
    writeFileSync(file, '[1, 2, 3]');
    const result = await new SettingsStore(file, schema, defaults).load();
    expect(result.value).toEqual(defaults);
    expect(result.quarantined).toBeDefined();
  });

  it('resets only an out-of-range field, keeps the rest, and says which field', async () => {
    writeFileSync(file, JSON.stringify({ ...defaults, temperature: 5, theme: 'dark', extra: 'dropped' }));
    const store = new SettingsStore(file, schema, defaults);
    const result = await store.load();
    expect(result.value).toEqual({ ...defaults, theme: 'dark' });
    expect(result.quarantined).toBeUndefined();
    expect(result.reset?.fields).toEqual(['temperature']);
    expect(result.reset?.message).toBe('A setting had an invalid value and was reset to the default: temperature (was 5; must be a number between 0 and 2).');
    // The repaired file is written back, so the next start is quiet.
    expect(await new SettingsStore(file, schema, defaults).load()).toEqual({ value: { ...defaults, theme: 'dark' } });
  });

  it('fills fields missing from an older file silently', async () => {
    writeFileSync(file, JSON.stringify({ temperature: 1 }));
    expect(await new SettingsStore(file, schema, defaults).load()).toEqual({ value: { ...defaults, temperature: 1 } });
  });

  it('refuses an out-of-range update with the field and range in the sentence, changing nothing', async () => {
    const store = new SettingsStore(file, schema, defaults);
    await store.load();
    await expect(store.update({ temperature: 3 })).rejects.toMatchObject({
      name: 'MaiError',
      code: 'bad-request',
      message: 'The setting "temperature" must be a number between 0 and 2; 3 is not allowed.',
    });
    await expect(store.update({ maxTokens: 1.5 })).rejects.toThrow('"maxTokens" must be a whole number between 1 and 8192; 1.5 is not allowed.');
    await expect(store.update({ theme: 'neon' as Settings['theme'] })).rejects.toThrow('"theme" must be one of "system", "light", "dark"');
    await expect(store.update({ bogus: 1 } as Partial<Settings>)).rejects.toThrow('There is no setting called "bogus".');
    expect(store.value).toEqual(defaults);
    expect(existsSync(file)).toBe(false);
  });

  it('describes constraints from the schema', () => {
    expect(describeAllowed(z.number().gt(0).lt(1))).toBe('a number greater than 0 and less than 1');
    expect(describeAllowed(z.number().int().min(1).optional())).toBe('a whole number at least 1');
    expect(describeAllowed(z.string().max(40).default(''))).toBe('text of at most 40 characters');
    expect(describeAllowed(z.boolean())).toBe('true or false');
  });

  it('rejects defaults that break the schema', () => {
    expect(() => new SettingsStore(file, schema, { ...defaults, temperature: 9 })).toThrow(/defaults/);
  });
});
