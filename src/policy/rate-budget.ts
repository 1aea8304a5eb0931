/**
 * A client's rate budget (`rateLimit`): two token buckets, one of requests and one of tokens,
 * each as large as its per-minute limit and refilled continuously at that rate. A bucket that is
 * full lets any request through, even one larger than it (it then goes below zero and the next
 * requests wait): otherwise a request larger than a minute's budget could never be sent.
 */
import type { RateLimitConfig } from '../config/rate-limit.js';
import type { ChatMessage } from '../model/chat.js';
import type { Clock } from '../model/clock.js';

/** What admission needs of a budget, local or shared by a fleet. */
export interface RateBudget {
  /**
   * Takes one request and `tokens` when both buckets have them: 0. Otherwise nothing is taken
   * and the answer is the ms until they would have them. A fleet's budget answers
   * asynchronously (its state is in Redis).
   */
  take(tokens: number): number | Promise<number>;
  /** Charges `requests` and `tokens` more (negative: gives them back), taken or not. */
  adjust(requests: number, tokens: number): void;
}

const MINUTE_MS = 60_000;

/** One bucket of `capacity` per minute. */
class Bucket {
  private level: number;
  private at: number;

  constructor(
    private readonly capacity: number,
    now: number,
  ) {
    this.level = capacity;
    this.at = now;
  }

  /** The ms until `n` can be taken (0: now). */
  wait(n: number, now: number): number {
    this.refill(now);
    const needed = Math.min(n, this.capacity);
    if (this.level >= needed) return 0;
    return Math.ceil(((needed - this.level) * MINUTE_MS) / this.capacity);
  }

  /** Takes `n` (negative: gives back, never above the capacity). */
  take(n: number, now: number): void {
    this.refill(now);
    this.level = Math.min(this.capacity, this.level - n);
  }

  private refill(now: number): void {
    const elapsed = now - this.at;
    if (elapsed > 0) {
      this.level = Math.min(this.capacity, this.level + (elapsed * this.capacity) / MINUTE_MS);
    }
    this.at = Math.max(this.at, now);
  }
}

/** The budget of one process, on the runtime's clock. */
export class LocalBudget implements RateBudget {
  private readonly requests: Bucket | undefined;
  private readonly tokens: Bucket | undefined;

  constructor(
    config: RateLimitConfig,
    private readonly clock: Pick<Clock, 'now'>,
  ) {
    const now = clock.now();
    const { requestsPerMinute: rpm, tokensPerMinute: tpm } = config;
    this.requests = rpm === undefined ? undefined : new Bucket(rpm, now);
    this.tokens = tpm === undefined ? undefined : new Bucket(tpm, now);
  }

  take(tokens: number): number {
    const now = this.clock.now();
    const wait = Math.max(this.requests?.wait(1, now) ?? 0, this.tokens?.wait(tokens, now) ?? 0);
    if (wait === 0) this.adjust(1, tokens);
    return wait;
  }

  adjust(requests: number, tokens: number): void {
    const now = this.clock.now();
    if (requests !== 0) this.requests?.take(requests, now);
    if (tokens !== 0) this.tokens?.take(tokens, now);
  }
}

/** What one image is charged, in tokens (a 512 px image at high detail on OpenAI's scale). */
const IMAGE_TOKENS = 765;

/**
 * The tokens a request is charged before it is sent: a quarter of the characters of its
 * messages (text, tool calls, names) rounded up, {@link IMAGE_TOKENS} per image, plus its
 * `maxTokens` (what it may cost at most). Settled with the real usage once answered.
 */
export function estimateTokens(messages: readonly ChatMessage[], maxTokens?: number): number {
  let chars = 0;
  let images = 0;
  for (const m of messages) {
    chars += m.role.length + (m.name?.length ?? 0);
    const content = m.content;
    if (typeof content === 'string') chars += content.length;
    else if (content !== null) {
      for (const part of content) {
        if (part.type === 'text') chars += part.text.length;
        else images++;
      }
    }
    if (m.role === 'assistant') {
      for (const call of m.toolCalls ?? []) chars += call.name.length + call.arguments.length;
    }
  }
  return Math.ceil(chars / 4) + images * IMAGE_TOKENS + (maxTokens ?? 0);
}
