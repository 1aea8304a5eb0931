import { describe, expect, it } from 'vitest';
import { Admission } from '../src/client/admission.js';
import type { Flight } from '../src/client/flight.js';

const flight = (id: string): Flight => ({ id, state: 'queued' }) as Flight;

describe('admission', () => {
  it('runs up to maxConcurrency, queues up to maxQueue, then says full', () => {
    const a = new Admission(2, 2);
    expect([1, 2, 3, 4, 5].map((n) => a.admit(flight(String(n))))).toEqual([
      'run',
      'run',
      'queued',
      'queued',
      'full',
    ]);
    expect({ running: a.running, queued: a.queued }).toEqual({ running: 2, queued: 2 });
  });

  it('hands a freed slot to the oldest queued flight, skipping those that left', () => {
    const a = new Admission(1, 100);
    a.admit(flight('running'));
    const queued = Array.from({ length: 40 }, (_, i) => flight(`q${i}`));
    for (const f of queued) expect(a.admit(f)).toBe('queued');
    // Two left while queued: their turn is skipped.
    queued[0]!.state = 'done';
    queued[1]!.state = 'done';
    a.left();
    a.left();
    const order: string[] = [];
    for (let next = a.release(); next !== undefined; next = a.release()) {
      order.push(next.id);
      next.state = 'running';
    }
    expect(order).toEqual(queued.slice(2).map((f) => f.id));
    expect({ running: a.running, queued: a.queued }).toEqual({ running: 0, queued: 0 });
  });
});
