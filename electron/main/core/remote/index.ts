/** Remote engines for main's core (docs/remote.md); the desktop app brings its safeStorage-backed key store. */
export { RemoteService, redact, type RemoteServiceDeps } from './remote-service';
export { isLoopback, plainHttpWarning, remoteAddress, type RemoteAddress } from './remote-address';
export { RemoteKeys, remoteKeyFile, remoteKeysFor, type RemoteKeyStoreFactory } from './remote-keys';
