/**
 * Writes the scenario traces in tests/traces/ (seeded, so the output is identical on every run).
 * The JSON files are committed; rerun after changing a scenario:
 *   node build/run-ts.mjs tests/traces/generate-traces.ts
 * Each sample and event sits on its own line, so validation errors can name the line.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';

const GiB = 2 ** 30;
const MACHINE_32 = { cpuCores: 8, memTotalBytes: 32 * GiB, swapTotalBytes: 0, gpus: [] as { name: string; vramTotalBytes: number }[] };
const LADDER = [
  { id: 'small', memBytes: 1_500_000_000, vramBytes: 0, loadSeconds: 2 },
  { id: 'medium', memBytes: 4_000_000_000, vramBytes: 0, loadSeconds: 4 },
  { id: 'large', memBytes: 7_000_000_000, vramBytes: 0, loadSeconds: 7 },
];
const SETTINGS = { degradeThreshold: 0.8, upgradeThreshold: 0.6, stabilizationSeconds: 300 };
/**
 * A ladder with the large model's cascade steps (docs/scaling-policy.md, "The cascade"): 5 GB of
 * weights and a 2 GB F16 KV cache at 32k tokens; Q8_0 takes 34/64 of it, halving the context
 * halves it. A step recreates the context in 0.8 s; a model load takes 2–7 s.
 */
type LadderModel = { id: string; memBytes: number; vramBytes: number; loadSeconds: number; modelKey?: string; stepSeconds?: number; contextSize?: number };
const kv = (tokens: number, q8: boolean): number => Math.round(2_000_000_000 * (tokens / 32768) * (q8 ? 34 / 64 : 1));
const largeStep = (id: string, tokens: number, q8: boolean): LadderModel => ({
  id,
  memBytes: 5_000_000_000 + kv(tokens, q8),
  vramBytes: 0,
  loadSeconds: 7,
  modelKey: 'large',
  stepSeconds: 0.8,
  contextSize: tokens,
});
/**
 * A GPU ladder with the large model's cascade steps: 6 GB of weights in 32 layers and a 2 GB F16 KV
 * cache at 32k tokens, all on the GPU, 1 GB of RAM besides. Fewer GPU layers move their weights and
 * their share of the KV cache to RAM, and reload the model (7 s); KV and context steps take 0.8 s.
 * The 8k step would free under 5 % and is not offered (docs/scaling-policy.md, "The cascade").
 */
const gpuLarge = (id: string, tokens: number, q8: boolean, layers = 32): LadderModel => {
  const kvBytes = kv(tokens, q8);
  const onGpu = layers / 32;
  const weightsOff = (6_000_000_000 * (32 - layers)) / 32;
  return {
    id,
    memBytes: Math.round(1_000_000_000 + weightsOff + kvBytes * (1 - onGpu)),
    vramBytes: Math.round(6_000_000_000 - weightsOff + kvBytes * onGpu),
    loadSeconds: 7,
    modelKey: 'large',
    stepSeconds: layers < 32 ? 7 : 0.8,
    contextSize: tokens,
  };
};
const GPU_CASCADE_LADDER: LadderModel[] = [
  { id: 'small', memBytes: 1_000_000_000, vramBytes: 2_000_000_000, loadSeconds: 2 },
  { id: 'medium', memBytes: 1_500_000_000, vramBytes: 4_500_000_000, loadSeconds: 4 },
  gpuLarge('large?kv=q8_0&ctx=16384&gpu=16', 16384, true, 16),
  gpuLarge('large?kv=q8_0&ctx=16384&gpu=24', 16384, true, 24),
  gpuLarge('large?kv=q8_0&ctx=16384', 16384, true),
  gpuLarge('large?kv=q8_0', 32768, true),
  gpuLarge('large', 32768, false),
];
const CASCADE_LADDER: LadderModel[] = [
  { id: 'small', memBytes: 1_500_000_000, vramBytes: 0, loadSeconds: 2 },
  { id: 'medium', memBytes: 4_000_000_000, vramBytes: 0, loadSeconds: 4 },
  largeStep('large?kv=q8_0&ctx=8192', 8192, true),
  largeStep('large?kv=q8_0&ctx=16384', 16384, true),
  largeStep('large?kv=q8_0', 32768, true),
  largeStep('large', 32768, false),
];

