/**
 * The short chaos run inside `npm test` (the full one is `npm run chaos`). It runs in its own
 * process so that "exits by itself after stop()" is checked for real: the script never calls
 * process.exit, so a socket, timer or file handle left open would keep it alive.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';

interface ChaosReport {
  requests: number;
  completions: number;
  errors: Record<string, number>;
  kills: number;
  faultsInjected: number;
  faults: Record<string, number>;
  invariants: Record<string, boolean>;
}

async function chaos(args: string[]): Promise<{ code: number | null; report: ChaosReport }> {
  const child = spawn(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', 'scripts/chaos.ts', '--json', ...args],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout.on('data', (chunk) => (out += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  return { code, report: JSON.parse(out.trim().split('\n').at(-1)!) as ChaosReport };
}

describe('chaos', () => {
  it('keeps every promise under injected faults and random kills, then exits by itself', async () => {
    // A deadline long enough that a machine busy with the other test files does not turn most
    // requests into timeouts (and the fuses open), which would leave fault kinds unexercised.
    const { code, report } = await chaos([
      ...['--requests', '400', '--rounds', '3', '--seed', '11', '--timeout-ms', '1500'],
    ]);
    expect(report.invariants).toEqual({
      everyRequestSettledOnce: true,
      everyErrorTyped: true,
      nothingUnhandled: true,
      noneOutlivedItsDeadline: true,
      countersAddUp: true,
      memoryFlat: true,
    });
    expect(code).toBe(0);
    expect(report.requests).toBe(1_200);
    expect(report.completions).toBeGreaterThan(0);
    expect(report.kills).toBeGreaterThan(0);
    expect(report.faultsInjected).toBeGreaterThan(50);
    for (const kind of ['status', 'reset', 'hang', 'truncated', 'stream_cut']) {
      expect(report.faults[kind]).toBeGreaterThan(0);
    }
    expect(report.errors.CLIENT_RESTARTED).toBeGreaterThan(0);
  }, 120_000);
});
