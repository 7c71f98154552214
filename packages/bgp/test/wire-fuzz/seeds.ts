// Valid messages to mutate, per session kind: hand-built OPEN, UPDATE,
// NOTIFICATION, ROUTE-REFRESH and KEEPALIVE for the raw peer (AS 65099), plus
// the captured real UPDATEs/NOTIFICATIONs/ROUTE-REFRESHes whose session had
// the same AS size and ADD-PATH-ness (test/fixtures, real daemons' bytes).
import { kindContext, kindOpen, type SessionKind } from "../../src/speaker/raw-peer.fixture.js";
import { decodeMessage, encodeMessage, parseIpv4 } from "../../src/wire/index.js";
import { fixtureFiles, loadFixture } from "../fixtures/load.js";

/** The message types a seed can be. */
export type SeedType = "open" | "update" | "notification" | "route-refresh" | "keepalive";

/** One valid message. */
export interface Seed {
  readonly type: SeedType;
  readonly name: string;
  readonly bytes: Uint8Array;
}

const TYPE_OF: Record<number, SeedType> = {
  1: "open",
  2: "update",
  3: "notification",
  4: "keepalive",
  5: "route-refresh",
};

function header(length: number, type: number): number[] {
  return [...Array(16).fill(0xff), length >> 8, length & 0xff, type];
}
function msg(type: number, body: number[]): Uint8Array {
  return Uint8Array.from([...header(19 + body.length, type), ...body]);
}
const u16 = (n: number) => [n >> 8, n & 0xff];
const u32 = (n: number) => [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];

/** The seeds for a raw peer of `kind` at `address` with AS `asn`. */
export function seedsFor(kind: SessionKind, address: string, asn: number): Seed[] {
  const ctx = kindContext(kind);
  const as = (n: number) => (ctx.fourOctetAs ? u32(n) : u16(n));
  const pathId = (id: number) => (kind === "add-path" ? u32(id) : []);
  const nh = [...parseIpv4(address)];
  const origin = [0x40, 1, 1, 0]; // ORIGIN IGP
  const asPath = [0x40, 2, 2 + as(0).length, 2, 1, ...as(asn)]; // AS_PATH SEQ [asn]
  const attrs = (extra: number[] = []) => [...origin, ...asPath, ...[0x40, 3, 4, ...nh], ...extra];
  const update = (withdrawn: number[], pa: number[], nlri: number[]) =>
    msg(2, [...u16(withdrawn.length), ...withdrawn, ...u16(pa.length), ...pa, ...nlri]);
  const p0 = [...pathId(1), 26, 198, 51, 100, 0];
  const p64 = [...pathId(2), 26, 198, 51, 100, 64];
  const text = [...new TextEncoder().encode("fuzz")];

  const seeds: Seed[] = [
    { type: "open", name: "open", bytes: encodeMessage(kindOpen(kind, asn, address), ctx) },
    {
      type: "open",
      name: "open+gr+fqdn",
      bytes: encodeMessage(
        {
          ...kindOpen(kind, asn, address),
          capabilities: [
            ...kindOpen(kind, asn, address).capabilities,
            { type: "graceful-restart", flags: 0, restartTime: 120, families: [] },
            { type: "fqdn", hostname: "raw", domain: "example" },
          ],
        },
        ctx,
      ),
    },
    { type: "update", name: "announce", bytes: update([], attrs(), [...p0, ...p64]) },
    {
      type: "update",
      name: "announce+med+communities",
      bytes: update(
        [],
        attrs([0x80, 4, 4, 0, 0, 0, 10, 0xc0, 8, 8, ...u16(65099), 0, 1, 0xff, 0xff, 0xff, 0x01]),
        p0,
      ),
    },
    { type: "update", name: "withdraw", bytes: update(p0, [], []) },
    { type: "update", name: "end-of-rib", bytes: update([], [], []) },
    {
      type: "update",
      name: "mp-reach-ipv6",
      bytes: update(
        [],
        [
          ...origin,
          ...asPath,
          // MP_REACH_NLRI (RFC 4760 §3): IPv6 unicast, next hop 2001:db8::3, 2001:db8::/32
          ...[0x80, 14, 26, ...u16(2), 1, 16, 0x20, 0x01, 0x0d, 0xb8, ...Array(11).fill(0), 3],
          ...[0, 32, 0x20, 0x01, 0x0d, 0xb8],
        ],
        [],
      ),
    },
    {
      type: "notification",
      name: "cease-shutdown",
      bytes: msg(3, [6, 2, text.length, ...text]),
    },
    { type: "notification", name: "update-error", bytes: msg(3, [3, 1]) },
    { type: "route-refresh", name: "refresh", bytes: msg(5, [0, 1, 0, 1]) },
    { type: "route-refresh", name: "borr", bytes: msg(5, [0, 1, 1, 1]) },
    { type: "route-refresh", name: "eorr", bytes: msg(5, [0, 1, 2, 1]) },
    { type: "route-refresh", name: "refresh-ipv6", bytes: msg(5, [0, 2, 0, 1]) },
    { type: "keepalive", name: "keepalive", bytes: msg(4, []) },
  ];
  // Real captured messages of sessions like this one (OPENs excepted: ours must match our kind).
  for (const f of fixtureFiles()) {
    const fx = loadFixture(f);
    if (fx.ctx.fourOctetAs !== ctx.fourOctetAs) continue;
    if (fx.ctx.addPath.receive.length > 0 !== (kind === "add-path")) continue;
    fx.messages.forEach((m, i) => {
      const type = TYPE_OF[m[18]!];
      if (!type || type === "open" || m.length > 4096) return;
      try {
        decodeMessage(m, ctx); // valid in this session too (e.g. ADD-PATH here is IPv4 only)
      } catch {
        return;
      }
      seeds.push({ type, name: `${fx.file}#${i}`, bytes: m });
    });
  }
  return seeds;
}
