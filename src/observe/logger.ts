/**
 * The runtime's logger: the user's pino logger or options, with API keys and credential
 * headers redacted; one child per client.
 */
import { pino, type Logger, type LoggerOptions } from 'pino';
import { REDACT_PATHS } from '../model/redact.js';

/** Builds the root logger from the `logger` setting. */
export function rootLogger(setting: Logger | LoggerOptions | false | undefined): Logger {
  if (setting === false) return pino({ enabled: false });
  if (isLogger(setting)) return setting.child({}, { redact: REDACT_PATHS });
  const options: LoggerOptions = { level: 'warn', ...setting };
  const redact = options.redact;
  options.redact = Array.isArray(redact)
    ? [...redact, ...REDACT_PATHS]
    : redact
      ? { ...redact, paths: [...redact.paths, ...REDACT_PATHS] }
      : REDACT_PATHS;
  return pino({ name: 'llm-actors', ...options }, pino.destination(2));
}

function isLogger(value: unknown): value is Logger {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Logger).child === 'function' &&
    typeof (value as Logger).info === 'function'
  );
}
