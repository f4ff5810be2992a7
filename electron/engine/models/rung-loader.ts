/**
 * Loading: the first model (falling back down, then up, the ladder), the switches the scaler's
 * decisions carry out (the ModelSwitcher calls `unload` then `load`), a model loaded ahead during a
 * reply, the chat formats of neighbouring rungs prepared while idle, and the first-reply
 * measurement that corrects a model's footprint.
 *
 * A move between two rungs of the same model (a cascade step: another context size, KV-cache type
 * or GPU-layer count) never unloads the model here: the runtime recreates only the context (or,
 * for GPU layers, reloads the model itself), and the conversation is warmed into it as after a switch.
 */
import path from 'node:path';
import { MaiError } from '../../../shared/errors';
import type { TimerHandle } from '../resource/clock';
import type { ModelLoader } from '../resource/actuation/model-switcher';
import type { ModelDecision } from '../resource/policy/scaler-types';
import { rungById, type ManagerContext } from './manager-context';
import type { RuntimeMeasure } from './model-runtime';
import { loadRequestOf, type Rung } from './rung';
import { sameCost } from './rung-cost';

/** Pause between two chat-format preparations of neighbouring rungs, ms (keeps the engine responsive). */
const NEIGHBOUR_PREPARE_GAP_MS = 250;

/** Loads rungs for the manager: the first one, the switcher's, and the one loaded ahead. */
export class RungLoader implements ModelLoader {
  /**
   * What the process held before a rung was loaded: its footprint is measured against it after its
   * first reply. For a cascade step `from` is the rung it replaced, whose context was still in
   * `before`: the step's footprint is that rung's less what the step gave back.
   */
  private measurement: { rungId: string; before: RuntimeMeasure; from?: Rung } | null = null;
  private neighbourTimer: TimerHandle | null = null;
  /** The rung loaded now (null when nothing is): a step's measurement is taken against it. */
  private current: Rung | null = null;
  /** Bumped to cancel a chain of neighbour preparations. */
  private neighbourGeneration = 0;

  constructor(private readonly context: ManagerContext) {}

  /** The rung loaded now, at the cost it runs at (a cascade step the scaler took included); null when nothing is. */
  get loaded(): Rung | null {
    return this.current;
  }

  /** Loads `first`, else each smaller rung, else each bigger one; throws only when none loads. */
  async loadFirstThatWorks(first: Rung): Promise<Rung> {
    const { rungs } = this.context;
    const index = rungs.indexOf(first);
    const order = [...rungs.slice(0, index + 1).reverse(), ...rungs.slice(index + 1)];
    const failures: string[] = [];
    for (const rung of order) {
      // Already loaded at this cost, and the placement puts no server in its place now: nothing to do. At
      // another cost (a rebuilt ladder whose rung is a cascade step of it, or a new context size in the
      // settings) `loadRung` recreates its context.
      if (
        this.context.runtime.model?.path === rung.model.path &&
        (!this.current || sameCost(this.current.cost, rung.cost)) &&
        !this.context.remote?.place(rung).rung
      ) {
        this.current = rung;
        return rung;
      }
      try {
        await this.loadRung(rung);
        if (failures.length > 0) this.context.emit('notice', { level: 'warn', message: `${failures.join(' ')} Mai is using ${rung.model.name} instead.` });
        return rung;
      } catch (error) {
        // Shutting down: no other rung is tried, and nothing is reported as a failure.
        if (this.context.machine.closing) throw error;
        failures.push(`${rung.model.name} failed to load: ${(error as Error).message}`);
        this.context.log('warn', failures.at(-1)!);
      }
    }
    throw new MaiError('model-load-failed', `No model could be loaded. ${failures.join(' ')}`);
  }

  // --- ModelLoader: a switch the scaler decided ---------------------------------------------------

  /**
   * First half of a switch. The old model goes in `load`, once the target is known (a switch down
   * still never needs both): a cascade step keeps it, and a target whose file changed on disk is
   * refused before anything is unloaded.
   */
  async unload(_modelId: string): Promise<void> {
    // A failover or a move the remote side started finishes first (remote-failover.ts).
    await this.context.remote?.swapping;
    this.context.machine.apply('switch-start');
    // A remote model, like a local one, stays until `load` knows the target (the placement may keep it).
  }

