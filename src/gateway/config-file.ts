/**
 * The config file of `llm-actors serve`: YAML or JSON (JSON is YAML), `${ENV_VAR}` in string
 * values for secrets, the runtime's own config beside a `gateway` section. Every problem is an
 * INVALID_CONFIG that names the file, the field and the reason.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { resolveRuntimeConfig } from '../config/resolve.js';
import type { RuntimeConfig } from '../config/types.js';
import { LlmActorsError } from '../model/errors.js';
import { DEFAULT_LIMITS } from './limits.js';
import type { GatewayOptions } from './server.js';

/** The longest delay node's timers take, ms. */
const MAX_TIMER = 2_147_483_647;

/** The `gateway` section: the gateway's own options (but the logger), and the drain time. */
export interface GatewaySettings extends Omit<GatewayOptions, 'logger'> {
  /** How long a shutdown waits for requests under way, ms. Default 10 000. */
  drainTimeoutMs?: number;
}

/** A loaded, interpolated and validated config file. */
export interface GatewayConfigFile {
  gateway: GatewaySettings;
  /** What `createRuntime` takes. */
  runtime: RuntimeConfig;
}

const gatewaySchema = z
  .strictObject({
    port: z.number().int().min(0).max(65_535).optional(),
    host: z.string().min(1).optional(),
    apiKeys: z
      .array(z.string().min(16, { error: 'an API key must have at least 16 characters' }))
      .optional(),
    adminToken: z.string().min(16, { error: 'must have at least 16 characters' }).optional(),
    maxBodyBytes: z.number().int().min(1_024).optional(),
    eventsIntervalMs: z.number().int().min(50).optional(),
    eventsBufferBytes: z.number().int().min(16_384).optional(),
    headersTimeoutMs: z.number().int().min(100).max(MAX_TIMER).optional(),
    requestTimeoutMs: z.number().int().min(100).max(MAX_TIMER).optional(),
    bodyTimeoutMs: z.number().int().min(100).max(MAX_TIMER).optional(),
    keepAliveTimeoutMs: z.number().int().min(0).max(MAX_TIMER).optional(),
    maxConnections: z.number().int().min(1).optional(),
    drainTimeoutMs: z.number().int().min(0).optional(),
  })
  .refine(
    (g) =>
      (g.headersTimeoutMs ?? DEFAULT_LIMITS.headersTimeoutMs) <=
      (g.requestTimeoutMs ?? DEFAULT_LIMITS.requestTimeoutMs),
    { error: 'headersTimeoutMs must not exceed requestTimeoutMs', path: ['headersTimeoutMs'] },
  );

const VARIABLE = /\$(\$)?\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

function invalid(file: string, message: string): LlmActorsError {
  return new LlmActorsError('INVALID_CONFIG', `${file}: ${message}`, { retryable: false });
}

/**
 * Replaces `${NAME}` (and `${NAME:-default}`) in every string value with the environment's
 * value; `$${NAME}` stays as the literal `${NAME}`. Done on the parsed document, never on its
 * text, so a value can never change the document's structure.
 */
function interpolate(
  value: unknown,
  env: NodeJS.ProcessEnv,
  path: string,
  missing: string[],
): unknown {
  if (typeof value === 'string') {
    return value.replace(VARIABLE, (whole, escaped, name: string, fallback?: string) => {
      if (escaped) return whole.slice(1);
      const found = env[name];
      if (found !== undefined && found !== '') return found;
      if (fallback !== undefined) return fallback;
      missing.push(`${path || 'config'}: the environment variable ${name} is not set`);
      return '';
    });
  }
  if (Array.isArray(value)) {
    return value.map((item, i) => interpolate(item, env, `${path}.${i}`, missing));
  }
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      out[key] = interpolate(item, env, path ? `${path}.${key}` : key, missing);
    }
    return out;
  }
  return value;
}

/**
 * Reads and validates a config file.
 *
 * @example
 * ```yaml
 * gateway:
 *   port: 8787
 *   apiKeys: ["${GATEWAY_KEY}"]
 * clients:
 *   gpt: { provider: openai, model: gpt-4o-mini, apiKey: "${OPENAI_API_KEY}" }
 * ```
 * @throws {@link LlmActorsError} INVALID_CONFIG naming the file, every field at fault and why.
 */
export function loadConfigFile(
  file: string,
  env: NodeJS.ProcessEnv = process.env,
): GatewayConfigFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw invalid(file, `cannot read the file (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  let document: unknown;
  try {
    document = parse(text, { prettyErrors: true, uniqueKeys: true });
  } catch (e) {
    throw invalid(file, `not valid YAML or JSON: ${(e as Error).message.split('\n')[0]}`);
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw invalid(
      file,
      'expected a mapping with clients (and optionally gateway, cache, supervisor, logger)',
    );
  }
  const missing: string[] = [];
  const { gateway: rawGateway, ...runtime } = interpolate(document, env, '', missing) as Record<
    string,
    unknown
  >;
  if (missing.length > 0) throw invalid(file, missing.join('; '));
  const problems: string[] = [];
  const gateway = gatewaySchema.safeParse(rawGateway ?? {});
  if (!gateway.success) {
    for (const issue of gateway.error.issues) {
      problems.push(`gateway${issue.path.map((p) => `.${String(p)}`).join('')}: ${issue.message}`);
    }
  }
  try {
    resolveRuntimeConfig(runtime);
  } catch (e) {
    problems.push((e as Error).message);
  }
  if (problems.length > 0) throw invalid(file, problems.join('; '));
  return { gateway: gateway.data!, runtime: runtime as RuntimeConfig };
}
