/**
 * Groups of clients: their config as users write it, its schema, and the checks that need the
 * clients around it (members exist, are clients, and no name is both).
 */
import { z } from 'zod';
import { ms } from './fields.js';
import { invalidConfig } from '../model/failures.js';
import { formatIssues } from './issues.js';

/** How a group orders its members for each call. */
export type GroupStrategy = 'fallback' | 'weighted' | 'least-busy' | 'fastest';

/** A member with its share of traffic (strategy `weighted`). */
export interface GroupMember {
  /** The member client's name. */
  client: string;
  /** Its relative share under `weighted` (default 1; 0 only as a last resort). */
  weight?: number;
}

/**
 * A group: several clients addressed by one name, like a client.
 *
 * @example
 * ```ts
 * groups: { chat: { members: ['primary', 'backup'], strategy: 'fallback', resumeStreams: true } }
 * ```
 */
export interface GroupConfig {
  /** The member clients, by name or as `{ client, weight }`; at least one. */
  members: Array<string | GroupMember>;
  /** How members are ordered for each call. Default `'fallback'` (in the order given). */
  strategy?: GroupStrategy;
  /** Clients tried, in order, when a member's context is too small for the request. */
  onContextOverflow?: string[];
  /** Start the next member too when the first has not answered (a stream: its first token) in time. */
  hedge?: { afterMs: number };
  /** Continue a stream cut after its first delta on the next member (an assistant prefill). */
  resumeStreams?: boolean;
  /** One deadline over the whole group call, ms; a request's `timeoutMs` overrides it. Default 60 000. */
  timeoutMs?: number;
}

/** A group config with its defaults applied and its members checked. */
export interface ResolvedGroupConfig {
  name: string;
  members: Array<{ client: string; weight: number }>;
  strategy: GroupStrategy;
  onContextOverflow: string[];
  hedge: { afterMs: number } | undefined;
  resumeStreams: boolean;
  timeoutMs: number;
}

/** The default deadline of a group call, ms. */
const DEFAULT_GROUP_TIMEOUT_MS = 60_000;

const clientName = z.string().min(1, { error: 'must not be empty' });

/** One group's config. */
const groupSchema = z.strictObject({
  members: z
    .array(
      z.union(
        [
          clientName,
          z.strictObject({
            client: clientName,
            weight: z.number().min(0, { error: 'must be 0 or more' }).max(1e6).optional(),
          }),
        ],
        { error: 'expected a client name or { client, weight? }' },
      ),
    )
    .min(1, { error: 'a group needs at least one member' }),
  strategy: z
    .enum(['fallback', 'weighted', 'least-busy', 'fastest'], {
      error: 'expected one of fallback, weighted, least-busy, fastest',
    })
    .optional(),
  onContextOverflow: z.array(clientName).optional(),
  hedge: z.strictObject({ afterMs: ms() }).optional(),
  resumeStreams: z.boolean().optional(),
  timeoutMs: ms().optional(),
});

/** True when a config given to `register` is a group's (it has `members`). */
export function isGroupConfig(config: unknown): config is GroupConfig {
  return typeof config === 'object' && config !== null && 'members' in config;
}

/**
 * Validates one group's config against the names around it and applies defaults.
 *
 * @param isClient whether a name is a registered (or configured) client.
 * @param isGroup whether a name is another group.
 * @throws {@link LlmActorsError} INVALID_CONFIG naming the field and the reason.
 */
export function resolveGroupConfig(
  name: string,
  input: unknown,
  isClient: (name: string) => boolean,
  isGroup: (name: string) => boolean,
): ResolvedGroupConfig {
  const prefix = `groups.${name}`;
  if (isClient(name)) throw invalidConfig(`${prefix}: a client has this name already`, name);
  const parsed = groupSchema.safeParse(input);
  if (!parsed.success) throw invalidConfig(formatIssues(prefix, parsed.error), name);
  const c = parsed.data;
  const members = c.members.map((m) =>
    typeof m === 'string' ? { client: m, weight: 1 } : { client: m.client, weight: m.weight ?? 1 },
  );
  const check = (field: string, client: string) => {
    if (isGroup(client) || client === name) {
      throw invalidConfig(`${prefix}.${field}: ${client} is a group; members are clients`, name);
    }
    if (!isClient(client))
      throw invalidConfig(`${prefix}.${field}: no client named ${client}`, name);
  };
  const once = (field: string, clients: string[]) => {
    const seen = new Set<string>();
    clients.forEach((client, i) => {
      check(`${field}.${i}`, client);
      if (seen.has(client)) {
        throw invalidConfig(`${prefix}.${field}.${i}: ${client} is listed twice`, name);
      }
      seen.add(client);
    });
  };
  once(
    'members',
    members.map((m) => m.client),
  );
  const strategy = c.strategy ?? 'fallback';
  if (strategy === 'weighted' && members.every((m) => m.weight === 0)) {
    throw invalidConfig(`${prefix}.members: every weight is 0`, name);
  }
  const overflow = c.onContextOverflow ?? [];
  once('onContextOverflow', overflow);
  return {
    name,
    members,
    strategy,
    onContextOverflow: overflow,
    hedge: c.hedge,
    resumeStreams: c.resumeStreams ?? false,
    timeoutMs: c.timeoutMs ?? DEFAULT_GROUP_TIMEOUT_MS,
  };
}