  /** A whole switch to `rung` outside the scaler's decisions: a failover, a move to or from a server. */
  async replace(rung: Rung): Promise<void> {
    this.context.machine.apply('switch-start');
    await this.load(rung.id);
  }

  /** Second half of a switch: loads the rung; a failure leaves the manager `empty` when nothing is loaded. */
  async load(modelId: string): Promise<void> {
    const { machine, runtime } = this.context;
    try {
      const rung = rungById(this.context, modelId);
      if (!rung) throw new MaiError('model-not-found', `${modelId} is not on the ladder.`);
      await this.loadRung(rung);
      machine.apply('switch-end');
    } catch (error) {
      machine.apply(runtime.model ? 'switch-end' : 'switch-failed');
      throw error;
    }
  }

  // --- loading ------------------------------------------------------------------------------------

  private async unloadCurrent(): Promise<void> {
    // A reply being stopped must unwind before its context is disposed ("Object is disposed").
    await this.context.runtime.whenIdle();
    this.current = null;
    await this.context.runtime.unload();
  }

  /**
   * Loads a rung, or the remote rung the placement puts in its place (ladder-remote.ts); a server
   * that fails to load is marked and the rung itself is loaded, with a notice.
   */
  private async loadRung(rung: Rung): Promise<void> {
    const remote = this.context.remote;
    const placed = remote?.place(rung);
    if (remote && placed?.rung) {
      const target = placed.rung;
      try {
        // Already there (the scaler moved the local fallback): nothing to load, once a reply on it has ended.
        if (this.context.runtime.model?.path === target.model.path) await this.context.runtime.whenIdle();
        else await this.loadExactly(target);
        remote.loaded(rung, target, placed.placement);
        return;
      } catch (error) {
        if (this.context.machine.closing) throw error;
        remote.failed(target, error as Error);
        this.context.emit('notice', {
          level: 'warn',
          message: `${target.model.name} could not be used: ${(error as Error).message} Mai is using ${rung.model.name} on this machine.`,
        });
      }
    }
    await this.loadExactly(rung);
    if (remote && placed) remote.loaded(rung, rung, placed.placement);
  }

  /** Loads exactly `rung`, replacing what is loaded; announces it and warms it with the conversation. */
  private async loadExactly(rung: Rung): Promise<void> {
    const { runtime } = this.context;
    this.stopIfClosing();
    // Refuse a file changed on disk since the ladder was built before anything is unloaded.
    await runtime.check(rung.model.path);
    this.stopIfClosing();
    const previous = runtime.model;
    const from = this.current;
    const step = previous !== null && previous.path === rung.model.path && from !== null;
    this.current = null;
    // A step keeps the model: only a reply being stopped must unwind before its context goes.
    if (step) await runtime.whenIdle();
    // Otherwise the baseline is taken with nothing loaded, so the measurement is this model's alone.
    else if (previous) await this.unloadCurrent();
    // Shutdown began meanwhile (each await is a chance): nothing new is loaded or announced; what
    // is loaded, shutdown unloads once everything it waits for has ended.
    this.stopIfClosing();
    // Loaded ahead during the last reply: already in the baseline, so not measured this time.
    const ahead = !step && runtime.isPrepared(rung.model.path);
    const before = await runtime.measure();
    this.stopIfClosing();
    const loaded = await runtime.load(loadRequestOf(rung)).catch((error: unknown) => {
      // A step that failed may have left the previous rung in place (the runtime recreated it).
      if (step && runtime.model?.path === rung.model.path) this.current = from;
      throw error;
    });
    this.current = rung;
    this.stopIfClosing();
    // A swap says nothing about how long a load takes (the scaler's horizon); a step's time is its own.
    if (step) this.context.stats.recordStep(rung.id, loaded.loadMs / 1000);
    else if (!ahead) this.context.stats.recordLoad(rung.id, loaded.loadMs / 1000);
    this.measurement = ahead ? null : { rungId: rung.id, before, ...(step ? { from } : {}) };
    this.context.loads++;
    this.context.emit('modelChanged', { model: loaded, previous: previous?.name ?? null, reason: this.context.reason });
    // Warm the new model with the conversation so the next reply starts as fast as a fresh one.
    this.context.track(runtime.preloadHistory(this.context.history));
  }

  private stopIfClosing(): void {
    if (this.context.machine.closing) throw new MaiError('engine-unavailable', 'Mai is shutting down.');
  }

