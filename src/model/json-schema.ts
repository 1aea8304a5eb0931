/**
 * JSON Schema validation of structured answers, with Ajv: each schema is compiled once and its
 * validator kept (by the schema object, and by its canonical text for equal copies).
 */
import { Ajv, type ValidateFunction } from 'ajv';

const ajv = new Ajv({ strict: false, allErrors: false, validateFormats: false });
const byObject = new WeakMap<object, ValidateFunction>();
const byText = new Map<string, ValidateFunction>();
/** Distinct schemas kept by text; the oldest goes first past this. */
const MAX_SCHEMAS = 256;

/** The compiled validator of `schema`; throws (with Ajv's message) when it is no valid schema. */
export function validatorOf(schema: object): ValidateFunction {
  const known = byObject.get(schema);
  if (known !== undefined) return known;
  const text = JSON.stringify(schema);
  let validate = byText.get(text);
  if (validate === undefined) {
    validate = ajv.compile(schema);
    // Ajv keeps its own reference to every schema it compiled: drop it, the maps keep ours.
    ajv.removeSchema(schema);
    if (byText.size >= MAX_SCHEMAS) byText.delete(byText.keys().next().value!);
    byText.set(text, validate);
  }
  byObject.set(schema, validate);
  return validate;
}

/** The first way `value` does not match `schema` ("at /a/0: must be number"), or undefined. */
export function schemaMismatch(schema: object, value: unknown): string | undefined {
  const validate = validatorOf(schema);
  if (validate(value)) return undefined;
  const error = validate.errors?.[0];
  if (error === undefined) return 'does not match the schema';
  return `at ${error.instancePath === '' ? '/' : error.instancePath}: ${error.message ?? 'does not match'}`;
}
