// applyUpdate's IPv4 fast path (NLRI and Withdrawn Routes decoded into
// numbers, `Rib.announceV4` / `withdrawV4`) against the object path: two
// RIBs, one fed the decoded UPDATEs as they come from `decodeMessage`, the
// other plain copies of the same messages (no numbers, so the prefix
// objects), end up the same — same deltas and announce results for every
// UPDATE, same listener batches, same Loc-RIB, pre-import table, counts,
// stale marks and Adj-RIB-Out — over random UPDATE sequences with
// withdrawals, duplicate prefixes, host bits, import rejections, an export
// policy, ADD-PATH export, max-prefix, infeasible next hops, RFC 7606
// treat-as-withdraw, graceful-restart stale marking (RFC 4724 §4.2) and
// export policies switched to and from "reject all IPv4" (BIRD's `export
// none`, which lets the numbers path skip the export step).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { PathAttribute } from "../wire/attributes/table.js";
import { codecContext } from "../wire/context.js";
import { decodeMessage, encodeMessage } from "../wire/message.js";
import { ipv4Fields, type UpdateMessage } from "../wire/messages/update.js";
import { formatPrefix, type Prefix, parsePrefix } from "../wire/prefix.js";
import type { RoutePolicy } from "./policy-hook.js";
import type { AnnounceResult, RibDelta } from "./rib.js";
import { Rib } from "./rib.js";
import { applyUpdate } from "./update.js";

const ctx = codecContext({ fourOctetAs: true });

/** Addresses from a small pool (so prefixes repeat), low bits random (host bits). */
const prefixArb = fc
  .tuple(
    fc.constantFrom(0xc6120000, 0xc6120100, 0xc6130000, 0xcb007100, 0xc0000200),
    fc.integer({ min: 0, max: 3 }),
    fc.constantFrom(0, 8, 16, 22, 23, 24, 25, 32),
  )
  .map(([base, low, length]): Prefix => {
    const a = (base + low) >>> 0;
    const all = Uint8Array.of(a >>> 24, (a >>> 16) & 255, (a >>> 8) & 255, a & 255);
    return { afi: 1, length, bytes: all.slice(0, (length + 7) >> 3) };
  });

function attrsFor(peer: number, variant: number): PathAttribute[] {
  const a: PathAttribute[] = [
    { type: "origin", origin: variant % 3 },
    {
      type: "as-path",
      segments: [{ type: 2, asns: [65000 + peer, ...(variant & 1 ? [64512] : [])] }],
    },
    // 0.0.0.0 is not a usable next hop (RFC 4271 §6.3): infeasible, treat-as-withdraw.
    { type: "next-hop", nextHop: variant === 4 ? "0.0.0.0" : `192.0.2.${peer}` },
  ];
  if (variant & 2) a.push({ type: "med", med: variant * 10 });
  return a;
}

type Op =
  | {
      op: "update";
      peer: number;
      withdrawn: Prefix[];
      nlri: Prefix[];
      variant: number;
      v6Withdrawn: boolean;
      treat: boolean;
    }
  | { op: "stale"; peer: number }
  | { op: "eor"; peer: number }
  | { op: "policy"; peer: "x1" | "x2"; none: boolean }
  | { op: "listen" };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      op: fc.constant("update" as const),
      peer: fc.integer({ min: 1, max: 3 }),
      withdrawn: fc.array(prefixArb, { maxLength: 5 }),
      nlri: fc.array(prefixArb, { maxLength: 8 }),
      variant: fc.integer({ min: 0, max: 4 }),
      v6Withdrawn: fc.boolean(),
      treat: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("stale" as const),
      peer: fc.integer({ min: 1, max: 3 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant("eor" as const), peer: fc.integer({ min: 1, max: 3 }) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("policy" as const),
      peer: fc.constantFrom("x1" as const, "x2" as const),
      none: fc.boolean(),
    }),
  },
  // the quiet RIB (returnDeltas: false) subscribes or unsubscribes
  { weight: 1, arbitrary: fc.constant({ op: "listen" as const }) },
);

/** Rejects every IPv4 route and says so (RoutePolicy.rejectsAfi): BIRD's `export none` for IPv4. */
const NONE_V4: RoutePolicy = Object.assign(() => ({ accept: false }), { rejectsAfi: [1] });
const ACCEPT_X1: RoutePolicy = (route) => ({ accept: route.prefix.length !== 25 });

/**
 * The RIB every run builds three times. `quiet`: `returnDeltas: false`, and
 * subscribed only while `listen` is on (off at first).
 */
