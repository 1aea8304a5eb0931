/**
 * The config file of `llm-actors serve`: YAML and JSON, `${ENV}` interpolation, and
 * INVALID_CONFIG errors that name the file, the field and the reason.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../src/gateway/index.js';
import { isLlmActorsError } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'llm-actors-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
function file(text: string, ext = 'yaml'): string {
  const path = join(dir, `config-${files++}.${ext}`);
  writeFileSync(path, text);
  return path;
}

function problem(path: string, env: NodeJS.ProcessEnv = {}): string {
  try {
    loadConfigFile(path, env);
  } catch (e) {
    if (isLlmActorsError(e) && e.code === 'INVALID_CONFIG') return e.message;
    throw e;
  }
  throw new Error('expected INVALID_CONFIG');
}

describe('loadConfigFile', () => {
  it('reads YAML with a gateway section and interpolates the environment', () => {
    const path = file(`
gateway:
  port: 9000
  apiKeys: ["\${GATEWAY_KEY}"]
  adminToken: \${ADMIN_TOKEN:-default-admin-token-123}
clients:
  gpt:
    provider: openai
    model: gpt-4o-mini
    apiKey: \${OPENAI_API_KEY}
    baseUrl: "http://\${HOST:-127.0.0.1}:\${PORT}/v1"
supervisor: { maxRestarts: 5 }
`);
    const config = loadConfigFile(path, {
      GATEWAY_KEY: 'gateway-key-0123456789',
      OPENAI_API_KEY: 'sk-from-env',
      PORT: '8080',
    });
    expect(config.gateway).toEqual({
      port: 9000,
      apiKeys: ['gateway-key-0123456789'],
      adminToken: 'default-admin-token-123',
    });
    expect(config.runtime).toEqual({
      clients: {
        gpt: {
          provider: 'openai',
          model: 'gpt-4o-mini',
          apiKey: 'sk-from-env',
          baseUrl: 'http://127.0.0.1:8080/v1',
        },
      },
      supervisor: { maxRestarts: 5 },
    });
  });

  it('reads JSON, and a file without a gateway section', () => {
    const path = file(
      JSON.stringify({ clients: { local: { provider: 'ollama', model: 'llama3.2' } } }),
      'json',
    );
    expect(loadConfigFile(path, {})).toEqual({
      gateway: {},
      runtime: { clients: { local: { provider: 'ollama', model: 'llama3.2' } } },
    });
  });

  it('keeps $${NAME} literal and never lets a value change the structure', () => {
    const path = file(`
clients:
  gpt: { provider: openai, model: "\${MODEL}", apiKey: "$\${KEY}" }
`);
    // (A newline in an apiKey is refused by the config check itself; a model name may hold one.)
    const config = loadConfigFile(path, { MODEL: 'a"b\nc: d', KEY: 'ignored' });
    expect(config.runtime.clients!.gpt).toMatchObject({ model: 'a"b\nc: d', apiKey: '${KEY}' });
  });

  it('names every environment variable that is not set, with its field', () => {
    const path = file(`
clients:
  gpt: { provider: openai, model: m, apiKey: "\${OPENAI_API_KEY}" }
  claude: { provider: anthropic, model: m, apiKey: "\${ANTHROPIC_API_KEY}" }
`);
    const message = problem(path);
    expect(message).toContain(path);
    expect(message).toContain(
      'clients.gpt.apiKey: the environment variable OPENAI_API_KEY is not set',
    );
    expect(message).toContain(
      'clients.claude.apiKey: the environment variable ANTHROPIC_API_KEY is not set',
    );
  });

  it('names the file, field and reason of every invalid value at once', () => {
    const path = file(`
gateway:
  port: 70000
  adminToken: short
  colour: blue
clients:
  gpt: { provider: openai, model: m, temperature: 1 }
  bad: { provider: gemini, model: m }
`);
    const message = problem(path);
    expect(message.startsWith(`${path}: `)).toBe(true);
    expect(message).toMatch(/gateway\.port: /);
    expect(message).toMatch(/gateway\.adminToken: must have at least 16 characters/);
    expect(message).toMatch(/gateway: .*colour/);
    expect(message).toContain('clients.gpt.temperature: unknown key');
    expect(message).toMatch(/clients\.bad\.provider: /);
  });

  it('reads the connection limits, and refuses headers allowed longer than the whole request', () => {
    const limits = {
      headersTimeoutMs: 2_000,
      requestTimeoutMs: 20_000,
      bodyTimeoutMs: 5_000,
      keepAliveTimeoutMs: 1_000,
      maxConnections: 500,
      eventsBufferBytes: 65_536,
    };
    const clients = { local: { provider: 'ollama', model: 'm' } };
    const good = file(JSON.stringify({ gateway: limits, clients }), 'json');
    expect(loadConfigFile(good, {}).gateway).toEqual(limits);
    const bad = file(
      JSON.stringify({ gateway: { headersTimeoutMs: 90_000, maxConnections: 0 }, clients }),
      'json',
    );
    const message = problem(bad);
    expect(message).toContain('gateway.maxConnections: ');
    expect(message).toContain(
      'gateway.headersTimeoutMs: headersTimeoutMs must not exceed requestTimeoutMs',
    );
  });

  it.each([
    ['a missing file', null, 'cannot read the file (ENOENT)'],
    ['broken YAML', 'clients: [unclosed', 'not valid YAML or JSON'],
    ['a duplicate key', 'clients: {}\nclients: {}', 'not valid YAML or JSON'],
    ['a list at the top', '- a\n- b', 'expected a mapping with clients'],
  ])('rejects %s with the file name', (_, text, reason) => {
    const path = text === null ? join(dir, 'missing.yaml') : file(text);
    const message = problem(path);
    expect(message).toContain(path);
    expect(message).toContain(reason);
  });
});
