/**
 * What the ModelManager is doing, as one explicit state with every transition in one table (the
 * way llama.cpp's server gives each slot an explicit state). Anything the table does not list is
 * refused with an error, so a reply can never start during a switch, nor a switch begin after
 * shutdown, by accident.
 *
 *   unconfigured ─configure→ configuring ─configured→ idle ─reply-start→ replying ─reply-end→ idle
 *   replying ─load-ahead→ loading-ahead (the next model loads beside the one replying)
 *   idle | replying | loading-ahead ─switch-start→ switching ─switch-end→ idle
 *   switching ─switch-failed→ empty (no model left loaded) ─switch-start→ switching (one rung down)
 *   empty ─configure→ configuring (the next reply rebuilds the ladder)
 *   configuring | replying | loading-ahead | switching ─configure-queued→ (same phase): new settings
 *     wait for what runs and are applied when the manager is next idle (or empty)
 *   any ─close→ closing ─closed→ closed
 */
import { MaiError } from '../../../shared/errors';

/** The manager's phases. */
export type ManagerPhase =
  /** Created; no ladder yet. */
  | 'unconfigured'
  /** Building the ladder and loading the first model. */
  | 'configuring'
  /** A model is loaded and nothing runs. */
  | 'idle'
  /** A reply is being generated. */
  | 'replying'
  /** A reply is being generated while the model of a coming step down loads beside it. */
  | 'loading-ahead'
  /** The model is being changed (a reply interrupted by a critical switch may still be unwinding). */
  | 'switching'
  /** A switch failed and left no model loaded; the next reply rebuilds the ladder. */
  | 'empty'
  /** Shutting down: what runs is stopped or awaited, nothing new starts. */
  | 'closing'
  /** Nothing loaded, nothing running; `configure` starts again. */
  | 'closed';

/** What happens to the manager. */
export type ManagerEvent =
  | 'configure'
  | 'configure-queued'
  | 'configured'
  | 'configure-failed'
  | 'reply-start'
  | 'reply-end'
  | 'load-ahead'
  | 'ahead-dropped'
  | 'switch-start'
  | 'switch-end'
  | 'switch-failed'
  | 'close'
  | 'closed';

/**
 * Every legal transition: phase → event → next phase. Events a phase does not list are refused.
 * Notes on the less obvious rows:
 * - `switching` + `reply-end`: a critical switch stops the reply in progress; the reply unwinds
 *   while the old model is unloaded.
 * - `switching` + `switch-start`: a switch queued behind the one loading.
 * - `empty` + `switch-start`: a failed load is followed by a load one rung further down.
 * - `configure-queued`: a settings change (or a chosen model) while something runs is never
 *   refused: it waits, and the latest one is applied when the reply, switch or configure ends.
 * - `closing` (and `closed`, for what unwinds last) accept the ends of what was running when
 *   shutdown began.
 */
export const TRANSITIONS: Readonly<Record<ManagerPhase, Partial<Record<ManagerEvent, ManagerPhase>>>> = {
  unconfigured: { configure: 'configuring', close: 'closing' },
  configuring: { configured: 'idle', 'configure-failed': 'unconfigured', 'configure-queued': 'configuring', close: 'closing' },
  idle: { configure: 'configuring', 'reply-start': 'replying', 'switch-start': 'switching', 'ahead-dropped': 'idle', close: 'closing' },
  replying: {
    'configure-queued': 'replying',
    'reply-end': 'idle',
    'load-ahead': 'loading-ahead',
    'switch-start': 'switching',
    'ahead-dropped': 'replying',
    close: 'closing',
  },
  'loading-ahead': { 'configure-queued': 'loading-ahead', 'reply-end': 'idle', 'ahead-dropped': 'replying', 'switch-start': 'switching', close: 'closing' },
  switching: {
    'configure-queued': 'switching',
    'switch-start': 'switching',
    'switch-end': 'idle',
    'switch-failed': 'empty',
    'reply-end': 'switching',
    'ahead-dropped': 'switching',
    close: 'closing',
  },
  empty: { configure: 'configuring', 'switch-start': 'switching', 'ahead-dropped': 'empty', close: 'closing' },
  closing: {
    'reply-end': 'closing',
    'switch-start': 'closing',
    'switch-end': 'closing',
    'switch-failed': 'closing',
    'ahead-dropped': 'closing',
    'configure-failed': 'closing',
    configured: 'closing',
    closed: 'closed',
  },
  closed: {
    configure: 'configuring',
    close: 'closed',
    'ahead-dropped': 'closed',
    'reply-end': 'closed',
    configured: 'closed',
    'configure-failed': 'closed',
    'switch-end': 'closed',
    'switch-failed': 'closed',
  },
};

