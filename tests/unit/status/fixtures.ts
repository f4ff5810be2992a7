/**
 * App events shaped exactly as AppCore broadcasts them (each one parsed with the contract's own
 * schema), a source that emits them, and recording stand-ins for Electron's tray and notifications.
 */
import { appContract, type AppEvent, type AppPayload } from '../../../shared/contract';
import type { EngineState, LoadedModel } from '../../../shared/domain';
import type { LadderRungData, ResourceSnapshot } from '../../../shared/resource';
import type { StatusEventSink, StatusEventSource, UserChoiceSources } from '../../../electron/main/core/status/events';
import { Emitter } from '../../../shared/emitter';
import type { AppSettings } from '../../../shared/settings';
import type { NotificationContent, Notifier } from '../../../electron/main/core/status/notification-policy';
import type { MenuItemModel, TrayState, TrayTheme, TrayView } from '../../../electron/main/core/status/tray-model';

export const GiB = 2 ** 30;
const MB = 1e6;

/** Validates a payload with the contract, as the IPC and WebSocket hosts do. */
export function payload<E extends AppEvent>(event: E, value: unknown): AppPayload<E> {
  return appContract.events[event].parse(value) as AppPayload<E>;
}

export class FakeSource implements StatusEventSource {
  private readonly sinks = new Set<StatusEventSink>();
  subscribe(sink: StatusEventSink): () => void {
    this.sinks.add(sink);
    return () => this.sinks.delete(sink);
  }
  emit<E extends AppEvent>(event: E, value: AppPayload<E>): void {
    const parsed = payload(event, value);
    for (const sink of this.sinks) sink(event, parsed);
  }
  get listeners(): number {
    return this.sinks.size;
  }
}

/** An Emitter whose events a test fires itself. */
class Firing<Events extends Record<string, unknown>> extends Emitter<Events> {
  fire<K extends keyof Events>(event: K, value: Events[K]): void {
    this.emit(event, value);
  }
}

/**
 * The user-choice events of ModelController (`didSelectModel`), EngineService
 * (`didSetScalingPaused`) and SettingsService (`didChange`), fired by hand where a test plays the
 * service whose method succeeded.
 */
export class FakeChoiceSources implements UserChoiceSources {
  readonly models = new Firing<{ didSelectModel: LoadedModel }>();
  readonly scaling = new Firing<{ didSetScalingPaused: boolean }>();
  readonly settings = new Firing<{ didChange: AppSettings }>();
}

export const paths = { large: '/models/demo-120mb.gguf', medium: '/models/demo-30mb.gguf', small: '/models/demo-8mb.gguf' };

export function model(which: keyof typeof paths) {
  const names = { large: 'Demo 120 MB', medium: 'Demo 30 MB', small: 'Demo 8 MB' };
  const sizes = { large: 120 * MB, medium: 30 * MB, small: 8 * MB };
  return payload('onModelChanged', {
    model: {
      path: paths[which],
      name: names[which],
      sizeBytes: sizes[which],
      synthetic: true,
      contextSize: 4096,
      threads: 2,
      gpu: false,
      gpuLayers: 0,
      loadMs: 120,
    },
  }).model!;
}

export const ladder: LadderRungData[] = (['small', 'medium', 'large'] as const).map((which) => {
  const m = model(which);
  return {
    id: m.path,
    path: m.path,
    name: m.name,
    synthetic: true,
    memBytes: m.sizeBytes * 1.3,
    vramBytes: 0,
    estimatedMemBytes: m.sizeBytes * 1.3,
    correction: 1,
    measurements: 0,
  };
});

export function engine(state: EngineState, detail?: string) {
  return payload('onEngineStatus', { state, pid: 4242, restarts: state === 'failed' ? 3 : 0, ...(detail ? { detail } : {}) });
}

const trend = (resource: 'memory' | 'vram' | 'cpu', latest: number, threshold: number) => ({
  resource,
  available: resource !== 'vram',
  latest,
  level: latest,
  slopePerSecond: 0,
  longSlopePerSecond: 0,
  threshold,
  secondsToThreshold: null,
  change: 'flat',
  reliable: true,
});

export interface SampleOptions {
  /** Memory in use, as a fraction of the total. */
  fraction: number;
  degrade?: number;
  status?: ResourceSnapshot['status']['kind'];
  tier?: string;
  t?: number;
  modelId?: string;
}

/** One 1 Hz resource frame, as the engine sends it. */
export function sample({ fraction, degrade = 0.8, status = 'steady', tier = 'Medium', t = 1_000, modelId = paths.large }: SampleOptions): ResourceSnapshot {
  const total = 16 * GiB;
  return payload('onResourceSample', {
    sample: { t, cpuOtherLoad: 0.12, memTotalBytes: total, memUsedBytes: Math.round(fraction * total), ownMemBytes: 200 * MB },
    tier: { id: tier.toLowerCase(), label: tier, description: `${tier} machine`, reasons: ['16 GiB of memory'] },
    modelId,
    switching: null,
    generating: false,
    threads: 4,
    trends: { memory: trend('memory', fraction, degrade), vram: trend('vram', 0, degrade), cpu: trend('cpu', 0.12, 0.9) },
    status:
      status === 'paused'
        ? { kind: 'paused', reason: 'paused by the user' }
        : status === 'stabilizing'
          ? { kind: 'stabilizing', secondsUntilUpgrade: 120 }
          : { kind: status },
    thresholds: { degrade, critical: degrade + 0.1, upgrade: degrade - 0.2 },
    performance: [],
  });
}

/** A capability change with the engine's sentences (electron/engine/models/capability.ts). */
export function capability(direction: 'down' | 'up', from = 'Demo 120 MB', to = 'Demo 30 MB', at = 5_000) {
  return payload(
    'onCapabilityChanged',
    direction === 'down'
      ? {
          direction,
          from,
          to,
          what: `Mai now answers with ${to} (39 MB) instead of ${from} (156 MB): replies may be simpler; the conversation is kept.`,
          why: 'memory use would reach 80.0% in 42 s (now 76.3%, rising 0.09%/s)',
          bringBack: `${from} comes back by itself once memory use, with it loaded, would stay under 60 % for 5 minutes (tier: Medium). Closing memory-hungry programs brings that sooner.`,
          at,
        }
      : { direction, from, to, what: `Mai is back on ${to} (156 MB).`, why: 'memory use stayed under 60.0% for 300 s', bringBack: '', at },
  );
}

export type ViewCall = ['setIcon', TrayState, TrayTheme] | ['setToolTip', string] | ['setMenu', MenuItemModel[]];

/** Records what the presenter asks of the native tray. */
export class RecordingTrayView implements TrayView {
  readonly calls: ViewCall[] = [];
  icon: { state: TrayState; theme: TrayTheme } | null = null;
  toolTip = '';
  menu: MenuItemModel[] = [];
  setIcon(state: TrayState, theme: TrayTheme): void {
    this.calls.push(['setIcon', state, theme]);
    this.icon = { state, theme };
  }
  setToolTip(text: string): void {
    this.calls.push(['setToolTip', text]);
    this.toolTip = text;
  }
  setMenu(items: MenuItemModel[]): void {
    this.calls.push(['setMenu', items]);
    this.menu = items;
  }
  item(id: string): MenuItemModel | undefined {
    return this.menu.find((entry) => entry.id === id);
  }
}

export class RecordingNotifier implements Notifier {
  readonly shown: NotificationContent[] = [];
  show(notification: NotificationContent): void {
    this.shown.push(notification);
  }
}
