/**
 * The emotion-classification task shared by examples/ax-optimize.ts and its tests: labelled
 * reviews, the metric, the classifier's signature, a model that answers plausibly in Ax's
 * `field: value` format, and the seeding that makes Ax's optimizers reproducible.
 */
import type { TestChatRequest } from '../src/testing/index.js';

/** The classifier's Ax signature. */
export const EMOTION_SIGNATURE =
  '"Classify the emotion of a product review" review:string -> emotion:class "joy, sadness, anger" "the emotion"';

/** Labelled reviews to optimize on. */
export const train = [
  { review: 'I love this phone', emotion: 'joy' },
  { review: 'The service made me furious', emotion: 'anger' },
  { review: 'I miss my old dog', emotion: 'sadness' },
  { review: 'What a great concert', emotion: 'joy' },
  { review: 'I hate waiting in line', emotion: 'anger' },
  { review: 'It rained all week and I felt alone', emotion: 'sadness' },
];
/** Labelled reviews to validate on. */
export const validation = [
  { review: 'This update is great, I love it', emotion: 'joy' },
  { review: 'I hate how slow the refund was', emotion: 'anger' },
  { review: 'The shop where we met has closed', emotion: 'sadness' },
];

/** 1 when the predicted emotion is the labelled one. */
export const metric = ({ prediction, example }: { prediction: unknown; example: unknown }) =>
  (prediction as { emotion?: string })?.emotion === (example as { emotion?: string }).emotion
    ? 1
    : 0;

/**
 * A plausible model answering in Ax's `field: value` format. It reads anger as sadness until
 * the instruction says what anger looks like: GEPA's reflection finds that out.
 */
export function emotionModel(req: TestChatRequest): string {
  const system = req.messages[0]?.content ?? '';
  const last = req.messages.at(-1)?.content ?? '';
  if (system.includes('`newValue`')) {
    return 'newValue: Classify the emotion of a product review. Hate and fury mean anger.';
  }
  if (system.includes('`feedbackSummary`'))
    return 'feedbackSummary: angry reviews come out as sadness';
  if (/love|great/i.test(last)) return 'emotion: joy';
  if (/furious|hate/i.test(last) && system.includes('fury')) return 'emotion: anger';
  return 'emotion: sadness';
}

/**
 * Runs `fn` with Math.random drawn from a seeded generator (mulberry32), then puts it back.
 *
 * Why: AxBootstrapFewShot takes a `seed` option and ignores it. It shuffles the examples with
 * Math.random (`randomSample` in dsp/optimizers/bootstrapFewshot.ts) and sets the temperature
 * by position in that shuffle (0.7 + 0.001 * i); AxBaseOptimizer stores `seed` and has a
 * `setupRandomSeed()` that nothing calls. AxGEPA seeds its own sampler from `seed` but its Pareto
 * helpers (paretoUtils.ts) still draw from Math.random. So each run asks different questions and
 * misses the cache. Seeding Math.random for the run makes the questions — and so the cache keys —
 * the same every time. Anything else in the process drawing from Math.random meanwhile (the
 * runtime's retry jitter, after a failure) shifts the sequence: keep the run otherwise quiet.
 */
export async function seeded<T>(seed: number, fn: () => Promise<T>): Promise<T> {
  const random = Math.random;
  let a = seed;
  Math.random = () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  try {
    return await fn();
  } finally {
    Math.random = random;
  }
}
