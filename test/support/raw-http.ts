/**
 * Raw sockets against a gateway, for the tests of hostile callers: half-sent requests, trickled
 * headers and bodies, readers that never read. Every socket opened here is destroyed by
 * {@link destroyAll}.
 */
import { connect, type Socket } from 'node:net';
import { pino, type Logger } from 'pino';

const opened = new Set<Socket>();

/** A connected socket to `url`'s host and port; `onData` sees what the server sends. */
export async function open(url: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  const socket = connect({ host: hostname, port: Number(port) });
  opened.add(socket);
  socket.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return socket;
}

/** Resolves once `socket` is closed (by either side); reads it, so that the end is seen. */
export function closed(socket: Socket): Promise<void> {
  if (socket.closed) return Promise.resolve();
  socket.resume();
  return new Promise((resolve) => socket.once('close', () => resolve()));
}

/** Everything `socket` receives, as text, read as it comes. */
export function received(socket: Socket): { text: string } {
  const out = { text: '' };
  socket.on('data', (chunk: Buffer) => (out.text += chunk.toString('latin1')));
  return out;
}

/** Destroys every socket opened by {@link open}. */
export function destroyAll(): void {
  for (const socket of opened) socket.destroy();
  opened.clear();
}

/** A pino logger at debug whose lines land in `lines`, parsed. */
export function sink(): { logger: Logger; lines: Array<{ level: number; msg: string }> } {
  const lines: Array<{ level: number; msg: string }> = [];
  const logger = pino(
    { level: 'debug' },
    { write: (line: string) => void lines.push(JSON.parse(line) as never) },
  );
  return { logger, lines };
}
