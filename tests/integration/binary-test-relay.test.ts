/**
 * Main's half of the binary-test relay (electron/main/core/binary-test-relay.ts) with the real
 * test file of node-llama-cpp started by child_process.fork and a real prebuilt binary: what the
 * engine may ask for, and what it is refused. The engine's half is exercised end to end in
 * tests/integration/binary-test.test.ts.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { forkTestProcess } from '../../electron/main/core/engine-launcher';
import { isNodeLlamaCppBinary, nodeLlamaCppDir, relayBinaryTests } from '../../electron/main/core/binary-test-relay';
import { binaryTestMessage, BINARY_TEST_KEY, binaryTestReportSchema, type BinaryTestReport, type BinaryTestRequest } from '../../shared/binary-test-protocol';
import { createMemoryPortPair, type MessagePortLike } from '../../shared/rpc';

const packageDir = nodeLlamaCppDir();
const cpuBinary = path.join(
  path.dirname(packageDir),
  '@node-llama-cpp',
  `${process.platform}-${process.arch}`,
  'bins',
  `${process.platform}-${process.arch}`,
  'llama-addon.node',
);

let disposeLast: (() => void) | null = null;
afterEach(() => {
  disposeLast?.();
  disposeLast = null;
});

/** The engine's end of a relay served by main with real test processes; records what main reports. */
function engineSide(options: { maxTests?: number } = {}) {
  const [mainPort, enginePort] = createMemoryPortPair();
  const logs: string[] = [];
  const rpc: unknown[] = [];
  const exits: number[] = [];
  let exited: () => void = () => {};
  const processExit = new Promise<void>((resolve) => (exited = resolve));
  const fork = forkTestProcess(process.env);
  const relay = relayBinaryTests(
    mainPort,
    (modulePath) => {
      const child = fork(modulePath);
      child.onExit((code) => {
        exits.push(code);
        exited();
      });
      return child;
    },
    { log: (m) => logs.push(m), ...options },
  );
  disposeLast = relay.dispose;
  relay.port.onMessage((message) => rpc.push(message));
  const reports: BinaryTestReport[] = [];
  const waiters = new Set<() => void>();
  enginePort.onMessage((raw) => {
    reports.push(binaryTestReportSchema.parse((raw as Record<string, unknown>)[BINARY_TEST_KEY]));
    waiters.forEach((w) => w());
  });
  const send = (request: BinaryTestRequest) => enginePort.send(binaryTestMessage(request));
  const next = <R extends BinaryTestReport>(predicate: ((r: BinaryTestReport) => r is R) | ((r: BinaryTestReport) => boolean)) =>
    new Promise<R>((resolve) => {
      const check = () => {
        const hit = reports.find(predicate) as R | undefined;
        if (!hit) return;
        waiters.delete(check);
        resolve(hit);
      };
      waiters.add(check);
      check();
    });
  return { send, next, reports, logs, rpc, relay, exits, processExit, enginePort: enginePort as MessagePortLike };
}

const message = (id: number, type: string) => (r: BinaryTestReport) => r.id === id && r.op === 'message' && r.message.type === type;
type ExitReport = Extract<BinaryTestReport, { op: 'exit' }>;
const exit =
  (id: number) =>
  (r: BinaryTestReport): r is ExitReport =>
    r.id === id && r.op === 'exit';

describe('isNodeLlamaCppBinary', () => {
  it("accepts node-llama-cpp's own binary folders (also as .asar.unpacked) and nothing else", () => {
    const asar = '/opt/Mai/resources/app.asar/node_modules/node-llama-cpp';
    expect(isNodeLlamaCppBinary('/opt/Mai/resources/app.asar.unpacked/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64/llama-addon.node', asar)).toBe(
      true,
    );
    expect(isNodeLlamaCppBinary(`${asar}/bins/linux-x64/llama-addon.node`, asar)).toBe(true);
    expect(isNodeLlamaCppBinary(`${asar}/llama/localBuilds/linux-x64/Release/llama-addon.node`, asar)).toBe(true);
    for (const outside of [
      '/tmp/evil.node',
      `${asar}/../evil/llama-addon.node`,
      `${asar}/dist/evil.node`,
      `${asar}-evil/bins/x.node`,
      'relative/bins/x.node',
    ]) {
      expect(isNodeLlamaCppBinary(outside, asar), outside).toBe(false);
    }
  });
});

describe.skipIf(!existsSync(cpuBinary))('relayBinaryTests with real test processes', () => {
  it("runs node-llama-cpp's test of a real binary to the end, and keeps relay messages away from the RPC peer", async () => {
    const engine = engineSide();
    engine.send({ id: 1, op: 'fork' });
    await engine.next(message(1, 'ready'));
    engine.send({ id: 1, op: 'send', message: { type: 'start', bindingBinaryPath: cpuBinary, gpu: false } });
    await engine.next(message(1, 'loaded'));
    engine.send({ id: 1, op: 'send', message: { type: 'test', bindingBinaryPath: cpuBinary, gpu: false } });
    await engine.next(message(1, 'done'));
    engine.send({ id: 1, op: 'send', message: { type: 'exit' } });
    expect(await engine.next(exit(1))).toEqual({ id: 1, op: 'exit', code: 0 });
    // An RPC message still reaches the peer; none of the relay's did.
    engine.enginePort.send({ kind: 'event', name: 'engine:log', payload: {} });
    await new Promise<void>((resolve) => engine.relay.port.onMessage(() => resolve()));
    expect(engine.rpc).toEqual([{ kind: 'event', name: 'engine:log', payload: {} }]);
    expect(engine.logs).toEqual([]);
  });

  it('refuses a binary outside node-llama-cpp, a malformed command, a second test at once and tests beyond the limit', async () => {
    const engine = engineSide({ maxTests: 2 });
    engine.send({ id: 1, op: 'fork' });
    await engine.next(message(1, 'ready'));
    engine.send({ id: 2, op: 'fork' });
    expect(await engine.next(exit(2))).toMatchObject({ code: -1, reason: 'another binary test is still running.' });
    engine.send({ id: 1, op: 'send', message: { type: 'start', bindingBinaryPath: '/tmp/evil.node', gpu: false } });
    const killed = await engine.next(exit(1));
    expect(killed.code).not.toBe(0);
    expect(engine.reports.some(message(1, 'loaded'))).toBe(false);
    expect(engine.logs).toContain("binary test refused: /tmp/evil.node is not one of node-llama-cpp's binaries");

    engine.send({ id: 3, op: 'fork' });
    await engine.next(message(3, 'ready'));
    engine.send({ id: 3, op: 'send', message: { type: 'start', bindingBinaryPath: cpuBinary, gpu: false, extra: 'not in the protocol' } });
    expect((await engine.next(exit(3))).code).not.toBe(0);
    expect(engine.logs).toContain('binary test refused: malformed message for the test process');

    engine.send({ id: 4, op: 'fork' });
    expect(await engine.next(exit(4))).toMatchObject({ code: -1, reason: 'this engine already ran 2 binary tests.' });
  });

  it('kills the test process when the engine goes away', async () => {
    const engine = engineSide();
    engine.send({ id: 1, op: 'fork' });
    await engine.next(message(1, 'ready'));
    engine.relay.dispose();
    await engine.processExit;
    expect(engine.exits).toEqual([-1]); // SIGKILL
    // Nothing is reported to an engine that is gone.
    expect(engine.reports.filter(exit(1))).toEqual([]);
  });
});
