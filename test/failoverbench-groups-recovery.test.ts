/**
 * failoverbench's cell 15 through the gateway: a primary answering 503 for its first 60 s, twenty
 * streamed calls 4 s apart to a fallback group with the recommended settings. The bench's own
 * durations, on a hand-moved clock shared by the runtime and the testing servers: the sockets run
 * on the real event loop, the outage, the fuse and the spacing on the test's clock.
 */
import { describe, expect, it } from 'vitest';
import {
  FAILOVERBENCH_ANSWER,
  FAILOVERBENCH_TIMING,
  failoverbench,
  scoreFailoverbench,
} from '../src/testing/index.js';
import { failoverbenchPerTest, type SeenCall } from './support/failoverbench-groups.js';
import { ManualClock } from './support/manual-clock.js';

const bench = failoverbenchPerTest();

describe('failoverbench cell 15 through the gateway: an outage that ends', () => {
  it('is served by the fallback during the outage and by the primary again soon after it', async () => {
    const clock = new ManualClock();
    const cell = failoverbench(15);
    const run = await bench.start(cell, clock);
    const start = clock.now();
    const calls: SeenCall[] = [];
    for (let i = 0; i < cell.requests; i++) {
      if (i > 0) clock.advance(cell.spacingMs);
      calls.push(await run.call(clock.now() - start));
    }

    const score = scoreFailoverbench(cell, run.observed(calls));
    expect(score.score, score.reason).toBe('pass');
    expect(calls.every((c) => c.text === FAILOVERBENCH_ANSWER)).toBe(true);
    const { outageMs } = FAILOVERBENCH_TIMING;
    const during = calls.filter((c) => c.startMs < outageMs);
    expect(during.map((c) => c.servedBy)).toEqual(during.map(() => 'fallback'));
    // Back on the primary at its first probe after the recovery — the fuse's base resetMs
    // (10 s) since it last opened, however often it melted — and on it from then on.
    const back = calls.findIndex((c) => c.servedBy === 'primary');
    expect(calls[back]!.startMs).toBeGreaterThanOrEqual(outageMs);
    expect(calls[back]!.startMs).toBeLessThanOrEqual(outageMs + 10_000 + cell.spacingMs);
    expect(calls.slice(back).every((c) => c.servedBy === 'primary')).toBe(true);
    // While its fuse was open, the primary got only the probes, not every call.
    const primaryDuring = run.primary.requests - (calls.length - back);
    expect(primaryDuring).toBeLessThan(during.length / 2);
    expect(run.runtime.health('primary').fuse.state).toBe('closed');
  });
});
