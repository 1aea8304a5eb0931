/**
 * Zod's issues as INVALID_CONFIG says them: one `path: reason` per problem, the field named.
 */
import type { z } from 'zod';

/**
 * One `path: reason` line per problem. An unknown key is named in the path; a union (`{...} or
 * false`) that failed inside the object option reports those inner problems rather than zod's
 * bare "Invalid input".
 */
function issueLines(issues: readonly z.core.$ZodIssue[], base: PropertyKey[]): string[] {
  const lines: string[] = [];
  for (const issue of issues) {
    const path = [...base, ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) lines.push(line([...path, key], 'unknown key'));
      continue;
    }
    if (issue.code === 'invalid_union') {
      const inner = issue.errors.find(
        (errs) => errs.length > 0 && errs.every((e) => e.path.length > 0),
      );
      if (inner) {
        lines.push(...issueLines(inner, path));
        continue;
      }
    }
    lines.push(line(path, issue.message));
  }
  return lines;
}

function line(path: PropertyKey[], message: string): string {
  const field = path.map(String).filter(Boolean).join('.');
  return `${field || 'config'}: ${message}`;
}

/** The problems said in full; the rest are counted (a list of 100 000 bad entries is not). */
const MAX_LINES = 20;

/**
 * The problems of `error` as `path: reason`, under `prefix`, joined by `; `: the first
 * {@link MAX_LINES}, then how many more, so that hostile input cannot make a message of megabytes.
 */
export function formatIssues(prefix: string, error: z.ZodError): string {
  const lines = issueLines(error.issues, prefix ? [prefix] : []);
  if (lines.length <= MAX_LINES) return lines.join('; ');
  const more = lines.length - MAX_LINES;
  return `${lines.slice(0, MAX_LINES).join('; ')}; and ${more} more problem${more === 1 ? '' : 's'}`;
}
