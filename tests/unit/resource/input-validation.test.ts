/** Bad settings and traces are refused with the field, the valid range and the line. */
import { describe, expect, it } from 'vitest';
import { parseLocatedJson } from '../../../electron/engine/tools/located-json';
import { HardwareTierDetector } from '../../../electron/engine/resource/policy/hardware-tiers';
import { resolveScalerSettings } from '../../../electron/engine/resource/policy/resolved-settings';
import { ResourceInputError, parseScalerSettings } from '../../../electron/engine/resource/policy/settings';
import { parseScalerSettingsText } from '../../../electron/engine/tools/settings-text';
import { parseTraceText } from '../../../electron/engine/tools/trace';

function errorOf(run: () => unknown): ResourceInputError {
  try {
    run();
  } catch (error) {
    if (error instanceof ResourceInputError) return error;
    throw error;
  }
  throw new Error('expected a ResourceInputError');
}

const traceText = (samples: string[], extra = ''): string =>
  [
    '{',
    '  "name": "t",',
    '  "machine": { "cpuCores": 4, "memTotalBytes": 16000000000 },',
    '  "models": [',
    '    { "id": "small", "memBytes": 1000000000, "vramBytes": 0, "loadSeconds": 2 },',
    '    { "id": "large", "memBytes": 5000000000, "vramBytes": 0, "loadSeconds": 6 }',
    '  ],',
    `  "initialModel": "large",${extra}`,
    '  "samples": [',
    samples.map((sample) => `    ${sample}`).join(',\n'),
    '  ]',
    '}',
  ].join('\n');
const sample = (t: number, mem = 5e9, cpu = 0.2): string => `{ "t": ${t}, "cpuLoad": ${cpu}, "otherMemUsedBytes": ${mem} }`;
// Line numbers of the samples in traceText: the first sample sits on line 10.
const SAMPLE_LINE = 10;

describe('settings validation', () => {
  it('fills defaults', () => {
    const settings = parseScalerSettings({});
    expect(settings.stabilizationSeconds).toBe(300);
    expect(settings.sampleIntervalSeconds).toBe(1);
    expect(settings.degradeThreshold).toBeUndefined();
  });

  it('a threshold above 1 is refused with the valid range', () => {
    const error = errorOf(() => parseScalerSettings({ degradeThreshold: 1.2 }));
    expect(error.issues[0]!.field).toBe('degradeThreshold');
    expect(error.message).toMatch(/from 0\.3 to 0\.99/);
    expect(error.message).toContain('1.2');
  });

  it('a negative stabilization is refused with the valid range', () => {
    const error = errorOf(() => parseScalerSettings({ stabilizationSeconds: -5 }));
    expect(error.issues[0]!.field).toBe('stabilizationSeconds');
    expect(error.message).toMatch(/from 0 to 7200 \(seconds\)/);
  });

  it('contradicting thresholds name the field that breaks the hysteresis', () => {
    const error = errorOf(() => parseScalerSettings({ degradeThreshold: 0.7, upgradeThreshold: 0.75 }));
    expect(error.issues[0]!.field).toBe('upgradeThreshold');
    expect(error.message).toContain('below degradeThreshold');
  });

  it('a threshold set alone that contradicts the tier is refused with the range the tier leaves', () => {
    // A large (32 GiB) machine steps down at 0.85: an upgrade line of 0.9 alone would step up into
    // a state the scaler must leave at once, and a critical line of 0.8 would sit under the act line.
    const tier = new HardwareTierDetector().detect({
      cpuModel: 't',
      physicalCores: 8,
      logicalCores: 8,
      memTotalBytes: 32 * 2 ** 30,
      gpus: [],
      os: { platform: 'linux', release: '', arch: '' },
    });
    expect(tier.budgets.degradeThreshold).toBe(0.85);
    const upgrade = errorOf(() => resolveScalerSettings(parseScalerSettings({ upgradeThreshold: 0.9 }), tier));
    expect(upgrade.issues).toEqual([{ field: 'upgradeThreshold', message: expect.stringContaining('from 0.1 to below 0.85') }]);
    expect(upgrade.message).toContain('got 0.9');
    const critical = errorOf(() => resolveScalerSettings(parseScalerSettings({ criticalThreshold: 0.8 }), tier));
    expect(critical.issues).toEqual([{ field: 'criticalThreshold', message: expect.stringContaining('above 0.85') }]);
    // Under the tier's line they stand as written.
    expect(resolveScalerSettings(parseScalerSettings({ upgradeThreshold: 0.7, criticalThreshold: 0.95 }), tier).memory).toEqual({
      degrade: 0.85,
      critical: 0.95,
      upgrade: 0.7,
    });
  });

  it('an unknown (misspelt) setting is named, with the valid names', () => {
    const error = errorOf(() => parseScalerSettings({ stabilisationSeconds: 10 }));
    expect(error.issues[0]!.field).toBe('stabilisationSeconds');
    expect(error.message).toContain('stabilizationSeconds');
  });

  it('a settings file names the line of the bad value', () => {
    const error = errorOf(() => parseScalerSettingsText('{\n  "degradeThreshold": 0.8,\n  "stabilizationSeconds": "soon"\n}'));
    expect(error.issues[0]).toMatchObject({ field: 'stabilizationSeconds', line: 3 });
  });
});

