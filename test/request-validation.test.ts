import { describe, expect, it } from 'vitest';
import { isLlmActorsError, type LlmActorsError } from '../src/model/errors.js';
import {
  describe as describeValue,
  validateMessages,
  validateOptions,
} from '../src/model/request.js';
import { MESSAGE_CASES, OPTION_CASES } from './support/bad-input-fixtures.js';

/** The INVALID_REQUEST error `fn` throws (fails the test when it throws nothing or another error). */
function requestError(fn: () => unknown): LlmActorsError {
  try {
    fn();
  } catch (e) {
    expect(isLlmActorsError(e, 'INVALID_REQUEST')).toBe(true);
    const error = e as LlmActorsError;
    expect(error.client).toBe('gpt');
    expect(error.retryable).toBe(false);
    return error;
  }
  throw new Error('expected INVALID_REQUEST, nothing was thrown');
}

const messagesError = (messages: unknown) =>
  requestError(() => validateMessages(messages, 'gpt')).message;
const optionsError = (options: unknown) =>
  requestError(() => validateOptions(options, 'gpt')).message;

const user = (content: unknown) => ({ role: 'user', content });

describe('validateMessages', () => {
  it.each(MESSAGE_CASES)(
    'rejects %s, naming the field and the reason',
    (_, messages, field, reason) => {
      const message = messagesError(messages);
      expect(message.startsWith(`${field}: `), message).toBe(true);
      expect(message.slice(field.length + 2)).toMatch(reason);
    },
  );

  it('accepts every role, an optional name and empty content', () => {
    expect(() =>
      validateMessages(
        [
          { role: 'system', content: 'be brief' },
          { role: 'user', content: 'hi', name: 'ann' },
          { role: 'assistant', content: '' },
          { role: 'tool', content: '{"ok":true}' },
        ],
        'gpt',
      ),
    ).not.toThrow();
  });

  it('accepts well-formed surrogate pairs such as emoji', () => {
    expect(() => validateMessages([user('hi 👋 \uD83D\uDE00')], 'gpt')).not.toThrow();
  });

  it('reports the first problem in order', () => {
    expect(messagesError([user('ok'), { role: 'x', content: 1 }, user(2)])).toMatch(
      /^messages\[1\]\.role: /,
    );
  });

  it('does not echo long content back in the message', () => {
    const secret = 'sk-' + 'x'.repeat(100);
    const message = messagesError([{ role: secret, content: 'x' }]);
    expect(message).toContain('a long string');
    expect(message).not.toContain(secret);
  });
});

describe('validateOptions', () => {
  it.each(OPTION_CASES)(
    'rejects %s, naming the field and the reason',
    (_, options, field, reason) => {
      const message = optionsError(options);
      expect(message.startsWith(`${field}: `), message).toBe(true);
      expect(message.slice(field.length + 2)).toMatch(reason);
    },
  );

  it('rejects options given as an array', () => {
    expect(optionsError([])).toBe('options: expected an object, got an array');
  });

  it('accepts undefined and every known option', () => {
    expect(() => validateOptions(undefined, 'gpt')).not.toThrow();
    expect(() => validateOptions({}, 'gpt')).not.toThrow();
    expect(() =>
      validateOptions(
        {
          temperature: 0,
          maxTokens: 1,
          cache: false,
          rolloutId: 3,
          signal: new AbortController().signal,
          timeoutMs: 1_500.5,
          stop: ['\n', 'END'],
          seed: -3,
          extra: { top_p: 0.9, nested: { a: 1 } },
        },
        'gpt',
      ),
    ).not.toThrow();
    expect(() =>
      validateOptions({ temperature: 2, maxTokens: Number.MAX_SAFE_INTEGER, rolloutId: '' }, 'gpt'),
    ).not.toThrow();
  });

  it.each([
    ['\n', 'options.stop: expected an array of strings, got "\\n"'],
    [['\n', 3], 'options.stop[1]: expected a non-empty string, got 3'],
    [[''], 'options.stop[0]: expected a non-empty string, got ""'],
  ])('rejects stop sequences %j, naming the entry', (stop, message) => {
    expect(optionsError({ stop })).toBe(message);
  });

  it.each([[1.5], ['7'], [Number.NaN]])('rejects the seed %j that is not an integer', (seed) => {
    expect(optionsError({ seed })).toMatch(/^options\.seed: expected /);
  });

  describe.each([
    ['temperature', 0, 2, false],
    ['maxTokens', 1, Number.MAX_SAFE_INTEGER, true],
    ['timeoutMs', 1, 2_147_483_647, false],
  ] as const)('options.%s', (field, min, max, integer) => {
    it('rejects NaN and infinities as not finite', () => {
      expect(optionsError({ [field]: Number.NaN })).toBe(
        `options.${field}: expected a finite number, got NaN`,
      );
      expect(optionsError({ [field]: Infinity })).toBe(
        `options.${field}: expected a finite number, got Infinity`,
      );
      expect(optionsError({ [field]: -Infinity })).toMatch(new RegExp(`^options\\.${field}: `));
    });

    it('rejects a non-number', () => {
      expect(optionsError({ [field]: '1' })).toBe(
        `options.${field}: expected a finite number, got "1"`,
      );
      expect(optionsError({ [field]: null })).toBe(
        `options.${field}: expected a finite number, got null`,
      );
    });

    it('rejects negative and too-large values with the range', () => {
      expect(optionsError({ [field]: -1 })).toBe(
        `options.${field}: must be between ${min} and ${max}, got -1`,
      );
      const tooLarge = integer ? 2 ** 60 : max + 1;
      expect(optionsError({ [field]: tooLarge })).toBe(
        `options.${field}: must be between ${min} and ${max}, got ${tooLarge}`,
      );
    });

    it('accepts both ends of the range', () => {
      expect(() => validateOptions({ [field]: min }, 'gpt')).not.toThrow();
      expect(() => validateOptions({ [field]: max }, 'gpt')).not.toThrow();
    });
  });

  it('accepts an already aborted AbortSignal (the pipeline rejects it with ABORTED)', () => {
    expect(() => validateOptions({ signal: AbortSignal.abort() }, 'gpt')).not.toThrow();
  });

  it('rejects an extra whose prototype was replaced: it is not a plain object', () => {
    expect(() => validateOptions({ extra: { __proto__: { x: 1 }, n: 2 } }, 'gpt')).toThrow(
      /^options\.extra: expected a plain object/,
    );
  });
});

describe('describe (values in error messages)', () => {
  it('describes values briefly and safely', () => {
    expect(describeValue(null)).toBe('null');
    expect(describeValue(undefined)).toBe('undefined');
    expect(describeValue([1])).toBe('an array');
    expect(describeValue(Number.NaN)).toBe('NaN');
    expect(describeValue(-3)).toBe('-3');
    expect(describeValue('hi')).toBe('"hi"');
    expect(describeValue('x'.repeat(41))).toBe('a long string');
    expect(describeValue({ a: 1 })).toBe('object');
    expect(describeValue(() => 1)).toBe('function');
    expect(describeValue(10n)).toBe('bigint');
  });
});
