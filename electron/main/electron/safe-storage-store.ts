/**
 * The Hub token in the desktop app: encrypted with Electron's safeStorage (the OS keychain on
 * macOS, DPAPI on Windows, the secret service / kwallet on Linux) and written to a file only the
 * user can read (0600). Where the OS offers no encryption (or, on Linux without a keyring, only
 * Chromium's `basic_text` fixed key) the token is still kept in that private file, marked as not
 * encrypted, as the web host keeps it, and Settings says so.
 */
import { readFile, rm } from 'node:fs/promises';
import { writePrivateFile, type SecretStore } from '../core/hub';

/** The part of Electron's `safeStorage` this store uses (injectable for tests). */
export interface SafeStorageLike {
  isEncryptionAvailable(): boolean;
  /** Linux only: which secret store Chromium picked; `basic_text` is a fixed, public key. */
  getSelectedStorageBackend?(): string;
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
  private lastEncrypted: boolean | null = null;

  constructor(
    private readonly file: string,
    private readonly safeStorage: SafeStorageLike,
    private readonly platform: NodeJS.Platform = process.platform,
  ) {}

  /**
   * Whether safeStorage really encrypts. On Linux without a keyring (secret service, kwallet)
   * Chromium falls back to `basic_text`, a hard-coded key, while isEncryptionAvailable() still says
   * true: such "encryption" protects nothing, so the token is then stored, and reported, as plain.
   */
  private encrypts(): boolean {
    if (!this.safeStorage.isEncryptionAvailable()) return false;
    return !(this.platform === 'linux' && this.safeStorage.getSelectedStorageBackend?.() === 'basic_text');
  }

  encrypted(): boolean | null {
    return this.lastEncrypted;
  }

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
      const secret = (stored.encrypted ? this.safeStorage.decryptString(bytes) : bytes.toString('utf8')) || null;
      // A token written under basic_text by an older Mai says encrypted but protects nothing.
      this.lastEncrypted = secret === null ? null : stored.encrypted && this.encrypts();
      return secret;
    } catch {
      this.lastEncrypted = null;
      // Encrypted on another machine or for another user: it cannot be used here; set it again.
      return null;
    }
  }

  async write(secret: string | null): Promise<void> {
    if (secret === null) {
      await rm(this.file, { force: true });
      this.lastEncrypted = null;
      return;
    }
    const encrypted = this.encrypts();
    const data = encrypted ? this.safeStorage.encryptString(secret) : Buffer.from(secret, 'utf8');
    const stored: StoredSecret = { version: 1, encrypted, data: data.toString('base64') };
    await writePrivateFile(this.file, `${JSON.stringify(stored)}\n`);
    this.lastEncrypted = encrypted;
  }
}
