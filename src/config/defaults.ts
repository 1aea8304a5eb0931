/**
 * The defaults of DESIGN.md, and each provider's default base URL.
 */
import type { ProviderName } from './types.js';

/** Defaults of DESIGN.md. */
export const DEFAULTS = {
  timeoutMs: 30_000,
  maxConcurrency: 64,
  maxQueue: 1_024,
  historySize: 100,
  /** 16 MiB: far above any chat answer, far below what takes a process down. */
  maxResponseBytes: 16 * 1024 * 1024,
  /** 1 MiB: the longest stream event or NDJSON line. */
  maxEventBytes: 1024 * 1024,
  fuse: {
    maxFailures: 5,
    windowMs: 10_000,
    resetMs: 10_000,
    backoffFactor: 2,
    maxResetMs: 300_000,
  },
  retry: { maxAttempts: 3, baseDelayMs: 250, maxDelayMs: 10_000 },
  supervisor: { maxRestarts: 3, periodMs: 5_000, backoffMs: 0 },
  cachePath: '.cache/llm-actors.sqlite',
  memoryEntries: 10_000,
  frontEntries: 1_000,
} as const;

/** Where each provider is reached when `baseUrl` is not given. */
export const DEFAULT_BASE_URL: Record<ProviderName, string> = {
  openai: 'https://api.openai.com/v1',
  anthropic: 'https://api.anthropic.com',
  ollama: 'http://127.0.0.1:11434',
  driver: 'driver://local',
};
