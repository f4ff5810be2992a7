/** The app events the status pieces (tray, native notifications) listen to, as AppCore.subscribe gives them. */
import type { AppContract, AppEvent, AppPayload } from '../../../../shared/contract';
import type { LoadedModel } from '../../../../shared/domain';
import type { Handlers } from '../../../../shared/rpc';

/** Same shape as AppCore's AppEventSink (kept here so that status/ does not depend on app-core). */
export type StatusEventSink = <E extends AppEvent>(event: E, payload: AppPayload<E>) => void;

/** Anything events can be subscribed to: AppCore, or a test's emitter. */
export interface StatusEventSource {
  subscribe(sink: StatusEventSink): () => void;
}

/**
 * What the user chose, which no app event tells: a model picked by hand, scaling paused or resumed,
 * settings saved (which may rebuild the ladder).
 */
export interface UserChoiceObserver {
  onUserModelPick?(model: LoadedModel): void;
  onScalingPaused?(paused: boolean): void;
  onSettingsChanged?(): void;
}

type ObservedHandlers = Pick<Handlers<AppContract>, 'models:select' | 'scaler:pause' | 'settings:update'>;

/**
 * Wraps AppCore's `models:select`, `scaler:pause` and `settings:update` handlers in place so that
 * `observer` hears of every successful call, whoever made it (the window over IPC, the web host,
 * the tray menu). The handlers answer exactly as before (IPC and the web host look the handler up
 * on every call, so the wrap takes effect at once). Returns a function that puts the originals back.
 */
export function observeUserChoices(handlers: ObservedHandlers, observer: UserChoiceObserver): () => void {
  const select = handlers['models:select'];
  const pause = handlers['scaler:pause'];
  const update = handlers['settings:update'];
  handlers['models:select'] = async (params) => {
    const model = await select(params);
    observer.onUserModelPick?.(model);
    return model;
  };
  handlers['scaler:pause'] = async (params) => {
    const result = await pause(params);
    observer.onScalingPaused?.(result.paused);
    return result;
  };
  handlers['settings:update'] = async (params) => {
    const settings = await update(params);
    observer.onSettingsChanged?.();
    return settings;
  };
  return () => {
    handlers['models:select'] = select;
    handlers['scaler:pause'] = pause;
    handlers['settings:update'] = update;
  };
}
