/** `npm run simulate`: JSON lines only on stdout, the summary last, errors on stderr with exit 2. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../../electron/engine/tools/simulate-main';
import { TRACE_DIR } from './helpers';

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text) });
  return { code, stdout, stderr };
}

describe('simulate command', () => {
  it('prints one JSON object per line and the summary last', async () => {
    const result = await run([path.join(TRACE_DIR, 'slow-ramp.json')]);
    expect(result.code).toBe(0);
    const lines = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { action: string; t: number });
    expect(lines.at(-1)).toMatchObject({ action: 'summary', policy: 'proactive' });
    expect(lines.some((line) => line.action === 'degrade')).toBe(true);
    expect(lines.some((line) => line.action === 'switch')).toBe(true);
    const times = lines.map((line) => line.t);
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it('--policy reactive replays the baseline', async () => {
    const result = await run([path.join(TRACE_DIR, 'slow-ramp.json'), '--policy', 'reactive']);
    expect(JSON.parse(result.stdout.trim().split('\n').at(-1)!)).toMatchObject({ action: 'summary', policy: 'reactive' });
  });

  it('a bad trace exits 2 and names the field and the line', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mai-trace-'));
    try {
      const file = path.join(dir, 'bad.json');
      const text = readFileSync(path.join(TRACE_DIR, 'sudden-drop.json'), 'utf8').replace('{"t":42,"cpuLoad"', '{"t":-42,"cpuLoad"');
      writeFileSync(file, text);
      const line = text.split('\n').findIndex((candidate) => candidate.includes('"t":-42')) + 1;
      const result = await run([file]);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain(`line ${line}: samples[42].t`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('bad arguments exit 2 with the usage', async () => {
    expect((await run([])).code).toBe(2);
    const wrong = await run([path.join(TRACE_DIR, 'slow-ramp.json'), '--policy', 'magic']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('usage:');
  });

  it('works end to end through npm run simulate', { timeout: 60_000 }, () => {
    const result = spawnSync('npm', ['run', '-s', 'simulate', '--', 'tests/traces/sudden-drop.json'], { encoding: 'utf8' });
    expect(result.status).toBe(0);
    const last = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as { action: string; switches: number };
    expect(last).toMatchObject({ action: 'summary', switches: 1 });
    const missing = spawnSync('npm', ['run', '-s', 'simulate', '--', 'tests/traces/no-such-trace.json'], { encoding: 'utf8' });
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('cannot read');
  });
});
