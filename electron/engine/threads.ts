import os from 'node:os';

/**
 * CPU threads for inference. llama.cpp's threads spin while waiting, so on a small machine more
 * threads than free cores collapses throughput (FINDINGS.md: 4 threads on 2 cores ran ~100× slower
 * than 1). Leave one core for the rest of the machine, never exceed the math cores.
 */
export function defaultThreadCount(mathCores: number, logicalCores = os.availableParallelism()): number {
  return Math.max(1, Math.min(mathCores, logicalCores - 1));
}
