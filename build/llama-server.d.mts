/** The bundle's commit (40 hex digits). */
export function bundleCommit(): string;
/** The cache folder for one commit: ${XDG_CACHE_HOME:-~/.cache}/mai/llama-server-<commit12>. */
export function cacheDirFor(commit: string): string;
/** Paths of the built binaries for the bundle node_modules holds, or undefined when not built yet. */
export function builtLlamaServer(): { bin: string; llamaServer: string; rpcServer: string } | undefined;
