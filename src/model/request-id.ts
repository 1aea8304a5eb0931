/**
 * Request ids given by callers (`options.requestId`, the gateway's `x-request-id`): short
 * tokens that are safe to write into a log line or a header as they are.
 */

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** What a request id must be, as error messages say it. */
export const REQUEST_ID_RULE = 'expected 1 to 128 characters of A-Z a-z 0-9 . _ : -';

/** Whether `value` can be a request id. */
export function isRequestId(value: unknown): value is string {
  return typeof value === 'string' && REQUEST_ID.test(value);
}
