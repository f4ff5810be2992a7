/** The app's folder (the one holding package.json). */
export const appRoot: string;
/** Where npm puts the `electron` package for this app. */
export const defaultElectronPackageDir: string;
/** The Electron version the app depends on, or null without the package. */
export function electronVersion(packageDir?: string): string | null;
/** The path of the Electron executable, or null when no runtime of the package's version is installed. */
export function findElectronRuntime(env?: NodeJS.ProcessEnv, packageDir?: string): string | null;
/** Where Electron's installer will download from (for messages). */
export function electronDownloadBase(env: NodeJS.ProcessEnv): string;
export type InstallFailureCode = 'unreachable' | 'http' | 'checksum' | 'node-too-old' | 'failed';
export type InstallResult = { ok: true; bytes: number | null; seconds: number } | { ok: false; code: InstallFailureCode; reason: string };
/** Turns the installer's stderr into a short reason a user can act on. */
export function explainInstallFailure(stderr: string): { code: InstallFailureCode; reason: string };
/** Runs Electron's own installer (node_modules/electron/install.js) and waits for it. */
export function installElectronRuntime(options?: {
  env?: NodeJS.ProcessEnv;
  packageDir?: string;
  onProgress?: (bytes: number) => void;
  progressIntervalMs?: number;
}): Promise<InstallResult>;