/** The phase after `event`, or null when the table refuses it. */
export function nextPhase(phase: ManagerPhase, event: ManagerEvent): ManagerPhase | null {
  return TRANSITIONS[phase][event] ?? null;
}

/** What each event attempts, in words for the sentence that refuses it. */
const ATTEMPT: Readonly<Record<ManagerEvent, string>> = {
  configure: 'change the model list',
  'configure-queued': 'change the model list',
  configured: 'finish building the model list',
  'configure-failed': 'finish building the model list',
  'reply-start': 'start a reply',
  'reply-end': 'end a reply',
  'load-ahead': 'load the next model ahead',
  'ahead-dropped': 'drop the model loaded ahead',
  'switch-start': 'change the model',
  'switch-end': 'finish changing the model',
  'switch-failed': 'finish changing the model',
  close: 'shut the model down',
  closed: 'finish shutting down',
};

/** Why an event is refused, in words for the person who triggered it. */
function refusal(phase: ManagerPhase, event: ManagerEvent): MaiError {
  const doing: Record<ManagerPhase, string> = {
    unconfigured: 'no model list has been given yet',
    configuring: 'the model list is being built',
    idle: 'nothing is running',
    replying: 'a reply is being generated',
    'loading-ahead': 'a reply is being generated',
    switching: 'the model is being changed',
    empty: 'no model is loaded',
    closing: 'Mai is shutting down',
    closed: 'Mai has shut the model down',
  };
  const code = phase === 'closing' || phase === 'closed' ? 'engine-unavailable' : phase === 'unconfigured' || phase === 'empty' ? 'no-model' : 'busy';
  return new MaiError(code, `Cannot ${ATTEMPT[event]} now: ${doing[phase]}.`);
}

/** Holds the phase and applies the table; `onChange` hears every transition (for logs and tests). */
export class ManagerStateMachine {
  private current: ManagerPhase = 'unconfigured';

  constructor(private readonly onChange: (from: ManagerPhase, event: ManagerEvent, to: ManagerPhase) => void = () => {}) {}

  get phase(): ManagerPhase {
    return this.current;
  }

  /** Whether the table allows `event` now. */
  can(event: ManagerEvent): boolean {
    return nextPhase(this.current, event) !== null;
  }

  /** Applies `event`; throws a MaiError (code `busy`, `no-model` or `engine-unavailable`) when the table refuses it. */
  apply(event: ManagerEvent): ManagerPhase {
    const from = this.current;
    const to = nextPhase(from, event);
    if (to === null) throw refusal(from, event);
    this.current = to;
    if (to !== from) this.onChange(from, event, to);
    return to;
  }

  /** True while a reply runs (with or without a model loading ahead). */
  get replying(): boolean {
    return this.current === 'replying' || this.current === 'loading-ahead';
  }

  /** True from shutdown on. */
  get closing(): boolean {
    return this.current === 'closing' || this.current === 'closed';
  }

  /** Throws (`engine-unavailable`) when shutdown began: work stops at its next step. */
  assertOpen(): void {
    if (this.closing) throw new MaiError('engine-unavailable', 'Mai is shutting down.');
  }
}
