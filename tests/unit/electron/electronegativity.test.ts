/**
 * The Electronegativity gate (build/electronegativity.mjs): it decides by each finding's severity,
 * so a medium finding that Electronegativity marks "needs manual review" (a mere SARIF note) still
 * fails, and the control — a window with nodeIntegration on — is caught by the real scanner.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs build script without type declarations.
import { ALWAYS_BLOCKING, classify, SUPPRESSIONS } from '../../../build/electronegativity.mjs';
import { repoDir } from '../../helpers/models';

const run = promisify(execFile);
const script = path.join(repoDir, 'build', 'electronegativity.mjs');
const finding = (id: string, severity: string, file: string) => ({ id, file, severity: { name: severity }, manualReview: true });

describe('electronegativity gate', () => {
  it('blocks anything above informational that no suppression names, by severity, not by SARIF level', () => {
    const verdicts = classify(
      [
        finding('OPEN_EXTERNAL_JS_CHECK', 'MEDIUM', 'main/electron/some-other-file.ts'),
        finding('OPEN_EXTERNAL_JS_CHECK', 'MEDIUM', 'main/electron/window.ts'),
        finding('OPEN_EXTERNAL_JS_CHECK', 'HIGH', 'main/electron/window.ts'),
        finding('CSP_GLOBAL_CHECK', 'LOW', 'renderer/other.html'),
        finding('HTTP_RESOURCES_JS_CHECK', 'INFORMATIONAL', 'main/electron/window.ts'),
        finding('NODE_INTEGRATION_JS_CHECK', 'INFORMATIONAL', 'main/electron/window.ts'),
      ],
      SUPPRESSIONS,
    ) as Array<{ blocking: boolean; suppression: unknown }>;
    expect(verdicts.map((v) => v.blocking)).toEqual([true, false, true, true, false, true]);
    expect(verdicts[1]?.suppression).not.toBeNull();
    expect(ALWAYS_BLOCKING.has('CONTEXT_ISOLATION_JS_CHECK')).toBe(true);
  });

  it('every suppression names its files and gives a reason', () => {
    for (const s of SUPPRESSIONS as Array<{ ruleId: string; files: RegExp; reason: string; severity: string }>) {
      expect(s.files, s.ruleId).toBeInstanceOf(RegExp);
      expect(s.files.test('anything/else.ts'), s.ruleId).toBe(false);
      expect(s.reason.length, s.ruleId).toBeGreaterThan(40);
      expect(['LOW', 'MEDIUM', 'HIGH']).toContain(s.severity);
    }
  });

  it('fails the insecure fixture (nodeIntegration on, no isolation, unchecked openExternal) with the real scanner', { timeout: 60_000 }, async () => {
    const failure = await run(process.execPath, [script, '--input', path.join(repoDir, 'build', 'electronegativity-fixture')]).then(
      () => null,
      (error: { code: number; stdout: string }) => error,
    );
    expect(failure?.code).toBe(1);
    const blocked = (failure?.stdout ?? '').split('\n').filter((line) => line.trimStart().startsWith('✗'));
    for (const id of ['NODE_INTEGRATION_JS_CHECK', 'CONTEXT_ISOLATION_JS_CHECK', 'SANDBOX_JS_CHECK', 'OPEN_EXTERNAL_JS_CHECK']) {
      expect(
        blocked.some((line) => line.includes(id)),
        `${id} in:\n${failure?.stdout}`,
      ).toBe(true);
    }
    const selfTest = await run(process.execPath, [script, '--self-test']);
    expect(selfTest.stdout).toMatch(/the gate fails the insecure fixture/);
  });
});
