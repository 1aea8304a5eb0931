/**
 * The runtime's registered clients as the gateway's request path needs them: each one's model
 * and metric instruments, kept rather than asked of the runtime on every request (a health
 * snapshot is far dearer than a map lookup), and refreshed when clients come and go.
 */
import type { GroupHealth } from '../groups/health.js';
import { isClientHealth } from '../observe/health.js';
import type { Runtime } from '../runtime.js';
import type { ClientMetrics, GatewayMetrics } from './metrics.js';

/** A registered client, as the gateway knows it. */
export interface GatewayClient {
  readonly name: string;
  /** The model it asks for upstream, which streamed chunks name. */
  readonly model: string;
  /**
   * Its wire format: the gateway keeps `max_completion_tokens` as sent for `openai`. A group's is
   * the one its members (and `onContextOverflow` clients) all speak, or `group` when they differ.
   */
  readonly provider: string;
  readonly metrics: ClientMetrics;
}

/** The registered clients by name; {@link ClientDirectory.refresh} after one comes or goes. */
export class ClientDirectory {
  private byName = new Map<string, GatewayClient>();
  private readonly groups = new Map<string, GatewayClient>();

  constructor(
    private readonly runtime: Runtime,
    private readonly metrics: GatewayMetrics,
  ) {
    this.refresh();
  }

  /**
   * The registered client named `name`, if there is one; or the group, read from the runtime
   * each time (groups come and go without an event), its model being its own name.
   */
  get(name: string): GatewayClient | undefined {
    const client = this.byName.get(name);
    if (client !== undefined || !this.runtime.groups().includes(name)) return client;
    let group = this.groups.get(name);
    if (group === undefined) {
      const provider = commonProvider(this.runtime, name);
      group = { name, model: name, provider, metrics: this.metrics.client(name) };
      this.groups.set(name, group);
    }
    return group;
  }

  /** The instruments of `name`: its own, or the `(unknown)` ones when no client has it. */
  metricsOf(name: string): ClientMetrics {
    return this.get(name)?.metrics ?? this.metrics.unknown;
  }

  /** Reads the registered clients again. A client that stays keeps its instruments. */
  refresh(): void {
    const next = new Map<string, GatewayClient>();
    for (const { name, model, provider } of Object.values(this.runtime.health()).filter(
      isClientHealth,
    )) {
      const known = this.byName.get(name);
      next.set(
        name,
        known?.model === model && known.provider === provider
          ? known
          : { name, model, provider, metrics: known?.metrics ?? this.metrics.client(name) },
      );
    }
    this.byName = next;
  }
}

/** The provider every client group `name` may ask speaks, or `group` when they differ. */
function commonProvider(runtime: Runtime, name: string): string {
  const group = runtime.health<GroupHealth>(name);
  const clients = [...group.members.map((m) => m.client), ...group.onContextOverflow];
  const providers = new Set(clients.map((client) => runtime.health(client).provider));
  return providers.size === 1 ? [...providers][0]! : 'group';
}
