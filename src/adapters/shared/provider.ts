/**
 * The wire format a name speaks, for what an adapter offers its library: a client's provider, or
 * a group's first member's (a group answers in its members' formats, the first one's first).
 */
import type { ProviderName } from '../../config/types.js';
import type { GroupHealth } from '../../groups/health.js';
import type { Runtime } from '../../runtime.js';

/** A name's provider; undefined while the runtime has no client or group by that name. */
export function providerOf(runtime: Runtime, name: string): ProviderName | undefined {
  if (runtime.clients().includes(name)) return runtime.health(name).provider;
  if (!runtime.groups().includes(name)) return undefined;
  const first = runtime.health<GroupHealth>(name).members[0]!.client;
  return runtime.health(first).provider;
}
