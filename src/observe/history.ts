/**
 * The last exchanges of a client, in a fixed-size ring (like DSPy's inspect_history).
 */
import type { ErrorCode } from '../model/errors.js';
import type { ChatMessage, Completion, EffectiveParams } from '../model/request.js';

/** One exchange as `runtime.history` returns it. */
export interface HistoryEntry {
  /** The request id (also on every log line of the request). */
  id: string;
  client: string;
  /** When the request started, epoch ms. */
  at: number;
  messages: ChatMessage[];
  params: EffectiveParams;
  rolloutId?: string | number;
  /** The answer, without `raw`; absent when the request failed. */
  completion?: Omit<Completion, 'raw'>;
  /** The failure; absent when the request succeeded. */
  error?: { code: ErrorCode; message: string };
}

/** A bounded ring of history entries. */
export class HistoryRing {
  private readonly entries: (HistoryEntry | undefined)[];
  private next = 0;
  private size = 0;

  constructor(private readonly capacity: number) {
    this.entries = new Array<HistoryEntry | undefined>(capacity);
  }

  /** Adds an entry, dropping the oldest when full. */
  push(entry: HistoryEntry): void {
    if (this.capacity === 0) return;
    this.entries[this.next] = entry;
    this.next = (this.next + 1) % this.capacity;
    if (this.size < this.capacity) this.size++;
  }

  /** The last `n` entries, oldest first. */
  last(n: number = this.size): HistoryEntry[] {
    const count = Math.max(0, Math.min(Math.floor(n), this.size));
    const out: HistoryEntry[] = [];
    for (let i = count; i > 0; i--) {
      out.push(withoutRaw(this.entries[(this.next - i + this.capacity) % this.capacity]!));
    }
    return out;
  }
}

/**
 * The entry as `history` shows it. The ring keeps the caller's own Completion, `raw` and all,
 * so that answering a request needs no second copy of it; `raw` is left out here instead.
 */
function withoutRaw(entry: HistoryEntry): HistoryEntry {
  const completion = entry.completion as Completion | undefined;
  if (completion?.raw === undefined) return entry;
  const { raw: _raw, ...rest } = completion;
  return { ...entry, completion: rest };
}
