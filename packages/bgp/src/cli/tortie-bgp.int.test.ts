// The tortie-bgp daemon end to end: YAML config, a session with BIRD, events
// as JSON lines, the status socket, and a clean stop that BIRD sees.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Daemon, requirePrereqs, startBird, useTestbed, waitFor } from "@tortie/testbed";
import { describe, expect, it } from "vitest";
import type { SpeakerStatus } from "../speaker/speaker.js";
import { queryStatus } from "./daemon.js";

const skip = requirePrereqs(["root", "bird"]);
const ENTRY = join(import.meta.dirname, "tortie-bgp.ts");
/** tsx resolved here, so the daemon can start from any working directory. */
const TSX = import.meta.resolve("tsx");

describe.skipIf(skip)("tortie-bgp daemon", () => {
  const tb = useTestbed();

  it("runs from a YAML config, streams events, answers status, and stops cleanly", async () => {
    const topo = await tb.topology({
      hosts: ["bird", "tortie"],
      segments: { lan: { members: { bird: ["192.0.2.1/24"], tortie: ["192.0.2.2/24"] } } },
    });
    const bird = tb.track(
      await startBird(topo.host("bird"), {
        routerId: "192.0.2.1",
        localAs: 64512,
        static4: ["198.51.100.0/26"],
        peers: [{ name: "tortie", neighbor: "192.0.2.2", neighborAs: 64512, ipv4: true }],
      }),
    );
    const dir = mkdtempSync(join(tmpdir(), "tortie-bgp-"));
    const config = join(dir, "bgp.yaml");
    const socket = join(dir, "status.sock");
    writeFileSync(
      config,
      [
        "asn: 64512",
        "routerId: 192.0.2.2",
        "peers:",
        "  - address: 192.0.2.1",
        "    asn: 64512",
        "    connectRetryTime: 1",
        "originate:",
        "  - prefix: 203.0.113.0/26",
        "    communities: ['64512:100']",
        "",
      ].join("\n"),
    );
    const d = tb.track(
      new Daemon({
        label: "tortie-bgp",
        host: topo.host("tortie"),
        dir,
        argv: [process.execPath, "--import", TSX, ENTRY, "--config", config, "--socket", socket],
      }),
    );
    const events = () =>
      d
        .logs()
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .map((l) => JSON.parse(l) as { event: string; peer?: string; prefix?: string });

    await d.waitFor(() => events().some((e) => e.event === "peer-up" && e.peer === "192.0.2.1"), {
      what: "peer-up event",
    });
    // at the default level routes are counted per peer, not logged one by one
    await d.waitFor(
      () => events().some((e) => e.event === "routes-summary" && e.peer === "192.0.2.1"),
      { what: "routes-summary line" },
    );
    expect(events().some((e) => e.event === "route-learned")).toBe(false);
    const learned = (await queryStatus(socket, { cmd: "routes", peer: "192.0.2.1" })) as {
      prefix: string;
    }[];
    expect(learned.map((r) => r.prefix)).toContain("198.51.100.0/26");
    const at = await bird.waitFor(async () =>
      (await bird.routes()).find((r) => r.prefix === "203.0.113.0/26"),
    );
    expect(at.attrs["BGP.community"]).toBe("(64512,100)");

    const st = (await queryStatus(socket, { cmd: "status" })) as SpeakerStatus;
    expect(st.peers[0]).toMatchObject({
      address: "192.0.2.1",
      state: "Established",
      prefixes: { received: expect.any(Number), advertised: 1 },
    });
    const table = (await queryStatus(socket, { cmd: "table" })) as { table: string };
    expect(table.table).toMatch(/192\.0\.2\.1\s+\| 64512\s+\| iBGP\s+\| Established/);

    d.signal("SIGTERM");
    const exit = await d.exited;
    expect(exit.code).toBe(0);
    await waitFor(
      async () => (await bird.protocolDetails("tortie")).includes("tortie-bgp stopping"),
      {
        what: "BIRD shows the shutdown communication",
      },
    );
  });

  it("rejects an invalid config with the field path and exit code 1", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tortie-bgp-"));
    const config = join(dir, "bad.yaml");
    writeFileSync(
      config,
      "asn: 64512\nrouterId: 192.0.2.300\npeers:\n  - address: nope\n    asn: 1\n",
    );
    const { spawnSync } = await import("node:child_process");
    const r = spawnSync(process.execPath, ["--import", "tsx", ENTRY, "--config", config], {
      encoding: "utf8",
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("routerId");
    expect(r.stderr).toContain("peers.0.address");
  });
});
