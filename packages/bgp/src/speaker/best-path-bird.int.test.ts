// Best-path choice side by side with BIRD (RFC 4271 §9.1.2.2, RFC 4456 §9):
// the rows of the decision table, fed as real competing paths from one set of
// feeder sessions to a Tortie Speaker and to a BIRD receiver (AS 64500, each
// in its own namespace), one /32 per row, all rows in one topology. Per
// prefix, the feeder BIRD chose (`birdc show route all`, the `*` route) must
// be the feeder Tortie chose (the Loc-RIB best path). Feeders are BIRD
// processes, and ExaBGP for the AS_SET row; the local-origination row is a
// static route at BIRD and an originated route at Tortie.
//
// The always-compare-MED rows are decided at a second receiver pair: a
// Speaker with `alwaysCompareMed` and a BIRD with `med metric on` (BIRD 2's
// per-protocol switch: MEDs of different neighbour ASes compared) on every
// feeder session. The first pair receives those rows too and must choose
// otherwise, the default (RFC 4271 §9.1.2.2 c, MED within one neighbour AS).
import {
  type BirdRoute,
  requirePrereqs,
  startBird,
  startExabgp,
  useTestbed,
} from "@tortie/testbed";
import { describe, expect, it } from "vitest";
import { parsePrefix } from "../wire/prefix.js";
import {
  alwaysCompareMed,
  exabgpRoutes,
  feederFilter,
  LOCAL_AS,
  type PathView,
  planFeeders,
} from "./best-path-bird.fixture.js";
import { established, lanTopology, startTortie } from "./interop.fixture.js";
import type { RibRoute } from "./rib-view.js";

const skip = requirePrereqs(["root", "bird", "exabgp"]);

const TORTIE = "192.0.2.252";
const RECEIVER = "192.0.2.253";
/** The always-compare-MED pair: Speaker `alwaysCompareMed`, BIRD `med metric on`. */
const TORTIE_MED = "192.0.2.250";
const RECEIVER_MED = "192.0.2.251";

