// RFC 7606 against BIRD 2: for each malformed UPDATE, the action our decoder
// names must be what BIRD does with the same bytes — treat-as-withdraw (the
// route never appears), attribute discard (the route appears without the
// attribute) or session reset (BIRD answers with a NOTIFICATION of the same
// error code).
import { requirePrereqs, startBird, useTestbed, waitFor } from "@tortie/testbed";
import { describe, expect, it } from "vitest";
import { RawPeer } from "../../test/fixtures/raw-peer.js";
import { type CodecContext, codecContext } from "./context.js";
import { BgpDecodeError, type ErrorAction } from "./errors.js";
import { decodeMessage } from "./message.js";
import { negotiateContext } from "./messages/negotiate.js";
import { type OpenMessage, openMessage } from "./messages/open.js";

const skip = requirePrereqs(["root", "netns", "bird"]);

const ORIGIN = [0x40, 1, 1, 0];
const AS_PATH = [0x40, 2, 6, 2, 1, 0, 0, 0xfd, 0xea]; // [65002], 4-octet
const NEXT_HOP = [0x40, 3, 4, 192, 0, 2, 2];
const BASE = [...ORIGIN, ...AS_PATH, ...NEXT_HOP];

/** An UPDATE announcing 203.0.113.<n>/32 with the given attribute bytes. */
function update(attrs: number[], n: number): Uint8Array {
  const nlri = [32, 203, 0, 113, n];
  const body = [0, 0, attrs.length >> 8, attrs.length & 0xff, ...attrs, ...nlri];
  const len = 19 + body.length;
  return Uint8Array.from([...new Array(16).fill(0xff), len >> 8, len & 0xff, 2, ...body]);
}

const CASES: [string, number[]][] = [
  ["ORIGIN value 5", [0x40, 1, 1, 5, ...AS_PATH, ...NEXT_HOP]],
  ["NEXT_HOP of 5 octets", [...ORIGIN, ...AS_PATH, 0x40, 3, 5, 192, 0, 2, 2, 0]],
  ["MED of 3 octets", [...BASE, 0x80, 4, 3, 0, 0, 1]],
  ["MED flagged transitive", [...BASE, 0xc0, 4, 4, 0, 0, 0, 1]],
  ["COMMUNITIES of 6 octets", [...BASE, 0xc0, 8, 6, 0, 1, 0, 1, 0, 1]],
  ["LARGE_COMMUNITY of 8 octets", [...BASE, 0xc0, 32, 8, 0, 0, 0, 1, 0, 0, 0, 1]],
  ["EXTENDED_COMMUNITIES of 4 octets", [...BASE, 0xc0, 16, 4, 0, 2, 0, 1]],
  ["ATOMIC_AGGREGATE with a value", [...BASE, 0x40, 6, 1, 0]],
  ["AGGREGATOR of 5 octets", [...BASE, 0xc0, 7, 5, 0, 0, 0xfd, 0xea, 1]],
  ["AS4_PATH with an empty segment", [...BASE, 0xc0, 17, 2, 2, 0]],
  ["LOCAL_PREF from an external peer", [...BASE, 0x40, 5, 4, 0, 0, 0, 200]],
  ["ORIGINATOR_ID from an external peer", [...BASE, 0x80, 9, 4, 192, 0, 2, 9]],
  ["missing NEXT_HOP", [...ORIGIN, ...AS_PATH]],
  ["missing ORIGIN", [...AS_PATH, ...NEXT_HOP]],
  ["AS_PATH with an empty segment", [...ORIGIN, 0x40, 2, 2, 2, 0, ...NEXT_HOP]],
];

function ourAction(bytes: Uint8Array, ctx: CodecContext): ErrorAction | "none" {
  try {
    return decodeMessage(bytes, ctx).action ?? "none";
  } catch (e) {
    if (e instanceof BgpDecodeError) return e.action;
    throw e;
  }
}

const BIRD_CONF = `
router id 192.0.2.1;
protocol device {}
protocol bgp tortie {
  local 192.0.2.1 as 65001; neighbor 192.0.2.2 as 65002; direct;
  connect delay time 1; connect retry time 2; error wait time 1, 5;
  ipv4 { import all; export none; };
}
`;

describe.skipIf(skip)("RFC 7606 actions agree with BIRD 2", () => {
  const tb = useTestbed();

  it("treat-as-withdraw, attribute discard and session reset, case by case", async () => {
    const topo = await tb.topology({
      hosts: ["bird", "tortie"],
      segments: { lan: { members: { bird: ["192.0.2.1/24"], tortie: ["192.0.2.2/24"] } } },
    });
    const bird = tb.track(await startBird(topo.host("bird"), BIRD_CONF));
    const peer = new RawPeer(topo.host("tortie"), "192.0.2.1", "192.0.2.2");
    tb.defer(() => peer.stop());
    const ours = openMessage({
      asn: 65002,
      holdTime: 90,
      bgpId: "192.0.2.2",
      capabilities: [{ type: "multiprotocol", afi: 1, safi: 1 }],
    });
    peer.send(ours);
    const theirs = await waitFor(() => peer.messages("open")[0], {
      what: "OPEN",
      timeoutMs: 15_000,
    });
    peer.ctx = negotiateContext(ours, theirs as OpenMessage);
    peer.send({ type: "keepalive" });
    await bird.waitEstablished("tortie");
    const ctx = codecContext({ ...peer.ctx, peerType: "external" });

    const routes = async () => {
      const rs = await bird.routes({ protocol: "tortie" });
      return new Map(rs.map((r) => [r.prefix, r]));
    };
    let n = 1;
    const seen = new Set<string>();
    for (const [name, attrs] of CASES) {
      const bytes = update(attrs, n);
      const action = ourAction(bytes, ctx);
      seen.add(action);
      expect(action, name).not.toBe("session-reset");
      peer.sendRaw(bytes);
      // A valid route after it: once BIRD holds that, it has handled the case.
      const marker = n + 100;
      peer.sendRaw(update(BASE, marker));
      const rs = await waitFor(async () => {
        const m = await routes();
        return m.has(`203.0.113.${marker}/32`) ? m : undefined;
      });
      const r = rs.get(`203.0.113.${n}/32`);
      if (action === "treat-as-withdraw")
        expect(r, `${name}: BIRD should not hold the route`).toBeUndefined();
      else expect(r, `${name}: BIRD should hold the route`).toBeDefined();
      n++;
    }
    expect([...seen].sort()).toEqual(["attribute-discard", "treat-as-withdraw"]);
    expect((await bird.protocol("tortie"))?.info).toMatch(/^Established/);

    // A session reset: an NLRI prefix longer than 32 bits (RFC 7606 §5.3).
    // (For an unrecognized well-known attribute, RFC 4271 §6.3, we reset as
    // GoBGP does; BIRD 2.0.12 treats it as withdraw, so it is not compared.)
    const fatal = update(BASE, 250);
    fatal[fatal.length - 5] = 33;
    let mine: BgpDecodeError | undefined;
    try {
      decodeMessage(fatal, ctx);
    } catch (e) {
      if (e instanceof BgpDecodeError) mine = e;
    }
    expect(mine?.action).toBe("session-reset");
    peer.sendRaw(fatal);
    const note = await waitFor(() => peer.messages("notification")[0], {
      what: "BIRD's NOTIFICATION",
    });
    // Both reset with UPDATE Message Error; we use Invalid Network Field as
    // RFC 4271 §6.3 asks, BIRD 2.0.12 the generic Malformed Attribute List.
    expect(note.code).toBe(mine!.code);
    expect(mine!.subcode).toBe(10);
  });
});
