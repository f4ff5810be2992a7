/**
 * The API keys of remote engines, one per server origin, kept like the Hub token: by a SecretStore
 * (Electron's safeStorage in the desktop app, a 0600 file in the web host), never in settings.json,
 * never logged, never sent to the window. Each origin's key is in its own file named by a hash of
 * the origin, so the folder listing does not name the servers either.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { FileSecretStore, type SecretStore } from '../hub';

/** Makes the store for one server origin (`scheme://host:port`). */
export type RemoteKeyStoreFactory = (origin: string) => SecretStore;

/** `dir/<first 32 hex digits of SHA-256(origin)><extension>`: one file per origin. */
export function remoteKeyFile(dir: string, origin: string, extension = ''): string {
  return path.join(dir, `${createHash('sha256').update(origin).digest('hex').slice(0, 32)}${extension}`);
}

/** The keys of every origin, read through one store each. */
export class RemoteKeys {
  private readonly stores = new Map<string, SecretStore>();

  constructor(private readonly storeFor: RemoteKeyStoreFactory) {}

  private store(origin: string): SecretStore {
    let store = this.stores.get(origin);
    if (!store) this.stores.set(origin, (store = this.storeFor(origin)));
    return store;
  }

  /** The saved key for `origin`, or null (also when it cannot be decrypted here). */
  async read(origin: string): Promise<string | null> {
    return this.store(origin)
      .read()
      .catch(() => null);
  }

  /** Saves the key for `origin`, or forgets it with null. */
  write(origin: string, key: string | null): Promise<void> {
    return this.store(origin).write(key);
  }

  /** Whether the key of `origin` is encrypted at rest (after a read or write); null without one. */
  encrypted(origin: string): boolean | null {
    return this.store(origin).encrypted();
  }
}

/**
 * The host's store factory when it gave one (the desktop app's safeStorage), else 0600 files in
 * `dataDir/remote-keys`; null (keys cannot be saved) with neither.
 */
export function remoteKeysFor(options: { remoteKeyStore?: RemoteKeyStoreFactory | null; dataDir?: string | null }): RemoteKeys | null {
  if (options.remoteKeyStore !== undefined) return options.remoteKeyStore ? new RemoteKeys(options.remoteKeyStore) : null;
  const dir = options.dataDir ? path.join(options.dataDir, 'remote-keys') : null;
  return dir ? new RemoteKeys((origin) => new FileSecretStore(remoteKeyFile(dir, origin))) : null;
}
