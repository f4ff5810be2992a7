/** The app events the status pieces (tray, native notifications) listen to, and the services that tell what the user chose. */
import type { AppEvent, AppPayload } from '../../../../shared/contract';
import type { LoadedModel } from '../../../../shared/domain';
import type { EventSource } from '../../../../shared/emitter';
import type { AppSettings } from '../../../../shared/settings';

/** Same shape as AppCore's AppEventSink (kept here so that status/ does not depend on app-core). */
export type StatusEventSink = <E extends AppEvent>(event: E, payload: AppPayload<E>) => void;

/** Anything events can be subscribed to: AppCore, or a test's emitter. */
export interface StatusEventSource {
  subscribe(sink: StatusEventSink): () => void;
}

/**
 * The services whose own events say what the user chose, which no app event tells (AppCore's
 * `userChoices`): ModelController's `didSelectModel` (a model picked by hand), EngineService's
 * `didSetScalingPaused` (scaling paused or resumed), SettingsService's `didChange` (settings saved,
 * which may rebuild the ladder). Each is emitted after the method succeeded, whoever called it
 * (the window over IPC, the web host, the tray menu).
 */
export interface UserChoiceSources {
  models: EventSource<{ didSelectModel: LoadedModel }>;
  scaling: EventSource<{ didSetScalingPaused: boolean }>;
  settings: EventSource<{ didChange: AppSettings }>;
}

/** What the user chose, as the tray wants to hear it. */
export interface UserChoiceObserver {
  onUserModelPick?(model: LoadedModel): void;
  onScalingPaused?(paused: boolean): void;
  onSettingsChanged?(): void;
}

/** Subscribes `observer` to the services' choice events; returns a function that unsubscribes. */
export function observeUserChoices(sources: UserChoiceSources, observer: UserChoiceObserver): () => void {
  const offs = [
    sources.models.on('didSelectModel', (model) => observer.onUserModelPick?.(model)),
    sources.scaling.on('didSetScalingPaused', (paused) => observer.onScalingPaused?.(paused)),
    sources.settings.on('didChange', () => observer.onSettingsChanged?.()),
  ];
  return () => {
    for (const off of offs) off();
  };
}
