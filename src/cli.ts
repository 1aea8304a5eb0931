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

  --config <file>  YAML or JSON: clients and groups (as createRuntime takes them), an
                   optional gateway section (port, host, apiKeys, adminToken, maxBodyBytes,
                   drainTimeoutMs, eventsIntervalMs, headersTimeoutMs, requestTimeoutMs,
                   bodyTimeoutMs, keepAliveTimeoutMs, maxConnections, eventsBufferBytes),
                   \${ENV_VAR} in values
  --port <n>       port to listen on (overrides gateway.port; default 8787; 0 = any free port)
  --host <addr>    interface to bind (overrides gateway.host; default 127.0.0.1)
  --demo           also start the bundled testing server and export its URL as
                   LLM_ACTORS_DEMO_URL, for a config's demo client
`;

/** What `serve` was asked to do. */
interface ServeOptions {
  config: string;
  port: number | undefined;
  host: string | undefined;
  demo: boolean;
}

/** The parsed command line, or the exit code when there is nothing to serve. */
function parseCommand(argv: string[]): ServeOptions | number {
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
    return usageError((e as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (positionals[0] !== 'serve' || positionals.length > 1) {
    return usageError(
      positionals.length === 0
        ? 'missing command'
        : `unknown command ${JSON.stringify(positionals.join(' '))}`,
    );
  }
  if (values.config === undefined) return usageError('--config <file> is required');
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65_535)) {
    process.stderr.write(
      `llm-actors: --port: expected an integer from 0 to 65535, got ${values.port}\n`,
    );
    return 2;
  }
  return { config: values.config, port, host: values.host, demo: values.demo ?? false };
}

function usageError(message: string): number {
  process.stderr.write(`llm-actors: ${message}\n\n${USAGE}`);
  return 2;
}

/** Exit codes: 0 after a clean shutdown, 1 on a runtime failure, 2 on bad usage or config. */
async function main(argv: string[]): Promise<number> {
  const options = parseCommand(argv);
  if (typeof options === 'number') return options;
  let demo: TestServer | undefined;
  if (options.demo) {
    demo = await startTestServer({ model: 'demo-model' });
    process.env.LLM_ACTORS_DEMO_URL = demo.url;
  }
  const closeDemo = () => demo?.close();
  const failed = async (message: string, code: number) => {
    await closeDemo();
    process.stderr.write(`llm-actors: ${message}\n`);
    return code;
  };
  let config;
  try {
    config = loadConfigFile(options.config);
  } catch (e) {
    return failed((e as Error).message, 2);
  }
  let runtime;
  try {
    runtime = await createRuntime(config.runtime);
  } catch (e) {
    return failed((e as Error).message, isLlmActorsError(e) && e.code === 'INVALID_CONFIG' ? 2 : 1);
  }
  let gateway;
  try {
    gateway = await createGateway(runtime, {
      ...config.gateway,
      ...(options.port === undefined ? {} : { port: options.port }),
      ...(options.host === undefined ? {} : { host: options.host }),
    });
  } catch (e) {
    await runtime.stop({ timeoutMs: 0 });
    const code = (e as NodeJS.ErrnoException).code;
    return failed(
      `cannot listen: ${code === 'EADDRINUSE' ? 'the port is in use' : (e as Error).message}`,
      1,
    );
  }
  process.stderr.write(
    `llm-actors gateway on ${gateway.url}\n` +
      `  clients:   ${runtime.clients().join(', ')}\n` +
      (runtime.groups().length > 0 ? `  groups:    ${runtime.groups().join(', ')}\n` : '') +
      `  API:       POST ${gateway.url}/v1/chat/completions and /v1/responses (model = a client or group name)\n` +
      `  dashboard: ${gateway.url}/\n` +
      // The process to signal: under `npm start` or a shell wrapper it is not the one started.
      `  pid:       ${process.pid} (stop it with: kill ${process.pid})\n`,
  );
  const drainTimeoutMs = config.gateway.drainTimeoutMs ?? 10_000;
  return untilSignal(() =>
    gateway
      .close({ timeoutMs: drainTimeoutMs })
      .then(() => runtime.stop({ timeoutMs: 5_000 }))
      .then(closeDemo),
  );
}

/**
 * Resolves with the exit code once SIGTERM or SIGINT has run `shutdown`: 0 when it went
 * well. A second signal exits at once.
 */
function untilSignal(shutdown: () => Promise<unknown>): Promise<number> {
  return new Promise<number>((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        process.stderr.write(`llm-actors: ${signal} again, exiting now\n`);
        process.exit(1);
      }
      stopping = true;
      process.stderr.write(`llm-actors: ${signal}, draining\n`);
      shutdown().then(
        () => resolve(0),
        (e: unknown) => {
          process.stderr.write(`llm-actors: shutdown failed: ${String(e)}\n`);
          resolve(1);
        },
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
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
