// Clients for the race tests: each an `Ipam` over a connection of its own
// (its own etcd client, its own SQLite connection), with its transactions
// held by the interleaving's gates; and the final checks every race test
// makes on the store.
import type { Datastore } from "@tortie/datastore";
import { type AssignedIp, check, Ipam, isClean } from "@tortie/ipam";
import { expect } from "vitest";
import type { Backend } from "./backends.js";
import { gateStore, type Hold } from "./interleave.js";
import { expectConsistent, type RawIpam, readRaw } from "./store-invariants.js";

/** `n` client names: `<prefix>0`, `<prefix>1`, … */
export const names = (prefix: string, n: number): string[] =>
  Array.from({ length: n }, (_, i) => `${prefix}${i}`);

/** One racing client. */
export interface Client {
  readonly name: string;
  readonly ipam: Ipam;
  readonly store: Datastore;
}

/**
 * Opens one client per name, each over its own connection, held by `holds`
 * (the same for every client, or chosen per client by name).
 */
export function openClients(
  b: Backend,
  root: string,
  names: readonly string[],
  holds: readonly Hold[] | ((name: string) => readonly Hold[]),
): Client[] {
  return names.map((name) => {
    const store = b.open();
    const h = typeof holds === "function" ? holds(name) : holds;
    return { name, store, ipam: new Ipam({ store: gateStore(store, name, h), root }) };
  });
}

/** Closes every client's connection. */
export async function closeAll(clients: readonly Client[]): Promise<void> {
  await Promise.all(clients.map((c) => c.store.close()));
}

/**
 * Every client at once asks for `num4` IPv4 addresses for its pod
 * (`pod-<name>`) on `hostname` (default: the client's own name); what each
 * was given, by handle.
 */
export function assignAll(
  clients: readonly Client[],
  opts: { readonly num4: number; readonly hostname?: string },
): Promise<{ handleId: string; ips: readonly AssignedIp[] }[]> {
  return Promise.all(
    clients.map(async (c) => {
      const handleId = `pod-${c.name}`;
      const r = await c.ipam.autoAssign({
        handleId,
        hostname: opts.hostname ?? c.name,
        num4: opts.num4,
      });
      return { handleId, ips: r.ipv4 };
    }),
  );
}

/** Address → handle of what the clients were given (fails when one address was given twice). */
export function givenMap(given: readonly { handleId: string; ips: readonly AssignedIp[] }[]) {
  const out = new Map<string, string>();
  for (const g of given) {
    for (const a of g.ips) {
      expect(out.get(a.ip), `${a.ip} given to ${out.get(a.ip)} and ${g.handleId}`).toBeUndefined();
      out.set(a.ip, g.handleId);
    }
  }
  return out;
}

/**
 * Reads the store back over a new connection and checks it: the invariants
 * of `expectConsistent` on the raw keys, and IPAM's own `check` (Calico's
 * `calicoctl ipam check`) finds nothing, with exactly the given handles live.
 */
export async function expectStoreConsistent(
  b: Backend,
  root: string,
  given: ReadonlyMap<string, string>,
): Promise<RawIpam> {
  const store = b.open();
  try {
    const raw = await readRaw(store, root);
    expectConsistent(raw, given);
    const live = new Set(given.values());
    const report = await check(new Ipam({ store, root }), {
      isLive: (h) => live.has(h),
      now: Date.now(),
    });
    expect(report.allocations).toBe(given.size);
    expect(isClean(report), JSON.stringify(report)).toBe(true);
    return raw;
  } finally {
    await store.close();
  }
}
