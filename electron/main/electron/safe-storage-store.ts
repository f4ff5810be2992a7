/**
 * The Hub token in the desktop app: encrypted with Electron's safeStorage (the OS keychain on
 * macOS, DPAPI on Windows, the secret service / kwallet on Linux) and written to a file only the
 * user can read (0600). Where the OS offers no encryption the token is still kept in that private
 * file, marked as not encrypted, as the web host keeps it.
 */
import { readFile, rm } from 'node:fs/promises';
import { writePrivateFile, type SecretStore } from '../core/hub';

/** The part of Electron's `safeStorage` this store uses (injectable for tests). */
export interface SafeStorageLike {
  isEncryptionAvailable(): boolean;
  encryptString(plainText: string): Buffer;
  decryptString(encrypted: Buffer): string;
}

interface StoredSecret {
  version: 1;
  encrypted: boolean;
  /** base64 of the encrypted bytes, or of the UTF-8 token when not encrypted. */
  data: string;
}

export class SafeStorageSecretStore implements SecretStore {
  constructor(
    private readonly file: string,
    private readonly safeStorage: SafeStorageLike,
  ) {}

  async read(): Promise<string | null> {
    let stored: StoredSecret;
    try {
      stored = JSON.parse(await readFile(this.file, 'utf8')) as StoredSecret;
    } catch {
      return null;
    }
    if (stored?.version !== 1 || typeof stored.data !== 'string') return null;
    const bytes = Buffer.from(stored.data, 'base64');
    try {
      return (stored.encrypted ? this.safeStorage.decryptString(bytes) : bytes.toString('utf8')) || null;
    } catch {
      // Encrypted on another machine or for another user: it cannot be used here; set it again.
      return null;
    }
  }

  async write(secret: string | null): Promise<void> {
    if (secret === null) {
      await rm(this.file, { force: true });
      return;
    }
    const encrypted = this.safeStorage.isEncryptionAvailable();
    const data = encrypted ? this.safeStorage.encryptString(secret) : Buffer.from(secret, 'utf8');
    const stored: StoredSecret = { version: 1, encrypted, data: data.toString('base64') };
    await writePrivateFile(this.file, `${JSON.stringify(stored)}\n`);
  }
}
