/**
 * Crash safety of ConversationStore: a writer process appends messages and prints `ack` after each
 * durable save; it is SIGKILLed at random points (seeded) and restarted until 1000 messages are in.
 * After every kill every data file must parse and validate, and every acknowledged message must be
 * on disk. (SIGKILL loses only what the process had not yet handed to the kernel; a power cut
 * additionally tests the fsyncs, which this cannot.)
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conversationSchema } from '../../shared/domain';
import { isTempFileName } from '../../electron/main/core/store/atomic-file';
import { ConversationStore } from '../../electron/main/core/store/conversation-store';
import { rng } from '../helpers/rng';

const TOTAL = 1000;
const MIN_KILLS = 20;
const SEED = Number(process.env.MAI_CRASH_SEED ?? 0x5eed);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

let workDir: string;
let writer: string;
beforeAll(async () => {
  workDir = mkdtempSync(path.join(os.tmpdir(), 'mai-crash-'));
  writer = path.join(workDir, 'store-writer.mjs');
  // Bundled once with its dependencies (zod included) so each restart is a plain `node file.mjs`.
  await build({
    entryPoints: [path.resolve('tests/fixtures/store-writer.ts')],
    outfile: writer,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'error',
  });
});
afterAll(() => {
  rmSync(workDir, { recursive: true, force: true });
});

interface Life {
  acks: number[];
  latencies: Array<{ ms: number; kind: string }>;
  killed: boolean;
  done: boolean;
  code: number | null;
  stderr: string;
}

/** Runs the writer once, SIGKILLing it at a point drawn from `random`; resolves once it has exited. */
function runWriter(dir: string, random: () => number): Promise<Life> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [writer, dir, String(TOTAL)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const life: Life = { acks: [], latencies: [], killed: false, done: false, code: null, stderr: '' };
    const kill = () => {
      if (life.killed || child.exitCode !== null) return;
      life.killed = true;
      child.kill('SIGKILL');
    };
    // One life in ten dies during start-up or load; the rest after a random number of acks plus
    // a random jitter, so kills land before, during and after the fsyncs and renames.
    const early = random() < 0.1;
    const targetAcks = 1 + Math.floor(random() * 60);
    const jitter = random();
    if (early) setTimeout(kill, random() * 40);
    let buffered = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        const [word, index, ms, kind] = line.split(' ');
        if (word === 'done') life.done = true;
        if (word !== 'ack') continue;
        life.acks.push(Number(index));
        life.latencies.push({ ms: Number(ms), kind: kind ?? '?' });
        if (!early && life.acks.length === targetAcks) {
          if (jitter < 0.3) kill();
          else if (jitter < 0.6) setImmediate(kill);
          else setTimeout(kill, (jitter - 0.6) * 10);
        }
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => (life.stderr += chunk));
    child.on('error', reject);
    // 'close' waits for stdout to end, so every ack the writer printed has been read.
    child.on('close', (code) => {
      life.code = code;
      resolve(life);
    });
  });
}

describe('ConversationStore under SIGKILL', () => {
  it('never loses an acknowledged message and never leaves a corrupt file', async () => {
    const dir = path.join(workDir, 'conversations');
    const random = rng(SEED);
    const acked = new Set<number>();
    const latencies: Array<{ ms: number; kind: string }> = [];
    let kills = 0;
    let lives = 0;
    let acksVerified = 0;
    let maxLostAfterAck = 0;
    let tempLeftovers = 0;
    let finished = false;
    const started = performance.now();

    while (!finished) {
      lives += 1;
      expect(lives, 'the writer should finish within 300 lives').toBeLessThan(300);
      const life = await runWriter(dir, random);
      if (!life.killed || life.done) {
        expect(life.code, `writer failed: ${life.stderr}`).toBe(0);
        finished = life.done;
      } else {
        kills += 1;
      }
      life.acks.forEach((index) => acked.add(index));
      latencies.push(...life.latencies);

      // Every data file parses and validates as it is on disk, before any recovery runs.
      const names = readdirSync(dir);
      for (const name of names) {
        if (isTempFileName(name)) {
          // A write cut short before its rename: never the live copy; load() deletes it.
          tempLeftovers += 1;
          continue;
        }
        expect(name).toBe('crash-test.json');
        const text = readFileSync(path.join(dir, name), 'utf8');
        let json: unknown;
        expect(() => (json = JSON.parse(text)), `${name} is not valid JSON after kill ${kills}`).not.toThrow();
        const parsed = conversationSchema.safeParse(json);
        expect(parsed.success, `${name} failed validation after kill ${kills}`).toBe(true);
      }
      const onDisk = names.includes('crash-test.json')
        ? conversationSchema.parse(JSON.parse(readFileSync(path.join(dir, 'crash-test.json'), 'utf8'))).messages
        : [];
      // The file holds a gap-free prefix m0..m(n-1), and every acknowledged index is in it.
      onDisk.forEach((message, i) => expect(message.id).toBe(`m${i}`));
      const lost = [...acked].filter((index) => index >= onDisk.length).length;
      acksVerified += acked.size;
      maxLostAfterAck = Math.max(maxLostAfterAck, lost);
      expect(lost, `acknowledged messages missing after kill ${kills}`).toBe(0);
    }

    // What the app would see on its next start: nothing to quarantine, temp leftovers swept.
    const store = new ConversationStore(dir);
    const { conversations, quarantined } = await store.load();
    expect(quarantined).toEqual([]);
    expect(conversations).toMatchObject([{ id: 'crash-test', messageCount: TOTAL }]);
    expect(readdirSync(dir)).toEqual(['crash-test.json']);
    // Messages made durable in the instant between fsync and the kill are on disk without an ack.
    expect(acked.size).toBeGreaterThan(TOTAL * 0.9);
    expect(kills).toBeGreaterThanOrEqual(MIN_KILLS);

    const lone = latencies
      .filter((l) => l.kind === 's')
      .map((l) => l.ms)
      .sort((a, b) => a - b);
    const seconds = (performance.now() - started) / 1000;
    const fileKb = statSync(path.join(dir, 'crash-test.json')).size / 1024;
    console.log(
      `store crash test (seed ${SEED}): ${kills} kills over ${lives} writer runs, ${TOTAL} messages appended, ${acked.size} acks seen ` +
        `(${TOTAL - acked.size} durable but killed before the ack line), ` +
        `${acksVerified} ack checks after kills, max lost-after-ack ${maxLostAfterAck}, ${tempLeftovers} temp leftovers swept, ` +
        `${seconds.toFixed(1)} s; save latency (lone saves, file up to ${fileKb.toFixed(0)} KB) ` +
        `p50 ${percentile(lone, 50).toFixed(2)} ms, p99 ${percentile(lone, 99).toFixed(2)} ms, max ${(lone.at(-1) ?? 0).toFixed(2)} ms`,
    );
  });
});
