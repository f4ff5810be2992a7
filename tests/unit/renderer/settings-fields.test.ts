import { describe, expect, it } from 'vitest';
import { appSettingsSchema, tierIds } from '../../../shared/settings';
import {
  allFields,
  defaultText,
  fieldMeta,
  FIELD_WORDS,
  parseShown,
  rangeText,
  tierDefaultText,
  toShown,
} from '../../../renderer/features/settings/settings-fields';

describe('settings page metadata, read from the shared schema', () => {
  it('covers every field of AppSettings, in the schema order, each with a label and help', () => {
    const keys = Object.keys(appSettingsSchema.shape);
    expect(allFields().map((f) => f.key)).toEqual(keys);
    expect(Object.keys(FIELD_WORDS).sort()).toEqual([...keys].sort());
    for (const field of allFields()) {
      expect(field.label.length).toBeGreaterThan(2);
      expect(field.help.length).toBeGreaterThan(10);
    }
  });

  it('shows a field it has no words for read-only instead of failing (a newer schema)', () => {
    const meta = fieldMeta('someFutureSetting' as never);
    expect(meta).toMatchObject({ kind: 'readonly', label: 'Some future setting' });
  });

  it('reads ranges and defaults from the schema', () => {
    const context = fieldMeta('contextSize');
    expect(context).toMatchObject({ kind: 'number', min: 512, max: 131_072, integer: true, default: 4096, unit: 'tokens', nullable: false });
    expect(rangeText(context)).toBe('512–131072 tokens');
    expect(defaultText(context)).toBe('4096 tokens');
    expect(fieldMeta('maxReplyTokens')).toMatchObject({ min: 16, max: 32_768, default: 1024 });
    expect(fieldMeta('stabilizationSeconds')).toMatchObject({ min: 0, max: 7200, default: 300, unit: 's', integer: false });
  });

  it('shows fractions as percentages and bytes as GiB', () => {
    const thresholds = fieldMeta('actThresholds');
    expect(thresholds).toMatchObject({ kind: 'percent-per-tier', min: 30, max: 99, unit: '%' });
    expect(thresholds.options).toEqual(tierIds);
    expect(rangeText(thresholds)).toBe('30–99 %');
    const budget = fieldMeta('memoryBudgetBytes');
    expect(budget).toMatchObject({ kind: 'number', min: 0.25, max: 1024, unit: 'GiB', nullable: true });
    expect(defaultText(budget)).toBe('all of it');
  });

  it('knows enums, booleans, model paths, folders and the read-only fields', () => {
    expect(fieldMeta('preference')).toMatchObject({ kind: 'enum', options: ['balanced', 'speed', 'quality'], default: 'balanced' });
    expect(fieldMeta('silentSwitching')).toMatchObject({ kind: 'boolean', default: false });
    expect(defaultText(fieldMeta('closeToTray'))).toBe('on');
    expect(fieldMeta('pinnedModelPath')).toMatchObject({ kind: 'model', nullable: true, emptyLabel: 'Automatic' });
    expect(fieldMeta('qualityFloorPath')).toMatchObject({ kind: 'model', nullable: true });
    expect(fieldMeta('modelsDir')).toMatchObject({ kind: 'text', nullable: true, max: 4096 });
    expect(fieldMeta('lastModelPath').kind).toBe('readonly');
    expect(fieldMeta('crashedModelPaths').kind).toBe('readonly');
    expect(fieldMeta('modelUsage').kind).toBe('readonly');
    expect(defaultText(fieldMeta('modelUsage'))).toBe('none');
  });

  it('converts between what the input shows and what is stored', () => {
    const thresholds = fieldMeta('actThresholds');
    expect(parseShown(thresholds, '80')).toBe(0.8);
    expect(parseShown(thresholds, ' 72,5 ')).toBe(0.725);
    expect(toShown(thresholds, 0.8)).toBe('80');
    const budget = fieldMeta('memoryBudgetBytes');
    expect(parseShown(budget, '2')).toBe(2 * 2 ** 30);
    expect(parseShown(budget, '')).toBeNull();
    expect(toShown(budget, 2.5 * 2 ** 30)).toBe('2.5');
    const context = fieldMeta('contextSize');
    expect(parseShown(context, '8192')).toBe(8192);
    expect(parseShown(context, '8192.4')).toBe(8192);
    // Not a number, or empty where a value is required: sent as typed so main refuses it with its sentence.
    expect(parseShown(context, 'lots')).toBe('lots');
    expect(parseShown(context, '')).toBe('');
  });
});

describe('settings page words', () => {
  it('says the models folder applies at the next start, and no field that applies at once says so', () => {
    expect(fieldMeta('modelsDir').appliesAtNextStart).toBe(true);
    expect(
      allFields()
        .filter((f) => f.appliesAtNextStart)
        .map((f) => f.key),
    ).toEqual(['modelsDir']);
  });

  it('shows the act threshold default as a number for this machine’s tier, unless the user set one', () => {
    const meta = fieldMeta('actThresholds');
    expect(tierDefaultText(meta, { tierId: 'medium', inUse: 0.8 }, false)).toBe('80 % on this machine (medium); each tier’s own, 70–85 %');
    expect(tierDefaultText(meta, { tierId: 'medium', inUse: 0.65 }, true)).not.toContain('65');
    expect(tierDefaultText(meta, null, false)).toBe('each tier’s own, 70–85 %');
    expect(defaultText(meta)).not.toBe('tier default');
  });
});
