/**
 * The tray's view of Mai, computed from the app events alone (no Electron here): one of four
 * states for the icon, a one-line tooltip with the model, tier and memory use, and the menu.
 * `TrayPresenter` keeps the inputs up to date from AppCore's events and calls a `TrayView` (the
 * Electron adapter in electron/main/electron/tray.ts) only when what it shows changes.
 *
 * The states, first match wins:
 *  - `down`: the engine is failed, stopped or restarting.
 *  - `degraded`: the last capability change since the user's own pick went down (the scaler moved
 *    to a smaller model) and the loaded model is not the largest on the ladder. An `up` change or
 *    a model the user picks clears it.
 *  - `pressure`: the scaler is degrading, or memory in use is within 5 points of the act threshold
 *    (used / total ≥ thresholds.degrade − 0.05). The presenter holds it until samples have stayed
 *    under that line for 5 s, so memory hovering at the line does not make the icon blink.
 *  - `steady`: everything else.
 *
 * The tooltip's memory figure moves with every sample; the presenter passes such changes on at most
 * every 5 s (anything else in the tooltip, and every state change, goes at once).
 */
import type { AppState } from '../../../../shared/contract';
import type { EngineStatus, LoadedModel } from '../../../../shared/domain';
import type { CapabilityChangeData, LadderRungData, ResourceSnapshot } from '../../../../shared/resource';
import type { StatusEventSink, StatusEventSource } from './events';

export type TrayState = 'steady' | 'pressure' | 'degraded' | 'down';
export type TrayTheme = 'light' | 'dark';
export const trayStates: readonly TrayState[] = ['steady', 'pressure', 'degraded', 'down'];
export const trayThemes: readonly TrayTheme[] = ['light', 'dark'];

/** How close to the act threshold (as a fraction of memory) counts as pressure. */
export const PRESSURE_MARGIN = 0.05;
/** Sample time memory must stay under the pressure line before the tray says steady again, ms. */
export const PRESSURE_RELEASE_MS = 5_000;
/** Least time between two tooltip updates that only change the memory figure, ms. */
export const MEMORY_TOOLTIP_INTERVAL_MS = 5_000;
/** Windows cuts tray tooltips at 127 characters; longer ones end in an ellipsis here. */
export const TOOLTIP_MAX_CHARS = 127;

/** Menu entries the user can click. */
export type MenuActionId = 'toggle-window' | 'toggle-scaling' | 'open-resources' | 'quit';

/** One tray menu entry, in Electron's vocabulary so that the adapter maps it one to one. */
export type MenuItemModel =
  | { type: 'normal'; id: MenuActionId; label: string; enabled: boolean }
  | { type: 'label'; id: 'status' | 'current-model'; label: string }
  | { type: 'checkbox'; id: 'toggle-scaling'; label: string; checked: boolean; enabled: boolean }
  | { type: 'separator'; id: string };

/** What the Electron adapter implements. */
export interface TrayView {
  setIcon(state: TrayState, theme: TrayTheme): void;
  setToolTip(text: string): void;
  setMenu(items: MenuItemModel[]): void;
}

/** What the menu entries do; main.ts supplies them. */
export interface TrayActions {
  /** Shows the window (creating it if needed) when hidden, hides it when shown. */
  toggleWindow(): void;
  /** Pauses or resumes automatic scaling (AppCore's `scaler:pause`); may return a promise. */
  setScalingPaused(paused: boolean): unknown;
  /** Shows the window on the resource panel. */
  openResourcePanel(): void;
  quit(): void;
}

/** Everything the tray depends on. */
export interface TrayInputs {
  engine: EngineStatus | null;
  model: LoadedModel | null;
  snapshot: ResourceSnapshot | null;
  /** The tier from `app:get-state`, until a sample brings one. */
  tierLabel: string | null;
  ladder: LadderRungData[];
  /** The last capability change since the user's own pick; null when there was none or it was cleared. */
  lastChange: Pick<CapabilityChangeData, 'direction' | 'from' | 'to' | 'why'> | null;
  scalingPaused: boolean;
  windowVisible: boolean;
  /** Pressure that has not been released yet (see PRESSURE_RELEASE_MS); kept by the presenter. */
  pressureHold: boolean;
}

