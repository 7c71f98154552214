// Issue #19: bounded, seeded wire fuzzing of a live speaker. Four raw peers
// (2-octet, 4-octet, ADD-PATH and Extended-Message sessions, each from its own
// address in a namespace) send mutated valid OPEN, UPDATE, NOTIFICATION,
// ROUTE-REFRESH and KEEPALIVE messages to a Tortie Speaker in this process,
// while a real BIRD session runs beside them. Every input must be processed,
// answered with a NOTIFICATION that fits the session's maximum, or end in a
// close — never a stall, never an error escaping into the process — and the
// BIRD session must not flap or lose a route.
//
//   FUZZ_SEED=19 FUZZ_MESSAGES=600 (per session kind; 2,400 in all by default)
//
// The longer run with crash/stall files and a replay command is
// `npm run fuzz -w @tortie/bgp` (bench/fuzz-wire.ts).
import { requirePrereqs, sameBirdInstant, startBird, useTestbed, waitFor } from "@tortie/testbed";
import { describe, expect, it } from "vitest";
import { fuzzWire } from "../../test/wire-fuzz/campaign.js";
import { established, startTortie, TORTIE4 } from "./interop.fixture.js";
import type { SessionKind } from "./raw-peer.fixture.js";

const skip = requirePrereqs(["root", "bird"]);

const SEED = Number(process.env.FUZZ_SEED ?? 19);
const PER_KIND = Number(process.env.FUZZ_MESSAGES ?? 600);
const RAW: Record<SessionKind, string> = {
  "2-octet": "192.0.2.13",
  "4-octet": "192.0.2.14",
  "add-path": "192.0.2.15",
  extended: "192.0.2.16",
};

describe.skipIf(skip)("wire fuzzing a live speaker beside a BIRD session (issue #19)", () => {
  const tb = useTestbed();

  it(`seed ${SEED}: ${PER_KIND} mutated messages per session kind, no stall, no crash, BIRD unmoved`, {
    timeout: 300_000,
  }, async () => {
    const topo = await tb.topology({
      hosts: ["bird", "raw", "tortie"],
      segments: {
        lan: {
          members: {
            bird: ["192.0.2.1/24"],
            raw: Object.values(RAW).map((a) => `${a}/24`),
            tortie: [`${TORTIE4}/24`],
          },
        },
      },
    });
    const bird = tb.track(
      await startBird(topo.host("bird"), {
        routerId: "192.0.2.1",
        localAs: 65001,
        direct: false,
        static4: ["203.0.113.0/26", "203.0.113.64/26"],
        peers: [{ name: "tortie", neighbor: TORTIE4, neighborAs: 65002, ipv4: true }],
      }),
    );
    const tortie = await startTortie(tb, topo, {
      asn: 65002,
      originate: [{ prefix: "198.51.100.128/26" }],
      peers: [
        { address: "192.0.2.1", asn: 65001, connectRetryTime: 1 },
        ...Object.entries(RAW).map(([kind, address]) => ({
          address,
          asn: 65099,
          passive: true,
          errorWaitTime: [0, 0] as [number, number],
          ...(kind === "add-path" ? { addPath: "both" as const } : {}),
        })),
      ],
    });
    const sessionErrors: unknown[] = [];
    tortie.on("session-error", (e) => sessionErrors.push(e));
    await established(tortie, "192.0.2.1");
    await waitFor(() => tortie.routes("192.0.2.1").length === 2, { what: "BIRD's two routes" });
    await bird.waitEstablished("tortie");
    const birdBefore = (await bird.protocol("tortie"))!;
    const tortieBefore = tortie.peer("192.0.2.1")!;

    const report = await fuzzWire(
      {
        nsPath: topo.host("raw").nsPath,
        remote: TORTIE4,
        peers: RAW,
        asn: 65099,
        state: (a) => tortie.peer(a)?.state,
      },
      { seed: SEED, messages: PER_KIND },
    );
    console.log(
      `wire fuzz seed ${SEED}: ${report.messages} messages in ${(report.ms / 1000).toFixed(1)} s, ` +
        `${report.sessions} sessions; outcomes ${JSON.stringify(report.outcomes)}; ` +
        `NOTIFICATIONs ${JSON.stringify(report.notifications)}; by seed type ${JSON.stringify(report.bySeedType)}`,
    );

    // Every input was answered one of the three good ways.
    expect(report.findings).toEqual([]);
    expect(report.messages).toBe(4 * PER_KIND);
    const { processed, notification, close } = report.outcomes;
    expect(processed + notification + close).toBe(report.messages);
    // The campaign reached both sides: the error paths and the paths that go on.
    expect(notification).toBeGreaterThan(report.messages / 10);
    expect(processed).toBeGreaterThan(report.messages / 10);
    // No internal error was needed to survive it.
    expect(sessionErrors).toEqual([]);
    expect(tortie.status().internalErrors).toBe(0);

    // The BIRD session never moved: same connection, no flap, routes both ways.
    const birdAfter = (await bird.protocol("tortie"))!;
    expect(birdAfter.info).toMatch(/^Established/);
    expect(
      sameBirdInstant(birdAfter.since, birdBefore.since),
      `since ${birdBefore.since} → ${birdAfter.since}`,
    ).toBe(true);
    const t = tortie.peer("192.0.2.1")!;
    expect(t.state).toBe("Established");
    expect(t.flaps).toBe(tortieBefore.flaps);
    expect(t.connection?.localPort).toBe(tortieBefore.connection?.localPort);
    expect(
      tortie
        .routes("192.0.2.1")
        .map((r) => r.prefix)
        .sort(),
    ).toEqual(["203.0.113.0/26", "203.0.113.64/26"]);
    expect((await bird.routes({ protocol: "tortie" })).map((r) => r.prefix)).toContain(
      "198.51.100.128/26",
    );
  });
});