describe.skipIf(skip)("best path: Tortie and BIRD choose the same among competing paths", () => {
  const tb = useTestbed();

  it("every row of the decision table: the same feeder wins at Tortie and at BIRD", async () => {
    const plan = planFeeders();
    // All rows but the one the Speaker cannot be configured for (IGP cost),
    // and every step the issue names.
    expect(plan.rows.length).toBeGreaterThanOrEqual(20);
    const medRows = plan.rows.filter((r) => alwaysCompareMed(r.row));
    const plainRows = plan.rows.filter((r) => !alwaysCompareMed(r.row));
    expect(medRows.length).toBeGreaterThanOrEqual(2);
    // Feeders of the always-compare rows also feed the second pair.
    const medFeeders = new Set(medRows.flatMap((r) => r.feeders));
    expect(
      plan.feeders.filter((f) => medFeeders.has(f.address)).map((f) => f.daemon),
    ).not.toContain("exabgp");
    const reasons = new Set(plan.rows.map((r) => r.row.reason));
    for (const r of [
      "local-pref",
      "as-path-length",
      "origin",
      "med",
      "ebgp-over-ibgp",
      "router-id",
      "cluster-list-length",
      "peer-address",
    ] as const) {
      expect(reasons, r).toContain(r);
    }
    const topo = await lanTopology(tb, {
      feed: plan.feeders.map((f) => f.address),
      tortie: TORTIE,
      bird: RECEIVER,
      tortmed: TORTIE_MED,
      birdmed: RECEIVER_MED,
    });
    // One BIRD per feeder: BIRD 2.0.12 locks a neighbour address per process,
    // so one process cannot hold two sessions to the same receiver. `strict
    // bind` lets the processes share the namespace (each listens on its own
    // address only).
    const birdFeeders = plan.feeders.filter((f) => f.daemon === "bird");
    const exaFeeders = plan.feeders.filter((f) => f.daemon === "exabgp");
    const feeds = await Promise.all(
      birdFeeders.map(async (f) =>
        tb.track(
          await startBird(topo.host("feed"), {
            routerId: f.routerId,
            localAs: f.asn,
            direct: false,
            static4: [...f.announce.keys()],
            peers: [
              ["tortie", TORTIE],
              ["receiver", RECEIVER],
              ...(medFeeders.has(f.address)
                ? [
                    ["tortiemed", TORTIE_MED],
                    ["receivermed", RECEIVER_MED],
                  ]
                : []),
            ].map(([name, neighbor]) => ({
              name: name!,
              neighbor: neighbor!,
              neighborAs: LOCAL_AS,
              localAddress: f.address,
              extra: "  strict bind on;",
              ipv4: { import: "none", export: feederFilter(f), nextHopSelf: true },
            })),
          }),
        ),
      ),
    );
    // ExaBGP holds one neighbour per process: one towards each receiver.
    const exas = await Promise.all(
      exaFeeders.flatMap((f) =>
        [TORTIE, RECEIVER].map(async (neighbor) =>
          tb.track(
            await startExabgp(topo.host("feed"), {
              routerId: f.routerId,
              localAddress: f.address,
              localAs: f.asn,
              neighbor,
              peerAs: LOCAL_AS,
              routes: exabgpRoutes(f),
            }),
          ),
        ),
      ),
    );
    // A receiver pair: BIRD and Tortie, receive only, configured alike.
    const receivers = async (med: boolean) => {
      const feeders = plan.feeders.filter((f) => !med || medFeeders.has(f.address));
      const bird = tb.track(
        await startBird(topo.host(med ? "birdmed" : "bird"), {
          routerId: med ? RECEIVER_MED : RECEIVER,
          localAs: LOCAL_AS,
          direct: false,
          static4: med ? [] : plan.local,
          peers: feeders.map((f) => ({
            name: f.name,
            neighbor: f.address,
            neighborAs: f.asn,
            localAddress: med ? RECEIVER_MED : RECEIVER,
            ...(med ? { extra: "  med metric on;" } : {}),
            ipv4: { import: "all", export: "none" },
          })),
        }),
      );
      const tortie = await startTortie(tb, topo.host(med ? "tortmed" : "tortie"), {
        asn: LOCAL_AS,
        routerId: med ? TORTIE_MED : TORTIE,
        ...(med ? { alwaysCompareMed: true } : {}),
        // Receive only, as the BIRD receiver (`export none`).
        peers: feeders.map((f) => ({
          address: f.address,
          asn: f.asn,
          connectRetryTime: 1,
          exportFilters: [
            {
              metadata: { name: "receive-only" },
              spec: { exportV4: [{ cidr: "0.0.0.0/0", matchOperator: "In", action: "Reject" }] },
            },
          ],
        })),
        originate: med ? [] : plan.local.map((prefix) => ({ prefix })),
      });
      await Promise.all([
        ...feeders.map((f) => established(tortie, f.address)),
        ...feeders.map((f) => bird.waitEstablished(f.name)),
      ]);
      return { bird, tortie };
    };
    const [plain, medPair] = await Promise.all([receivers(false), receivers(true)]);
    await Promise.all(exas.map((e) => e.waitUp()));

    // Each path arrived at both receivers with the attributes its row varies,
    // so that each row decides on what it names.
    // LOCAL_PREF only for iBGP paths: BIRD shows its default 100 on an eBGP one.
    const birdView = (x: BirdRoute, ibgp: boolean): PathView => {
      const a = x.attrs;
      const cl = a["BGP.cluster_list"];
      return {
        asPath: a["BGP.as_path"] ?? "",
        origin: (a["BGP.origin"] ?? "").toLowerCase() as PathView["origin"],
        ...(a["BGP.med"] !== undefined ? { med: Number(a["BGP.med"]) } : {}),
        ...(ibgp && a["BGP.local_pref"] !== undefined
          ? { localPref: Number(a["BGP.local_pref"]) }
          : {}),
        ...(a["BGP.originator_id"] ? { originatorId: a["BGP.originator_id"] } : {}),
        clusterListLength: cl ? cl.split(" ").length : 0,
      };
    };
    const tortieView = (x: RibRoute, ibgp: boolean): PathView => {
      const orig = x.attributes.find((a) => a.type === "originator-id");
      const cl = x.attributes.find((a) => a.type === "cluster-list");
      return {
        asPath: x.asPath.map((a) => (typeof a === "number" ? a : `{${a.join(" ")}}`)).join(" "),
        origin: x.origin as PathView["origin"],
        ...(x.med !== undefined ? { med: x.med } : {}),
        ...(ibgp && x.localPref !== undefined ? { localPref: x.localPref } : {}),
        ...(orig && "originatorId" in orig ? { originatorId: orig.originatorId } : {}),
        clusterListLength: cl && "clusterIds" in cl ? cl.clusterIds.length : 0,
      };
    };
    const byName = new Map<string, string>([
      ...plan.feeders.map((f) => [f.name, f.address] as const),
      ["s4", "local"],
    ]);

    /** The choice of both receivers of a pair on `rows`, once every path of them is there. */
    const decided = async (pair: typeof plain, rows: typeof plan.rows) => {
      const { bird: receiver, tortie } = pair;
      // A `birdc` call on the feeder each round wakes it: BIRD 2.0.12 may hold back an export's tail.
      const atBird = await receiver.waitFor(
        async () => {
          await Promise.all(feeds.map((f) => f.birdc("show status")));
          const routes = await receiver.routes({ table: "master4" });
          const complete = rows.every(
            (r) =>
              routes.filter((x) => x.prefix === r.prefix).length === r.row.paths.length &&
              tortie.rib.paths(parsePrefix(r.prefix)).length === r.row.paths.length,
          );
          return complete ? routes : undefined;
        },
        { what: "every competing path at BIRD and at Tortie", timeoutMs: 20_000 },
      );
      const sent: unknown[] = [];
      const atBirdViews: unknown[] = [];
      const atTortieViews: unknown[] = [];
      for (const r of rows) {
        for (const [i, addr] of r.feeders.entries()) {
          if (addr === "local") continue;
          const f = plan.feeders.find((x) => x.address === addr)!;
          const b = atBird.find((x) => x.prefix === r.prefix && x.protocol === f.name);
          const t = tortie.routes({ prefix: r.prefix, peer: addr })[0];
          sent.push([r.row.name, i, r.views[i]]);
          atBirdViews.push([r.row.name, i, b && birdView(b, f.kind === "ibgp")]);
          atTortieViews.push([r.row.name, i, t && tortieView(t, f.kind === "ibgp")]);
        }
      }
      expect(atBirdViews).toEqual(sent);
      expect(atTortieViews).toEqual(sent);
      return rows.map((r) => {
        const best = atBird.find((x) => x.prefix === r.prefix && x.best);
        const bird = best ? byName.get(best.protocol) : undefined;
        const tortieBest = tortie.routes({ prefix: r.prefix, bestOnly: true })[0]?.peer;
        const d = tortie.rib.explain(parsePrefix(r.prefix));
        const loser = [...d.reasons.values()][0];
        return {
          row: r.row.name,
          prefix: r.prefix,
          documented: r.feeders[r.row.best],
          best: r.row.best,
          bird,
          birdIndex: bird === undefined ? -1 : r.feeders.indexOf(bird),
          tortie: tortieBest,
          tortieIndex: tortieBest === undefined ? -1 : r.feeders.indexOf(tortieBest),
          reason: loser,
          documentedReason: r.row.reason,
        };
      });
    };
    // The first pair holds every row; the always-compare rows are decided there the default way.
    const table = await decided(plain, plainRows);
    const medAtDefault = await decided(plain, medRows);
    const medTable = await decided(medPair, medRows);

    const cell = (s: unknown, w: number) => String(s ?? "-").padEnd(w);
    const lines = (t: typeof table, note: string) =>
      t.map(
        (x) =>
          `${cell(`${x.row}${note}`, 72)} ${cell(`${x.birdIndex} ${x.bird}`, 18)} ${cell(`${x.tortieIndex} ${x.tortie}`, 18)} ${x.reason}${
            note === "" && x.birdIndex !== x.best
              ? "  (BIRD differs from the documented choice)"
              : ""
          }`,
      );
    console.log(
      [
        `${cell("row", 72)} ${cell("BIRD", 18)} ${cell("Tortie", 18)} Tortie's reason`,
        ...lines(table, ""),
        ...lines(medTable, ""),
        ...lines(medAtDefault, " [default pair]"),
        ...plan.skipped.map((s) => `${cell(s.name, 72)} not run: ${s.why}`),
      ].join("\n"),
    );
    // Real BIRD is the reference; the documented choice is checked too, so a
    // difference between BIRD and the table is seen.
    for (const t of [table, medTable]) {
      expect(t.map((x) => [x.row, x.tortie])).toEqual(t.map((x) => [x.row, x.bird]));
      expect(t.map((x) => [x.row, x.reason])).toEqual(t.map((x) => [x.row, x.documentedReason]));
      expect(t.map((x) => [x.row, x.bird])).toEqual(t.map((x) => [x.row, x.documented]));
    }
    // Without the option (BIRD without `med metric`, a Speaker without
    // `alwaysCompareMed`) both choose the other path on the always-compare rows.
    expect(medAtDefault.map((x) => [x.row, x.tortie])).toEqual(
      medAtDefault.map((x) => [x.row, x.bird]),
    );
    for (const x of medAtDefault) {
      expect(x.bird, x.row).toBeDefined();
      expect(x.bird, x.row).not.toBe(x.documented);
      expect(x.reason, x.row).not.toBe("med");
    }
  });
});
