/**
 * The output items of the gateway's recent Responses, kept in memory so that an `item_reference`
 * to one of them can be read. The AI SDK's default OpenAI provider, assuming OpenAI's default
 * `store: true`, sends a later turn's earlier assistant text and reasoning as references only;
 * the gateway keeps no Responses, but it can keep their items for a while — bounded in bytes,
 * least recently used first out, gone on restart. A reference to an item it no longer has is a
 * 400 telling the caller to send whole items.
 */
import { LRUCache } from 'lru-cache';
import { invalidBody, type Read } from './chat-body.js';

type Json = Record<string, unknown>;

/** The bytes (JSON characters) of output items kept; the least recently used go first. */
const MAX_BYTES = 16 * 1024 * 1024;

/** Recent output items by id. */
export class ItemMemory {
  readonly #items = new LRUCache<string, Json>({
    maxSize: MAX_BYTES,
    sizeCalculation: (item) => Math.max(1, JSON.stringify(item).length),
  });

  /** Keeps `items` (a Response's `output`), each by its `id`; too large ones are not kept. */
  keep(items: readonly object[]): void {
    for (const item of items) {
      const id = (item as Json).id;
      if (typeof id === 'string') this.#items.set(id, item as Json);
    }
  }

  /**
   * `input` with each `item_reference` replaced by the item it names, or the 400 of one that
   * names an item not kept. Anything but an array is returned as is, for the input reader.
   */
  resolve(input: unknown): Read<unknown> {
    if (!Array.isArray(input)) return input;
    if (!input.some((item) => (item as Json | null)?.type === 'item_reference')) return input;
    const resolved: unknown[] = [];
    for (let j = 0; j < input.length; j++) {
      const item = input[j] as Json | null;
      if (item?.type !== 'item_reference') {
        resolved.push(item);
        continue;
      }
      const kept = typeof item.id === 'string' ? this.#items.get(item.id) : undefined;
      if (kept === undefined) {
        return invalidBody(
          `input[${j}].id: "item_reference" items must name an output item of this gateway's recent responses, and ${JSON.stringify(item.id ?? null)} is none (they are kept in memory for a while only: send whole items, e.g. with store: false)`,
          'input',
        );
      }
      resolved.push(kept);
    }
    return resolved;
  }
}
