import { describe, expect, it } from 'vitest';
import type { ChatMessage, ClientConfig, RequestOptions } from '../src/index.js';
import { testDriver } from './support/driver.js';
import { failure } from './support/failure.js';
import { runtimePerTest } from './support/runtime.js';

const runtimes = runtimePerTest();
const driver = testDriver(() => ({ text: 'ok' }));

/** A client of each provider that carries plain text only (none is ever reached here). */
const CLIENTS: Record<string, ClientConfig> = {
  driven: driver.config as ClientConfig,
} as Record<string, ClientConfig>;

const hi: ChatMessage[] = [{ role: 'user', content: 'hi' }];
const weather = { name: 'weather', parameters: { type: 'object' } };

const OPTION_CASES: Array<[string, RequestOptions]> = [
  ['tools', { tools: [weather] }],
  ['toolChoice', { toolChoice: 'auto' }],
  ['parallelToolCalls', { parallelToolCalls: false }],
  ['responseFormat', { responseFormat: { type: 'json' } }],
  ['reasoning', { reasoning: { effort: 'low' } }],
  ['logprobs', { logprobs: true }],
];

const MESSAGE_CASES: Array<[string, ChatMessage[]]> = [
  ['messages[0].role', [{ role: 'developer', content: 'be brief' }, ...hi]],
  ['messages[0].content', [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }]],
  [
    'messages[1].toolCalls',
    [
      ...hi,
      { role: 'assistant', content: null, toolCalls: [{ id: 'c', name: 'f', arguments: '{}' }] },
    ],
  ],
  [
    'messages[1].reasoning',
    [...hi, { role: 'assistant', content: 'x', reasoning: [{ type: 'reasoning', text: 'r' }] }],
  ],
  ['messages[1].toolCallId', [...hi, { role: 'tool', toolCallId: 'c', content: '{}' }]],
];

describe('the providers that carry plain text only', () => {
  for (const [client, config] of Object.entries(CLIENTS)) {
    it.each(OPTION_CASES)(
      `${client} refuses options.%s, naming the provider`,
      async (field, options) => {
        const rt = await runtimes.start({ clients: { [client]: config } });
        for (const call of [
          () => rt.request(client, hi, options),
          () => rt.stream(client, hi, options).completion,
        ]) {
          const error = await failure(call());
          expect(error.code).toBe('INVALID_REQUEST');
          expect(error.message).toContain(`options.${field}: the ${config.provider} provider`);
        }
        expect(driver.calls).toHaveLength(0);
      },
    );

    it.each(MESSAGE_CASES)(`${client} refuses %s, naming the provider`, async (field, messages) => {
      const rt = await runtimes.start({ clients: { [client]: config } });
      const error = await failure(rt.request(client, messages));
      expect(error.code).toBe('INVALID_REQUEST');
      expect(error.message).toContain(`${field}: the ${config.provider} provider cannot carry`);
      expect(driver.calls).toHaveLength(0);
    });

    it(`${client} refuses tools from its defaults, naming them`, async () => {
      const rt = await runtimes.start({
        clients: { [client]: { ...config, defaults: { tools: [weather] } } as ClientConfig },
      });
      const error = await failure(rt.request(client, hi));
      expect(error.message).toContain(`defaults.tools: the ${config.provider} provider`);
    });
  }

  it('lets a text response format and a tool message without an id through, as before', async () => {
    const rt = await runtimes.start({ clients: { driven: CLIENTS.driven! } });
    const res = await rt.request('driven', [...hi, { role: 'tool', content: 'x' } as ChatMessage], {
      responseFormat: { type: 'text' },
    });
    expect(res.text).toBe('ok');
    expect(res.message).toEqual({ role: 'assistant', content: 'ok' });
  });
});

describe('chat options in client defaults', () => {
  it('are checked when the runtime starts, naming the field', async () => {
    const error = await failure(
      runtimes.start({
        clients: {
          driven: {
            ...CLIENTS.driven!,
            defaults: { toolChoice: 'sometimes' },
          } as unknown as ClientConfig,
        },
      }),
    );
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.message).toContain('toolChoice');
  });
});
