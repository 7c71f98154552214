// Competing paths and the best path BIRD 2 chooses among them, as data (BIRD
// User's Guide, "BGP route selection rules", and `bgp_rte_better` in
// proto/bgp/attrs.c: LOCAL_PREF, AS_PATH length, ORIGIN, MED within a
// neighbour AS, eBGP over iBGP, IGP metric, router id / ORIGINATOR_ID,
// CLUSTER_LIST length, neighbour address; a static route's preference 200 over
// BGP's 100). The unit test checks Tortie's decision process against it; the
// speaker's interop test can feed the same rows to a real BIRD and compare.
// Each row differs in the attribute under test only.
import type { DecisionOptions, DecisionReason } from "./decision.js";
import type { SourceKind } from "./path.js";
import type { AttrsSpec } from "./rib.fixture.js";

/** How a competing path's peer looks. */
export interface SourceSpec {
  kind?: SourceKind;
  routerId?: string;
  address?: string;
  igpCost?: number;
}

/** One row: the paths, the index of BIRD's choice, and the deciding step. */
export interface DecisionRow {
  name: string;
  paths: { attrs: AttrsSpec & { asSet?: number[] }; source?: SourceSpec }[];
  best: number;
  reason: DecisionReason;
  opts?: DecisionOptions;
}

const ibgp = (routerId: string, extra: SourceSpec = {}): SourceSpec => ({
  kind: "ibgp",
  routerId,
  ...extra,
});
const rid = (routerId: string, extra: SourceSpec = {}): SourceSpec => ({ routerId, ...extra });

