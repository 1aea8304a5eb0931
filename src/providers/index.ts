/**
 * Picks the wire format of a client.
 */
import type { ResolvedClientConfig } from '../config/types.js';
import { AnthropicProvider } from './anthropic.js';
import { DriverProvider } from './driver.js';
import { OllamaProvider } from './ollama.js';
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
      return new AnthropicProvider(config, secrets, now);
    case 'ollama':
      return new OllamaProvider(config, secrets, now);
    default:
      throw new Error(`unknown provider ${String(config.provider satisfies never)}`);
  }
}
