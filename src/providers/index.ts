/**
 * Picks the wire format of a client.
 */
import type { ResolvedClientConfig } from '../config.js';
import { LlmActorsError } from '../errors.js';
import { DriverProvider } from './driver.js';
import { OpenAIProvider } from './openai.js';
import type { Provider } from './provider.js';

/** Builds the provider a client config names. */
export function createProvider(
  config: ResolvedClientConfig,
  secrets: readonly string[],
  now: () => number,
): Provider {
  switch (config.provider) {
    case 'openai':
      return new OpenAIProvider(config, secrets, now);
    case 'driver':
      return new DriverProvider(config, secrets);
    case 'anthropic':
    case 'ollama':
      throw new LlmActorsError(
        'INVALID_CONFIG',
        `clients.${config.name}.provider: '${config.provider}' is not available in this version yet; use 'openai' (Ollama serves it at /v1) or 'driver'`,
        { client: config.name, retryable: false },
      );
    default:
      throw new Error(`unknown provider ${String(config.provider satisfies never)}`);
  }
}
