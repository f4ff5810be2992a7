/** The web host's token file: private from its creation, and no copy of the token left by a failed write. */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileSecretStore, writePrivateFile } from '../../../electron/main/core/hub/token-store';

function tempDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'mai-token-'));
}

describe('writePrivateFile', () => {
  it('replaces a wider file with a 0600 one', async () => {
    const file = path.join(tempDir(), 'nested', 'hub-token');
    mkdirSync(path.dirname(file));
    writeFileSync(file, 'old', { mode: 0o644 });
    await new FileSecretStore(file).write('hf_secret');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(await new FileSecretStore(file).read()).toBe('hf_secret');
  });

  it('leaves no file holding the token when the write fails', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'hub-token.json');
    // A folder in the way makes the final rename fail, after the token was written to a temp file.
    mkdirSync(file);
    writeFileSync(path.join(file, 'keep'), '');
    await expect(writePrivateFile(file, 'hf_mustNotStay')).rejects.toThrow();
    const left = readdirSync(dir).filter((name) => name !== 'hub-token.json');
    expect(left).toEqual([]);
    expect(readFileSync(path.join(file, 'keep'), 'utf8')).toBe('');
  });
});
