/**
 * One process of a test fleet: a runtime built from the config in argv[2] (JSON), driven by
 * JSON lines on stdin, answering JSON lines on stdout:
 *   { id, op: 'request', client, content, timeoutMs? } -> { id, ok, cacheHit?, text?, code? }
 *   { id, op: 'health', client }                       -> { id, health }
 * It exits when stdin ends, after stopping the runtime.
 */
import { createInterface } from 'node:readline';
import { createRuntime, isLlmActorsError, type RuntimeConfig } from '../../src/index.js';

const config = JSON.parse(process.argv[2]!) as RuntimeConfig;
const runtime = await createRuntime({ ...config, logger: false });
const send = (message: unknown) => process.stdout.write(`${JSON.stringify(message)}\n`);

interface Command {
  id: number;
  op: 'request' | 'health';
  client: string;
  content?: string;
  timeoutMs?: number;
}

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const command = JSON.parse(line) as Command;
  if (command.op === 'health') {
    send({ id: command.id, health: runtime.health(command.client) });
    return;
  }
  const options = command.timeoutMs === undefined ? {} : { timeoutMs: command.timeoutMs };
  runtime.request(command.client, [{ role: 'user', content: command.content ?? '' }], options).then(
    (res) => send({ id: command.id, ok: true, cacheHit: res.cacheHit, text: res.text }),
    (e: unknown) =>
      send({ id: command.id, ok: false, code: isLlmActorsError(e) ? e.code : String(e) }),
  );
});
lines.on('close', () => {
  void runtime.stop({ timeoutMs: 1_000 }).then(() => process.exit(0));
});
send({ ready: true });
