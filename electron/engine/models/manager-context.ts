/**
 * What the ModelManager's parts share: the runtime, the state machine, the clock, the measurements,
 * the ladder in force and the few facts one part records for another (why the next change happens,
 * the conversation to warm a new model with). One object, passed explicitly, instead of callbacks
 * crossing between the parts.
 */
import path from 'node:path';
import type { ChatTurn, LoadedModel, LogLevel } from '../../../shared/domain';
import type { Clock } from '../resource/clock';
import type { ResourceMonitor } from '../resource/monitoring/resource-monitor';
import type { ScalerDecision, ScalerState } from '../resource/policy/scaler-types';
import type { PreflightAnswer, ResourceSample } from '../resource/types';
import type { CapabilityChange } from './capability';
import { FootprintEstimator } from './footprint';
import { ManagerStateMachine, type ManagerPhase } from './manager-state';
import type { ModelRuntime } from './model-runtime';
import { ModelStats, type ModelPerformance } from './model-stats';
import type { RemoteLadder } from './ladder-remote';
import type { Rung } from './rung';

/** The events a ModelManager emits. */
export interface ModelManagerEvents extends Record<string, unknown> {
  decision: ScalerDecision;
  sample: { sample: ResourceSample; state: ScalerState; performance: ModelPerformance[] };
  modelChanged: { model: LoadedModel; previous: string | null; reason: string };
  capability: CapabilityChange;
  preflight: PreflightAnswer;
  notice: { level: 'info' | 'warn' | 'error'; message: string };
}

/** Emits one of the manager's events. */
export type ManagerEmit = <K extends keyof ModelManagerEvents>(event: K, payload: ModelManagerEvents[K]) => void;

/** The state the manager's parts share (see the file comment). */
export interface ManagerContext {
  readonly runtime: ModelRuntime;
  readonly machine: ManagerStateMachine;
  readonly clock: Clock;
  readonly stats: ModelStats;
  readonly footprints: FootprintEstimator;
  readonly monitor: () => ResourceMonitor;
  readonly log: (level: LogLevel, message: string) => void;
  readonly emit: ManagerEmit;
  /** Runs `work` in the background; shutdown waits for it. */
  readonly track: (work: Promise<unknown>) => void;
  /** The ladder in force, smallest first. */
  rungs: readonly Rung[];
  /** Why the next model change happens: the scaler's reason or the user's choice. */
  reason: string;
  /** The conversation as of the last reply, warmed into a new model right after a switch. */
  history: ChatTurn[];
  /** Models loaded so far: a notice given "once per loaded model" compares it. */
  loads: number;
  /** The remote rungs and their placement, or null when this engine has none (ladder-remote.ts). */
  readonly remote: RemoteLadder | null;
}

/** The rung with `id`, or undefined. */
export function rungById(context: Pick<ManagerContext, 'rungs'>, id: string | null | undefined): Rung | undefined {
  return context.rungs.find((rung) => rung.id === id);
}

/** A context in its initial state: no ladder, the machine `unconfigured`, transitions logged at debug level. */
export function createManagerContext(options: {
  runtime: ModelRuntime;
  clock: Clock;
  /** Where per-machine measurements are kept; null keeps nothing. */
  dataDir: string | null;
  log: (level: LogLevel, message: string) => void;
  monitor: () => ResourceMonitor;
  emit: ManagerEmit;
  /** Where background work is registered for shutdown to wait on. */
  background: Set<Promise<unknown>>;
  /** Hears every phase entered (the manager applies a waiting settings change when it turns idle). */
  onPhase?: (phase: ManagerPhase) => void;
  /** The remote rungs; absent: none. */
  remote?: RemoteLadder | null;
}): ManagerContext {
  const { log, background, onPhase } = options;
  return {
    runtime: options.runtime,
    machine: new ManagerStateMachine((from, event, to) => {
      log('debug', `model manager: ${from} --${event}--> ${to}`);
      onPhase?.(to);
    }),
    clock: options.clock,
    stats: new ModelStats(),
    footprints: new FootprintEstimator(options.dataDir ? path.join(options.dataDir, 'model-memory.json') : null, (message) => log('warn', message)),
    monitor: options.monitor,
    log,
    emit: options.emit,
    track: (work) => {
      const settled = work.catch(() => {}).finally(() => background.delete(settled));
      background.add(settled);
    },
    rungs: [],
    reason: '',
    history: [],
    loads: 0,
    remote: options.remote ?? null,
  };
}
