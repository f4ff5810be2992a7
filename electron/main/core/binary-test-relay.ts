/**
 * Main's half of the binary-test relay (shared/binary-test-protocol.ts; the engine's half is
 * electron/engine/llama-binary.ts): when the engine's node-llama-cpp wants to test a llama.cpp
 * binary in a child process, main starts node-llama-cpp's own test file — with
 * `utilityProcess.fork` in Electron, `child_process.fork` under Node — and passes the test's
 * messages both ways. Why: docs/security.md, "node-llama-cpp under the RunAsNode fuse".
 *
 * The engine runs untrusted model files through native code, so main gives it no more than the
 * test needs: main picks the file to start (the engine names none), one test at a time and a
 * bounded number per engine, only node-llama-cpp's protocol messages, only binaries inside
 * node-llama-cpp's own folders, and a time limit.
 */
import { realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import {
  binaryTestMessage,
  binaryTestRequestSchema,
  BINARY_TEST_KEY,
  BINARY_TEST_RELAY_ENV,
  isBinaryTestMessage,
  testerCommandSchema,
  testerReportSchema,
  type BinaryTestReport,
} from '../../../shared/binary-test-protocol';
import type { MessagePortLike } from '../../../shared/rpc';

export { BINARY_TEST_RELAY_ENV };

/** A test process as a launcher starts it. */
export interface TestProcess {
  send(message: unknown): void;
  kill(): void;
  onMessage(listener: (message: unknown) => void): void;
  /** `code` -1 when the process could not be started or died of a signal. */
  onExit(listener: (code: number) => void): void;
}

/** Starts `modulePath` with `TEST_BINDING_CP=true` in its environment (node-llama-cpp's switch). */
export type TestProcessFactory = (modulePath: string) => TestProcess;

export interface BinaryTestRelayOptions {
  log?: (message: string) => void;
  /** Tests one engine may run in its life; node-llama-cpp tries at most one per GPU type. Default 8. */
  maxTests?: number;
  /** A test process still alive after this many milliseconds is killed. Default 6 min (node-llama-cpp's own limit is 5). */
  timeLimitMs?: number;
  /** node-llama-cpp's package folder; default resolved from main's own node_modules. */
  nodeLlamaCppDir?: string;
}

const require = createRequire(import.meta.url);

/** node-llama-cpp's package folder, as main's module resolution finds it. */
export function nodeLlamaCppDir(): string {
  // dist/index.js → the package folder.
  return path.dirname(path.dirname(require.resolve('node-llama-cpp')));
}

/** The test file node-llama-cpp 3.21 forks (`dist/bindings/utils/testBindingBinary.js`). */
export function binaryTestFile(packageDir: string): string {
  return path.join(packageDir, 'dist', 'bindings', 'utils', 'testBindingBinary.js');
}

/** One spelling for a path inside or beside an asar archive (node-llama-cpp maps `.asar/` to `.asar.unpacked/`). */
function comparable(file: string): string {
  let resolved = path.resolve(file);
  try {
    resolved = realpathSync(resolved);
  } catch {
    // Not on disk (yet): compare as written.
  }
  return resolved.split(`.asar.unpacked${path.sep}`).join(`.asar${path.sep}`);
}

/**
 * Whether a binary lies in node-llama-cpp's own folders: its `bins/` and `llama/localBuilds/`, or
 * a `@node-llama-cpp/*` binary package beside it.
 */
export function isNodeLlamaCppBinary(binaryPath: string, packageDir: string): boolean {
  if (!path.isAbsolute(binaryPath)) return false;
  const file = comparable(binaryPath);
  const pkg = comparable(packageDir);
  const roots = [path.join(pkg, 'bins'), path.join(pkg, 'llama', 'localBuilds'), path.join(path.dirname(pkg), '@node-llama-cpp')];
  return roots.some((root) => file.startsWith(root + path.sep));
}

/**
 * Serves the engine's binary-test requests on `port` and returns the port the RPC peer should use
 * (the same port without the relay's messages), and `dispose` for when the engine exits.
 */
export function relayBinaryTests(
  port: MessagePortLike,
  fork: TestProcessFactory,
  options: BinaryTestRelayOptions = {},
): { port: MessagePortLike; dispose: () => void } {
  const log = options.log ?? ((message: string) => console.warn(`[mai] ${message}`));
  const maxTests = options.maxTests ?? 8;
  const timeLimitMs = options.timeLimitMs ?? 6 * 60_000;
  let started = 0;
  let active: { id: number; child: TestProcess; timer: ReturnType<typeof setTimeout> } | null = null;
  let disposed = false;

  const report = (body: BinaryTestReport) => {
    if (!disposed) port.send(binaryTestMessage(body));
  };
  const refuse = (id: number, reason: string) => {
    log(`binary test refused: ${reason}`);
    report({ id, op: 'exit', code: -1, reason });
  };

  const start = (id: number) => {
    if (active) return refuse(id, 'another binary test is still running.');
    if (started >= maxTests) return refuse(id, `this engine already ran ${maxTests} binary tests.`);
    started += 1;
    let file: string;
    try {
      file = binaryTestFile(options.nodeLlamaCppDir ?? nodeLlamaCppDir());
    } catch (error) {
      return refuse(id, `node-llama-cpp was not found: ${(error as Error).message}`);
    }
    let child: TestProcess;
    try {
      child = fork(file);
    } catch (error) {
      return refuse(id, `the test process could not be started: ${(error as Error).message}`);
    }
    const timer = setTimeout(() => {
      log(`binary test ${id} still running after ${timeLimitMs} ms: killed`);
      child.kill();
    }, timeLimitMs);
    const current = { id, child, timer };
    active = current;
    child.onMessage((message) => {
      const parsed = testerReportSchema.safeParse(message);
      if (!parsed.success) {
        log('binary test: unexpected message from the test process');
        child.kill();
        return;
      }
      report({ id, op: 'message', message: parsed.data });
    });
    child.onExit((code) => {
      clearTimeout(timer);
      if (active === current) active = null;
      report({ id, op: 'exit', code });
    });
  };

  const command = (id: number, message: unknown) => {
    if (!active || active.id !== id) return;
    const parsed = testerCommandSchema.safeParse(message);
    const packageDir = options.nodeLlamaCppDir ?? nodeLlamaCppDir();
    const outside =
      parsed.success && parsed.data.type !== 'exit'
        ? [parsed.data.bindingBinaryPath, parsed.data.extBackendsPath].find((file) => file != null && !isNodeLlamaCppBinary(file, packageDir))
        : undefined;
    if (!parsed.success || outside !== undefined) {
      log(
        parsed.success
          ? `binary test refused: ${String(outside)} is not one of node-llama-cpp's binaries`
          : 'binary test refused: malformed message for the test process',
      );
      active.child.kill();
      return;
    }
    active.child.send(parsed.data);
  };

  port.onMessage((raw) => {
    if (!isBinaryTestMessage(raw)) return;
    const parsed = binaryTestRequestSchema.safeParse(raw[BINARY_TEST_KEY]);
    if (!parsed.success) return log('binary test relay: malformed request from the engine');
    const request = parsed.data;
    switch (request.op) {
      case 'fork':
        start(request.id);
        return;
      case 'send':
        command(request.id, request.message);
        return;
      case 'kill':
        if (active?.id === request.id) active.child.kill();
        return;
      default:
        request satisfies never;
    }
  });

  return {
    port: {
      send: (message) => port.send(message),
      onMessage: (handler) =>
        port.onMessage((message) => {
          if (!isBinaryTestMessage(message)) handler(message);
        }),
    },
    dispose() {
      disposed = true;
      if (active) {
        clearTimeout(active.timer);
        active.child.kill();
        active = null;
      }
    },
  };
}
