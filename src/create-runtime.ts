/**
 * createRuntime: checks the whole config, starts every client under the supervisor, adds the
 * groups, and returns the runtime (or, if any client cannot start, stops the others and throws).
 */
import { resolveRuntimeConfig } from './config/resolve.js';
import { loadTracing } from './observe/tracing.js';
import type { RuntimeConfig } from './config/types.js';
import { Runtime } from './runtime.js';

/**
 * Validates `config`, starts every client under the supervisor and returns the runtime.
 *
 * @example
 * ```ts
 * const runtime = await createRuntime({
 *   clients: { gpt: { provider: 'openai', model: 'gpt-4o-mini', apiKey: process.env.OPENAI_API_KEY } },
 *   cache: { store: 'sqlite', path: '.cache/llm.sqlite' },
 * });
 * ```
 * @throws {@link LlmActorsError} INVALID_CONFIG naming every field at fault and why.
 */
export async function createRuntime(config: RuntimeConfig = {}): Promise<Runtime> {
  const resolved = resolveRuntimeConfig(config);
  // Once, here: the request path only reads whether it loaded.
  await loadTracing();
  const runtime = new Runtime(resolved);
  const inputs = config.clients ?? {};
  const started = await Promise.allSettled(
    resolved.clients.map((c) => runtime.register(c.name, inputs[c.name]!)),
  );
  const failure = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure) {
    await runtime.stop();
    throw failure.reason;
  }
  // Checked against the clients already, with the config's other problems.
  for (const group of resolved.groups)
    await runtime.register(group.name, config.groups![group.name]!);
  return runtime;
}
