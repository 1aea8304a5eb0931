import { describe, expect, it } from 'vitest';
import { isLlmActorsError, type LlmActorsError } from '../src/model/errors.js';
import {
  describe as describeValue,
  validateMessages,
  validateOptions,
} from '../src/model/request.js';

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

  it.each([[undefined], [null], ['hi'], [{ role: 'user', content: 'hi' }], [42]])(
    'rejects messages %j that is not an array, naming messages',
    (messages) => {
      expect(messagesError(messages)).toBe('messages: expected an array of { role, content }');
    },
  );

  it('rejects an empty array', () => {
    expect(messagesError([])).toBe('messages: must not be empty');
  });

  it.each([[null], ['hi'], [3], [undefined]])('rejects the message %j, naming its index', (m) => {
    expect(messagesError([user('ok'), m])).toBe(
      'messages[1]: expected an object with role and content',
    );
  });

  it.each([
    ['robot', '"robot"'],
    ['User', '"User"'],
    [undefined, 'undefined'],
    [1, '1'],
  ])('rejects the role %j, naming the field and what it got', (role, got) => {
    expect(messagesError([user('ok'), user('ok'), { role, content: 'x' }])).toBe(
      `messages[2].role: expected one of system, user, assistant, tool; got ${got}`,
    );
  });

  it.each([
    [undefined, 'undefined'],
    [null, 'null'],
    [42, '42'],
    [['a', 'b'], 'an array'],
    [{ text: 'hi' }, 'object'],
  ])('rejects non-string content %j', (content, got) => {
    expect(messagesError([user(content)])).toBe(
      `messages[0].content: expected a string, got ${got}`,
    );
  });

  it.each([['\uD800'], ['ab\uDC00cd'], ['tail \uD83D']])(
    'rejects content %j with a lone surrogate',
    (content) => {
      expect(messagesError([user('ok'), user(content)])).toBe(
        'messages[1].content: contains a lone surrogate (invalid UTF-16)',
      );
    },
  );

  it('rejects a non-string name', () => {
    expect(messagesError([{ role: 'user', content: 'x', name: 7 }])).toBe(
      'messages[0].name: expected a string, got 7',
    );
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

  it.each([[null], ['fast'], [42], [[]], [true]])(
    'rejects options %j that is not an object',
    (o) => {
      expect(optionsError(o)).toMatch(/^options: expected an object, got /);
    },
  );

  it.each([['temprature'], ['max_tokens'], ['model'], ['apiKey']])(
    'rejects the unknown option %s by name',
    (key) => {
      expect(optionsError({ [key]: 1 })).toBe(`options.${key}: unknown option`);
    },
  );

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

  it('rejects an own __proto__ option key from JSON.parse as unknown', () => {
    expect(optionsError(JSON.parse('{"__proto__":{"temperature":1}}'))).toBe(
      'options.__proto__: unknown option',
    );
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

  it('rejects a fractional maxTokens', () => {
    expect(optionsError({ maxTokens: 1.5 })).toBe(
      'options.maxTokens: expected an integer, got 1.5',
    );
  });

  it('rejects maxTokens 0 and timeoutMs 0', () => {
    expect(optionsError({ maxTokens: 0 })).toMatch(/^options\.maxTokens: must be between 1 and/);
    expect(optionsError({ timeoutMs: 0 })).toMatch(/^options\.timeoutMs: must be between 1 and/);
  });

  it.each([['yes'], [0], [null]])('rejects cache %j that is not a boolean', (cache) => {
    expect(optionsError({ cache })).toMatch(/^options\.cache: expected a boolean, got /);
  });

  it.each([[Number.NaN], [Infinity], [null], [{}], [true]])(
    'rejects rolloutId %j that is not a string or finite number',
    (rolloutId) => {
      expect(optionsError({ rolloutId })).toMatch(
        /^options\.rolloutId: expected a string or number, got /,
      );
    },
  );

  it.each([
    [{ aborted: false, addEventListener() {} }],
    [new AbortController()],
    ['signal'],
    [null],
  ])('rejects a signal %j that is not an AbortSignal', (signal) => {
    expect(optionsError({ signal })).toBe('options.signal: expected an AbortSignal');
  });

  it('accepts an already aborted AbortSignal (the pipeline rejects it with ABORTED)', () => {
    expect(() => validateOptions({ signal: AbortSignal.abort() }, 'gpt')).not.toThrow();
  });

  it.each([[null], ['x'], [[1, 2]], [5]])(
    'rejects extra %j that is not a plain object',
    (extra) => {
      expect(optionsError({ extra })).toMatch(/^options\.extra: expected a plain object, got /);
    },
  );

  it('rejects an own __proto__ key in extra created by JSON.parse', () => {
    const extra = JSON.parse('{"__proto__":{"polluted":true},"top_p":1}') as object;
    expect(Object.keys(extra)).toContain('__proto__');
    expect(optionsError({ extra })).toBe('options.extra.__proto__: forbidden key');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each([['constructor'], ['prototype']])('rejects the key %s in extra', (key) => {
    expect(optionsError({ extra: { [key]: 1 } })).toBe(`options.extra.${key}: forbidden key`);
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
