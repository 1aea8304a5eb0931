import { describe, expect, it } from 'vitest';
import { LlmActorsError } from '../src/model/errors.js';
import {
  classify,
  fuseOutcome,
  httpError,
  isRetryableStatus,
  retryAfterMs,
} from '../src/policy/classify.js';

const live = new AbortController().signal;

describe('retry-after', () => {
  it('reads retry-after-ms before retry-after', () => {
    expect(retryAfterMs({ 'retry-after-ms': '150', 'retry-after': '9' }, 0)).toBe(150);
  });

  it('reads retry-after in seconds', () => {
    expect(retryAfterMs({ 'retry-after': '2' }, 0)).toBe(2_000);
  });

  it('reads retry-after as an HTTP date relative to now', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfterMs({ 'retry-after': 'Thu, 01 Jan 2026 00:00:03 GMT' }, now)).toBe(3_000);
  });

  it('ignores a header it cannot read', () => {
    expect(retryAfterMs({ 'retry-after': 'soon' }, 0)).toBeUndefined();
    expect(retryAfterMs({}, 0)).toBeUndefined();
  });
});

describe('http errors', () => {
  it('marks 408, 409, 429 and 5xx retryable and other 4xx not', () => {
    expect([408, 409, 429, 500, 503, 529].every(isRetryableStatus)).toBe(true);
    expect([400, 401, 403, 404, 422].some(isRetryableStatus)).toBe(false);
  });

  it('lets x-should-retry override the status', () => {
    const no = httpError('c', 'openai', 503, { 'x-should-retry': 'false' }, '', [], 0);
    const yes = httpError('c', 'openai', 400, { 'x-should-retry': 'true' }, '', [], 0);
    expect(no.retryable).toBe(false);
    expect(yes.retryable).toBe(true);
  });

  it('carries status, a short body excerpt without secrets, and the upstream message', () => {
    const body = JSON.stringify({
      error: { message: 'key sk-SECRET-123 is wrong', detail: `${'x'.repeat(436)}sk-SECRET-123` },
    });
    const e = httpError('c', 'openai', 401, { 'retry-after': '1' }, body, ['sk-SECRET-123'], 0);
    expect(e).toMatchObject({ code: 'PROVIDER_ERROR', status: 401, retryAfterMs: 1_000 });
    expect(e.message).toContain('key [REDACTED] is wrong');
    expect(e.body!.length).toBeLessThanOrEqual(500);
    expect(e.body).not.toContain('sk-SE');
  });
});

describe('classify', () => {
  it('prefers the abort reason when the attempt was aborted', () => {
    const controller = new AbortController();
    const reason = new LlmActorsError('TIMEOUT', 'late');
    controller.abort(reason);
    expect(classify(new Error('socket closed'), controller.signal, 'c', [])).toBe(reason);
  });

  it('types network codes, HTTP statuses and anything else', () => {
    const reset = Object.assign(new Error('reset'), { code: 'ECONNRESET' });
    expect(classify(reset, live, 'c', [])).toMatchObject({
      code: 'NETWORK_ERROR',
      retryable: true,
    });
    const wrapped = Object.assign(new TypeError('fetch failed'), {
      cause: { code: 'ECONNREFUSED' },
    });
    expect(classify(wrapped, live, 'c', []).code).toBe('NETWORK_ERROR');
    const status = Object.assign(new Error('nope'), { statusCode: 404 });
    expect(classify(status, live, 'c', [])).toMatchObject({ status: 404, retryable: false });
    expect(classify('weird', live, 'c', [])).toMatchObject({
      code: 'PROVIDER_ERROR',
      status: null,
      retryable: true,
    });
  });
});

describe('TLS failures', () => {
  it.each([
    'ERR_TLS_CERT_ALTNAME_INVALID',
    'CERT_HAS_EXPIRED',
    'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    'DEPTH_ZERO_SELF_SIGNED_CERT',
    'SELF_SIGNED_CERT_IN_CHAIN',
    'ERR_SSL_WRONG_VERSION_NUMBER',
  ])('types %s as a NETWORK_ERROR naming TLS, not retried', (code) => {
    const error = Object.assign(new Error('handshake failed'), { code });
    const typed = classify(error, live, 'c', []);
    expect(typed).toMatchObject({ code: 'NETWORK_ERROR', retryable: false });
    expect(typed.message).toBe(`c: TLS failure (${code}): handshake failed`);
    expect(fuseOutcome(typed)).toBe('failure');
  });

  it('reads the code of a wrapped TLS error, and an EPROTO only when it speaks of SSL', () => {
    const wrapped = Object.assign(new TypeError('fetch failed'), {
      cause: { code: 'CERT_HAS_EXPIRED' },
    });
    expect(classify(wrapped, live, 'c', []).message).toMatch(/TLS failure/);
    const ssl = Object.assign(new Error('write EPROTO SSL routines: unsupported protocol'), {
      code: 'EPROTO',
    });
    expect(classify(ssl, live, 'c', []).message).toMatch(/TLS failure \(EPROTO\)/);
    const plain = Object.assign(new Error('protocol error'), { code: 'EPROTO' });
    expect(classify(plain, live, 'c', [])).toMatchObject({
      code: 'NETWORK_ERROR',
      retryable: true,
    });
  });
});

describe('fuse outcome', () => {
  const e = (code: LlmActorsError['code'], status?: number | null) =>
    new LlmActorsError(code, 'x', { status });

  it('counts network errors, timeouts, unusable answers, 408, 429 and 5xx as failures', () => {
    for (const error of [e('NETWORK_ERROR'), e('TIMEOUT'), e('BAD_RESPONSE')]) {
      expect(fuseOutcome(error)).toBe('failure');
    }
    for (const status of [408, 429, 500, 503, null]) {
      expect(fuseOutcome(e('PROVIDER_ERROR', status))).toBe('failure');
    }
  });

  it('counts a caller fault as proof the provider is up, and an abort as nothing', () => {
    expect(fuseOutcome(e('PROVIDER_ERROR', 400))).toBe('success');
    expect(fuseOutcome(e('ABORTED'))).toBe('neutral');
  });
});
