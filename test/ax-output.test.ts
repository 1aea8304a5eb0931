/**
 * Structured output and thinking through the Ax adapter: AxGen programs whose signatures have
 * object outputs, and thinking levels, against the testing server in openai and anthropic
 * formats, plain and streamed.
 */
import { ax, type AxStructuredOutputMode } from '@ax-llm/ax';
import { describe, expect, it } from 'vitest';
import { createAxService } from '../src/adapters/ax/index.js';
import type { ClientConfig, Runtime } from '../src/index.js';
import { startTestServer, type ScriptedAnswer, type TestServer } from '../src/testing/index.js';
import { runtimePerTest } from './support/runtime.js';

let server: TestServer;

const runtimes = runtimePerTest(() => server.close());

type Format = 'openai' | 'anthropic';

async function start(format: Format, script: ScriptedAnswer): Promise<Runtime> {
  server = await startTestServer();
  server.setScript(() => script);
  const config: ClientConfig =
    format === 'openai'
      ? { provider: 'openai', baseUrl: server.url, model: 'test-model' }
      : { provider: 'anthropic', baseUrl: server.origin, model: 'test-model', apiKey: 'k' };
  return runtimes.start({ clients: { m: { ...config, retry: false } } });
}

const PERSON = { person: { name: 'Ada', age: 36 } };

// The JSON Schema AxGen derives from the signature below, as it sends it.
const SCHEMA = {
  type: 'object',
  title: 'Schema',
  properties: {
    person: {
      type: 'object',
      properties: { name: { type: 'string' }, age: { type: 'number' } },
      required: ['name', 'age'],
      additionalProperties: false,
    },
  },
  required: ['person'],
  additionalProperties: false,
};

const extractor = () => ax('note:string -> person:object { name:string, age:number }');

interface Case {
  format: Format;
  mode: AxStructuredOutputMode;
  /** How the model answers: JSON text, or a call of the tool the request forces. */
  answer: ScriptedAnswer;
  /** What of the upstream body asks for the JSON. */
  upstream: Record<string, unknown>;
}

const CASES: Case[] = [
  {
    format: 'openai',
    mode: 'auto',
    answer: { json: PERSON },
    upstream: {
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'output', strict: true, schema: SCHEMA },
      },
    },
  },
  {
    format: 'openai',
    mode: 'json_object',
    answer: { json: PERSON },
    upstream: { response_format: { type: 'json_object' } },
  },
  {
    // Ax's own function strategy: the runtime sends no JSON format, Ax forces its function.
    format: 'anthropic',
    mode: 'auto',
    answer: { toolCalls: [{ name: '__axOutput', arguments: PERSON }] },
    upstream: {
      tools: [expect.objectContaining({ name: '__axOutput', input_schema: SCHEMA })],
      tool_choice: { type: 'tool', name: '__axOutput' },
    },
  },
  {
    format: 'anthropic',
    mode: 'native',
    answer: { toolCalls: [{ name: 'json_answer', arguments: PERSON }] },
    upstream: {
      tools: [expect.objectContaining({ name: 'json_answer', input_schema: SCHEMA })],
      tool_choice: { type: 'tool', name: 'json_answer' },
    },
  },
];

describe('structured output of an AxGen program', () => {
  for (const { format, mode, answer, upstream } of CASES) {
    it.each([false, true])(
      `gets the object over ${format} with structuredOutputMode ${mode} (streamed: %s)`,
      async (stream) => {
        const rt = await start(format, answer);
        const out = await extractor().forward(
          createAxService(rt, 'm'),
          { note: 'Ada is 36' },
          { stream, structuredOutputMode: mode },
        );
        expect(out.person).toEqual(PERSON.person);
        expect(server.requests).toBe(1);
        expect(server.lastRequest()!.body).toMatchObject(upstream);
      },
    );
  }

  it('reports the strategies each provider serves best first', async () => {
    const openai = createAxService(await start('openai', {}), 'm').getFeatures();
    expect(openai).toMatchObject({
      structuredOutputs: true,
      structuredOutputModes: ['native', 'function', 'json_object'],
      thinking: true,
    });
    await runtimes.stopAll();
    await server.close();
    const anthropic = createAxService(await start('anthropic', {}), 'm').getFeatures();
    expect(anthropic.structuredOutputModes).toEqual(['function', 'native', 'json_object']);
  });

  it('fails the forward with the runtime BAD_RESPONSE when the answer is not the JSON asked for', async () => {
    const rt = await start('openai', { json: { person: { name: 'Ada' } } });
    const failure = await extractor()
      .forward(createAxService(rt, 'm'), { note: 'Ada is 36' })
      .then(
        () => undefined,
        (e: unknown) => e as Error,
      );
    expect(failure?.message).toContain('BAD_RESPONSE');
    expect(failure?.message).toContain('age');
  });
});

const answerer = () => ax('question:string -> answer:string');

const THOUGHT: ScriptedAnswer = { reasoning: 'Born 1815, so 36.', text: 'Answer: 36' };

describe('thinking levels of an AxGen program', () => {
  it.each<[Format, 'minimal' | 'medium' | 'highest', Record<string, unknown>]>([
    ['openai', 'minimal', { reasoning_effort: 'low' }],
    ['openai', 'medium', { reasoning_effort: 'medium' }],
    ['openai', 'highest', { reasoning_effort: 'high' }],
    ['anthropic', 'minimal', { thinking: { type: 'enabled', budget_tokens: 1024 } }],
    ['anthropic', 'highest', { thinking: { type: 'enabled', budget_tokens: 4096 } }],
  ])('sends %s thinking for level %s and returns the thought', async (format, level, upstream) => {
    const rt = await start(format, THOUGHT);
    for (const stream of [false, true]) {
      const out = await answerer().forward(
        createAxService(rt, 'm', { cache: false }),
        { question: 'How old was Ada in 1851?' },
        { stream, thinkingTokenBudget: level, showThoughts: true },
      );
      expect(out).toEqual({ answer: '36', thought: 'Born 1815, so 36.' });
      expect(server.lastRequest()!.body).toMatchObject(upstream);
    }
  });

  it.each<Format>(['openai', 'anthropic'])(
    'sends no reasoning over %s for level none, and hides thoughts when showThoughts is false',
    async (format) => {
      const rt = await start(format, THOUGHT);
      const llm = createAxService(rt, 'm', { cache: false });
      const question = { question: 'How old was Ada in 1851?' };
      await answerer().forward(llm, question, { thinkingTokenBudget: 'none' });
      const body = server.lastRequest()!.body;
      expect(body.reasoning_effort).toBeUndefined();
      expect(body.thinking).toBeUndefined();
      for (const stream of [false, true]) {
        const out = await answerer().forward(llm, question, {
          stream,
          thinkingTokenBudget: 'low',
          showThoughts: false,
        });
        expect(out).toEqual({ answer: '36' });
      }
    },
  );
});