function makeRib(
  multipath: boolean,
  quiet = false,
): { rib: Rib; batches: unknown[][]; listen(on: boolean): void } {
  const rib = new Rib({
    localAs: 65000,
    routerId: "192.0.2.254",
    ownAddresses: ["192.0.2.254"],
    multipath,
    ...(quiet ? { returnDeltas: false } : {}),
  });
  rib.addPeer({ id: "p1", address: "192.0.2.1", asn: 65001 });
  rib.addPeer({
    id: "p2",
    address: "192.0.2.2",
    asn: 65002,
    keepPreImport: true,
    // Reads the prefix's octets (and keeps the prefix: it must not change later).
    importPolicy: (route) => {
      kept.push(route.prefix);
      return (route.prefix.bytes[2] ?? 0) & 1
        ? { accept: false }
        : { accept: true, modify: { addCommunities: [0x00010002] } };
    },
  });
  rib.addPeer({
    id: "p3",
    address: "192.0.2.3",
    asn: 65003,
    maxPrefix: { limit: 6, action: "teardown" },
  });
  rib.addPeer({
    id: "x1",
    address: "192.0.2.9",
    asn: 65009,
    localAddress: "192.0.2.254",
    exportPolicy: ACCEPT_X1,
  });
  rib.addPeer({
    id: "x2",
    address: "192.0.2.10",
    asn: 65010,
    localAddress: "192.0.2.254",
    addPathSend: true,
  });
  rib.startExport("x1");
  rib.startExport("x2");
  const batches: unknown[][] = [];
  const listener = (ds: readonly RibDelta[]) => batches.push(ds.map(deltaView));
  let off = quiet ? undefined : rib.subscribe(listener);
  const listen = (on: boolean) => {
    if (on && !off) off = rib.subscribe(listener);
    if (!on && off) {
      off();
      off = undefined;
    }
  };
  return { rib, batches, listen };
}
let kept: Prefix[] = [];

function deltaView(d: RibDelta): unknown {
  return [
    d.kind,
    formatPrefix(d.prefix),
    d.key,
    d.best && [
      d.best.source.id,
      d.best.attrs.key,
      d.best.attrs.nextHop,
      d.best.pathId,
      d.best.stale,
    ],
    d.previous && [d.previous.source.id, d.previous.attrs.key, d.previous.stale],
    d.multipath?.map((p) => [p.source.id, p.attrs.key]),
  ];
}

function resultView(r: AnnounceResult): unknown {
  return [r.deltas.map(deltaView), r.unchanged, r.rejected, r.infeasible?.message, r.maxPrefix];
}

function ribView(r: Rib): unknown {
  const routes = [...r.routes()].map(({ prefix, path }) => [
    formatPrefix(prefix),
    prefix.pathId,
    path.source.id,
    path.attrs.key,
    path.stale,
  ]);
  return {
    routes: routes.sort(),
    counts: ["p1", "p2", "p3"].map((id) => [r.pathCount(id), r.staleCount(id)]),
    pre: [...r.preImport("p2")].map((x) => [formatPrefix(x.prefix), x.attrs.key]).sort(),
    out: outView(r),
    size: r.size,
    sets: r.interner.size,
  };
}

/** Takes what the exporting peers have to be sent (RFC 7911 Path Identifiers for x2). */
function outView(r: Rib): unknown {
  return ["x1", "x2"].map((id) => {
    const b = r.adjRibOut(id)!.take();
    return [
      b.announce.map((g) => [g.attrs.key, g.prefixes.map((p) => [formatPrefix(p), p.pathId])]),
      b.withdraw.map((p) => [formatPrefix(p), p.pathId]),
    ];
  });
}

function wire(o: Extract<Op, { op: "update" }>): Uint8Array {
  const attributes = attrsFor(o.peer, o.variant);
  if (o.v6Withdrawn) {
    attributes.push({
      type: "mp-unreach",
      afi: 2,
      safi: 1,
      withdrawn: [parsePrefix("2001:db8:1::/48")],
    });
  }
  const msg: UpdateMessage = {
    type: "update",
    withdrawn: o.withdrawn,
    attributes: o.nlri.length ? attributes : attributes.filter((a) => a.type === "mp-unreach"),
    nlri: o.nlri,
  };
  return encodeMessage(msg, ctx);
}

