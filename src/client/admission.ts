/**
 * Admission: at most `maxConcurrency` flights run at once; the rest wait in a FIFO queue of at
 * most `maxQueue`. The queue is a ring buffer (no `Array.shift` copies); a flight that leaves
 * while queued is skipped when its turn comes.
 */
import type { Flight } from './flight.js';

/** What {@link Admission.admit} decided. */
export type Admitted = 'run' | 'queued' | 'full';

/** The concurrency slots and the queue of one incarnation. */
export class Admission {
  /** Flights running (holding a slot). */
  running = 0;
  /** Flights queued and not yet left. */
  queued = 0;
  private ring: (Flight | undefined)[] = new Array<Flight | undefined>(16);
  private head = 0;
  private size = 0;

  constructor(
    private readonly maxConcurrency: number,
    private readonly maxQueue: number,
  ) {}

  /** Takes a slot for `flight`, or queues it, or says the queue is full. */
  admit(flight: Flight): Admitted {
    if (this.running < this.maxConcurrency) {
      this.running++;
      return 'run';
    }
    if (this.queued >= this.maxQueue) return 'full';
    this.push(flight);
    this.queued++;
    return 'queued';
  }

  /** A queued flight left before its turn (its slot in the ring is skipped later). */
  left(): void {
    this.queued--;
  }

  /**
   * A running flight ended: its slot goes to the next queued flight still waiting, which is
   * returned holding the slot.
   */
  release(): Flight | undefined {
    this.running--;
    while (this.size > 0 && this.running < this.maxConcurrency) {
      const flight = this.shift();
      if (flight.state !== 'queued') continue;
      this.queued--;
      this.running++;
      return flight;
    }
    return undefined;
  }

  /** Forgets everything (the incarnation is gone). */
  clear(): void {
    this.ring = new Array<Flight | undefined>(16);
    this.head = 0;
    this.size = 0;
    this.queued = 0;
    this.running = 0;
  }

  private push(flight: Flight): void {
    if (this.size === this.ring.length) this.grow();
    this.ring[(this.head + this.size) % this.ring.length] = flight;
    this.size++;
  }

  private shift(): Flight {
    const flight = this.ring[this.head]!;
    this.ring[this.head] = undefined;
    this.head = (this.head + 1) % this.ring.length;
    this.size--;
    return flight;
  }

  private grow(): void {
    const ring = new Array<Flight | undefined>(this.ring.length * 2);
    for (let i = 0; i < this.size; i++) ring[i] = this.ring[(this.head + i) % this.ring.length];
    this.ring = ring;
    this.head = 0;
  }
}
