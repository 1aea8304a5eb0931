/**
 * Does nothing: the default of a hook not set yet and the handler of a rejection already seen,
 * one function shared rather than one made per use.
 */
export function noop(): void {}