/** mulberry32: a tiny seeded PRNG. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Sample {
  t: number;
  cpuLoad: number;
  otherMemUsedBytes: number;
  otherVramUsedBytes?: number;
  swapUsedBytes?: number;
}
type Event =
  | { t: number; type: 'generation-start'; expectedTokens?: number }
  | { t: number; type: 'generation-end'; ok: boolean; tokensPerSecond?: number; ttftMs?: number };

interface Scenario {
  file: string;
  name: string;
  description: string;
  machine?: typeof MACHINE_32;
  models?: LadderModel[];
  initialModel: string;
  settings?: Record<string, number>;
  seconds: number;
  /** Background memory as a fraction of the total at time t (before noise). */
  background: (t: number) => number;
  /** Uniform noise amplitude, fraction of the total. */
  noise?: number;
  cpu?: (t: number, rand: () => number) => number;
  vram?: (t: number) => number;
  events?: Event[];
  seed: number;
}

/** Replies of `length` seconds every `every` seconds from `from` to `to`. */
function chat(from: number, to: number, every: number, length: number, tokensPerSecond = 18): Event[] {
  const events: Event[] = [];
  for (let t = from; t + length < to; t += every) {
    events.push({ t, type: 'generation-start', expectedTokens: Math.round(length * tokensPerSecond) });
    events.push({ t: t + length, type: 'generation-end', ok: true, tokensPerSecond, ttftMs: 400 });
  }
  return events;
}

const ramp = (t: number, t0: number, t1: number, from: number, to: number): number =>
  t <= t0 ? from : t >= t1 ? to : from + ((to - from) * (t - t0)) / (t1 - t0);
const baseCpu = (t: number, rand: () => number): number => 0.12 + 0.06 * rand();
/** Square wave smoothed by ramps of `edge` seconds. */
function square(t: number, period: number, high: number, low: number, edge: number, phase = 0): number {
  const x = (t + phase) % period;
  const half = period / 2;
  if (x < edge) return low + ((high - low) * x) / edge;
  if (x < half) return high;
  if (x < half + edge) return high - ((high - low) * (x - half)) / edge;
  return low;
}

