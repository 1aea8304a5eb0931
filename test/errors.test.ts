import { describe, expect, it } from 'vitest';
import {
  ErrorCodes,
  LlmActorsError,
  isLlmActorsError,
  type ErrorCode,
} from '../src/model/errors.js';
import * as api from '../src/index.js';

const ALL_CODES = Object.values(ErrorCodes);

const RETRYABLE: Array<[ErrorCode, boolean]> = [
  ['FUSE_OPEN', true],
  ['QUEUE_FULL', true],
  ['TIMEOUT', true],
  ['NETWORK_ERROR', true],
  ['CLIENT_RESTARTED', true],
  ['RATE_LIMITED', true],
  ['INVALID_CONFIG', false],
  ['INVALID_REQUEST', false],
  ['UNKNOWN_CLIENT', false],
  ['ABORTED', false],
  ['PROVIDER_ERROR', false],
  ['BAD_RESPONSE', false],
  ['CLIENT_FAILED', false],
  ['RUNTIME_STOPPED', false],
  ['BUDGET_EXCEEDED', false],
];

describe('LlmActorsError', () => {
  it('is an Error with its name, code and message', () => {
    const e = new LlmActorsError('TIMEOUT', 'gpt: no answer within 30000 ms', { client: 'gpt' });
    expect(e).toBeInstanceOf(Error);
    expect(e).toBeInstanceOf(LlmActorsError);
    expect(e.name).toBe('LlmActorsError');
    expect(e.code).toBe('TIMEOUT');
    expect(e.message).toBe('gpt: no answer within 30000 ms');
    expect(e.client).toBe('gpt');
    expect(e.stack).toContain('LlmActorsError');
  });

  it('exports the stable codes of DESIGN.md, each equal to its key', () => {
    expect(Object.keys(ErrorCodes).sort()).toEqual(
      [
        'INVALID_CONFIG',
        'INVALID_REQUEST',
        'UNKNOWN_CLIENT',
        'FUSE_OPEN',
        'QUEUE_FULL',
        'TIMEOUT',
        'ABORTED',
        'PROVIDER_ERROR',
        'NETWORK_ERROR',
        'BAD_RESPONSE',
        'CLIENT_RESTARTED',
        'CLIENT_FAILED',
        'RUNTIME_STOPPED',
        'BUDGET_EXCEEDED',
        'RATE_LIMITED',
      ].sort(),
    );
    for (const [key, value] of Object.entries(ErrorCodes)) expect(value).toBe(key);
  });

  it('is exported from the package entry with its guard and codes', () => {
    expect(api.LlmActorsError).toBe(LlmActorsError);
    expect(api.isLlmActorsError).toBe(isLlmActorsError);
    expect(api.ErrorCodes).toBe(ErrorCodes);
  });

  it.each(RETRYABLE)('defaults retryable of %s to %s', (code, retryable) => {
    expect(new LlmActorsError(code, 'x').retryable).toBe(retryable);
  });

  it('has a retryable default for every code in the table above', () => {
    expect(RETRYABLE.map(([code]) => code).sort()).toEqual([...ALL_CODES].sort());
  });

  it('lets details override the default retryable either way', () => {
    expect(new LlmActorsError('PROVIDER_ERROR', 'x', { retryable: true }).retryable).toBe(true);
    expect(new LlmActorsError('TIMEOUT', 'x', { retryable: false }).retryable).toBe(false);
  });

  it('carries the details of its code', () => {
    const fuse = new LlmActorsError('FUSE_OPEN', 'open', { client: 'gpt', retryAt: 1_700 });
    expect(fuse.retryAt).toBe(1_700);
    const provider = new LlmActorsError('PROVIDER_ERROR', 'HTTP 503', {
      client: 'gpt',
      status: 503,
      retryable: true,
      body: '{"error":"overloaded"}',
      retryAfterMs: 2_000,
    });
    expect(provider).toMatchObject({
      status: 503,
      retryable: true,
      body: '{"error":"overloaded"}',
      retryAfterMs: 2_000,
    });
    const bare = new LlmActorsError('ABORTED', 'aborted');
    expect([bare.client, bare.retryAt, bare.status, bare.body, bare.retryAfterMs]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('keeps the cause when given and has none otherwise', () => {
    const cause = new Error('ECONNREFUSED');
    expect(new LlmActorsError('NETWORK_ERROR', 'x', { cause }).cause).toBe(cause);
    expect('cause' in new LlmActorsError('NETWORK_ERROR', 'x')).toBe(false);
  });

  it('serializes with toJSON to a plain view without the cause', () => {
    const e = new LlmActorsError('PROVIDER_ERROR', 'gpt: HTTP 429', {
      client: 'gpt',
      status: 429,
      retryable: true,
      body: 'slow down',
      cause: new Error('secret internals'),
    });
    expect(e.toJSON()).toEqual({
      name: 'LlmActorsError',
      code: 'PROVIDER_ERROR',
      message: 'gpt: HTTP 429',
      client: 'gpt',
      retryAt: undefined,
      status: 429,
      retryable: true,
      body: 'slow down',
    });
    const json = JSON.parse(JSON.stringify(e)) as Record<string, unknown>;
    expect(json).toEqual({
      name: 'LlmActorsError',
      code: 'PROVIDER_ERROR',
      message: 'gpt: HTTP 429',
      client: 'gpt',
      status: 429,
      retryable: true,
      body: 'slow down',
    });
    expect(JSON.stringify(e)).not.toContain('secret internals');
  });

  it('serializes retryAt of FUSE_OPEN, including null', () => {
    expect(
      JSON.parse(JSON.stringify(new LlmActorsError('FUSE_OPEN', 'o', { retryAt: 5 }))),
    ).toMatchObject({
      code: 'FUSE_OPEN',
      retryAt: 5,
      retryable: true,
    });
    expect(new LlmActorsError('FUSE_OPEN', 'o', { retryAt: null }).toJSON().retryAt).toBeNull();
  });
});

describe('isLlmActorsError', () => {
  it('is true for an LlmActorsError of any code', () => {
    for (const code of ALL_CODES)
      expect(isLlmActorsError(new LlmActorsError(code, 'x'))).toBe(true);
  });

  it('checks the code when one is given', () => {
    const e = new LlmActorsError('TIMEOUT', 'x');
    expect(isLlmActorsError(e, 'TIMEOUT')).toBe(true);
    expect(isLlmActorsError(e, 'ABORTED')).toBe(false);
  });

  it('is false for plain errors, look-alikes and non-objects', () => {
    const lookalike = Object.assign(new Error('x'), { name: 'LlmActorsError', code: 'TIMEOUT' });
    for (const value of [
      new Error('x'),
      lookalike,
      { code: 'TIMEOUT', message: 'x' },
      null,
      undefined,
      'TIMEOUT',
      42,
      () => {},
    ]) {
      expect(isLlmActorsError(value)).toBe(false);
      expect(isLlmActorsError(value, 'TIMEOUT')).toBe(false);
    }
  });

  it('is false when the brand is set to something other than true', () => {
    const brand = Symbol.for('llm-actors.error');
    expect(isLlmActorsError({ [brand]: 'yes', code: 'TIMEOUT' })).toBe(false);
    expect(isLlmActorsError({ [brand]: 1, code: 'TIMEOUT' })).toBe(false);
  });

  it('recognizes an error branded by another copy of the package, where instanceof fails', () => {
    // What a second install of the package builds: its own class, the same global symbol.
    class OtherCopyError extends Error {
      readonly code = 'QUEUE_FULL';
      constructor() {
        super('gpt: queue full');
        Object.defineProperty(this, Symbol.for('llm-actors.error'), { value: true });
      }
    }
    const foreign = new OtherCopyError();
    expect(foreign instanceof LlmActorsError).toBe(false);
    expect(isLlmActorsError(foreign)).toBe(true);
    expect(isLlmActorsError(foreign, 'QUEUE_FULL')).toBe(true);
    expect(isLlmActorsError(foreign, 'TIMEOUT')).toBe(false);
  });

  it('recognizes a plain branded object', () => {
    const branded = { [Symbol.for('llm-actors.error')]: true, code: 'ABORTED', message: 'x' };
    expect(isLlmActorsError(branded)).toBe(true);
    expect(isLlmActorsError(branded, 'ABORTED')).toBe(true);
  });

  it('does not expose the brand as an enumerable property', () => {
    const e = new LlmActorsError('TIMEOUT', 'x');
    const brand = Symbol.for('llm-actors.error');
    expect(Object.getOwnPropertySymbols(e)).toContain(brand);
    expect(Object.prototype.propertyIsEnumerable.call(e, brand)).toBe(false);
    expect(Object.getOwnPropertySymbols({ ...e })).not.toContain(brand);
    expect(isLlmActorsError({ ...e })).toBe(false);
  });
});
