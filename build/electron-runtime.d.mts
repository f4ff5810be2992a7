/** The path of the Electron executable, or null when no runtime is installed. */
export function findElectronRuntime(env?: NodeJS.ProcessEnv): string | null;