const scenarios: Scenario[] = [
  {
    file: 'gradual-recovery.json',
    name: 'gradual-recovery',
    description: 'Pressure that forced the small model eases over 10 minutes, then stays low: upgrade, but only after the stabilization period.',
    initialModel: 'small',
    seconds: 1800,
    background: (t) => ramp(t, 60, 660, 0.7, 0.3),
    noise: 0.01,
    events: chat(90, 1800, 150, 20),
    seed: 11,
  },
  {
    file: 'sudden-drop.json',
    name: 'sudden-drop',
    description: 'Another program takes 6 GB at once: available memory drops and stays down.',
    initialModel: 'large',
    seconds: 900,
    background: (t) => (t < 300 ? 0.45 : 0.64),
    noise: 0.01,
    seed: 12,
  },
  {
    file: 'stable-noise.json',
    name: 'stable-noise',
    description:
      '30 minutes of steady use at 77 % with ±5 points of noise (single samples up to 82 %), chatting all along: no switch at all; the baseline steps down once it sees 3 noisy samples in a row over 80 %.',
    initialModel: 'large',
    seconds: 1800,
    background: () => 0.77 - 0.2037,
    noise: 0.05,
    cpu: (_t, rand) => 0.1 + 0.3 * rand(),
    events: chat(30, 1800, 90, 25),
    seed: 13,
  },
  {
    file: 'mixed-workload.json',
    name: 'mixed-workload',
    description:
      'CPU bursts of 3–12 s, two short memory dips that rise fast (1.75 and 3 points a second) but stay under the line, then a slow climb that crosses the line with the large model (and stays 5 points under it with the medium one).',
    initialModel: 'large',
    seconds: 1800,
    background: (t) => {
      const climb = ramp(t, 700, 1500, 0.4, 0.63);
      const dip = t >= 400 && t < 424 ? (t < 408 ? (t - 400) * 0.0175 : t < 414 ? 0.14 : Math.max(0, 0.14 - (t - 414) * 0.014)) : 0;
      // A faster one: +3 points a second for 5 s, held 5 s, gone 10 s later; it peaks at ~75 %
      // with the large model, under the 80 % line, and must not cost a switch.
      const fastDip = t >= 560 && t < 580 ? (t < 565 ? (t - 560) * 0.03 : t < 570 ? 0.15 : Math.max(0, 0.15 - (t - 570) * 0.015)) : 0;
      return climb + dip + fastDip;
    },
    noise: 0.008,
    cpu: (t, rand) => {
      const burstStarts = [120, 250, 380, 530, 690, 820, 1010, 1160, 1340, 1520, 1700];
      const lengths = [3, 8, 12, 5, 10, 4, 12, 6, 9, 3, 11];
      for (let i = 0; i < burstStarts.length; i++) if (t >= burstStarts[i]! && t < burstStarts[i]! + lengths[i]!) return 0.88 + 0.1 * rand();
      return baseCpu(t, rand);
    },
    events: chat(45, 1800, 120, 20),
    seed: 14,
  },
  {
    file: 'slow-ramp.json',
    name: 'slow-ramp',
    description: 'Memory climbs linearly from 55 % to 85 % (with the large model) over 1000 s while the user chats: decide before the crossing.',
    initialModel: 'large',
    seconds: 1800,
    background: (t) => ramp(t, 400, 1400, 0.35, 0.65),
    noise: 0.007,
    events: chat(20, 1800, 60, 25),
    seed: 15,
  },
  {
    file: 'oscillation.json',
    name: 'oscillation',
    description: 'Background use swings every 5 minutes between 84 % and 54 % (with the large model) for 30 minutes.',
    initialModel: 'large',
    seconds: 1800,
    background: (t) => square(t, 300, 0.64, 0.34, 20, 60),
    noise: 0.01,
    events: chat(40, 1800, 100, 20),
    seed: 16,
  },
  {
    file: 'oscillation-slow.json',
    name: 'oscillation-slow',
    description: 'The same swing with a 12-minute period: long enough calm phases to tempt an upgrade each time.',
    initialModel: 'large',
    seconds: 1800,
    background: (t) => square(t, 720, 0.64, 0.34, 30, 200),
    noise: 0.01,
    seed: 17,
  },
  {
    file: 'pressure-during-reply.json',
    name: 'pressure-during-reply',
    description: 'Memory jumps over the line (not critical) in the middle of a 90 s reply: decide at once, switch when the reply ends.',
    initialModel: 'large',
    seconds: 900,
    background: (t) => (t < 260 ? 0.45 : 0.63),
    noise: 0.005,
    events: [
      { t: 100, type: 'generation-start', expectedTokens: 360 },
      { t: 120, type: 'generation-end', ok: true, tokensPerSecond: 18, ttftMs: 400 },
      { t: 240, type: 'generation-start', expectedTokens: 1600 },
      { t: 330, type: 'generation-end', ok: true, tokensPerSecond: 18, ttftMs: 400 },
    ],
    seed: 18,
  },
  {
    file: 'critical-during-reply.json',
    name: 'critical-during-reply',
    description: 'Memory runs out in the middle of a reply (95 % with the large model): act at once, interrupting the reply.',
    initialModel: 'large',
    seconds: 900,
    background: (t) => (t < 260 ? 0.45 : 0.745),
    noise: 0.003,
    events: [
      { t: 240, type: 'generation-start', expectedTokens: 1600 },
      { t: 330, type: 'generation-end', ok: true, tokensPerSecond: 18, ttftMs: 400 },
    ],
    seed: 19,
  },
  {
    file: 'spike-during-reply.json',
    name: 'spike-during-reply',
    description: 'A 12 s memory spike over the line during a reply has faded when the reply ends: the deferred switch is dropped.',
    initialModel: 'large',
    seconds: 900,
    background: (t) => (t >= 320 && t < 332 ? 0.65 : 0.45),
    noise: 0.005,
    events: [
      { t: 300, type: 'generation-start', expectedTokens: 1080 },
      { t: 360, type: 'generation-end', ok: true, tokensPerSecond: 18, ttftMs: 400 },
    ],
    seed: 20,
  },
  {
    file: 'idle-spike.json',
    name: 'idle-spike',
    description: 'While idle, memory jumps over the line for 10 s and falls back: the known cost of acting on steps within 2 samples.',
    initialModel: 'large',
    seconds: 900,
    background: (t) => (t >= 300 && t < 310 ? 0.62 : 0.35),
    noise: 0.005,
    seed: 24,
  },
  {
    file: 'slow-replies.json',
    name: 'slow-replies',
    description: 'Memory and CPU are fine, but replies on the large model slow from 18 to 6 tokens/s: step down on performance.',
    initialModel: 'large',
    seconds: 900,
    background: () => 0.4,
    noise: 0.005,
    events: [...chat(30, 400, 60, 20, 18), ...chat(420, 900, 60, 20, 6)],
    seed: 21,
  },
  {
    file: 'fast-ramp.json',
    name: 'fast-ramp',
    description: 'Memory climbs from 60 % to 90 % in 90 s: too fast for a forecast to help; only the level and velocity rules can act.',
    initialModel: 'large',
    seconds: 900,
    background: (t) => ramp(t, 300, 390, 0.4, 0.7),
    noise: 0.005,
    seed: 22,
  },
  {
    file: 'gpu-vram-step.json',
    name: 'gpu-vram-step',
    description: 'On a GPU machine a game takes 3 GB of VRAM: the model must move to a rung that fits the remaining VRAM.',
    machine: { cpuCores: 8, memTotalBytes: 32 * GiB, swapTotalBytes: 0, gpus: [{ name: 'RTX 3060', vramTotalBytes: 12 * GiB }] },
    models: [
      { id: 'small', memBytes: 1_000_000_000, vramBytes: 2_000_000_000, loadSeconds: 2 },
      { id: 'medium', memBytes: 1_500_000_000, vramBytes: 4_500_000_000, loadSeconds: 4 },
      { id: 'large', memBytes: 2_000_000_000, vramBytes: 8_000_000_000, loadSeconds: 7 },
    ],
    initialModel: 'large',
    seconds: 900,
    background: () => 0.35,
    noise: 0.005,
    vram: (t) => (t < 300 ? 1_000_000_000 : 4_000_000_000),
    seed: 23,
  },
  {
    file: 'ramp-30s.json',
    name: 'ramp-30s',
    description:
      'Memory climbs 24 points in 30 s (0.8 points/s) and stays: the large model crosses the line about 25 s in; the medium one fits. A fast ramp: act before the crossing.',
    initialModel: 'large',
    seconds: 900,
    background: (t) => ramp(t, 300, 330, 0.4, 0.64),
    noise: 0.004,
    seed: 25,
  },
  {
    file: 'climb-stops.json',
    name: 'climb-stops',
    description:
      'Memory climbs 22 points in 30 s and then holds flat: the large model crosses the line, the medium one fits with room. One step down, not two.',
    initialModel: 'large',
    seconds: 900,
    background: (t) => ramp(t, 300, 330, 0.42, 0.645),
    noise: 0.004,
    seed: 26,
  },
  {
    file: 'gpu-vram-climb.json',
    name: 'gpu-vram-climb',
    description:
      'On a GPU machine another program takes VRAM from 1 GB to 5.2 GB over 30 s and then holds: the large model no longer fits, the medium one does with room. One step down, not two.',
    machine: { cpuCores: 8, memTotalBytes: 32 * GiB, swapTotalBytes: 0, gpus: [{ name: 'RTX 3060', vramTotalBytes: 12 * GiB }] },
    models: [
      { id: 'small', memBytes: 1_000_000_000, vramBytes: 2_000_000_000, loadSeconds: 2 },
      { id: 'medium', memBytes: 1_500_000_000, vramBytes: 4_500_000_000, loadSeconds: 4 },
      { id: 'large', memBytes: 2_000_000_000, vramBytes: 8_000_000_000, loadSeconds: 7 },
    ],
    initialModel: 'large',
    seconds: 900,
    background: () => 0.35,
    noise: 0.005,
    vram: (t) => ramp(t, 300, 330, 1_000_000_000, 5_200_000_000),
    seed: 27,
  },
  {
    file: 'cascade-step.json',
    name: 'cascade-step',
    description:
      'The large model has cascade steps. Memory climbs 18 points in 30 s and holds: the large model crosses the line, its Q8_0 KV cache (1 GB less) fits. A step, not a model switch: the model stays loaded.',
    models: CASCADE_LADDER,
    initialModel: 'large',
    seconds: 900,
    background: (t) => ramp(t, 300, 330, 0.42, 0.6),
    noise: 0.004,
    seed: 28,
  },
  {
    file: 'cascade-switch.json',
    name: 'cascade-switch',
    description:
      'The large model has cascade steps. Memory jumps 26 points and holds: even its cheapest step (Q8_0 KV cache at 8,192 tokens) stays over the line, the medium model fits. A model switch, straight past the steps.',
    models: CASCADE_LADDER,
    initialModel: 'large',
    seconds: 900,
    background: (t) => (t < 300 ? 0.4 : 0.66),
    noise: 0.004,
    seed: 29,
  },
  {
    file: 'cascade-gpu.json',
    name: 'cascade-gpu',
    description:
      'A 12 GiB GPU; the large model has cascade steps. Another program takes 3.3 GB more VRAM at 300 s and keeps it: a Q8_0 KV cache and a 16k context are not enough, 24 of its 32 layers on the GPU are (the rest move to RAM, which has room). Fewer GPU layers before the smaller model.',
    machine: { cpuCores: 8, memTotalBytes: 32 * GiB, swapTotalBytes: 0, gpus: [{ name: 'RTX 3060', vramTotalBytes: 12 * GiB }] },
    models: GPU_CASCADE_LADDER,
    initialModel: 'large',
    seconds: 900,
    background: () => 0.35,
    noise: 0.004,
    vram: (t) => (t < 300 ? 500_000_000 : 3_800_000_000),
    seed: 31,
  },
  {
    file: 'cascade-undo.json',
    name: 'cascade-undo',
    description:
      'The large model has cascade steps. Memory jumps 23 points at 300 s: two steps at once (Q8_0 KV cache and 16,384 tokens). At 600 s it falls back to 41 %: after the stabilization period the context comes back first (the KV cache stays Q8_0: the full rung would be over the upgrade line); at 1000 s it falls to 38 % and the full rung comes back: steps undone in reverse order.',
    models: CASCADE_LADDER,
    initialModel: 'large',
    seconds: 1700,
    background: (t) => (t < 300 ? 0.4 : t < 600 ? 0.63 : t < 1000 ? 0.41 : 0.38),
    noise: 0.004,
    seed: 30,
  },
];

