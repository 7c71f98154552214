// Checks shared by the multi-process tests (uses vitest's expect: tests only).
import { expect } from "vitest";
import { heldHandles, type WorkerLog } from "./workers.js";

/**
 * Checks the logs for double assignments: every committed assignment has a
 * unique (block, sequence number), and the addresses held at the end are
 * pairwise distinct. Returns them (ip → handle) and the number assigned.
 */
export function verifyNoDoubles(logs: readonly WorkerLog[]): {
  held: Map<string, string>;
  assigned: number;
} {
  // Every committed assignment has a unique (block, sequence number): two
  // clients that both "won" one address would share one.
  const seen = new Set<string>();
  let assigned = 0;
  for (const l of logs) {
    for (const a of l.assigned) {
      const k = `${a.block}#${a.seq}`;
      expect(seen.has(k), `duplicate assignment ${k} (${a.ip})`).toBe(false);
      seen.add(k);
      assigned++;
    }
  }
  // Addresses held at the end are pairwise distinct.
  const held = new Map<string, string>();
  for (const l of logs) {
    const hs = heldHandles(l);
    for (const a of l.assigned) {
      if (!hs.has(a.handle)) continue;
      expect(held.get(a.ip), `address ${a.ip} held twice`).toBeUndefined();
      held.set(a.ip, a.handle);
    }
  }
  return { held, assigned };
}
