/**
 * node-llama-cpp's binary test, run by main instead of by a fork of this process.
 *
 * Before it loads a prebuilt llama.cpp binary (on Linux always, on Windows for GPU builds),
 * node-llama-cpp's `getLlama` loads it in a child process first, so that a binary that crashes on
 * this machine is skipped instead of taking the engine down. It starts that child with Electron's
 * `utilityProcess.fork`, which the engine (itself a utility process) does not have, and otherwise
 * with `child_process.fork`, which Electron implements by re-running its own executable with
 * `ELECTRON_RUN_AS_NODE` — ignored under Mai's RunAsNode fuse, so the "test" would be a second Mai
 * and every binary would fail it. While `getLlama` runs, `withBinaryTestInMain` hands forks of
 * node-llama-cpp's test file to main (which has `utilityProcess`) over the relay of
 * shared/binary-test-protocol.ts; node-llama-cpp's own code still chooses, tests and loads the
 * binary. Why this design: docs/security.md, "node-llama-cpp under the RunAsNode fuse".
 */
import type * as ChildProcessModule from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { realpathSync } from 'node:fs';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import path from 'node:path';
import { binaryTestMessage, binaryTestReportSchema, BINARY_TEST_KEY, BINARY_TEST_RELAY_ENV, type BinaryTestRequest } from '../../shared/binary-test-protocol';
import type { LogLevel } from '../../shared/domain';
import type { MessagePortLike } from '../../shared/rpc';
import { createParentPort } from './port';

const require = createRequire(import.meta.url);

/** One spelling for a path, also for one inside or beside an asar archive (`.asar.unpacked`). */
function comparable(file: string): string {
  let resolved = path.resolve(file);
  try {
    resolved = realpathSync(resolved);
  } catch {
    // Compare as written.
  }
  return resolved.split(`.asar.unpacked${path.sep}`).join(`.asar${path.sep}`);
}

/** node-llama-cpp's test file, as it names it when it forks (`__filename` of that module). */
function isNodeLlamaCppTestFile(modulePath: unknown): boolean {
  if (typeof modulePath !== 'string' && !(modulePath instanceof URL)) return false;
  const file = modulePath instanceof URL ? modulePath.pathname : modulePath;
  if (!path.basename(file).startsWith('testBindingBinary')) return false;
  return comparable(path.dirname(file)) === comparable(path.join(path.dirname(require.resolve('node-llama-cpp')), 'bindings', 'utils'));
}

/**
 * The child node-llama-cpp thinks it forked: the subset of ChildProcess that
 * testBindingBinary.js uses (`on('message'|'exit')`, `send`, `kill`, `exitCode`, `killed`,
 * `stdout`/`stderr`), backed by a test process main started.
 */
class RelayedTestProcess extends EventEmitter {
  exitCode: number | null = null;
  killed = false;
  readonly stdout = null;
  readonly stderr = null;
  readonly pid = undefined;

  constructor(
    private readonly id: number,
    private readonly port: MessagePortLike,
  ) {
    super();
  }

  send(message: unknown): boolean {
    if (this.exitCode !== null) return false;
    this.post({ id: this.id, op: 'send', message });
    return true;
  }

  kill(): boolean {
    if (this.exitCode !== null) return false;
    this.killed = true;
    this.post({ id: this.id, op: 'kill' });
    return true;
  }

  exited(code: number): void {
    if (this.exitCode !== null) return;
    this.exitCode = code;
    this.emit('exit', code, null);
  }

  private post(request: BinaryTestRequest): void {
    this.port.send(binaryTestMessage(request));
  }
}

let nextId = 1;

/**
 * Runs `load` (the `getLlama(...)` call) with node-llama-cpp's binary tests relayed to main, when
 * main offers the relay; otherwise just runs it. Other forks pass through untouched.
 */
export async function withBinaryTestInMain<T>(load: () => Promise<T>, log: (level: LogLevel, message: string) => void): Promise<T> {
  if (process.env[BINARY_TEST_RELAY_ENV] !== '1') return load();
  const port = createParentPort('binary-test');
  const running = new Map<number, RelayedTestProcess>();
  const unsubscribe = port.onMessage((raw) => {
    const parsed = binaryTestReportSchema.safeParse((raw as Record<string, unknown>)[BINARY_TEST_KEY]);
    if (!parsed.success) return log('warn', 'binary test relay: malformed message from main');
    const report = parsed.data;
    const child = running.get(report.id);
    if (!child) return;
    if (report.op === 'message') {
      child.emit('message', report.message);
    } else {
      if (report.reason) log('warn', `binary test: ${report.reason}`);
      running.delete(report.id);
      child.exited(report.code);
    }
  });
  // node-llama-cpp does `import { fork } from "node:child_process"`: an ES module's live binding
  // to the builtin, which follows the CommonJS export after syncBuiltinESMExports().
  const childProcess = require('node:child_process') as typeof ChildProcessModule;
  const originalFork = childProcess.fork;
  const relayingFork = function (this: unknown, modulePath: string | URL, ...rest: unknown[]): ChildProcess {
    if (!isNodeLlamaCppTestFile(modulePath)) {
      // Under the fuses this fork would start a second Mai: say so, in case node-llama-cpp moved its test file.
      log('warn', `binary test relay: a fork of ${String(modulePath)} while loading llama.cpp was not relayed`);
      return (originalFork as (...args: unknown[]) => ChildProcess).call(this, modulePath, ...rest);
    }
    const id = nextId++;
    const child = new RelayedTestProcess(id, port);
    running.set(id, child);
    port.send(binaryTestMessage({ id, op: 'fork' }));
    return child as unknown as ChildProcess;
  };
  childProcess.fork = relayingFork as typeof childProcess.fork;
  syncBuiltinESMExports();
  try {
    return await load();
  } finally {
    childProcess.fork = originalFork;
    syncBuiltinESMExports();
    unsubscribe();
    // A test still running when getLlama gave up (its own timeout) is not waited for.
    for (const child of running.values()) child.kill();
  }
}
