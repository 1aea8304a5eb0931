#!/usr/bin/env node
/**
 * The `llm-actors` command. `llm-actors serve --config <file>` runs the gateway; SIGTERM or
 * SIGINT shut it down gracefully (stop accepting, let requests under way finish, stop the
 * clients); a second signal exits at once.
 */
import { parseArgs } from 'node:util';
import { createGateway, loadConfigFile } from './gateway/index.js';
import { createRuntime, isLlmActorsError } from './index.js';
import { startTestServer, type TestServer } from './testing/index.js';

const USAGE = `Usage: llm-actors serve --config <file> [--port 8787] [--host 127.0.0.1] [--demo]

  --config <file>  YAML or JSON: clients (as createRuntime takes them), an optional gateway
                   section (port, host, apiKeys, adminToken, maxBodyBytes, drainTimeoutMs),
                   \${ENV_VAR} in values
  --port <n>       port to listen on (overrides gateway.port; default 8787; 0 = any free port)
  --host <addr>    interface to bind (overrides gateway.host; default 127.0.0.1)
  --demo           also start the bundled testing server and export its URL as
                   LLM_ACTORS_DEMO_URL, for a config's demo client
`;

/** Exit codes: 0 after a clean shutdown, 1 on a runtime failure, 2 on bad usage or config. */
async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: 'string', short: 'c' },
        port: { type: 'string', short: 'p' },
        host: { type: 'string' },
        demo: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (e) {
    process.stderr.write(`llm-actors: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (positionals[0] !== 'serve' || positionals.length > 1) {
    process.stderr.write(
      `llm-actors: ${positionals.length === 0 ? 'missing command' : `unknown command ${JSON.stringify(positionals.join(' '))}`}\n\n${USAGE}`,
    );
    return 2;
  }
  if (values.config === undefined) {
    process.stderr.write(`llm-actors: --config <file> is required\n\n${USAGE}`);
    return 2;
  }
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65_535)) {
    process.stderr.write(
      `llm-actors: --port: expected an integer from 0 to 65535, got ${values.port}\n`,
    );
    return 2;
  }

  let demo: TestServer | undefined;
  if (values.demo) {
    demo = await startTestServer({ model: 'demo-model' });
    process.env.LLM_ACTORS_DEMO_URL = demo.url;
  }
  const closeDemo = () => demo?.close();
  let config;
  try {
    config = loadConfigFile(values.config);
  } catch (e) {
    await closeDemo();
    process.stderr.write(`llm-actors: ${(e as Error).message}\n`);
    return 2;
  }
  let runtime;
  try {
    runtime = await createRuntime(config.runtime);
  } catch (e) {
    await closeDemo();
    process.stderr.write(`llm-actors: ${(e as Error).message}\n`);
    return isLlmActorsError(e) && e.code === 'INVALID_CONFIG' ? 2 : 1;
  }
  let gateway;
  try {
    gateway = await createGateway(runtime, {
      ...config.gateway,
      ...(port === undefined ? {} : { port }),
      ...(values.host === undefined ? {} : { host: values.host }),
    });
  } catch (e) {
    await runtime.stop({ timeoutMs: 0 });
    await closeDemo();
    const code = (e as NodeJS.ErrnoException).code;
    process.stderr.write(
      `llm-actors: cannot listen: ${code === 'EADDRINUSE' ? 'the port is in use' : (e as Error).message}\n`,
    );
    return 1;
  }
  process.stderr.write(
    `llm-actors gateway on ${gateway.url}\n` +
      `  clients:   ${runtime.clients().join(', ')}\n` +
      `  API:       POST ${gateway.url}/v1/chat/completions (model = client name)\n` +
      `  dashboard: ${gateway.url}/\n`,
  );

  return new Promise<number>((resolve) => {
    let stopping = false;
    const shutdown = (signal: NodeJS.Signals) => {
      if (stopping) {
        process.stderr.write(`llm-actors: ${signal} again, exiting now\n`);
        process.exit(1);
      }
      stopping = true;
      process.stderr.write(`llm-actors: ${signal}, draining\n`);
      gateway
        .close({ timeoutMs: config.gateway.drainTimeoutMs ?? 10_000 })
        .then(() => runtime.stop({ timeoutMs: 5_000 }))
        .then(closeDemo)
        .then(
          () => resolve(0),
          (e: unknown) => {
            process.stderr.write(`llm-actors: shutdown failed: ${String(e)}\n`);
            resolve(1);
          },
        );
    };
    process.on('SIGTERM', shutdown);
    process.on('SIGINT', shutdown);
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`llm-actors: ${isLlmActorsError(e) ? e.message : String(e)}\n`);
    process.exitCode = 1;
  },
);
