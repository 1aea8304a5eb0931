/**
 * The runtime under test, through its public API: the sources (`../src/index.js`, run by tsx)
 * by default, or the built package (`../dist/index.js`, after `npm run build`) when
 * `BENCH_RUNTIME=dist` — what `npm run bench -- --runtime dist` sets, so CPU profiles point at
 * tsc's output and its source maps lead back to src/.
 */
type Lib = typeof import('../src/index.js');

const lib: Lib =
  process.env.BENCH_RUNTIME === 'dist'
    ? ((await import(new URL('../dist/index.js', import.meta.url).href)) as Lib)
    : await import('../src/index.js');

export const createRuntime: Lib['createRuntime'] = lib.createRuntime;
