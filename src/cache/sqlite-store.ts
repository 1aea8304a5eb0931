/**
 * The SQLite store: one file shared by every process on a machine, in WAL mode (concurrent
 * readers, writes that do not fsync each time) and readable by its owner only (mode 0600: the
 * answers may be private).
 */
import { chmod, mkdir, open } from 'node:fs/promises';
import { dirname, resolve as resolvePath } from 'node:path';
import type { KeyvStoreAdapter } from 'keyv';

/** The table every client's namespace lives in. */
const TABLE = 'llm_actors_cache';
/** How long a statement waits for another connection's lock before SQLITE_BUSY, ms. */
const BUSY_TIMEOUT_MS = 5_000;
/** Attempts at switching to WAL while another process holds the file. */
const WAL_ATTEMPTS = 20;

/** SQLite opens under way, by absolute path: one file is opened by one connection at a time. */
const sqliteOpening = new Map<string, Promise<KeyvStoreAdapter>>();

/**
 * Opens the SQLite store at `path`. Opens of one file are queued in this process: switching a
 * new file to WAL takes an exclusive lock, and SQLite answers SQLITE_BUSY at once (without
 * waiting out busyTimeout) when another connection is opening the same file.
 */
export async function sqliteStore(path: string): Promise<KeyvStoreAdapter> {
  const file = resolvePath(path);
  const before = sqliteOpening.get(file) ?? Promise.resolve();
  const opening = before.then(
    () => openSqlite(file),
    () => openSqlite(file),
  );
  sqliteOpening.set(file, opening);
  try {
    return await opening;
  } finally {
    if (sqliteOpening.get(file) === opening) sqliteOpening.delete(file);
  }
}

async function openSqlite(path: string): Promise<KeyvStoreAdapter> {
  await mkdir(dirname(path), { recursive: true });
  // Created with mode 0600 before SQLite sees it, and chmod-ed in case it existed already.
  const handle = await open(path, 'a', 0o600);
  await handle.close();
  await chmod(path, 0o600);
  const { default: KeyvSqlite } = await import('@keyv/sqlite');
  const store = new KeyvSqlite({
    uri: `sqlite://${path}`,
    table: TABLE,
    busyTimeout: BUSY_TIMEOUT_MS,
  });
  try {
    await walMode(store);
    await store.query('PRAGMA synchronous=NORMAL');
  } catch (error) {
    await store.disconnect().catch(() => undefined);
    throw error;
  }
  return store as unknown as KeyvStoreAdapter;
}

/**
 * Turns WAL on, retrying a while if another process holds the file (SQLITE_BUSY). The pauses
 * are real time, not the runtime's clock: they wait for another process's file lock.
 */
async function walMode(store: { query: (sql: string) => Promise<unknown> }): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await store.query('PRAGMA journal_mode=WAL');
      return;
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'SQLITE_BUSY' || attempt >= WAL_ATTEMPTS) {
        throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, 10 * attempt));
    }
  }
}