export const initialTrayInputs: TrayInputs = {
  engine: null,
  model: null,
  snapshot: null,
  tierLabel: null,
  ladder: [],
  lastChange: null,
  scalingPaused: false,
  windowVisible: true,
  pressureHold: false,
};

const DOWN_ENGINE_STATES = new Set(['failed', 'stopped', 'restarting']);

/** Memory in use as a fraction of the total, or null without a usable sample. */
export function memoryFraction(snapshot: ResourceSnapshot | null): number | null {
  if (!snapshot) return null;
  const { memUsedBytes, memTotalBytes } = snapshot.sample;
  return Number.isFinite(memUsedBytes) && Number.isFinite(memTotalBytes) && memTotalBytes > 0 ? memUsedBytes / memTotalBytes : null;
}

/** True when the loaded model is the largest (by memory) on the ladder. False when either is unknown. */
export function isLargestOnLadder(model: LoadedModel | null, ladder: readonly LadderRungData[]): boolean {
  if (!model || ladder.length === 0) return false;
  const largest = ladder.reduce((best, rung) => (rung.memBytes > best.memBytes ? rung : best));
  return largest.path === model.path;
}

/** The pressure rule on one sample: the scaler is degrading, or memory is within 5 points of acting. */
export function samplePressure(snapshot: ResourceSnapshot | null): boolean {
  if (!snapshot) return false;
  if (snapshot.status.kind === 'degrading') return true;
  const fraction = memoryFraction(snapshot);
  // A hair of tolerance so that 0.75 (as floats compute it) counts against 0.8 − 0.05.
  return fraction !== null && fraction >= snapshot.thresholds.degrade - PRESSURE_MARGIN - 1e-9;
}

export function computeTrayState(inputs: TrayInputs): TrayState {
  if (inputs.engine && DOWN_ENGINE_STATES.has(inputs.engine.state)) return 'down';
  if (inputs.lastChange?.direction === 'down' && !isLargestOnLadder(inputs.model, inputs.ladder)) return 'degraded';
  if (inputs.pressureHold || samplePressure(inputs.snapshot)) return 'pressure';
  return 'steady';
}