describe('trace validation', () => {
  it('a valid trace parses, with comments allowed', () => {
    const trace = parseTraceText(`// recorded on a laptop\n${traceText([sample(0), sample(1)])}`);
    expect(trace.samples).toHaveLength(2);
    expect(trace.events).toEqual([]);
  });

  it('a missing value names the field and the line of its sample', () => {
    const samples = [sample(0), sample(1), '{ "t": 2, "otherMemUsedBytes": 5000000000 }'];
    const error = errorOf(() => parseTraceText(traceText(samples)));
    expect(error.issues[0]).toMatchObject({ field: 'samples[2].cpuLoad', line: SAMPLE_LINE + 2 });
    expect(error.message).toContain('is missing');
  });

  it('a negative value names the field and the line', () => {
    const error = errorOf(() => parseTraceText(traceText([sample(0), sample(1, -3)])));
    expect(error.issues[0]).toMatchObject({ field: 'samples[1].otherMemUsedBytes', line: SAMPLE_LINE + 1 });
    expect(error.message).toContain('must not be negative');
  });

  it('out-of-order samples name the field and the line', () => {
    const error = errorOf(() => parseTraceText(traceText([sample(0), sample(5), sample(4)])));
    expect(error.issues[0]).toMatchObject({ field: 'samples[2].t', line: SAMPLE_LINE + 2 });
    expect(error.message).toContain('after the previous sample');
  });

  it('a CPU load over 1 and memory beyond the machine are refused', () => {
    const error = errorOf(() => parseTraceText(traceText([sample(0, 5e9, 1.5), sample(1, 2e10)])));
    const fields = error.issues.map((issue) => issue.field);
    expect(fields).toContain('samples[0].cpuLoad');
    const next = errorOf(() => parseTraceText(traceText([sample(0), sample(1, 2e10)])));
    expect(next.issues[0]).toMatchObject({ field: 'samples[1].otherMemUsedBytes', line: SAMPLE_LINE + 1 });
  });

  it('an initial model not on the ladder, and bad settings, are named', () => {
    const text = traceText([sample(0)]).replace('"initialModel": "large"', '"initialModel": "huge"');
    expect(errorOf(() => parseTraceText(text)).issues[0]).toMatchObject({ field: 'initialModel', line: 8 });
    const withSettings = traceText([sample(0)], '\n  "settings": { "degradeThreshold": 2 },');
    expect(errorOf(() => parseTraceText(withSettings)).issues[0]).toMatchObject({ field: 'settings.degradeThreshold', line: 9 });
  });

  it('a trace whose lone upgrade threshold crosses its machine tier’s degrade line names the line', () => {
    const text = traceText([sample(0)], '\n  "settings": {\n    "stabilizationSeconds": 60,\n    "upgradeThreshold": 0.9\n  },');
    const error = errorOf(() => parseTraceText(text));
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]).toMatchObject({ field: 'settings.upgradeThreshold', line: 11 });
    expect(error.message).toMatch(/from 0\.1 to below 0\.\d+/);
  });

  it('a generation-end without a start is refused at its line', () => {
    const text = traceText([sample(0), sample(1)]).replace(/\n {2}\]\n\}$/, '\n  ],\n  "events": [\n    { "t": 1, "type": "generation-end" }\n  ]\n}');
    expect(errorOf(() => parseTraceText(text)).issues[0]).toMatchObject({ field: 'events[0].type', line: SAMPLE_LINE + 4 });
  });

  it('a syntax error gives its line', () => {
    const error = errorOf(() => parseTraceText('{\n  "name": "x",\n  "machine": {\n}}'.replace('{\n}}', '{ oops }}')));
    expect(error.issues[0]!.line).toBe(3);
  });
});

describe('line-aware JSON', () => {
  it('finds the line of any value, and of the nearest parent for a missing one', () => {
    const located = parseLocatedJson('{\n "a": [\n  1,\n  { "b": 2 }\n ]\n}');
    expect(located.lineOf(['a', 1, 'b'])).toBe(4);
    expect(located.lineOf(['a', 1, 'missing'])).toBe(4);
    expect(located.lineOf(['a', 0])).toBe(3);
  });
});
