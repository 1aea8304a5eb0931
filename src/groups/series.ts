/**
 * A group's last minutes, one point per second: calls answered, calls failed, and failovers.
 * A fixed ring of columns, like a client's (`RecentSeries`), so its memory is the same whatever
 * the traffic: about 7 KB per group for the default five minutes.
 */

/** The columns of a point, in the order {@link GroupSeriesPoints} lists them. */
const COLUMNS = ['succeeded', 'failed', 'failovers'] as const;
type Column = (typeof COLUMNS)[number];

/** A group's last seconds, oldest first, one entry per second in every array. */
export interface GroupSeriesPoints {
  /** Tells a group's points from a client's in `runtime.series()`. */
  kind: 'group';
  /** Epoch ms of the first point; point `i` covers `[start + i * 1000, start + (i + 1) * 1000)`. */
  start: number;
  /** Group calls answered, by whichever member. */
  succeeded: number[];
  /** Group calls that failed after every member they could try. */
  failed: number[];
  /** Times a call moved on from a failed member to the next. */
  failovers: number[];
}

/** A bounded per-second ring of one group's calls. */
export class GroupSeries {
  private readonly columns = {} as Record<Column, Float64Array>;
  /** The epoch second the current slot counts; -1 before the first record. */
  private second = -1;

  /** @param seconds how many seconds the ring keeps. */
  constructor(private readonly seconds = 300) {
    for (const name of COLUMNS) this.columns[name] = new Float64Array(seconds);
  }

  /** Counts one `column` event at `at` (epoch ms). */
  count(column: Column, at: number): void {
    this.columns[column][this.slot(at)]!++;
  }

  /** The ring as of `now` (epoch ms): the last `seconds` seconds, the current one included. */
  points(now: number): GroupSeriesPoints {
    const last = Math.floor(now / 1000);
    this.slot(now);
    const first = last - this.seconds + 1;
    const out = { kind: 'group', start: first * 1000 } as GroupSeriesPoints;
    for (const name of COLUMNS) {
      const column = this.columns[name];
      const values: number[] = [];
      for (let s = first; s <= last; s++) {
        const recorded = s <= this.second && s > this.second - this.seconds;
        values.push(recorded ? column[s % this.seconds]! : 0);
      }
      out[name] = values;
    }
    return out;
  }

  /** The slot of `at`'s second, emptying the slots of the seconds passed since the last one. */
  private slot(at: number): number {
    const s = Math.floor(at / 1000);
    // A clock that stepped back counts into the current second rather than rewriting history.
    if (s > this.second) {
      for (let t = Math.max(this.second + 1, s - this.seconds + 1); t <= s; t++) {
        for (const name of COLUMNS) this.columns[name][t % this.seconds] = 0;
      }
      this.second = s;
    }
    return this.second % this.seconds;
  }
}
