// tortie-bgp names why a session does not come up, in BIRD's words, against
// real BIRD and FRR in namespaces: a wrong AS on either side (RFC 4271 §6.2
// Bad Peer AS), a TCP-MD5 key that differs (RFC 2385: the SYN goes
// unanswered), and the hold time negotiated (§4.2) once it is up. And the
// log volume: a table of routes is a summary line at info, one line per
// route only at debug.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Daemon, type Host, requirePrereqs, useTestbed } from "@tortie/testbed";
import { describe, expect, it } from "vitest";
import { birdSession, frrSession, lanTopology } from "../speaker/interop.fixture.js";
import { queryStatus } from "./daemon.js";

const skip = requirePrereqs(["root", "bird", "frr"]);
const ENTRY = join(import.meta.dirname, "tortie-bgp.ts");
const TSX = import.meta.resolve("tsx");

type Line = { level: string; event: string; peer?: string; message?: string } & Record<
  string,
  unknown
>;

describe.skipIf(skip)("tortie-bgp diagnostics and log volume", () => {
  const tb = useTestbed();
  const dir = mkdtempSync(join(tmpdir(), "tortie-bgp-diag-"));
  tb.defer(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;

  /** Starts tortie-bgp in `host` with `config` lines; returns it, its socket and its JSON lines. */
  function tortie(host: Host, config: string[], flags: string[] = []) {
    const i = ++n;
    const file = join(dir, `bgp-${i}.yaml`);
    writeFileSync(file, `${config.join("\n")}\n`);
    const socket = join(dir, `bgp-${i}.sock`);
    const d = tb.track(
      new Daemon({
        label: `tortie-bgp-${i}`,
        host,
        argv: [
          process.execPath,
          "--import",
          TSX,
          ENTRY,
          "--config",
          file,
          "--socket",
          socket,
          ...flags,
        ],
      }),
    );
    const lines = () =>
      d
        .logs()
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .map((l) => JSON.parse(l) as Line);
    const table = async () =>
      ((await queryStatus(socket, { cmd: "table" })) as { table: string }).table;
    return { d, lines, table, socket, file };
  }

  const lan = () => lanTopology(tb, { peer: "192.0.2.1", tortie: "192.0.2.2" });
  /** BIRD at 192.0.2.1 (AS 64512) with one session towards us at 192.0.2.2. */
  const bird = (
    host: Host,
    neighborAs: number,
    extra: Pick<Parameters<typeof birdSession>[2], "direct" | "originate" | "session"> = {},
  ) =>
    birdSession(tb, host, {
      routerId: "192.0.2.1",
      asn: 64512,
      neighbor: "192.0.2.2",
      neighborAs,
      ...extra,
    });
  /** FRR at 192.0.2.3 (AS 64512) with one neighbor, us at 192.0.2.2. */
  const frr = (host: Host, neighborAs: number, password?: string) =>
    frrSession(tb, host, {
      routerId: "192.0.2.3",
      asn: 64512,
      neighbor: "192.0.2.2",
      neighborAs,
      ...(password ? { settings: { password } } : {}),
    });

  it("we refuse BIRD's AS: 'Bad peer AS: configured 64513, received 64512' in the log and the status", async () => {
    const topo = await lan();
    await bird(topo.host("peer"), 64512);
    const t = tortie(topo.host("tortie"), [
      "asn: 64512",
      "routerId: 192.0.2.2",
      "peers:",
      "  - address: 192.0.2.1",
      "    asn: 64513",
      "    connectRetryTime: 1",
    ]);
    const want = "Bad peer AS: configured 64513, received 64512";
    const line = await t.d.waitFor(
      () => t.lines().find((l) => l.event === "peer-error" && l.peer === "192.0.2.1"),
      { what: "peer-error line" },
    );
    expect(line).toMatchObject({ level: "warn", message: want });
    expect(await t.table()).toContain(`192.0.2.1: ${want}`);
    const st = (await queryStatus(t.socket, { cmd: "status" })) as {
      peers: { address: string; info?: string }[];
    };
    expect(st.peers[0]).toMatchObject({ address: "192.0.2.1", info: want });
    // BIRD retries; the same cause is not logged again at every attempt
    await new Promise((r) => setTimeout(r, 5000));
    expect(t.lines().filter((l) => l.event === "peer-error")).toHaveLength(1);
    expect(t.lines().filter((l) => l.level === "info")).toHaveLength(0);
  });

  it("BIRD and FRR refuse our AS: 'Received: Bad peer AS' naming the AS we sent", async () => {
    const topo = await lanTopology(tb, {
      bird: "192.0.2.1",
      frr: "192.0.2.3",
      tortie: "192.0.2.2",
    });
    // both expect AS 64513 from us; we are 64512
    await bird(topo.host("bird"), 64513);
    await frr(topo.host("frr"), 64513);
    const t = tortie(topo.host("tortie"), [
      "asn: 64512",
      "routerId: 192.0.2.2",
      "peers:",
      "  - address: 192.0.2.1",
      "    asn: 64512",
      "    connectRetryTime: 1",
      "  - address: 192.0.2.3",
      "    asn: 64512",
      "    connectRetryTime: 1",
    ]);
    const want =
      "Received: Bad peer AS: the peer does not accept our AS 64512 (configure 64512 for us there, or set localAsn here)";
    for (const peer of ["192.0.2.1", "192.0.2.3"]) {
      const line = await t.d.waitFor(
        // A peer still loading its configuration may first answer Cease, with
        // or without a subcode (seen on fast and on loaded machines); the
        // refusal of our AS is what must follow.
        () =>
          t
            .lines()
            .find(
              (l) =>
                l.event === "peer-error" &&
                l.peer === peer &&
                !String(l.message).startsWith("Received: Cease"),
            ),
        { what: `peer-error line for ${peer}` },
      );
      expect(line).toMatchObject({ level: "warn", message: want });
      expect(await t.table()).toContain(`${peer}: ${want}`);
    }
  });

  it("a TCP-MD5 key that differs from BIRD's and FRR's: 'no reply to SYN from …:179 — TCP-MD5 key mismatch?'", async () => {
    const topo = await lanTopology(tb, {
      bird: "192.0.2.1",
      frr: "192.0.2.3",
      tortie: "192.0.2.2",
    });
    await bird(topo.host("bird"), 64512, { session: { password: "birds-key" } });
    await frr(topo.host("frr"), 64512, "frrs-key");
    const t = tortie(topo.host("tortie"), [
      "asn: 64512",
      "routerId: 192.0.2.2",
      "peers:",
      "  - address: 192.0.2.1",
      "    asn: 64512",
      "    password: another-key",
      "    connectRetryTime: 2",
      "  - address: 192.0.2.3",
      "    asn: 64512",
      "    password: another-key",
      "    connectRetryTime: 2",
    ]);
    for (const peer of ["192.0.2.1", "192.0.2.3"]) {
      const line = await t.d.waitFor(
        () => t.lines().find((l) => l.event === "connect-unanswered" && l.peer === peer),
        { what: `connect-unanswered line for ${peer}` },
      );
      expect(line.level).toBe("warn");
      expect(line.message).toMatch(
        new RegExp(
          `^no reply to SYN from ${peer.replaceAll(".", "\\.")}:179 — TCP-MD5 key mismatch\\?`,
        ),
      );
      expect(line.waitedMs).toBeGreaterThanOrEqual(1000);
      expect(await t.table()).toContain(
        `${peer}: no reply to SYN from ${peer}:179 — TCP-MD5 key mismatch?`,
      );
    }
    // said once per peer, not at every connect retry (the same cause at most once a minute)
    await new Promise((r) => setTimeout(r, 5000));
    expect(t.lines().filter((l) => l.event === "connect-unanswered")).toHaveLength(2);

    // BIRD's key in the file and a reload: that session comes up, its line is the timers
    const fixed = readFileSync(t.file, "utf8").replace("another-key", "birds-key");
    writeFileSync(t.file, fixed);
    t.d.signal("SIGHUP");
    await t.d.waitFor(
      () => t.lines().find((l) => l.event === "peer-up" && l.peer === "192.0.2.1"),
      {
        what: "peer-up for 192.0.2.1 with the right key",
      },
    );
    const table = await t.table();
    expect(table).toMatch(/192\.0\.2\.1: hold time 90 s/);
    expect(table).toContain(
      "192.0.2.3: no reply to SYN from 192.0.2.3:179 — TCP-MD5 key mismatch?",
    );
  });

  it("2,000 routes from BIRD: one summary line at info (none per route), hold time as negotiated in status; one line per route at debug", async () => {
    const topo = await lan();
    // 198.18.0.0/15 (benchmark space): 2,000 /28s
    const prefixes = Array.from({ length: 2000 }, (_, i) => {
      const a = 198 * 2 ** 24 + 18 * 2 ** 16 + i * 16;
      return `${[a >>> 24, (a >>> 16) & 255, (a >>> 8) & 255, a & 255].join(".")}/28`;
    });
    await bird(topo.host("peer"), 64512, {
      direct: false,
      originate: prefixes,
      session: { holdTime: 30 },
    });
    const config = [
      "asn: 64512",
      "routerId: 192.0.2.2",
      "peers:",
      "  - address: 192.0.2.1",
      "    asn: 64512",
      "    connectRetryTime: 1",
    ];
    const info = tortie(topo.host("tortie"), config, ["--log-interval", "0"]);
    const summary = await info.d.waitFor(
      () =>
        info
          .lines()
          .find(
            (l) => l.event === "routes-summary" && l.peer === "192.0.2.1" && l.prefixes === 2000,
          ),
      { what: "routes-summary with 2000 prefixes", timeoutMs: 60_000 },
    );
    expect(summary).toMatchObject({ level: "info", learned: 2000, withdrawn: 0 });
    const all = info.lines();
    expect(all.filter((l) => l.event === "route-learned")).toHaveLength(0);
    // a summary comes before End-of-RIB; the whole table is a handful of lines
    expect(all.findIndex((l) => l.event === "routes-summary")).toBeLessThan(
      all.findIndex((l) => l.event === "end-of-rib"),
    );
    expect(all.length).toBeLessThan(20);
    expect(all.every((l) => ["debug", "info", "warn", "error"].includes(l.level))).toBe(true);
    const timers = "hold time 30 s (the peer's; we proposed 90 s), keepalive 10 s";
    // Written when the session's timers are known; not ordered against the routes.
    const timersLine = await info.d.waitFor(
      () => info.lines().find((l) => l.event === "peer-timers"),
      { what: "the peer-timers line", timeoutMs: 10_000 },
    );
    expect(timersLine).toMatchObject({ message: timers });
    expect(await info.table()).toContain(`192.0.2.1: ${timers}`);
    info.d.signal("SIGTERM");
    expect((await info.d.exited).code).toBe(0);

    const debug = tortie(topo.host("tortie"), config, ["--log-level", "debug"]);
    await debug.d.waitFor(
      () => debug.lines().filter((l) => l.event === "route-learned").length === 2000,
      { what: "2000 route-learned lines", timeoutMs: 60_000 },
    );
    expect(debug.lines().find((l) => l.event === "route-learned")?.level).toBe("debug");
  });

  it("--log-level takes only a level, naming the closest", async () => {
    const { spawnSync } = await import("node:child_process");
    const r = spawnSync(
      process.execPath,
      ["--import", TSX, ENTRY, "--config", "x.yaml", "--log-level", "debgu"],
      { encoding: "utf8" },
    );
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe(
      'tortie-bgp: --log-level debgu is not a level (did you mean "debug"?); levels: debug, info, warn, error',
    );
  });
});
