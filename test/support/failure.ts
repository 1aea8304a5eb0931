import { isLlmActorsError, type LlmActorsError } from '../../src/index.js';

/** Awaits a promise that must reject with an LlmActorsError, and returns that error. */
export async function failure(promise: Promise<unknown>): Promise<LlmActorsError> {
  try {
    await promise;
  } catch (e) {
    if (isLlmActorsError(e)) return e;
    throw e;
  }
  throw new Error('expected the request to fail');
}
