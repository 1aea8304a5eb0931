/**
 * Admission: a flight first passes the rate gate (a parked client or a spent rate budget holds
 * it there, within its deadline); then at most `maxConcurrency` flights run at once and the
 * rest wait in a FIFO queue. Waiting flights, in the gate or for a slot, are at most
 * `maxQueue`. The queue is a ring buffer (no `Array.shift` copies); a flight that leaves while
 * queued is skipped when its turn comes.
 */
import type { ResolvedClientConfig } from '../config/types.js';
import type { LlmActorsError } from '../model/errors.js';
import { queueFull } from '../model/failures.js';
import type { Flight, FlightAnswer } from './flight.js';
import type { GateExits, RateGate } from './rate-gate.js';

/**
 * What {@link Admission.admit} decided: run now, wait, or an error — QUEUE_FULL, or
 * RATE_LIMITED when the gate refuses it.
 */
export type Admitted = 'run' | 'queued' | LlmActorsError;

/** Where admission sends a flight that waited: to run (holding a slot), or refused. */
export interface AdmissionExits extends Omit<GateExits, 'pass'> {
  run(flight: Flight): void;
}

/** The rate gate, concurrency slots and queue of one incarnation. */
export class Admission {
  /** Flights running (holding a slot). */
  running = 0;
  /** Flights queued for a slot and not yet left. */
  private waiting = 0;
  private ring: (Flight | undefined)[] = new Array<Flight | undefined>(16);
  private head = 0;
  private size = 0;

  private readonly maxConcurrency: number;
  private readonly maxQueue: number;
  private readonly client: string;

  /** Without a gate (a bare pool of slots) nothing is held or refused before the slots. */
  constructor(
    config: Pick<ResolvedClientConfig, 'name' | 'maxConcurrency' | 'maxQueue'>,
    private readonly gate?: RateGate,
    exits?: AdmissionExits,
  ) {
    this.client = config.name;
    this.maxConcurrency = config.maxConcurrency;
    this.maxQueue = config.maxQueue;
    gate?.open({
      pass: (flight) => {
        if (this.slot(flight) === 'run') exits!.run(flight);
      },
      refuse: (flight, error) => exits!.refuse(flight, error),
      fault: (error) => exits!.fault(error),
    });
  }

  /** Flights waiting, in the gate or for a slot. */
  get queued(): number {
    return this.waiting + (this.gate?.held ?? 0);
  }

  /** Takes a slot for `flight`, or queues it, or says the queue is full or the gate refuses. */
  admit(flight: Flight): Admitted {
    const held = this.gate?.held ?? 0;
    const full = this.queued >= this.maxQueue;
    if ((held > 0 || this.running >= this.maxConcurrency) && full) {
      return queueFull(this.client, this.queued);
    }
    // A slot is free, but the gate may still hold it: with the queue full it must not wait.
    if (full && this.gate !== undefined) flight.noWait = true;
    const gated = this.gate?.enter(flight) ?? 'pass';
    if (gated === 'held') return 'queued';
    return gated === 'pass' ? this.slot(flight) : gated;
  }

  /** A queued flight left before its turn (its slot in the ring is skipped later). */
  left(flight: Flight): void {
    if (flight.held) {
      this.gate!.left(flight);
      return;
    }
    this.waiting--;
    // It passed the gate but never ran: what it was charged goes back.
    this.gate?.refund(flight);
  }

  /**
   * A running flight ended with `outcome`: its rate charge is settled, and its slot goes to the
   * next queued flight still waiting, which is returned holding the slot.
   */
  release(flight: Flight, outcome: FlightAnswer | LlmActorsError): Flight | undefined {
    this.gate?.settle(flight, outcome);
    this.running--;
    while (this.size > 0 && this.running < this.maxConcurrency) {
      const next = this.shift();
      if (next.state !== 'queued') continue;
      this.waiting--;
      this.running++;
      return next;
    }
    return undefined;
  }

  /** Forgets everything (the incarnation is gone). */
  clear(): void {
    this.gate?.clear();
    this.ring = new Array<Flight | undefined>(16);
    this.head = 0;
    this.size = 0;
    this.waiting = 0;
    this.running = 0;
  }

  private slot(flight: Flight): 'run' | 'queued' {
    if (this.running < this.maxConcurrency) {
      this.running++;
      return 'run';
    }
    this.push(flight);
    this.waiting++;
    return 'queued';
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
