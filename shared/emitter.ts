/**
 * The one event type of the codebase, usable in every process (no Node, no DOM). A service extends
 * it and emits its own events; whoever wants to know subscribes with `on` (and keeps the returned
 * function to unsubscribe) — nobody replaces another object's methods to learn what happened.
 */
export class Emitter<Events extends Record<string, unknown>> implements EventSource<Events> {
  private readonly listeners = new Map<keyof Events, Set<(payload: never) => void>>();

  on<K extends keyof Events>(event: K, listener: (payload: Events[K]) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as (payload: never) => void);
    return () => set.delete(listener as (payload: never) => void);
  }

  /** Waits for the next event of a kind that satisfies `predicate`. */
  once<K extends keyof Events>(event: K, predicate: (payload: Events[K]) => boolean = () => true): Promise<Events[K]> {
    return new Promise((resolve) => {
      const off = this.on(event, (payload) => {
        if (!predicate(payload)) return;
        off();
        resolve(payload);
      });
    });
  }

  protected emit<K extends keyof Events>(event: K, payload: Events[K]): void {
    for (const listener of [...(this.listeners.get(event) ?? [])]) {
      (listener as (payload: Events[K]) => void)(payload);
    }
  }
}

/** The subscribing half of an Emitter: what a listener needs to know of a service. */
export interface EventSource<Events extends Record<string, unknown>> {
  /** Subscribes to one kind of event; returns a function that unsubscribes. */
  on<K extends keyof Events>(event: K, listener: (payload: Events[K]) => void): () => void;
}
