/**
 * The desktop app's Hub token store: what reaches the disk is what safeStorage returned (never the
 * token), in a file only the user can read; without OS encryption the token is still private.
 * safeStorage itself needs Electron's runtime, which cannot be installed here: a stand-in with the
 * same three methods reverses the bytes, enough to tell encrypted from plain.
 */
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SafeStorageSecretStore, type SafeStorageLike } from '../../../electron/main/electron/safe-storage-store';

function fakeSafeStorage(available: boolean, backend = 'gnome_libsecret'): SafeStorageLike {
  return {
    isEncryptionAvailable: () => available,
    getSelectedStorageBackend: () => backend,
    encryptString: (text) => Buffer.from(`enc:${[...text].reverse().join('')}`),
    decryptString: (bytes) => {
      const text = bytes.toString('utf8');
      if (!text.startsWith('enc:')) throw new Error('Error while decrypting the ciphertext provided to safeStorage.decryptString.');
      return [...text.slice(4)].reverse().join('');
    },
  };
}

describe('SafeStorageSecretStore', () => {
  it('writes only the encrypted token, in a 0600 file, and reads it back', async () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'mai-secret-')), 'hub-token.json');
    const store = new SafeStorageSecretStore(file, fakeSafeStorage(true));
    await store.write('hf_secretToken123');
    expect(readFileSync(file, 'utf8')).not.toContain('hf_secretToken123');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ version: 1, encrypted: true });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(store.encrypted()).toBe(true);
    expect(await new SafeStorageSecretStore(file, fakeSafeStorage(true)).read()).toBe('hf_secretToken123');
    await store.write(null);
    expect(await store.read()).toBeNull();
    expect(store.encrypted()).toBeNull();
  });

  it('on Linux with only the basic_text backend (no keyring) stores and reports the token as not encrypted', async () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'mai-secret-')), 'hub-token.json');
    const store = new SafeStorageSecretStore(file, fakeSafeStorage(true, 'basic_text'), 'linux');
    await store.write('hf_noKeyring');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ version: 1, encrypted: false });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(store.encrypted()).toBe(false);
    // A token an older Mai wrote under basic_text, marked encrypted, is read and reported as plain.
    await new SafeStorageSecretStore(file, fakeSafeStorage(true, 'basic_text'), 'darwin').write('hf_old');
    const reader = new SafeStorageSecretStore(file, fakeSafeStorage(true, 'basic_text'), 'linux');
    expect(await reader.read()).toBe('hf_old');
    expect(reader.encrypted()).toBe(false);
  });

  it('without OS encryption keeps the token private (0600) and marked as not encrypted; an undecryptable file reads as no token', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mai-secret-'));
    const file = path.join(dir, 'hub-token.json');
    await new SafeStorageSecretStore(file, fakeSafeStorage(false)).write('hf_plain');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ encrypted: false });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(await new SafeStorageSecretStore(file, fakeSafeStorage(true)).read()).toBe('hf_plain');
    const broken = new SafeStorageSecretStore(file, fakeSafeStorage(true));
    await broken.write('x');
    const other: SafeStorageLike = {
      ...fakeSafeStorage(true),
      decryptString: () => {
        throw new Error('another user');
      },
    };
    expect(await new SafeStorageSecretStore(file, other).read()).toBeNull();
  });
});
