/**
 * Events the runtime emits when something changes state: a fuse melting or resetting, an actor
 * crashing, restarting or failing, a client coming or going.
 */
import type { Logger } from 'pino';
import type { FuseSnapshot, FuseState } from '../policy/fuse.js';

/** Every event, discriminated by `type`. */
export type RuntimeEvent =
  | { type: 'fuse:open'; client: string; at: number; from: FuseState; fuse: FuseSnapshot }
  | { type: 'fuse:half_open'; client: string; at: number; from: FuseState; fuse: FuseSnapshot }
  | { type: 'fuse:closed'; client: string; at: number; from: FuseState; fuse: FuseSnapshot }
  | { type: 'client:crashed'; client: string; at: number; reason: string }
  | { type: 'client:restarted'; client: string; at: number; restarts: number }
  | { type: 'client:failed'; client: string; at: number; reason: string }
  | { type: 'client:registered'; client: string; at: number }
  | { type: 'client:unregistered'; client: string; at: number };

/** The event types. */
export type RuntimeEventType = RuntimeEvent['type'];

/** A listener of one event type (or of all, with `'*'`). */
export type RuntimeEventListener<T extends RuntimeEventType | '*'> = (
  event: T extends RuntimeEventType ? Extract<RuntimeEvent, { type: T }> : RuntimeEvent,
) => void;

/** A small typed emitter; a throwing listener is logged and never disturbs the runtime. */
export class EventHub {
  private readonly listeners = new Map<string, Set<(event: RuntimeEvent) => void>>();

  constructor(private readonly logger: Logger) {}

  /** Subscribes; returns the function that unsubscribes. */
  on<T extends RuntimeEventType | '*'>(type: T, listener: RuntimeEventListener<T>): () => void {
    let set = this.listeners.get(type);
    if (!set) {
      set = new Set();
      this.listeners.set(type, set);
    }
    const fn = listener as (event: RuntimeEvent) => void;
    set.add(fn);
    return () => set.delete(fn);
  }

  /** Delivers an event to its listeners and to the `'*'` listeners. */
  emit(event: RuntimeEvent): void {
    for (const type of [event.type, '*']) {
      const set = this.listeners.get(type);
      if (!set) continue;
      for (const listener of set) {
        try {
          listener(event);
        } catch (error) {
          this.logger.error({ err: error, event: event.type }, 'an event listener threw');
        }
      }
    }
  }
}
