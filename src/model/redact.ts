/**
 * Keeping secrets out of everything the runtime says: error messages, body excerpts, logs, the
 * cache. An upstream that echoes a key rarely echoes it verbatim, so each secret is matched in
 * the forms seen in the wild: in any letter case, any tail of eight characters or more (`…wxyz1234`
 * in "Incorrect API key provided: sk-…"), and base64 (standard or URL-safe, alone or inside a
 * longer encoded text such as a Basic credential).
 */

/** The replacement for a secret. */
export const REDACTED = '[REDACTED]';

/** Header names whose values are credentials whatever their length. */
export const SECRET_HEADERS: ReadonlySet<string> = new Set([
  'authorization',
  'proxy-authorization',
  'x-api-key',
  'api-key',
  'cookie',
]);

/** Shorter values are not scrubbed: they would match ordinary text. */
const MIN_SECRET = 4;
/**
 * Every configured header is treated as a secret (x-goog-api-key, Ocp-Apim-Subscription-Key,
 * X-Auth-Token… cannot all be listed) unless its value is this short: a flag or a version.
 */
const MIN_HEADER_SECRET = 8;
/** The shortest tail of a secret that is scrubbed on its own. */
const TAIL = 8;

/**
 * The secrets of a client config: its API key and the values of its headers (with the
 * credential after a scheme such as `Bearer`, and the parts of a `Basic` credential).
 */
export function secretsOf(apiKey: string | undefined, headers: Record<string, string>): string[] {
  const secrets = new Set<string>();
  const add = (value: string | undefined, min: number) => {
    if (value !== undefined && value.length >= min) secrets.add(value);
  };
  add(apiKey, MIN_SECRET);
  for (const [name, value] of Object.entries(headers)) {
    const min = SECRET_HEADERS.has(name.toLowerCase()) ? MIN_SECRET : MIN_HEADER_SECRET;
    add(value, min);
    const scheme = /^([A-Za-z][\w-]*)\s+(\S.*)$/.exec(value);
    if (scheme === null) continue;
    const credential = scheme[2]!;
    add(credential, min);
    if (scheme[1]!.toLowerCase() === 'basic') {
      const decoded = Buffer.from(credential, 'base64').toString('utf8');
      add(decoded, min);
      add(decoded.slice(decoded.indexOf(':') + 1), min);
    }
  }
  return [...secrets];
}

/** Replaces every occurrence of each secret, in every form it is matched in, in `text`. */
export function scrub(text: string, secrets: readonly string[]): string {
  const matcher = matcherOf(secrets);
  if (matcher === null) return text;
  const { regex, tails } = matcher;
  regex.lastIndex = 0;
  let out = '';
  let last = 0;
  for (let m = regex.exec(text); m !== null; m = regex.exec(text)) {
    let start = m.index;
    const tail = m.findIndex((group, i) => i > 1 && group !== undefined);
    if (tail !== -1) {
      // A tail matched: take in the key's characters before it too, as far as they are there.
      const secret = tails[tail - 2]!;
      let k = secret.length - TAIL - 1;
      while (k >= 0 && start > last && sameLetter(text[start - 1]!, secret[k]!)) {
        start--;
        k--;
      }
    }
    out += text.slice(last, start) + REDACTED;
    last = m.index + m[0].length;
  }
  return last === 0 ? text : out + text.slice(last);
}

/** True when `text` holds any secret in any form {@link scrub} replaces. */
export function containsSecret(text: string, secrets: readonly string[]): boolean {
  const matcher = matcherOf(secrets);
  if (matcher === null) return false;
  matcher.regex.lastIndex = 0;
  return matcher.regex.test(text);
}

interface Matcher {
  /** Group 1: whole secrets and their base64 forms; group 2 + i: the tail of `tails[i]`. */
  regex: RegExp;
  tails: string[];
}

/** A client's secrets are one array for its life: compiled once. */
const matchers = new WeakMap<readonly string[], Matcher | null>();

function matcherOf(secrets: readonly string[]): Matcher | null {
  let matcher = matchers.get(secrets);
  if (matcher === undefined) {
    matcher = compile(secrets);
    matchers.set(secrets, matcher);
  }
  return matcher;
}

function compile(secrets: readonly string[]): Matcher | null {
  const whole = new Set<string>();
  const tails: string[] = [];
  for (const secret of secrets) {
    if (secret.length < MIN_SECRET) continue;
    whole.add(secret);
    if (secret.length < TAIL) continue;
    for (const form of base64Forms(secret)) whole.add(form);
    if (secret.length > TAIL) tails.push(secret);
  }
  if (whole.size === 0) return null;
  // Longest first: where a secret and its tail both match, the whole secret goes.
  const alternatives = [...whole].sort((a, b) => b.length - a.length).map(escape);
  const source = [
    `(${alternatives.join('|')})`,
    ...tails.map((secret) => `(${escape(secret.slice(-TAIL))})`),
  ].join('|');
  return { regex: new RegExp(source, 'gi'), tails };
}

/**
 * The base64 text that encodes `secret` wherever it sits in the encoded bytes: for each of the
 * three alignments, the encoded groups made of the secret's bytes alone (those at its edges
 * depend on its neighbours and are left out), standard and URL-safe.
 */
function base64Forms(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  const forms: string[] = [bytes.toString('base64')];
  for (let offset = 0; offset < 3; offset++) {
    const shifted = Buffer.concat([Buffer.alloc(offset), bytes]);
    const encoded = shifted.toString('base64');
    const core = encoded.slice(offset === 0 ? 0 : 4, 4 * Math.floor(shifted.length / 3));
    if (core.length >= TAIL) forms.push(core);
  }
  return forms.flatMap((form) => {
    const urlSafe = form.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    return urlSafe === form ? [form] : [form, urlSafe];
  });
}

function sameLetter(a: string, b: string): boolean {
  return a === b || a.toLowerCase() === b.toLowerCase();
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
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