function render(scenario: Scenario): string {
  const rand = random(scenario.seed);
  const machine = scenario.machine ?? MACHINE_32;
  const samples: Sample[] = [];
  for (let t = 0; t <= scenario.seconds; t++) {
    const noise = (scenario.noise ?? 0) * (2 * rand() - 1);
    const fraction = Math.min(0.99, Math.max(0.01, scenario.background(t) + noise));
    const sample: Sample = {
      t,
      cpuLoad: Math.round((scenario.cpu ?? baseCpu)(t, rand) * 1000) / 1000,
      otherMemUsedBytes: Math.round(fraction * machine.memTotalBytes),
    };
    if (scenario.vram) sample.otherVramUsedBytes = Math.round(scenario.vram(t) * (1 + 0.01 * (2 * rand() - 1)));
    samples.push(sample);
  }
  const header = {
    name: scenario.name,
    description: scenario.description,
    machine,
    models: scenario.models ?? LADDER,
    initialModel: scenario.initialModel,
    settings: scenario.settings ?? SETTINGS,
  };
  const lines = JSON.stringify(header, null, 2).split('\n');
  lines.pop(); // reopen the object to append samples and events one per line
  lines[lines.length - 1] += ',';
  lines.push('  "samples": [');
  samples.forEach((sample, i) => lines.push(`    ${JSON.stringify(sample)}${i < samples.length - 1 ? ',' : ''}`));
  lines.push('  ],');
  lines.push('  "events": [');
  const events = scenario.events ?? [];
  events.forEach((event, i) => lines.push(`    ${JSON.stringify(event)}${i < events.length - 1 ? ',' : ''}`));
  lines.push('  ]');
  lines.push('}');
  return lines.join('\n') + '\n';
}

const outDir = path.resolve('tests/traces');
for (const scenario of scenarios) {
  writeFileSync(path.join(outDir, scenario.file), render(scenario));
  console.log(`wrote tests/traces/${scenario.file}`);
}
