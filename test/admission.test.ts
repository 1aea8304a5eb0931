import { describe, expect, it } from 'vitest';
import { Admission } from '../src/client/admission.js';
import type { Flight, FlightAnswer } from '../src/client/flight.js';

const flight = (id: string): Flight => ({ id, state: 'queued' }) as Flight;

describe('admission', () => {
  it('runs up to maxConcurrency, queues up to maxQueue, then says QUEUE_FULL', () => {
    const a = new Admission({ name: 'c', maxConcurrency: 2, maxQueue: 2 });
    const admitted = [1, 2, 3, 4, 5].map((n) => a.admit(flight(String(n))));
    expect(admitted.slice(0, 4)).toEqual(['run', 'run', 'queued', 'queued']);
    expect(admitted[4]).toMatchObject({ code: 'QUEUE_FULL', client: 'c' });
    expect({ running: a.running, queued: a.queued }).toEqual({ running: 2, queued: 2 });
  });

  it('hands a freed slot to the oldest queued flight, skipping those that left', () => {
    const a = new Admission({ name: 'c', maxConcurrency: 1, maxQueue: 100 });
    a.admit(flight('running'));
    const queued = Array.from({ length: 40 }, (_, i) => flight(`q${i}`));
    for (const f of queued) expect(a.admit(f)).toBe('queued');
    // Two left while queued: their turn is skipped.
    queued[0]!.state = 'done';
    queued[1]!.state = 'done';
    a.left(queued[0]!);
    a.left(queued[1]!);
    const order: string[] = [];
    const answer = { completion: { text: '' }, raw: undefined } as FlightAnswer;
    const release = () => a.release(flight('ended'), answer);
    for (let next = release(); next !== undefined; next = release()) {
      order.push(next.id);
      next.state = 'running';
    }
    expect(order).toEqual(queued.slice(2).map((f) => f.id));
    expect({ running: a.running, queued: a.queued }).toEqual({ running: 0, queued: 0 });
  });
});
