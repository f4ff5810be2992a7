/** What the packaged app reads: paths in app.asar, in app.asar.unpacked, and in the resources folder. */
export interface RuntimeManifest {
  inAsar: string[];
  unpacked: string[];
  resources: string[];
}
/** node-llama-cpp's platform package prefix for an electron-builder target (`${os}-${arch}`). */
export function nodeLlamaCppPlatformPrefix(os: 'linux' | 'mac' | 'win', arch: string): string;
/** The files the packaged app reads, from a built project (dist/ must exist). */
export function runtimeManifest(options?: { projectDir?: string; os?: 'linux' | 'mac' | 'win'; arch?: string }): RuntimeManifest;
/** Checks a packaged app folder against the manifest; one sentence per problem. */
export function checkPackagedApp(appOutDir: string, manifest: RuntimeManifest): string[];
