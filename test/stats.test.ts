import { describe, expect, it } from 'vitest';
import { HistoryRing } from '../src/observe/history.js';
import { LatencyHistogram } from '../src/observe/stats.js';

describe('latency histogram', () => {
  it('reports percentiles within one bucket (about 9 %) of the true value', () => {
    const h = new LatencyHistogram();
    for (let i = 1; i <= 1_000; i++) h.record(i);
    const { p50, p95, p99 } = h.percentiles();
    expect(p50 / 500).toBeGreaterThanOrEqual(1);
    expect(p50 / 500).toBeLessThan(1.1);
    expect(p95 / 950).toBeLessThan(1.1);
    expect(p99 / 990).toBeLessThan(1.1);
    expect(p99).toBeGreaterThanOrEqual(990);
  });

  it('is zero with no samples and keeps extreme values in range', () => {
    const h = new LatencyHistogram();
    expect(h.percentiles()).toEqual({ p50: 0, p95: 0, p99: 0 });
    h.record(0);
    h.record(1e12);
    expect(h.quantile(0.5)).toBeGreaterThan(0);
    expect(Number.isFinite(h.quantile(1))).toBe(true);
  });
});

describe('history ring', () => {
  const entry = (id: string) => ({ id, client: 'c', at: 0, messages: [], params: {} });

  it('keeps the last entries, oldest first, up to its capacity', () => {
    const ring = new HistoryRing(3);
    for (const id of ['a', 'b', 'c', 'd', 'e']) ring.push(entry(id));
    expect(ring.last().map((e) => e.id)).toEqual(['c', 'd', 'e']);
    expect(ring.last(2).map((e) => e.id)).toEqual(['d', 'e']);
    expect(ring.last(0)).toEqual([]);
    expect(ring.last(99)).toHaveLength(3);
  });

  it('keeps nothing with capacity 0', () => {
    const ring = new HistoryRing(0);
    ring.push(entry('a'));
    expect(ring.last()).toEqual([]);
  });
});
