// Builds llama.cpp's `llama-server` and `ggml-rpc-server` from the source node-llama-cpp ships
// (node_modules/node-llama-cpp/llama/gitRelease.bundle), for the tests that run Mai against a real
// OpenAI-compatible server and llama.cpp's RPC backend (docs/remote.md).
//
//   node build/llama-server.mjs            build once (about 5 minutes on 2 idle cores), then reuse
//   node build/llama-server.mjs --print    print the binaries' folder if built, exit 1 if not
//
// The result is cached outside the repository, keyed by the bundle's commit:
// ${XDG_CACHE_HOME:-~/.cache}/mai/llama-server-<commit12>/bin/. Installs nothing itself: when cmake,
// ninja or g++ are missing it names the Debian packages and exits 2 (.ci/run installs them).
// Static binaries (BUILD_SHARED_LIBS=OFF), so the two files in bin/ run on their own.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, copyFileSync, renameSync, rmSync, chmodSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const BUNDLE = 'node_modules/node-llama-cpp/llama/gitRelease.bundle';

/** The bundle beside this script, else above the working folder (this file may be bundled into a cache elsewhere). */
function findBundle() {
  const starts = [path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..'), process.cwd()];
  for (const start of starts) {
    for (let dir = start; ; dir = path.dirname(dir)) {
      if (existsSync(path.join(dir, BUNDLE))) return path.join(dir, BUNDLE);
      if (path.dirname(dir) === dir) break;
    }
  }
  return path.join(starts[0], BUNDLE);
}
const bundle = findBundle();
const targets = ['llama-server', 'ggml-rpc-server'];

/** The bundle's commit (40 hex digits), read from its head without cloning it. */
export function bundleCommit() {
  const heads = spawnSync('git', ['bundle', 'list-heads', bundle], { encoding: 'utf8' });
  const commit = heads.stdout?.match(/^([0-9a-f]{40})/m)?.[1];
  if (heads.status !== 0 || !commit) throw new Error(`Could not read the llama.cpp bundle at ${bundle}: ${heads.stderr || 'no head'}`);
  return commit;
}

/** The cache folder for one commit: ${XDG_CACHE_HOME:-~/.cache}/mai/llama-server-<commit12>. */
export function cacheDirFor(commit) {
  const cacheHome = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(cacheHome, 'mai', `llama-server-${commit.slice(0, 12)}`);
}

/** Paths of the built binaries for the bundle node_modules holds, or undefined when not built yet. */
export function builtLlamaServer() {
  if (!existsSync(bundle)) return undefined;
  const bin = path.join(cacheDirFor(bundleCommit()), 'bin');
  const paths = { bin, llamaServer: path.join(bin, 'llama-server'), rpcServer: path.join(bin, 'ggml-rpc-server') };
  return existsSync(paths.llamaServer) && existsSync(paths.rpcServer) ? paths : undefined;
}

function missingDebianPackages() {
  const tools = { cmake: 'cmake', ninja: 'ninja-build', 'g++': 'g++', git: 'git' };
  return Object.entries(tools)
    .filter(([tool]) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0)
    .map(([, pkg]) => pkg);
}

function run(command, args, cwd) {
  console.log(`$ ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { cwd, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`${command} failed (exit ${result.status ?? result.signal}).`);
    process.exit(1);
  }
}

function main() {
  const printOnly = process.argv.includes('--print');
  const built = builtLlamaServer();
  if (built) {
    console.log(printOnly ? built.bin : `llama-server and ggml-rpc-server already built: ${built.bin}`);
    return;
  }
  if (printOnly) {
    console.error('llama-server is not built yet: run `node build/llama-server.mjs`.');
    process.exit(1);
  }
  const missing = missingDebianPackages();
  if (missing.length > 0) {
    console.error(`Building llama-server needs these Debian packages: ${missing.join(' ')} (apt-get install -y ${missing.join(' ')}).`);
    process.exit(2);
  }
  const commit = bundleCommit();
  const cacheDir = cacheDirFor(commit);
  const source = path.join(cacheDir, 'src');
  const buildDir = path.join(cacheDir, 'build');
  mkdirSync(cacheDir, { recursive: true });
  // An interrupted clone leaves a folder without a checkout: start it over. A configured build
  // folder is kept, so an interrupted compile resumes where Ninja stopped.
  if (!existsSync(path.join(source, 'CMakeLists.txt'))) {
    rmSync(source, { recursive: true, force: true });
    run('git', ['clone', '-q', bundle, source]);
    run('git', ['-c', 'advice.detachedHead=false', 'checkout', '-q', commit], source);
  }
  run('cmake', [
    '-S',
    source,
    '-B',
    buildDir,
    '-G',
    'Ninja',
    '-DCMAKE_BUILD_TYPE=Release',
    '-DBUILD_SHARED_LIBS=OFF',
    '-DLLAMA_CURL=OFF',
    '-DGGML_RPC=ON',
    '-DLLAMA_BUILD_TESTS=OFF',
    '-DLLAMA_BUILD_EXAMPLES=OFF',
    // Portable: the binaries may be cached and reused on another CPU of the same architecture.
    '-DGGML_NATIVE=OFF',
  ]);
  run('cmake', ['--build', buildDir, '--target', ...targets, '-j2']);
  // Copied into a fresh folder that is renamed into place last, so `bin/` is either whole or absent.
  const staging = path.join(cacheDir, `bin.${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging);
  for (const target of targets) {
    copyFileSync(path.join(buildDir, 'bin', target), path.join(staging, target));
    chmodSync(path.join(staging, target), 0o755);
  }
  rmSync(path.join(cacheDir, 'bin'), { recursive: true, force: true });
  renameSync(staging, path.join(cacheDir, 'bin'));
  console.log(`llama-server and ggml-rpc-server built: ${path.join(cacheDir, 'bin')}`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
