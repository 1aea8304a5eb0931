/**
 * The runtime's groups: name -> group, the calls addressed to one, their health, and the checks
 * that keep groups and clients apart (one namespace; members are clients).
 */
import type { StreamSink } from '../client/flight.js';
import { resolveGroupConfig, type ResolvedGroupConfig } from '../config/group.js';

export { isGroupConfig, type GroupConfig } from '../config/group.js';
export type { GroupHealth } from './health.js';

/** A client's or a group's health, as `runtime.health()` lists them (told apart by `kind`). */
export type Health = ClientHealth | GroupHealth;
import type { Clock } from '../model/clock.js';
import type { Cancellation } from '../policy/cancellation.js';
import { invalidConfig } from '../model/failures.js';
import {
  validateMessages,
  validateOptions,
  type ChatMessage,
  type Completion,
  type RequestOptions,
} from '../model/request.js';
import type { ClientHealth } from '../observe/health.js';
import { clientHealth } from '../supervision/health.js';
import type { ClientEntry, Registry } from '../supervision/registry.js';
import { groupCall } from './direct.js';
import type { GroupContext, MemberCall } from './context.js';
import { groupHealth, type GroupHealth } from './health.js';
import type { GroupSeriesPoints } from './series.js';
import { GroupStats } from './stats.js';

/**
 * The runtime's request path as a group calls it: one attempt (`once`), its own cancellation,
 * the deadline the group gives it.
 */
export type MemberDispatch = (
  client: string,
  messages: ChatMessage[],
  options: RequestOptions | undefined,
  sink: StreamSink | undefined,
  once: boolean,
  cancel: Cancellation | undefined,
  deadline: number | undefined,
) => Promise<Completion>;

/** Every group of a runtime, beside its clients' registry. */
export class GroupDispatcher {
  private readonly groups = new Map<string, GroupContext>();
  private readonly entry: (client: string) => ClientEntry;

  private readonly call: MemberCall;

  /** `dispatch`: the runtime's request path, whose `once` asks for one attempt. */
  constructor(
    private readonly clock: Clock,
    private readonly registry: Registry,
    dispatch: MemberDispatch,
  ) {
    this.entry = (client) => registry.get(client);
    this.call = (client, messages, options, sink, cancel, deadline) =>
      dispatch(client, messages, options, sink, true, cancel, deadline);
  }

  /** True when `name` is a group. */
  has(name: string): boolean {
    return this.groups.has(name);
  }

  /** The group names, in the order they were added. */
  names(): string[] {
    return [...this.groups.keys()];
  }

  /**
   * Checks and adds a group.
   *
   * @throws {@link LlmActorsError} INVALID_CONFIG naming the field and the reason.
   */
  register(name: string, config: unknown): void {
    if (this.groups.has(name)) {
      throw invalidConfig(`groups.${name}: a group with this name is already registered`, name);
    }
    const isGroup = (n: string) => this.groups.has(n);
    this.add(resolveGroupConfig(name, config, (n) => this.registry.has(n), isGroup));
  }

  /** Adds a group already checked against the config's clients. */
  add(group: ResolvedGroupConfig): void {
    const { clock, entry, call } = this;
    const stats = new GroupStats(() => clock.now());
    const clients = group.members.map((m) => m.client);
    this.groups.set(group.name, { group, clients, stats, clock, entry, call });
  }

  /**
   * Before `runtime.unregister(name)`: removes the group `name` (true; calls under way finish),
   * or, for a client, refuses to let it go while a group counts on it (false when it may go).
   *
   * @throws {@link LlmActorsError} INVALID_CONFIG naming the group that uses the client.
   */
  release(name: string): boolean {
    if (this.groups.delete(name)) return true;
    for (const { group } of this.groups.values()) {
      const uses =
        group.members.some((m) => m.client === name) || group.onContextOverflow.includes(name);
      if (uses) {
        throw invalidConfig(
          `clients.${name}: a member of group ${group.name}; unregister the group first`,
          name,
        );
      }
    }
    return false;
  }

  /** A call addressed to the group `name` (a stream when `sink` is given). */
  dispatch(
    name: string,
    messages: ChatMessage[],
    options: RequestOptions | undefined,
    sink: StreamSink | undefined,
  ): Promise<Completion> {
    try {
      validateMessages(messages, name);
      validateOptions(options, name);
    } catch (error) {
      return Promise.reject(error);
    }
    return groupCall(this.groups.get(name)!, messages, options, sink);
  }

  /**
   * The health of the client or group `name`.
   *
   * @throws {@link LlmActorsError} UNKNOWN_CLIENT.
   */
  healthOf(name: string): Health {
    const context = this.groups.get(name);
    if (context === undefined) return clientHealth(this.registry.get(name));
    return groupHealth(context.group, context.stats, this.entry, this.clock.now());
  }

  /** A group's last minutes, or undefined when `name` is no group. */
  seriesOf(name: string): GroupSeriesPoints | undefined {
    return this.groups.get(name)?.stats.points();
  }

  /** Every client's and group's health, by name: clients first. */
  healthOfAll(): Record<string, Health> {
    const all: Record<string, Health> = {};
    for (const entry of this.registry.all()) all[entry.name] = clientHealth(entry);
    for (const name of this.groups.keys()) all[name] = this.healthOf(name);
    return all;
  }
}
