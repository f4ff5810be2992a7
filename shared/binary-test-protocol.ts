/**
 * The binary-test relay between the engine and main (docs/security.md, "node-llama-cpp under the
 * RunAsNode fuse"). node-llama-cpp tests a prebuilt llama.cpp binary in a child process before it
 * loads it; a utility process cannot start one under Mai's fuses, so the engine asks main to start
 * node-llama-cpp's own test file and relays the test's messages through it.
 *
 * These messages share the engine's port with the RPC envelopes; the key `maiBinaryTest` tells them
 * apart, and both ends route them away from the RpcPeer. `tester*` schemas are node-llama-cpp
 * 3.21's test protocol (`dist/bindings/utils/testBindingBinary.js`); they are strict so that a
 * node-llama-cpp upgrade that changes it fails loudly (tests/integration/binary-test.test.ts).
 */
import { z } from 'zod';

export const BINARY_TEST_KEY = 'maiBinaryTest';

/** The engine's environment variable, `1` when main's launcher relays binary tests. */
export const BINARY_TEST_RELAY_ENV = 'MAI_BINARY_TEST_RELAY';

const gpuSchema = z.union([z.literal(false), z.enum(['cuda', 'vulkan', 'metal'])]);
const binaryPath = z.string().min(1).max(4096);

/** What node-llama-cpp in the engine sends its test process. */
export const testerCommandSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('start'), bindingBinaryPath: binaryPath, extBackendsPath: binaryPath.nullish(), gpu: gpuSchema }),
  z.strictObject({ type: z.literal('test'), bindingBinaryPath: binaryPath, extBackendsPath: binaryPath.nullish(), gpu: gpuSchema }),
  z.strictObject({ type: z.literal('exit') }),
]);
export type TesterCommand = z.infer<typeof testerCommandSchema>;

/** What the test process reports back. */
export const testerReportSchema = z.strictObject({ type: z.enum(['ready', 'loaded', 'done']) });
export type TesterReport = z.infer<typeof testerReportSchema>;

const id = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

/** Engine → main. */
export const binaryTestRequestSchema = z.discriminatedUnion('op', [
  /** Start node-llama-cpp's test file (main resolves which file; the engine names none). */
  z.strictObject({ id, op: z.literal('fork') }),
  z.strictObject({ id, op: z.literal('send'), message: z.unknown() }),
  z.strictObject({ id, op: z.literal('kill') }),
]);
export type BinaryTestRequest = z.infer<typeof binaryTestRequestSchema>;

/** Main → engine. */
export const binaryTestReportSchema = z.discriminatedUnion('op', [
  z.strictObject({ id, op: z.literal('message'), message: testerReportSchema }),
  /** The test process ended (`code` -1: it could not be started or was refused, `reason` says why). */
  z.strictObject({ id, op: z.literal('exit'), code: z.number().int(), reason: z.string().max(2000).optional() }),
]);
export type BinaryTestReport = z.infer<typeof binaryTestReportSchema>;

/** Whether a message on the engine's port belongs to the relay (and not to the RPC peer). */
export function isBinaryTestMessage(message: unknown): message is { [BINARY_TEST_KEY]: unknown } {
  return typeof message === 'object' && message !== null && Object.prototype.hasOwnProperty.call(message, BINARY_TEST_KEY);
}

/** Wraps a relay message for the port. */
export function binaryTestMessage(body: BinaryTestRequest | BinaryTestReport): { [BINARY_TEST_KEY]: BinaryTestRequest | BinaryTestReport } {
  return { [BINARY_TEST_KEY]: body };
}
