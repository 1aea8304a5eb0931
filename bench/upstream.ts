/**
 * The benchmark's upstream, in its own process: a fixed small chat completion (an SSE stream of
 * a few chunks when the body asks for `stream: true`), optionally after a delay. `GET /count`
 * answers how many chat requests it has received. Prints its port on stdout, then serves until
 * killed.
 *
 * With `hold` instead of a delay, every chat request is held unanswered until `POST /release`
 * (which answers all of them); `GET /held` answers how many are held. The in-flight memory
 * check uses it to keep thousands of requests in flight for as long as it needs.
 *
 *   node --import tsx bench/upstream.ts [delayMs | hold]
 */
import { createServer, type ServerResponse } from 'node:http';

const hold = process.argv[2] === 'hold';
const delayMs = hold ? 0 : Number(process.argv[2] ?? 0);
const body = JSON.stringify({
  id: 'chatcmpl-bench',
  object: 'chat.completion',
  created: 0,
  model: 'bench-model',
  choices: [
    {
      index: 0,
      message: { role: 'assistant', content: 'ok' },
      finish_reason: 'stop',
      logprobs: null,
    },
  ],
  usage: { prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 },
});
const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
  `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 0, model: 'bench-model', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
const stream =
  chunk({ role: 'assistant', content: '' }) +
  ['o', 'k', '!'].map((c) => chunk({ content: c })).join('') +
  chunk({}, 'stop') +
  `data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 } })}\n\ndata: [DONE]\n\n`;

let count = 0;
let held: (() => void)[] = [];
const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/count') {
    res.end(String(count));
    return;
  }
  if (req.method === 'GET' && req.url === '/held') {
    res.end(String(held.length));
    return;
  }
  if (req.method === 'POST' && req.url === '/release') {
    const all = held;
    held = [];
    for (const answer of all) answer();
    res.end(String(all.length));
    return;
  }
  let data = '';
  req.setEncoding('utf8');
  req.on('data', (part: string) => (data += part));
  req.on('end', () => {
    count++;
    const answer = reply(res, data.includes('"stream":true'));
    if (hold) held.push(answer);
    else if (delayMs > 0) setTimeout(answer, delayMs);
    else answer();
  });
});

function reply(res: ServerResponse, streamed: boolean): () => void {
  return () => {
    if (streamed) {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(stream);
    } else {
      res.writeHead(200, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
      });
      res.end(body);
    }
  };
}

server.keepAliveTimeout = 30_000;
// Held requests wait as long as the check needs; connections stay as long as the callers keep them.
server.requestTimeout = 0;
server.headersTimeout = 0;
server.maxConnections = 50_000;
server.listen(0, '127.0.0.1', 50_000, () => {
  const address = server.address();
  if (address && typeof address === 'object') process.stdout.write(`${address.port}\n`);
});
