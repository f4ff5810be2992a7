/**
 * The Hugging Face token: from Settings (kept by a SecretStore) or from the HF_TOKEN variable.
 * A token set in Settings wins over HF_TOKEN (the user chose it in Mai). It is never logged and
 * never leaves main except as an Authorization header to the Hub's own origin (hub-fetch.ts).
 */
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import type { HubTokenStatus } from '../../../../shared/hub';
import { writeFileAtomic } from '../store/atomic-file';

/** Where a secret is kept between runs: Electron's safeStorage in the app, a 0600 file in the web host. */
export interface SecretStore {
  read(): Promise<string | null>;
  /** Saves the secret, or forgets it with null. */
  write(secret: string | null): Promise<void>;
  /** Whether the secret last read or written is encrypted at rest; null when there is none. */
  encrypted(): boolean | null;
}

/**
 * Writes bytes to a file only its owner can read (0600), atomically, creating folders as needed.
 * The shared atomic writer creates a fresh temp file (never reused) with that mode and removes it
 * when the write fails, so no copy of the secret is left behind.
 */
export async function writePrivateFile(file: string, data: string | Buffer): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFileAtomic(file, data, { mode: 0o600 });
}

/** The web host's store: the token in a file readable only by the user (mode 0600). */
export class FileSecretStore implements SecretStore {
  private present = false;

  constructor(private readonly file: string) {}

  async read(): Promise<string | null> {
    let text: string | null;
    try {
      text = (await readFile(this.file, 'utf8')).trim() || null;
    } catch {
      text = null;
    }
    this.present = text !== null;
    return text;
  }

  async write(secret: string | null): Promise<void> {
    if (secret === null) await rm(this.file, { force: true });
    else await writePrivateFile(this.file, secret);
    this.present = secret !== null;
  }

  /** Never encrypted: private by its file mode only. */
  encrypted(): boolean | null {
    return this.present ? false : null;
  }
}

/** The token in use and where it comes from. */
export class HubToken {
  private stored: string | null = null;
  private loaded: Promise<void> | null = null;

  constructor(
    private readonly store: SecretStore | null,
    /** HF_TOKEN, or null. */
    private readonly envToken: string | null,
    private readonly endpoint: string,
  ) {}

  /** Reads the stored token once (call before the first request). */
  load(): Promise<void> {
    this.loaded ??= (this.store?.read() ?? Promise.resolve(null)).then(
      (token) => void (this.stored = token),
      () => void (this.stored = null),
    );
    return this.loaded;
  }

  /** The token to send to the Hub, or null. */
  get value(): string | null {
    return this.stored ?? this.envToken;
  }

  status(): HubTokenStatus {
    return {
      source: this.stored ? 'settings' : this.envToken ? 'environment' : null,
      endpoint: this.endpoint,
      encrypted: this.stored ? (this.store?.encrypted() ?? null) : null,
    };
  }

  /** Stores a token from Settings, or forgets it (HF_TOKEN, if set, is then used again). */
  async set(token: string | null): Promise<HubTokenStatus> {
    await this.load();
    const clean = token?.trim() || null;
    if (!this.store) throw new Error('Tokens cannot be saved in this mode.');
    await this.store.write(clean);
    this.stored = clean;
    return this.status();
  }
}
