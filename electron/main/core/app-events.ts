/**
 * Delivers app events to the windows (an Electron window, a WebSocket): one sink each. Notices said
 * while Mai prepares (a damaged settings file, the demo models) come before any window has its
 * listeners, so they are held and handed to the first `app:get-state` instead.
 */
import type { AppEvent, AppPayload } from '../../../shared/contract';
import type { AppEventSink } from './app-core-options';

/** Notices held at most while preparing (the contract's limit). */
const MAX_HELD_NOTICES = 50;

export class AppEventRelay {
  private readonly sinks = new Set<AppEventSink>();
  private readonly held: AppPayload<'onNotice'>[] = [];
  private holding = false;

  /** `warn` hears of a sink that threw (the others still get the event). */
  constructor(private readonly warn: (message: string) => void) {}

  /** Adds a receiver of events; returns a function that removes it. */
  subscribe(sink: AppEventSink): () => void {
    this.sinks.add(sink);
    return () => this.sinks.delete(sink);
  }

  broadcast<E extends AppEvent>(event: E, payload: AppPayload<E>): void {
    if (event === 'onNotice' && this.holding) {
      if (this.held.length < MAX_HELD_NOTICES) this.held.push(payload as AppPayload<'onNotice'>);
      return;
    }
    for (const sink of this.sinks) {
      try {
        sink(event, payload);
      } catch (error) {
        this.warn(`event ${event} could not be delivered: ${(error as Error).message}`);
      }
    }
  }

  /** Runs `step` with notices held. */
  async holdingNotices(step: () => Promise<void>): Promise<void> {
    this.holding = true;
    try {
      await step();
    } finally {
      this.holding = false;
    }
  }

  /** The notices held so far, once (the first window gets them). */
  takeHeldNotices(): AppPayload<'onNotice'>[] {
    return this.held.splice(0);
  }

  clear(): void {
    this.sinks.clear();
  }
}
