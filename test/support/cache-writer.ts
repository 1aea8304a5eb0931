/**
 * A child process for the cross-process cache tests: opens a runtime on a shared SQLite cache
 * and makes `count` requests (prompts `prefix-0…`), printing `wrote N` as answers are stored.
 *
 *   node --import tsx test/support/cache-writer.ts <path> <prefix> <count>
 */
import { createRuntime } from '../../src/index.js';

const [path, prefix, count] = process.argv.slice(2) as [string, string, string];
const runtime = await createRuntime({
  clients: {
    shared: {
      provider: 'driver',
      model: 'm',
      request: ({ messages }) => ({ text: `answer to ${messages[0]!.content}` }),
      output: (raw: { text: string }) => ({ text: raw.text }),
    },
  },
  cache: { store: 'sqlite', path },
  logger: false,
});
for (let i = 0; i < Number(count); i++) {
  await runtime.request('shared', [{ role: 'user', content: `${prefix}-${i}` }]);
  if (i % 10 === 9) process.stdout.write(`wrote ${i + 1}\n`);
}
await runtime.stop();
process.stdout.write('done\n');