/** The table. */
export const BIRD_DECISION_TABLE: readonly DecisionRow[] = [
  {
    name: "higher LOCAL_PREF wins over a shorter path",
    paths: [
      { attrs: { path: [1], localPref: 100 } },
      { attrs: { path: [1, 2, 3], localPref: 200 } },
    ],
    best: 1,
    reason: "local-pref",
  },
  {
    name: "absent LOCAL_PREF counts as 100",
    paths: [{ attrs: { path: [1] } }, { attrs: { path: [1, 2], localPref: 150 } }],
    best: 1,
    reason: "local-pref",
  },
  {
    name: "absent LOCAL_PREF beats 99",
    paths: [{ attrs: { path: [1, 2], localPref: 99 } }, { attrs: { path: [1, 2, 3] } }],
    best: 1,
    reason: "local-pref",
  },
  {
    name: "shorter AS_PATH",
    paths: [{ attrs: { path: [1, 2] } }, { attrs: { path: [3] } }],
    best: 1,
    reason: "as-path-length",
  },
  {
    name: "an AS_SET counts as one",
    paths: [{ attrs: { path: [1, 2, 3] } }, { attrs: { path: [1], asSet: [4, 5, 6, 7] } }],
    best: 1,
    reason: "as-path-length",
  },
  {
    name: "lower ORIGIN (IGP over INCOMPLETE)",
    paths: [{ attrs: { path: [1], origin: 2 } }, { attrs: { path: [1], origin: 0 } }],
    best: 1,
    reason: "origin",
  },
  {
    name: "lower ORIGIN (EGP over INCOMPLETE)",
    paths: [{ attrs: { path: [1], origin: 2 } }, { attrs: { path: [1], origin: 1 } }],
    best: 1,
    reason: "origin",
  },
  {
    name: "lower MED from the same neighbour AS",
    paths: [
      { attrs: { path: [1, 9], med: 20 }, source: rid("192.0.2.1") },
      { attrs: { path: [1, 8], med: 10 }, source: rid("192.0.2.2") },
    ],
    best: 1,
    reason: "med",
  },
  {
    name: "absent MED is 0 (lowest)",
    paths: [
      { attrs: { path: [1], med: 5 }, source: rid("192.0.2.1") },
      { attrs: { path: [1] }, source: rid("192.0.2.2") },
    ],
    best: 1,
    reason: "med",
  },
  {
    name: "MED not compared across neighbour ASes: router id decides",
    paths: [
      { attrs: { path: [1], med: 10 }, source: rid("192.0.2.2") },
      { attrs: { path: [2], med: 50 }, source: rid("192.0.2.1") },
    ],
    best: 1,
    reason: "router-id",
  },
  {
    name: "always-compare-med (BIRD `med metric`) compares across ASes",
    paths: [
      { attrs: { path: [1], med: 10 }, source: rid("192.0.2.2") },
      { attrs: { path: [2], med: 50 }, source: rid("192.0.2.1") },
    ],
    best: 0,
    reason: "med",
    opts: { alwaysCompareMed: true },
  },
  {
    name: "absent MED not compared across neighbour ASes either: router id decides",
    paths: [
      { attrs: { path: [1], med: 5 }, source: rid("192.0.2.1") },
      { attrs: { path: [2] }, source: rid("192.0.2.2") },
    ],
    best: 0,
    reason: "router-id",
  },
  {
    name: "always-compare-med: an absent MED (0) wins across ASes",
    paths: [
      { attrs: { path: [1], med: 5 }, source: rid("192.0.2.1") },
      { attrs: { path: [2] }, source: rid("192.0.2.2") },
    ],
    best: 1,
    reason: "med",
    opts: { alwaysCompareMed: true },
  },
  {
    name: "eBGP over iBGP",
    paths: [
      { attrs: { path: [1] }, source: ibgp("192.0.2.1") },
      { attrs: { path: [1] }, source: rid("192.0.2.9") },
    ],
    best: 1,
    reason: "ebgp-over-ibgp",
  },
  {
    name: "lower IGP metric",
    paths: [
      { attrs: { path: [1] }, source: ibgp("192.0.2.1", { igpCost: 20 }) },
      { attrs: { path: [1] }, source: ibgp("192.0.2.9", { igpCost: 10 }) },
    ],
    best: 1,
    reason: "igp-cost",
  },
  {
    name: "lower router id",
    paths: [
      { attrs: { path: [1] }, source: rid("192.0.2.20") },
      { attrs: { path: [2] }, source: rid("192.0.2.3") },
    ],
    best: 1,
    reason: "router-id",
  },
  {
    name: "router id compared as a number, not as text",
    paths: [
      { attrs: { path: [1] }, source: rid("10.0.0.9") },
      { attrs: { path: [2] }, source: rid("9.0.0.10") },
    ],
    best: 1,
    reason: "router-id",
  },
  {
    name: "ORIGINATOR_ID stands in for the router id (RFC 4456 §9)",
    paths: [
      { attrs: { path: [1], originatorId: "192.0.2.50" }, source: ibgp("192.0.2.1") },
      { attrs: { path: [1] }, source: ibgp("192.0.2.20") },
    ],
    best: 1,
    reason: "router-id",
  },
  {
    name: "shorter CLUSTER_LIST",
    paths: [
      {
        attrs: { path: [1], originatorId: "192.0.2.5", clusterList: ["192.0.2.7", "192.0.2.8"] },
        source: ibgp("192.0.2.1", { address: "192.0.2.11" }),
      },
      {
        attrs: { path: [1], originatorId: "192.0.2.5", clusterList: ["192.0.2.7"] },
        source: ibgp("192.0.2.1", { address: "192.0.2.12" }),
      },
    ],
    best: 1,
    reason: "cluster-list-length",
  },
  {
    name: "lower neighbour address",
    paths: [
      { attrs: { path: [1] }, source: rid("192.0.2.1", { address: "192.0.2.30" }) },
      { attrs: { path: [1] }, source: rid("192.0.2.1", { address: "192.0.2.20" }) },
    ],
    best: 1,
    reason: "peer-address",
  },
  {
    name: "local origination over learned (static preference 200 > BGP 100)",
    paths: [
      { attrs: { path: [], localPref: 500 } },
      {
        attrs: { path: [] },
        source: { kind: "local", address: "0.0.0.0", routerId: "192.0.2.250" },
      },
    ],
    best: 1,
    reason: "local-origin",
  },
];