describe("applyUpdate: the IPv4 numbers path equals the prefix-object path", () => {
  it.each([false, true])(
    "same deltas, results, listener batches and tables on random UPDATE sequences (multipath %s); with returnDeltas false the same tables and exports, deltas only while subscribed",
    (multipath) => {
      fc.assert(
        fc.property(fc.array(opArb, { minLength: 1, maxLength: 40 }), (ops) => {
          const fast = makeRib(multipath);
          const keptFast: Prefix[] = [];
          const slow = makeRib(multipath);
          const keptSlow: Prefix[] = [];
          const quiet = makeRib(multipath, true);
          const keptQuiet: Prefix[] = [];
          let listening = false;
          /** The fast RIB's batches made while the quiet one listened: what it must have had. */
          const heard: unknown[][] = [];
          /** What the quiet RIB returns: the fast RIB's deltas while subscribed, else none. */
          const asQuiet = (ds: unknown[]) => (listening ? ds : []);
          let now = 1_000;
          for (const o of ops) {
            now += 1_000;
            const before = fast.batches.length;
            if (o.op === "listen") {
              listening = !listening;
              quiet.listen(listening);
              continue;
            }
            if (o.op === "stale") {
              const stale = fast.rib.markStale(`p${o.peer}`, now, 120);
              expect(stale).toBe(slow.rib.markStale(`p${o.peer}`, now, 120));
              expect(stale).toBe(quiet.rib.markStale(`p${o.peer}`, now, 120));
              continue;
            }
            if (o.op === "policy") {
              const policy = o.none ? NONE_V4 : o.peer === "x1" ? ACCEPT_X1 : undefined;
              fast.rib.setExportPolicy(o.peer, policy);
              slow.rib.setExportPolicy(o.peer, policy);
              quiet.rib.setExportPolicy(o.peer, policy);
              continue;
            }
            if (o.op === "eor") {
              const eor = fast.rib.endOfRib(`p${o.peer}`).map(deltaView);
              expect(eor).toEqual(slow.rib.endOfRib(`p${o.peer}`).map(deltaView));
              expect(quiet.rib.endOfRib(`p${o.peer}`).map(deltaView)).toEqual(asQuiet(eor));
              if (listening) heard.push(...fast.batches.slice(before));
              expect(quiet.batches).toEqual(heard);
              continue;
            }
            const bytes = wire(o);
            const a = decodeMessage(bytes, ctx);
            const b = decodeMessage(bytes, ctx);
            if (a.message.type !== "update" || b.message.type !== "update")
              throw new Error("not an UPDATE");
            expect(ipv4Fields(a.message)).toBeDefined();
            const plain: UpdateMessage = { ...b.message };
            expect(ipv4Fields(plain)).toBeUndefined();
            const action = o.treat ? "treat-as-withdraw" : a.action;
            kept = keptFast;
            const ra = applyUpdate(fast.rib, `p${o.peer}`, a.message, action);
            kept = keptSlow;
            const rb = applyUpdate(slow.rib, `p${o.peer}`, plain, action);
            const c = decodeMessage(bytes, ctx);
            if (c.message.type !== "update") throw new Error("not an UPDATE");
            kept = keptQuiet;
            const rc = applyUpdate(quiet.rib, `p${o.peer}`, c.message, action);
            expect(ra.deltas.map(deltaView)).toEqual(rb.deltas.map(deltaView));
            expect(ra.announced.map(resultView)).toEqual(rb.announced.map(resultView));
            expect([ra.treatedAsWithdraw, ra.maxPrefix]).toEqual([
              rb.treatedAsWithdraw,
              rb.maxPrefix,
            ]);
            expect(fast.batches).toEqual(slow.batches);
            expect(rc.deltas.map(deltaView)).toEqual(asQuiet(ra.deltas.map(deltaView)));
            const quietView = (r: AnnounceResult) =>
              resultView({ ...r, deltas: asQuiet(r.deltas) as RibDelta[] });
            expect(rc.announced.map(resultView)).toEqual(ra.announced.map(quietView));
            expect([rc.treatedAsWithdraw, rc.maxPrefix]).toEqual([
              ra.treatedAsWithdraw,
              ra.maxPrefix,
            ]);
            if (listening) heard.push(...fast.batches.slice(before));
            expect(quiet.batches).toEqual(heard);
            // What each exporting peer would be sent now (later changes are queued from here on).
            if (now % 3000 === 0) {
              const out = outView(fast.rib);
              expect(out).toEqual(outView(slow.rib));
              expect(outView(quiet.rib)).toEqual(out);
            }
          }
          const tables = ribView(fast.rib); // (takes what the peers have to be sent)
          expect(tables).toEqual(ribView(slow.rib));
          expect(ribView(quiet.rib)).toEqual(tables);
          expect(keptQuiet.map(formatPrefix)).toEqual(keptFast.map(formatPrefix));
          // What the import policy was given is still what it was given.
          expect(keptFast.map(formatPrefix)).toEqual(keptSlow.map(formatPrefix));
          expect(keptFast.map((p) => [...p.bytes])).toEqual(keptSlow.map((p) => [...p.bytes]));
        }),
        { numRuns: 300 },
      );
    },
  );
});
