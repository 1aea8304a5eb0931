/**
 * Keeping secrets out of everything the runtime says: error messages, body excerpts, logs.
 */

/** The replacement for a secret. */
export const REDACTED = '[REDACTED]';

/** Header names whose values are credentials. */
export const SECRET_HEADERS: ReadonlySet<string> = new Set([
  'authorization',
  'proxy-authorization',
  'x-api-key',
  'api-key',
  'cookie',
]);

/** Replaces every occurrence of each secret in `text`. */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= 4 && out.includes(secret)) out = out.split(secret).join(REDACTED);
  }
  return out;
}

/** The secrets of a client config: its API key and the values of its credential headers. */
export function secretsOf(apiKey: string | undefined, headers: Record<string, string>): string[] {
  const secrets: string[] = [];
  if (apiKey) secrets.push(apiKey);
  for (const [name, value] of Object.entries(headers)) {
    if (SECRET_HEADERS.has(name.toLowerCase()) && value) {
      secrets.push(value);
      const bearer = /^bearer\s+(.+)$/i.exec(value);
      if (bearer?.[1]) secrets.push(bearer[1]);
    }
  }
  return secrets;
}

/** pino `redact` paths that cover API keys and credential headers wherever the runtime logs. */
export const REDACT_PATHS: string[] = [
  'apiKey',
  '*.apiKey',
  '*.*.apiKey',
  'headers.authorization',
  'headers["x-api-key"]',
  '*.headers.authorization',
  '*.headers["x-api-key"]',
  'config.headers',
  '*.config.headers',
];