const percent = (fraction: number) => `${Math.round(fraction * 100)} %`;

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1).trimEnd()}…`;
}

function engineDownWords(engine: EngineStatus): string {
  return engine.state === 'restarting' ? 'engine restarting' : engine.state === 'failed' ? 'engine failed' : 'engine stopped';
}

/**
 * "Mai — Demo 30 MB · tier Medium · memory 63 % (act at 80 %)", plus what is unusual.
 * `withMemory: false` leaves the memory figure out (the presenter's key for "something else changed").
 */
export function trayToolTip(inputs: TrayInputs, state: TrayState = computeTrayState(inputs), withMemory = true): string {
  if (state === 'down' && inputs.engine) return truncate(`Mai — ${engineDownWords(inputs.engine)}`, TOOLTIP_MAX_CHARS);
  const parts: string[] = [];
  if (inputs.model) parts.push(inputs.model.name);
  else if (inputs.engine?.state === 'starting') parts.push('starting');
  else if (inputs.engine?.state === 'loading') parts.push('loading a model');
  else parts.push('no model loaded');
  const tier = inputs.snapshot?.tier.label ?? inputs.tierLabel;
  if (tier) parts.push(`tier ${tier}`);
  const fraction = memoryFraction(inputs.snapshot);
  if (withMemory && fraction !== null && inputs.snapshot) parts.push(`memory ${percent(fraction)} (act at ${percent(inputs.snapshot.thresholds.degrade)})`);
  if (state === 'degraded') parts.push('smaller model for now');
  else if (state === 'pressure') parts.push(inputs.snapshot?.status.kind === 'degrading' ? 'moving to a smaller model' : 'memory is getting tight');
  if (inputs.scalingPaused) parts.push('scaling paused');
  return truncate(`Mai — ${parts.join(' · ')}`, TOOLTIP_MAX_CHARS);
}

/** The one-line status at the top of the menu (Linux tray icons show no tooltip). */
export function trayStatusLine(inputs: TrayInputs, state: TrayState = computeTrayState(inputs)): string {
  switch (state) {
    case 'down':
      if (inputs.engine?.state === 'restarting') return 'Restarting the engine…';
      if (inputs.engine?.state === 'failed') return 'The engine stopped — open Mai to restart it';
      return 'The engine is stopped';
    case 'degraded':
      return `On a smaller model until memory frees up`;
    case 'pressure':
      return inputs.snapshot?.status.kind === 'degrading' ? 'Moving to a smaller model' : 'Memory is getting tight';
    case 'steady':
      return inputs.model ? 'Running normally' : inputs.engine?.state === 'starting' || inputs.engine?.state === 'loading' ? 'Starting…' : 'No model loaded';
    default:
      state satisfies never;
      return '';
  }
}

export function trayMenu(inputs: TrayInputs, state: TrayState = computeTrayState(inputs)): MenuItemModel[] {
  return [
    { type: 'normal', id: 'toggle-window', label: inputs.windowVisible ? 'Hide Mai' : 'Show Mai', enabled: true },
    { type: 'separator', id: 'sep-status' },
    { type: 'label', id: 'status', label: trayStatusLine(inputs, state) },
    { type: 'label', id: 'current-model', label: `Model: ${inputs.model?.name ?? 'none loaded'}` },
    { type: 'checkbox', id: 'toggle-scaling', label: 'Pause automatic scaling', checked: inputs.scalingPaused, enabled: state !== 'down' },
    { type: 'normal', id: 'open-resources', label: 'Open resource panel', enabled: true },
    { type: 'separator', id: 'sep-quit' },
    { type: 'normal', id: 'quit', label: 'Quit Mai', enabled: true },
  ];
}

/** What the tray shows at one moment. */
export interface TrayPicture {
  state: TrayState;
  theme: TrayTheme;
  toolTip: string;
  menu: MenuItemModel[];
}

export function trayPicture(inputs: TrayInputs, theme: TrayTheme): TrayPicture {
  const state = computeTrayState(inputs);
  return { state, theme, toolTip: trayToolTip(inputs, state), menu: trayMenu(inputs, state) };
}

/** The part of AppState the tray starts from (`app:get-state`). */
export type TraySeed = Partial<Pick<AppState, 'engine' | 'model' | 'resource' | 'ladder' | 'tier' | 'scalingPaused'>>;

export interface TrayPresenterOptions {
  theme?: TrayTheme;
  windowVisible?: boolean;
  /** Milliseconds, for the tooltip's pace; default Date.now. */
  now?: () => number;
  /** Told when a menu action fails (the menu is put back as it was). */
  onError?: (error: Error) => void;
}

/**
 * Feeds the tray from the app events. The view is called only for what changed: the icon when the
 * state or theme changes, the menu when an entry does, the tooltip when its text does (a change of
 * the memory figure alone at most every 5 s), so a 1 Hz stream of samples costs next to nothing.
 */
export class TrayPresenter {
  private inputs: TrayInputs;
  private theme: TrayTheme;
  private shown: { icon: string | null; toolTip: string | null; toolTipKey: string | null; toolTipAt: number; menu: string | null } = {
    icon: null,
    toolTip: null,
    toolTipKey: null,
    toolTipAt: -Infinity,
    menu: null,
  };
  /** Sample time (ms) of the last sample under pressure. */
  private lastPressureT: number | null = null;
  private readonly onError: (error: Error) => void;
  private readonly now: () => number;

  constructor(
    private readonly view: TrayView,
    private readonly actions: TrayActions,
    options: TrayPresenterOptions = {},
  ) {
    this.theme = options.theme ?? 'light';
    this.inputs = { ...initialTrayInputs, windowVisible: options.windowVisible ?? true };
    this.onError = options.onError ?? (() => {});
    this.now = options.now ?? Date.now;
    this.render();
  }

  /** The event sink to give AppCore.subscribe (or call `attach`). */
  readonly sink: StatusEventSink = (event, payload) => {
    switch (event) {
      case 'onEngineStatus':
        this.update({ engine: payload as EngineStatus });
        break;
      case 'onModelChanged':
        this.update({ model: (payload as { model: LoadedModel | null }).model });
        break;
      case 'onResourceSample':
        this.takeSnapshot(payload as ResourceSnapshot);
        break;
      case 'onCapabilityChanged': {
        const change = payload as CapabilityChangeData;
        // An upgrade clears the degraded state; a degrade sets it.
        this.update({ lastChange: change.direction === 'down' ? { direction: change.direction, from: change.from, to: change.to, why: change.why } : null });
        break;
      }
      default:
        break;
    }
  };

  /** Subscribes to `source`; returns the unsubscribe function. */
  attach(source: StatusEventSource): () => void {
    return source.subscribe(this.sink);
  }

  /** Takes what `app:get-state` knows (at start, or after settings rebuilt the ladder). */
  seed(state: TraySeed): void {
    const patch: Partial<TrayInputs> = {};
    if (state.engine !== undefined) patch.engine = state.engine;
    if (state.model !== undefined) patch.model = state.model;
    if (state.resource) patch.pressureHold = this.holdPressure(state.resource);
    if (state.resource !== undefined) patch.snapshot = state.resource;
    if (state.ladder !== undefined) patch.ladder = state.ladder;
    if (state.tier !== undefined) patch.tierLabel = state.tier?.label ?? null;
    if (state.scalingPaused !== undefined) patch.scalingPaused = state.scalingPaused;
    this.update(patch);
  }

  setTheme(theme: TrayTheme): void {
    if (theme === this.theme) return;
    this.theme = theme;
    this.render();
  }

  setWindowVisible(visible: boolean): void {
    this.update({ windowVisible: visible });
  }

  setScalingPaused(paused: boolean): void {
    this.update({ scalingPaused: paused });
  }

  /** The user picked a model by hand: whatever the scaler did before no longer counts as a degrade. */
  noteUserModelPick(model?: LoadedModel): void {
    this.update({ lastChange: null, ...(model ? { model } : {}) });
  }

  /** What a menu click does. */
  async activate(id: MenuActionId): Promise<void> {
    try {
      switch (id) {
        case 'toggle-window':
          this.actions.toggleWindow();
          break;
        case 'toggle-scaling': {
          const next = !this.inputs.scalingPaused;
          await this.actions.setScalingPaused(next);
          this.setScalingPaused(next);
          break;
        }
        case 'open-resources':
          this.actions.openResourcePanel();
          break;
        case 'quit':
          this.actions.quit();
          break;
        default:
          id satisfies never;
      }
    } catch (error) {
      // A native checkbox flips itself when clicked: draw the menu again so it shows the truth.
      this.shown.menu = null;
      this.render();
      this.onError(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /** What the tray shows now (tests, the e2e test hook). */
  get picture(): TrayPicture {
    return trayPicture(this.inputs, this.theme);
  }

  get state(): Readonly<TrayInputs> {
    return this.inputs;
  }

  private takeSnapshot(snapshot: ResourceSnapshot): void {
    this.update({ snapshot, pressureHold: this.holdPressure(snapshot) });
  }

  /** True while the last pressure is less than PRESSURE_RELEASE_MS (sample time) behind this sample. */
  private holdPressure(snapshot: ResourceSnapshot): boolean {
    const t = snapshot.sample.t;
    if (samplePressure(snapshot)) {
      this.lastPressureT = t;
      return false;
    }
    if (this.lastPressureT === null) return false;
    // Time that runs backwards (a restarted engine's monitor) ends the hold.
    if (t < this.lastPressureT || t - this.lastPressureT >= PRESSURE_RELEASE_MS) {
      this.lastPressureT = null;
      return false;
    }
    return true;
  }

  private update(patch: Partial<TrayInputs>): void {
    this.inputs = { ...this.inputs, ...patch };
    this.render();
  }

  private render(): void {
    const picture = this.picture;
    const icon = `${picture.state}/${picture.theme}`;
    if (icon !== this.shown.icon) {
      this.view.setIcon(picture.state, picture.theme);
      this.shown.icon = icon;
    }
    if (picture.toolTip !== this.shown.toolTip) {
      // Only the memory figure moved (same state, same words): at most every few seconds.
      const key = `${picture.state}|${memoryFraction(this.inputs.snapshot) !== null}|${trayToolTip(this.inputs, picture.state, false)}`;
      const at = this.now();
      if (key !== this.shown.toolTipKey || at - this.shown.toolTipAt >= MEMORY_TOOLTIP_INTERVAL_MS) {
        this.view.setToolTip(picture.toolTip);
        this.shown.toolTip = picture.toolTip;
        this.shown.toolTipKey = key;
        this.shown.toolTipAt = at;
      }
    }
    const menu = JSON.stringify(picture.menu);
    if (menu !== this.shown.menu) {
      this.view.setMenu(picture.menu);
      this.shown.menu = menu;
    }
  }
}
