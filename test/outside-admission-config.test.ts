/**
 * Hostile group and admission config: a `members` (or `onContextOverflow`) list of 100 000 bad
 * entries is refused with an INVALID_CONFIG of bounded length that still names the first fields,
 * at start and at `register`; a client listed twice in `onContextOverflow` is refused like a
 * member listed twice.
 */
import { describe, expect, it } from 'vitest';
import { createRuntime, isLlmActorsError, type RuntimeConfig } from '../src/index.js';

const clients = {
  primary: { provider: 'openai' as const, model: 'm', baseUrl: 'http://127.0.0.1:9' },
};

async function configError(config: RuntimeConfig): Promise<Error> {
  const error = await createRuntime({ logger: false, ...config }).then(
    (r) => r.stop().then(() => undefined),
    (e: unknown) => e,
  );
  if (!isLlmActorsError(error, 'INVALID_CONFIG')) throw new Error('expected INVALID_CONFIG');
  return error;
}

const many = Array.from({ length: 100_000 }, (_, i) => i);

describe('a group config of 100 000 bad entries', () => {
  it.each([
    ['members', { members: many }, 'groups.chat.members.0: expected a client name'],
    [
      'onContextOverflow',
      { members: ['primary'], onContextOverflow: many },
      'groups.chat.onContextOverflow.0:',
    ],
  ])('in %s is refused with a short message naming the first', async (_what, chat, first) => {
    const error = await configError({ clients, groups: { chat: chat as never } });
    expect(error.message).toContain(first);
    expect(error.message).toContain('groups.chat.');
    expect(error.message).toMatch(/and 99980 more problems$/);
    expect(error.message.length).toBeLessThan(4_000);
  });

  it('is refused by register with the same short message', async () => {
    const runtime = await createRuntime({ logger: false, clients });
    try {
      const error = await runtime
        .register('chat', { members: many as never })
        .catch((e: unknown) => e as Error);
      expect(error).toMatchObject({ code: 'INVALID_CONFIG' });
      expect((error as Error).message.length).toBeLessThan(4_000);
      expect(runtime.groups()).toEqual([]);
    } finally {
      await runtime.stop();
    }
  });
});

describe('onContextOverflow', () => {
  it('refuses a client listed twice, naming the field', async () => {
    const error = await configError({
      clients,
      groups: { chat: { members: ['primary'], onContextOverflow: ['primary', 'primary'] } },
    });
    expect(error.message).toBe('groups.chat.onContextOverflow.1: primary is listed twice');
  });
});
