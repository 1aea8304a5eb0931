/**
 * A gateway over a scripted testing upstream for the client-library tests: one client
 * per name in {@link MODELS} (OpenAI format unless asked otherwise), a script that answers like a model with one `weather` tool, and every request
 * the upstream received kept for the test to read, with the paths the library called.
 */
import type { TestChatRequest } from '../../src/testing/index.js';
import { gatewayPerTest } from './gateway.js';

/**
 * The gateway's client names: `gpt`, and two names client libraries take for reasoning models
 * (they then send the `developer` role and reasoning options by themselves).
 */
export const MODELS = ['gpt', 'o3-mini', 'gpt-5'] as const;

/** What {@link clientGatewayPerTest}'s `start` gives a test. */
export interface ClientGateway {
  /** The gateway's `/v1` base URL. */
  baseURL: string;
  /** The requests the upstream received, in order. */
  upstream: TestChatRequest[];
  /** `METHOD /path` of every request a library sent through {@link fetch}, in order. */
  calls: string[];
  /** The text body of every call {@link fetch} recorded, in order. */
  sent: string[];
  /** A `fetch` that records the calls, for libraries that take one. */
  fetch: typeof fetch;
}

/** The text of the upstream's plain answer, several words so a stream has several deltas. */
export const PLAIN = 'Hello from the upstream model.';

/**
 * Answers like a model with a `weather` tool: after a tool result, a sentence quoting it; with a
 * response format, a JSON city; with tools and a question on the weather, a call of the tool;
 * otherwise {@link PLAIN}.
 */
export function modelScript(req: TestChatRequest): object {
  const last = req.messages.at(-1);
  if (last?.role === 'tool') return { text: `It is sunny in Paris (${last.content}).` };
  if (req.responseFormat !== undefined) return { json: { city: 'Paris', celsius: 22 } };
  if (req.tools?.length && /weather/i.test(last?.content ?? '')) {
    return { toolCalls: [{ name: 'weather', arguments: { city: 'Paris' } }] };
  }
  return { text: PLAIN };
}

/**
 * Registers the per-test cleanup; `start()` starts the upstream (answering by `script`, default
 * {@link modelScript}, in the wire format of `provider`) and the gateway.
 */
export function clientGatewayPerTest(): {
  start(
    script?: (req: TestChatRequest) => object,
    provider?: 'openai' | 'anthropic',
  ): Promise<ClientGateway>;
} {
  const gw = gatewayPerTest();
  return {
    async start(script = modelScript, provider = 'openai') {
      const upstream = await gw.startUpstream();
      const received: TestChatRequest[] = [];
      upstream.setScript((req) => {
        received.push(req);
        return script(req);
      });
      const baseUrl = provider === 'openai' ? upstream.url : upstream.origin;
      const client = { provider, baseUrl, model: 'm', cache: false } as const;
      const gateway = await gw.start(Object.fromEntries(MODELS.map((name) => [name, client])));
      const calls: string[] = [];
      const sent: string[] = [];
      const recording: typeof fetch = (input, init) => {
        const url = new URL(input instanceof Request ? input.url : String(input));
        calls.push(
          `${init?.method ?? (input instanceof Request ? input.method : 'GET')} ${url.pathname}`,
        );
        sent.push(typeof init?.body === 'string' ? init.body : '');
        return fetch(input, init);
      };
      return { baseURL: `${gateway.url}/v1`, upstream: received, calls, sent, fetch: recording };
    },
  };
}