  /**
   * Records what the model really takes, once, after its first reply: its weights are mmapped, so
   * right after the load most of them are not yet resident; a reply has touched every one, and its
   * context buffers are allocated.
   */
  measureAfterFirstReply(rungId: string): void {
    const pending = this.measurement;
    if (!pending || pending.rungId !== rungId) return;
    this.measurement = null;
    const rung = rungById(this.context, rungId);
    if (!rung) return;
    const { before, from } = pending;
    // A step: the rung it replaced, plus what the step changed (negative for a step down).
    const baseMem = from?.footprint.memBytes ?? 0;
    const baseVram = from?.footprint.vramBytes ?? 0;
    this.context.track(
      this.context.runtime
        .measure()
        .then((now) =>
          this.context.footprints.record(
            rung.footprint,
            baseMem + now.residentBytes - before.residentBytes,
            Math.max(0, baseVram + now.vramUsedBytes - before.vramUsedBytes),
          ),
        ),
    );
  }

  /**
   * A normal step down waits for the reply in progress: load its model meanwhile, so the switch at
   * the reply's end is only a swap. Only while memory (and VRAM) with both models resident stays
   * under the critical line: the overlap lasts the rest of one reply.
   */
  loadAhead(decision: ModelDecision, criticalFraction: number): void {
    const { machine, runtime } = this.context;
    if (decision.urgency !== 'normal' || machine.phase !== 'replying') return;
    const rung = rungById(this.context, decision.to);
    // Nothing to load ahead when the step keeps (or puts) Mai on a server.
    if (rung && this.context.remote?.place(rung).rung) return;
    const sample = this.context.monitor().latest();
    if (!rung || !sample) return;
    // A step of the model in use recreates its context at the reply's end: nothing to load ahead.
    if (rung.model.path === runtime.model?.path) return;
    const memory = sample.memUsedBytes + rung.footprint.memBytes;
    const vramTotal = sample.vramTotalBytes ?? 0;
    const vram = (sample.vramUsedBytes ?? 0) + rung.footprint.vramBytes;
    if (memory >= criticalFraction * sample.memTotalBytes || (vramTotal > 0 && vram >= criticalFraction * vramTotal)) {
      this.context.log(
        'info',
        `${rung.model.name} not loaded ahead: with both models memory would reach ${((memory / sample.memTotalBytes) * 100).toFixed(1)} %, over the ${(criticalFraction * 100).toFixed(0)} % critical line`,
      );
      return;
    }
    machine.apply('load-ahead');
    // Both models are resident now: a first-reply measurement would be charged the second one.
    this.measurement = null;
    runtime.prepare(loadRequestOf(rung));
  }

  /** Frees a model loaded ahead for a switch that will not happen. */
  dropAhead(): void {
    this.context.machine.apply('ahead-dropped');
    this.context.track(this.context.runtime.discardPrepared());
  }

  /** In the background, while idle: chat formats of the rungs a switch would go to (nearest first). */
  prepareNeighbours(current: Rung): void {
    this.cancelNeighbours();
    const generation = this.neighbourGeneration;
    const { rungs, runtime } = this.context;
    const index = rungs.indexOf(current);
    const order = rungs
      .map((rung, i) => ({ rung, distance: Math.abs(i - index) + (i > index ? 0.5 : 0) }))
      .filter(({ rung }) => rung !== current)
      .sort((a, b) => a.distance - b.distance)
      .map(({ rung }) => rung.model.path);
    const next = () => {
      const modelPath = order.shift();
      if (!modelPath || generation !== this.neighbourGeneration) return;
      this.neighbourTimer = this.context.clock.setTimeout(() => {
        this.neighbourTimer = null;
        if (generation !== this.neighbourGeneration) return;
        const preparing = runtime
          .prepareChatWrapper(modelPath)
          .catch((error: Error) => this.context.log('debug', `chat format of ${path.basename(modelPath)} not prepared: ${error.message}`))
          .finally(next);
        this.context.track(preparing);
      }, NEIGHBOUR_PREPARE_GAP_MS);
    };
    next();
  }

  cancelNeighbours(): void {
    this.neighbourGeneration++;
    if (this.neighbourTimer) this.context.clock.clearTimeout(this.neighbourTimer);
    this.neighbourTimer = null;
  }
}
