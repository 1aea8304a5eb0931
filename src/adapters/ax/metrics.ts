/**
 * Ax's service metrics, read from the client's health.
 */
import type { AxAIServiceMetrics } from '@ax-llm/ax';
import type { Runtime } from '../../runtime.js';

/**
 * The chat metrics of `client`, from its health, so they count every caller of the client, not
 * only Ax. The histogram keeps neither a sum nor samples: `mean` is the median (p50), `samples`
 * is empty. Embeddings are never served, so their metrics stay zero.
 */
export function chatMetrics(runtime: Runtime, client: string): AxAIServiceMetrics {
  const embed = { mean: 0, p95: 0, p99: 0, samples: [] };
  const noErrors = { count: 0, rate: 0, total: 0 };
  if (!runtime.clients().includes(client)) {
    return {
      latency: { chat: { ...embed }, embed },
      errors: { chat: { ...noErrors }, embed: noErrors },
    };
  }
  const { requests, latencyMs } = runtime.health(client);
  const count = requests.failed + requests.rejected;
  return {
    latency: {
      chat: { mean: latencyMs.p50, p95: latencyMs.p95, p99: latencyMs.p99, samples: [] },
      embed,
    },
    errors: {
      chat: {
        count,
        rate: requests.total === 0 ? 0 : count / requests.total,
        total: requests.total,
      },
      embed: noErrors,
    },
  };
}
