/**
 * Puts the tray and the native notifications together around AppCore, still free of Electron:
 * subscribes the TrayPresenter and the NotificationPolicy to the app events, seeds the tray from
 * `app:get-state`, hears the user's own choices (model pick, pause, settings) from the services'
 * own events, and gives the menu its actions. electron/main/electron/tray.ts supplies the native pieces.
 */
import type { AppContract } from '../../../../shared/contract';
import type { Handlers } from '../../../../shared/rpc';
import { observeUserChoices, type StatusEventSource, type UserChoiceSources } from './events';
import { NotificationPolicy, type NotificationSettings, type Notifier } from './notification-policy';
import { TrayPresenter, type TrayTheme, type TrayView } from './tray-model';

/** The part of AppCore this needs (AppCore fits). */
export interface StatusCore extends StatusEventSource {
  handlers: Pick<Handlers<AppContract>, 'app:get-state' | 'scaler:pause'>;
  readonly settings: NotificationSettings;
  readonly userChoices: UserChoiceSources;
}

/** The main window as the tray sees it. */
export interface WindowControl {
  /** Shown and not minimised. */
  isShown(): boolean;
  isFocused(): boolean;
  /** Shows, restores and focuses it. */
  show(): void;
  hide(): void;
}

export interface StatusControllerOptions {
  core: StatusCore;
  trayView: TrayView;
  notifier: Notifier;
  window: WindowControl;
  /** Shows the window on the resource panel. */
  openResourcePanel: () => void;
  quit: () => void;
  theme: TrayTheme;
  /** Milliseconds; default Date.now. */
  now?: () => number;
  log?: (message: string) => void;
}

export class StatusController {
  readonly presenter: TrayPresenter;
  readonly policy: NotificationPolicy;
  private readonly offs: Array<() => void> = [];
  private readonly log: (message: string) => void;

  constructor(private readonly options: StatusControllerOptions) {
    const { core, window } = options;
    this.log = options.log ?? (() => {});
    this.presenter = new TrayPresenter(
      options.trayView,
      {
        toggleWindow: () => {
          if (window.isShown()) window.hide();
          else window.show();
          this.windowChanged();
        },
        // Through the handler, so that AppCore's scalingPaused and the window hear of it.
        setScalingPaused: (paused) => core.handlers['scaler:pause']({ paused }),
        openResourcePanel: () => {
          options.openResourcePanel();
          this.windowChanged();
        },
        quit: options.quit,
      },
      {
        theme: options.theme,
        windowVisible: window.isShown(),
        ...(options.now ? { now: options.now } : {}),
        onError: (error) => this.log(`tray: ${error.message}`),
      },
    );
    this.policy = new NotificationPolicy({
      notifier: options.notifier,
      isWindowVisibleAndFocused: () => window.isShown() && window.isFocused(),
      settings: () => core.settings,
      ...(options.now ? { now: options.now } : {}),
      onError: (error) => this.log(`notification: ${error.message}`),
    });
    this.offs.push(
      this.presenter.attach(core),
      this.policy.attach(core),
      observeUserChoices(core.userChoices, {
        onUserModelPick: (model) => this.presenter.noteUserModelPick(model),
        onScalingPaused: (paused) => this.presenter.setScalingPaused(paused),
        onSettingsChanged: () => void this.refresh(),
      }),
    );
  }

  /** Seeds the tray from `app:get-state` (after AppCore.start, and after settings changed the ladder). */
  async refresh(): Promise<void> {
    try {
      this.presenter.seed(await this.options.core.handlers['app:get-state']({}));
    } catch (error) {
      this.log(`tray: could not read the app state: ${(error as Error).message}`);
    }
  }

  /** The window was shown, hidden, minimised or restored. */
  windowChanged(): void {
    this.presenter.setWindowVisible(this.options.window.isShown());
  }

  setTheme(theme: TrayTheme): void {
    this.presenter.setTheme(theme);
  }

  /** Unsubscribes from the core and its services. */
  dispose(): void {
    for (const off of this.offs.splice(0).reverse()) off();
  }
}
