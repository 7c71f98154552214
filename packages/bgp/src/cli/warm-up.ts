// A warm-up for the `tortie-bgp` daemon's JIT: before the speaker starts,
// `warmUpRib()` originates a scratch table of /32s into a scratch `Rib` and
// exports it to a scratch peer — walked out of the Loc-RIB (Rib.feedExport),
// recorded in the Adj-RIB-Out and packed into UPDATEs (packV4) as the
// speaker's out-queue does — then drops it all. Nothing touches the
// network or the daemon's own RIB. Called by tortie-bgp.ts only: a library
// user's process is its own.
//
// Why. A daemon's first export and first full table run in code V8 has not
// optimised yet, and the daemon compiles on its main thread
// (jit-tuning.ts): each TurboFan compile pauses it. Doing the same work once
// on a scratch table, before any session, moves those compiles to start-up.
// It also sets up the heap the real table then reuses. Measured on 2 vCPUs,
// alternating, 6–8 runs each (docs/benchmarks/bgp-ingest.md, table 25):
// - advertising 100,000 routes to a BIRD, compiles on the main thread:
//   97 ms without the warm-up, 76 ms with it (BIRD 86–109 ms);
// - one BIRD feeder × 1,000,000 prefixes, compiles on the helper: the
//   daemon's CPU in the window fell from 525 to 485 ms (main thread
//   435 → 395 ms), and its page faults from 12,300 to 10,100.
// The price: ~140 ms of CPU at start and ~17 MiB more peak RSS.
import { packV4 } from "../rib/pack.js";
import { Rib } from "../rib/rib.js";
import { codecContext } from "../wire/context.js";
import type { Prefix } from "../wire/prefix.js";

/** Options of {@link warmUpRib}. */
export interface WarmUpOptions {
  /** Routes in each scratch table (default 20,000). */
  readonly routes?: number;
  /** How many scratch tables, one after the other (default 3). */
  readonly rounds?: number;
}

/** What {@link warmUpRib} did. */
export interface WarmUpResult {
  /** Routes exported over all rounds. */
  readonly routes: number;
  /** Octets of UPDATEs packed (and dropped). */
  readonly octets: number;
}

// Scratch addresses, never sent anywhere: documentation (RFC 5737) for the
// speaker and its peer, benchmarking (RFC 2544, 198.18.0.0/15) for the routes.
const LOCAL = "192.0.2.1";
const PEER = "192.0.2.3";
const BASE = 0xc6120000; // 198.18.0.0

/** `n` /32s from 198.18.0.0 up (benchmarking addresses, RFC 2544), as prefixes. */
export function scratchTable(n: number): Prefix[] {
  const table: Prefix[] = [];
  for (let j = 0; j < n; j++) {
    const a = (BASE + j) >>> 0;
    table.push({
      afi: 1,
      length: 32,
      bytes: Uint8Array.of(a >>> 24, (a >>> 16) & 255, (a >>> 8) & 255, a & 255),
    });
  }
  return table;
}

/**
 * Runs the RIB's originate and export paths over scratch tables so that V8
 * optimises them before the daemon's first session (see the file header).
 */
export function warmUpRib(opts: WarmUpOptions = {}): WarmUpResult {
  const n = opts.routes ?? 20_000;
  const rounds = opts.rounds ?? 3;
  if (!Number.isInteger(n) || n < 1 || n > 131_072)
    throw new RangeError(`warm-up routes: 1 to 131,072, not ${n}`);
  let routes = 0;
  let octets = 0;
  for (let round = 0; round < rounds; round++) {
    const rib = new Rib({ localAs: 65001, routerId: LOCAL });
    rib.addPeer({ id: PEER, address: PEER, asn: 65002, localAddress: LOCAL });
    rib.originate(scratchTable(n), { attributes: [] });
    const r = exportAll(rib, PEER);
    routes += r.routes;
    octets += r.octets;
  }
  return { routes, octets };
}

/**
 * A peer's whole initial export out of `rib`, as the speaker's out-queue
 * makes it: fed from the Loc-RIB 4,096 destinations a step, recorded in
 * the Adj-RIB-Out and packed into UPDATEs (packV4), which are dropped.
 */
export function exportAll(rib: Rib, peerId: string): WarmUpResult {
  const ctx = codecContext({ fourOctetAs: true });
  const out = rib.startExport(peerId, { incremental: true });
  let routes = 0;
  let octets = 0;
  while (out.pendingCount > 0 || rib.exportFeeding(peerId)) {
    const b = out.pendingCount > 0 ? out.takePacked(4096) : rib.feedExport(peerId, 4096);
    if (!b) break;
    for (const g of b.announce4) routes += g.v4.length;
    octets += packV4(b.announce4, b.withdraw4, ctx)?.bytes.length ?? 0;
  }
  return { routes, octets };
}
