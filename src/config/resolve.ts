/**
 * Validation and defaults: INVALID_CONFIG errors that name the field and the reason.
 */
import { invalidConfig } from '../model/failures.js';
import { DEFAULTS, DEFAULT_BASE_URL } from './defaults.js';
import { formatIssues } from './issues.js';
import { resolveGroupConfig, type ResolvedGroupConfig } from './group.js';
import { FORBIDDEN_NAMES, clientSchema, runtimeSchema } from './schemas.js';
import type {
  CacheConfig,
  DriverClientConfig,
  RequestDefaults,
  ResolvedClientConfig,
  ResolvedRuntimeConfig,
} from './types.js';

/** Throws INVALID_CONFIG unless `name` can name a client. */
export function checkClientName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.length === 0 || name.length > 128) {
    throw invalidConfig('client name: expected a non-empty string of at most 128 characters');
  }
  if (FORBIDDEN_NAMES.has(name)) {
    throw invalidConfig(`clients.${name}: the name ${name} is reserved`);
  }
  if (!/^[A-Za-z0-9][A-Za-z0-9._:/@-]*$/.test(name)) {
    throw invalidConfig(
      `clients.${JSON.stringify(name.slice(0, 64))}: a name starts with a letter or digit and uses only letters, digits and . _ : / @ -`,
    );
  }
}

/**
 * Validates one client's config and applies defaults.
 *
 * @throws {@link LlmActorsError} INVALID_CONFIG naming the field and the reason.
 */
export function resolveClientConfig(
  name: string,
  input: unknown,
  runtimeCache: CacheConfig | false = { store: 'memory' },
): ResolvedClientConfig {
  checkClientName(name);
  const prefix = `clients.${name}`;
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw invalidConfig(`${prefix}: expected an object with provider and model`, name);
  }
  const parsed = clientSchema.safeParse(input);
  if (!parsed.success) throw invalidConfig(formatIssues(prefix, parsed.error), name);
  const c = parsed.data;
  const isDriver = c.provider === 'driver';
  if (isDriver && (c.request === undefined || c.output === undefined)) {
    throw invalidConfig(
      `${prefix}.${c.request === undefined ? 'request' : 'output'}: a driver client needs request and output functions`,
      name,
    );
  }
  if (!isDriver && (c.request !== undefined || c.output !== undefined)) {
    throw invalidConfig(
      `${prefix}.${c.request !== undefined ? 'request' : 'output'}: only driver clients take request/output functions`,
      name,
    );
  }
  const fuse = { ...DEFAULTS.fuse, ...c.fuse };
  if (fuse.maxResetMs < fuse.resetMs) {
    throw invalidConfig(
      `${prefix}.fuse: resetMs (${fuse.resetMs}) must not exceed maxResetMs (${fuse.maxResetMs})`,
      name,
    );
  }
  const retry = c.retry === false ? false : { ...DEFAULTS.retry, ...c.retry };
  if (retry && retry.maxDelayMs < retry.baseDelayMs) {
    throw invalidConfig(
      `${prefix}.retry.maxDelayMs: must be at least retry.baseDelayMs (${retry.baseDelayMs})`,
      name,
    );
  }
  if (c.budget?.usdPerDay !== undefined && c.pricing === undefined) {
    throw invalidConfig(`${prefix}.budget.usdPerDay: needs the client's pricing`, name);
  }
  const resolved: ResolvedClientConfig = {
    name,
    provider: c.provider,
    model: c.model,
    baseUrl: (c.baseUrl ?? DEFAULT_BASE_URL[c.provider]).replace(/\/+$/, ''),
    apiKey: c.apiKey,
    headers: { ...c.headers },
    // Checked by the schema's refinement (chatOptionProblem): the shapes are the typed ones.
    defaults: { ...c.defaults } as RequestDefaults,
    timeoutMs: c.timeoutMs ?? DEFAULTS.timeoutMs,
    maxConcurrency: c.maxConcurrency ?? DEFAULTS.maxConcurrency,
    maxQueue: c.maxQueue ?? DEFAULTS.maxQueue,
    cache: c.cache === undefined ? runtimeCache : c.cache,
    fuse,
    retry,
    historySize: c.historySize ?? DEFAULTS.historySize,
    maxResponseBytes: c.maxResponseBytes ?? DEFAULTS.maxResponseBytes,
    maxEventBytes: c.maxEventBytes ?? DEFAULTS.maxEventBytes,
    ...(c.pricing && { pricing: c.pricing }),
    ...(c.budget && { budget: c.budget }),
    ...(c.trace && { trace: c.trace }),
    firstTokenTimeoutMs: c.firstTokenTimeoutMs,
    idleTimeoutMs: c.idleTimeoutMs,
    rateLimit: c.rateLimit,
  };
  if (isDriver) {
    const driver = input as DriverClientConfig;
    resolved.driver = { request: driver.request, output: driver.output };
  }
  return resolved;
}

/**
 * Validates the whole runtime config and applies defaults.
 *
 * @throws {@link LlmActorsError} INVALID_CONFIG naming every field at fault and why.
 */
export function resolveRuntimeConfig(input: unknown): ResolvedRuntimeConfig {
  if (input === undefined) input = {};
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw invalidConfig('config: expected an object');
  }
  const parsed = runtimeSchema.safeParse(input);
  const problems: string[] = [];
  if (!parsed.success) problems.push(formatIssues('', parsed.error));
  const cache = (parsed.success ? parsed.data.cache : undefined) ?? { store: 'memory' };
  // Checked even when the runtime-level fields are at fault, so every problem is reported at once.
  const rawClients: unknown = (input as Record<string, unknown>).clients;
  const clientsInput: Record<string, unknown> =
    typeof rawClients === 'object' && rawClients !== null && !Array.isArray(rawClients)
      ? (rawClients as Record<string, unknown>)
      : {};
  const clients: ResolvedClientConfig[] = [];
  for (const name of Object.keys(clientsInput)) {
    try {
      clients.push(resolveClientConfig(name, clientsInput[name], cache));
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  const groups = resolveGroups(
    parsed.success ? parsed.data.groups : undefined,
    clientsInput,
    problems,
  );
  if (problems.length > 0 || !parsed.success) throw invalidConfig(problems.join('; '));
  const c = parsed.data;
  return {
    clients,
    groups,
    cache,
    supervisor: { ...DEFAULTS.supervisor, ...c.supervisor },
    logger: c.logger,
    clock: c.clock,
  };
}

/** Resolves every group of the config against its clients, adding a line per problem. */
function resolveGroups(
  input: Record<string, unknown> | undefined,
  clients: Record<string, unknown>,
  problems: string[],
): ResolvedGroupConfig[] {
  const groups: ResolvedGroupConfig[] = [];
  const isClient = (name: string) => Object.hasOwn(clients, name);
  const isGroup = (name: string) => input !== undefined && Object.hasOwn(input, name);
  for (const name of Object.keys(input ?? {})) {
    try {
      checkClientName(name);
      groups.push(resolveGroupConfig(name, input![name], isClient, isGroup));
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  return groups;
}
