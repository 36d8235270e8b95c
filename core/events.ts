/**
 * A typed event bus. A listener that throws is reported to `onListenerError` and never
 * breaks the emitter or the other listeners.
 */
export type Listener<T> = (payload: T) => void;

export class TypedEvents<EventMap extends object> {
  private listeners = new Map<keyof EventMap, Set<Listener<never>>>();

  constructor(private readonly onListenerError: (event: keyof EventMap, error: unknown) => void = () => {}) {}

  on<K extends keyof EventMap>(event: K, listener: Listener<EventMap[K]>): () => void {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(listener as Listener<never>);
    return () => set.delete(listener as Listener<never>);
  }

  emit<K extends keyof EventMap>(event: K, payload: EventMap[K]): void {
    for (const listener of this.listeners.get(event) ?? []) {
      try {
        (listener as Listener<EventMap[K]>)(payload);
      } catch (error) {
        this.onListenerError(event, error);
      }
    }
  }

  /** Resolves with the first payload of `event` that satisfies `predicate`. */
  waitFor<K extends keyof EventMap>(event: K, predicate: (payload: EventMap[K]) => boolean = () => true): Promise<EventMap[K]> {
    return new Promise((resolve) => {
      const off = this.on(event, (payload) => {
        if (!predicate(payload)) return;
        off();
        resolve(payload);
      });
    });
  }
}
