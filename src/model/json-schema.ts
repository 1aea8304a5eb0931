/**
 * JSON Schema validation of structured answers, with Ajv: each schema is compiled once and its
 * validator kept (by the schema object, and by its canonical text for equal copies). A schema
 * whose `$schema` names draft 2020-12 or 2019-09 (zod 4's `toJSONSchema` writes 2020-12, and
 * LangChain sends it as is) is compiled by that draft's Ajv; any other by the draft-07 one.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { RE2JS } from 're2js';

/** The first pattern RE2 cannot run met while compiling the current schema. */
let unsupported: string | undefined;
/** Validators whose schema has such a pattern, with what it says. */
const unchecked = new WeakMap<ValidateFunction, string>();

/**
 * Ajv's engine for `pattern` and `patternProperties`: RE2, whose matching time is linear in the
 * text. The schema comes from the caller and the text from the model, so a backtracking
 * pattern such as `^(a+)+$` against 31 characters held the event loop for 46 s with
 * JavaScript's RegExp. A valid pattern RE2 cannot run (lookaround, backreference) compiles to a
 * check that throws: a tool's parameters, never checked, still pass, and a response format
 * using one is refused (see {@link validatorOf}).
 */
const linearRegExp = Object.assign(
  (pattern: string) => {
    let re: RE2JS;
    try {
      re = RE2JS.compile(RE2JS.translateRegExp(pattern));
    } catch (error) {
      // An invalid pattern is an invalid schema, as before.
      new RegExp(pattern, 'u');
      const why = `pattern ${JSON.stringify(pattern)} cannot be checked in linear time (${(error as Error).message})`;
      unsupported ??= why;
      return {
        test: (): boolean => {
          throw new Error(why);
        },
        toString: () => `/${pattern}/`,
      };
    }
    // Ajv keys its compiled patterns by their text.
    return { test: (text: string) => re.test(text), toString: () => `/${pattern}/` };
  },
  { code: 're2js' },
);

const OPTIONS = {
  strict: false,
  allErrors: false,
  validateFormats: false,
  code: { regExp: linearRegExp },
} as const;
const ajv = new Ajv(OPTIONS);
const ajv2019 = new Ajv2019(OPTIONS);
const ajv2020 = new Ajv2020(OPTIONS);

/** The Ajv of the draft `schema.$schema` names (its URI, with or without `#` and `http:`). */
function ajvOf(schema: object): Ajv {
  const uri = (schema as { $schema?: unknown }).$schema;
  if (typeof uri !== 'string') return ajv;
  if (uri.includes('json-schema.org/draft/2020-12/')) return ajv2020;
  if (uri.includes('json-schema.org/draft/2019-09/')) return ajv2019;
  return ajv;
}
const byObject = new WeakMap<object, ValidateFunction>();
const byText = new Map<string, ValidateFunction>();
/** Distinct schemas kept by text; the oldest goes first past this. */
const MAX_SCHEMAS = 256;

/**
 * The compiled validator of `schema`; throws (with Ajv's message) when it is no valid schema —
 * or, with `checking` (a schema answers will be checked against), when a pattern of it cannot
 * be checked in linear time.
 */
export function validatorOf(schema: object, checking = false): ValidateFunction {
  const validate = compiled(schema);
  const why = checking ? unchecked.get(validate) : undefined;
  if (why !== undefined) throw new Error(why);
  return validate;
}

function compiled(schema: object): ValidateFunction {
  const known = byObject.get(schema);
  if (known !== undefined) return known;
  const text = JSON.stringify(schema);
  let validate = byText.get(text);
  if (validate === undefined) {
    const compiler = ajvOf(schema);
    unsupported = undefined;
    validate = compiler.compile(schema);
    if (unsupported !== undefined) unchecked.set(validate, unsupported);
    // Ajv keeps its own reference to every schema it compiled: drop it, the maps keep ours.
    compiler.removeSchema(schema);
    if (byText.size >= MAX_SCHEMAS) byText.delete(byText.keys().next().value!);
    byText.set(text, validate);
  }
  byObject.set(schema, validate);
  return validate;
}

/** The first way `value` does not match `schema` ("at /a/0: must be number"), or undefined. */
export function schemaMismatch(schema: object, value: unknown): string | undefined {
  const validate = validatorOf(schema, true);
  try {
    if (validate(value)) return undefined;
  } catch (error) {
    // A recursive schema walks the answer as deep as it goes: an answer of 50 000 nested arrays
    // overflowed the stack, which crashed the client's actor.
    return `could not be checked (${(error as Error).message})`;
  }
  const error = validate.errors?.[0];
  if (error === undefined) return 'does not match the schema';
  return `at ${error.instancePath === '' ? '/' : error.instancePath}: ${error.message ?? 'does not match'}`;
}
