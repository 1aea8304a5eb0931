/**
 * A process that must exit by itself: a runtime with a Redis cache and a fleet-wide fuse built
 * from the config in argv[2] (JSON). It prints `ready` once both Redis links are up, then waits
 * for one line on stdin (the test stops Redis with SIGSTOP first). Then it lets go of stdin,
 * asks once (the upstream fails it, so the fuse melts and announces it: commands are left
 * unanswered on every link), stops the runtime, prints `stopped` — and never calls
 * `process.exit`: whatever still holds the event loop keeps it alive.
 */
import { createInterface } from 'node:readline';
import { createRuntime, type RuntimeConfig } from '../../src/index.js';

const config = JSON.parse(process.argv[2]!) as RuntimeConfig;
const runtime = await createRuntime({ ...config, logger: false });
while (runtime.health('gpt').fleet?.cache !== 'up' || runtime.health('gpt').fleet?.fuse !== 'up') {
  await new Promise((resolve) => setTimeout(resolve, 10));
}
process.stdout.write('ready\n');
const lines = createInterface({ input: process.stdin });
lines.once('line', () => {
  lines.close();
  process.stdin.destroy();
  void (async () => {
    await runtime.request('gpt', [{ role: 'user', content: 'x' }]).catch(() => undefined);
    const fuse = runtime.health('gpt').fuse.state;
    await runtime.stop({ timeoutMs: 1_000 });
    process.stdout.write(`stopped with the fuse ${fuse}\n`);
  })();
});
