// Graceful restart (RFC 4724) against real daemons, both roles.
//
// Tortie restarting: a Speaker in a child process announces prefixes to FRR
// and to BIRD, is killed with SIGKILL (no NOTIFICATION: the kernel closes
// its sockets), and a new one started with `restarting: true` announces one
// of them again. FRR's and BIRD's tables are polled all along: the kept
// prefix is never missing; the one no longer announced goes after the new
// speaker's End-of-RIB. FRR (zebra) and BIRD (kernel protocol) install the
// routes in their namespaces' kernels, and a ping from each to an address of
// the kept prefix on Tortie's host never fails across the restart. The new
// speaker is then killed and not restarted: FRR and BIRD drop its routes
// after its Restart Time, not before.
//
// Tortie as helper: BIRD (`graceful restart on`) is killed with SIGKILL and
// restarted in recovery mode (`bird -R`), FRR's bgpd (`bgp graceful-restart`,
// `preserve-fw-state`) is killed with SIGKILL and started again: Tortie keeps
// their routes, stale, without a withdrawal, and sweeps the one no longer
// announced after their End-of-RIB; killed again and not restarted, their
// routes go after their restart time.

import { rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  birdConfig,
  Daemon,
  exec,
  type FrrSpec,
  frrBgpdConfig,
  type Host,
  makeWorkDir,
  parseBirdRoutes,
  requirePrereqs,
  startFrr,
  useTestbed,
  waitFor,
} from "@tortie/testbed";
import { describe, expect, it } from "vitest";
import type { SpeakerConfigInput } from "./config.js";
import { established, lanTopology, learned, startTortie } from "./interop.fixture.js";

const skip = requirePrereqs(["root", "bird", "frr"]);

const FRR = "192.0.2.1";
const TORTIE = "192.0.2.2";
const BIRD = "192.0.2.3";

const here = dirname(fileURLToPath(import.meta.url));
const child = join(here, "../../test/gr/speaker-child.ts");
const tsxLoader = pathToFileURL(
  join(dirname(createRequire(import.meta.url).resolve("tsx/package.json")), "dist/loader.mjs"),
).href;

/** A Speaker in a process of its own (so that it can be killed with SIGKILL). */
async function speakerProcess(config: SpeakerConfigInput): Promise<Daemon> {
  const d = new Daemon({
    label: "tortie-child",
    host: undefined,
    argv: [process.execPath, "--import", tsxLoader, child, JSON.stringify(config)],
  });
  await d.waitFor(() => d.logs().includes("\nready"), {
    what: "speaker started",
    timeoutMs: 30_000,
  });
  return d;
}

/** BIRD started by hand so that a restart can run in recovery mode (`bird -R`, RFC 4724 R and F bits). */
class BirdProcess extends Daemon {
  constructor(
    host: Host,
    readonly ctl: string,
    conf: string,
    recovery: boolean,
  ) {
    const dir = makeWorkDir(`bird-gr-${host.name}`);
    const confPath = join(dir, "bird.conf");
    writeFileSync(confPath, conf);
    super({
      label: `bird@${host.name}${recovery ? " (-R)" : ""}`,
      host,
      dir,
      argv: ["bird", "-f", ...(recovery ? ["-R"] : []), "-c", confPath, "-s", ctl],
    });
  }
  async birdc(command: string): Promise<string> {
    return (await exec(["birdc", "-s", this.ctl, ...command.split(" ")])).stdout;
  }
  async prefixes(): Promise<string[]> {
    return parseBirdRoutes(await this.birdc("show route table master4")).map((r) => r.prefix);
  }
  async established(name: string): Promise<boolean> {
    return (await this.birdc(`show protocols ${name}`)).includes("Established");
  }
}

/** Polls `present` until stopped; records every poll that did not see the prefix. */
function watch(present: () => Promise<boolean>) {
  const misses: number[] = [];
  let polls = 0;
  let on = true;
  const loop = (async () => {
    while (on) {
      try {
        if (!(await present())) misses.push(Date.now());
      } catch {
        // a query failing is not an absence
      }
      polls++;
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return {
    misses,
    get polls() {
      return polls;
    },
    async stop() {
      on = false;
      await loop;
    },
  };
}

describe.skipIf(skip)(
  "graceful restart: Tortie restarting (kill -9), FRR and BIRD as helpers",
  () => {
    const tb = useTestbed();

    it("keeps Tortie's routes at FRR and BIRD across a SIGKILL, a ping through them never failing; sweeps the one not re-announced after End-of-RIB; drops them when Tortie does not come back", async () => {
      const topo = await lanTopology(tb, { frr: FRR, bird: BIRD, tortie: TORTIE });
      const frr = tb.track(
        await startFrr(topo.host("frr"), {
          as: 65001,
          routerId: FRR,
          neighbors: [{ address: TORTIE, remoteAs: 65002, families: ["ipv4"] }],
        }),
      );
      const birdDir = makeWorkDir("bird-gr-ctl");
      tb.defer(() => rmSync(birdDir, { recursive: true, force: true }));
      const bird = tb.track(
        new BirdProcess(
          topo.host("bird"),
          join(birdDir, "bird.ctl"),
          birdConfig({
            routerId: BIRD,
            localAs: 65003,
            // BGP routes into the namespace's kernel, for the ping.
            kernel: true,
            peers: [
              {
                name: "tortie",
                neighbor: TORTIE,
                neighborAs: 65002,
                ipv4: true,
                extra: "graceful restart on;",
              },
            ],
          }),
          false,
        ),
      );
      const kept = "203.0.113.0/26";
      const dropped = "203.0.113.64/26";
      // An address of the kept prefix on Tortie's host: what the pings reach.
      const target = "203.0.113.1";
      await exec([
        "ip",
        "-n",
        topo.host("tortie").netns,
        "addr",
        "add",
        `${target}/32`,
        "dev",
        "lo",
      ]);
      // The restarted speaker advertises a short Restart Time: it is not restarted again.
      const secondRestartTime = 8;
      const config = (restarting: boolean): SpeakerConfigInput => ({
        asn: 65002,
        routerId: TORTIE,
        netns: topo.host("tortie").nsPath,
        gracefulRestart: { restartTime: restarting ? secondRestartTime : 90 },
        restarting,
        peers: [
          { address: FRR, asn: 65001, connectRetryTime: 1 },
          { address: BIRD, asn: 65003, connectRetryTime: 1 },
        ],
        originate: restarting ? [{ prefix: kept }] : [{ prefix: kept }, { prefix: dropped }],
      });
      const first = tb.track(await speakerProcess(config(false)));

      const frrHas = async (p: string) => !!(await frr.routes("ipv4"))[p];
      const birdHas = async (p: string) => (await bird.prefixes()).includes(p);
      await waitFor(async () => (await frrHas(kept)) && (await frrHas(dropped)), {
        what: "FRR has both prefixes",
      });
      await waitFor(async () => (await birdHas(kept)) && (await birdHas(dropped)), {
        what: "BIRD has both prefixes",
      });
      // Both helpers saw our capability.
      const n = await frr.neighbor(TORTIE);
      expect(JSON.stringify(n)).toContain("gracefulRestart");
      expect(await bird.birdc("show protocols all tortie")).toMatch(/Graceful restart/i);

      // A ping from FRR's and from BIRD's host to Tortie's host, through the kept route.
      const ping = (host: Host) => async () => {
        try {
          await exec([
            "ip",
            "netns",
            "exec",
            host.netns,
            "ping",
            "-n",
            "-c",
            "1",
            "-W",
            "1",
            target,
          ]);
          return true;
        } catch {
          return false;
        }
      };
      const pingFromFrr = ping(topo.host("frr"));
      const pingFromBird = ping(topo.host("bird"));
      await waitFor(async () => (await pingFromFrr()) && (await pingFromBird()), {
        what: "pings through the kept route answered",
      });
      const atFrr = watch(() => frrHas(kept));
      const atBird = watch(() => birdHas(kept));
      const pingsFrr = watch(pingFromFrr);
      const pingsBird = watch(pingFromBird);

      first.signal("SIGKILL");
      await first.exited;
      // The sessions are down, the routes are still there (stale).
      await waitFor(async () => (await frr.neighbor(TORTIE))?.bgpState !== "Established", {
        what: "FRR sees the session down",
      });
      await waitFor(async () => !(await bird.established("tortie")), {
        what: "BIRD sees the session down",
      });
      expect(await frrHas(kept)).toBe(true);
      expect(await frrHas(dropped)).toBe(true);
      expect(await birdHas(kept)).toBe(true);
      expect(await birdHas(dropped)).toBe(true);
      const frrPath = (await frr.routes("ipv4"))[kept]?.[0] as Record<string, unknown> | undefined;
      expect(frrPath?.stale).toBe(true);

      const second = tb.track(await speakerProcess(config(true)));
      await frr.waitEstablished(TORTIE, { timeoutMs: 60_000 });
      await waitFor(() => bird.established("tortie"), { what: "BIRD Established again" });
      // After the new speaker's End-of-RIB, what it no longer announces is gone.
      await waitFor(async () => !(await frrHas(dropped)), { what: "FRR swept the dropped prefix" });
      await waitFor(async () => !(await birdHas(dropped)), {
        what: "BIRD swept the dropped prefix",
      });
      await new Promise((r) => setTimeout(r, 1000));
      for (const w of [atFrr, atBird, pingsFrr, pingsBird]) await w.stop();
      expect(atFrr.polls).toBeGreaterThan(5);
      expect(atBird.polls).toBeGreaterThan(5);
      expect(atFrr.misses).toEqual([]);
      expect(atBird.misses).toEqual([]);
      // Forwarding never stopped: not one ping lost across the restart.
      expect(pingsFrr.polls).toBeGreaterThan(5);
      expect(pingsBird.polls).toBeGreaterThan(5);
      expect(pingsFrr.misses).toEqual([]);
      expect(pingsBird.misses).toEqual([]);
      const again = (await frr.routes("ipv4"))[kept]?.[0] as Record<string, unknown> | undefined;
      expect(again?.stale).toBeUndefined();
      // The second speaker said it was restarting (R bit), as FRR saw it.
      expect(second.logs()).toContain('"ev":"end-of-rib"');

      // Killed again and not restarted: the helpers keep its routes, stale,
      // for its Restart Time (RFC 4724 §4.2), then drop them.
      second.signal("SIGKILL");
      await second.exited;
      const killedAt = Date.now();
      await waitFor(async () => (await frr.neighbor(TORTIE))?.bgpState !== "Established", {
        what: "FRR sees the session down again",
      });
      await waitFor(async () => !(await bird.established("tortie")), {
        what: "BIRD sees the session down again",
      });
      expect(await frrHas(kept)).toBe(true);
      expect(await birdHas(kept)).toBe(true);
      const gone = async (has: (p: string) => Promise<boolean>, who: string) => {
        await waitFor(async () => !(await has(kept)), {
          what: `${who} dropped Tortie's routes after its Restart Time`,
          timeoutMs: (secondRestartTime + 20) * 1000,
        });
        return Date.now() - killedAt;
      };
      const [frrAfter, birdAfter] = await Promise.all([gone(frrHas, "FRR"), gone(birdHas, "BIRD")]);
      // Not before the Restart Time (less a second for the close to be noticed).
      expect(frrAfter).toBeGreaterThanOrEqual((secondRestartTime - 1) * 1000);
      expect(birdAfter).toBeGreaterThanOrEqual((secondRestartTime - 1) * 1000);
      expect(await pingFromFrr()).toBe(false);
    });
  },
);

describe.skipIf(skip)("graceful restart: Tortie as helper, BIRD restarting (kill -9)", () => {
  const tb = useTestbed();

  it("keeps BIRD's routes stale without a withdrawal, sweeps after End-of-RIB, withdraws when BIRD does not return", async () => {
    const topo = await lanTopology(tb, { bird: BIRD, tortie: TORTIE });
    const kept = "198.51.100.0/26";
    const dropped = "198.51.100.64/26";
    const ctlDir = makeWorkDir("bird-gr-ctl");
    tb.defer(() => rmSync(ctlDir, { recursive: true, force: true }));
    const ctl = join(ctlDir, "bird.ctl");
    const conf = (statics: string[], restartTime: number) =>
      birdConfig({
        routerId: BIRD,
        localAs: 65003,
        static4: statics,
        direct: false,
        peers: [
          {
            name: "tortie",
            neighbor: TORTIE,
            neighborAs: 65002,
            ipv4: true,
            extra: `graceful restart on; graceful restart time ${restartTime};`,
          },
        ],
      });
    const tortie = await startTortie(tb, topo, {
      asn: 65002,
      gracefulRestart: { restartTime: 60, staleTime: 60 },
      peers: [{ address: BIRD, asn: 65003, connectRetryTime: 1, errorWaitTime: [0, 1] }],
    });
    const withdrawals: { at: number; keys: readonly string[] }[] = [];
    const stale: string[][] = [];
    tortie.on("routes", (e) => {
      if (e.withdrawn.length) withdrawals.push({ at: Date.now(), keys: e.withdrawn });
    });
    tortie.on("routes-stale", (e) => stale.push([...e.stale]));

    const b1 = tb.track(new BirdProcess(topo.host("bird"), ctl, conf([kept, dropped], 60), false));
    await established(tortie, BIRD, 30_000);
    await learned(tortie, BIRD, kept);
    await learned(tortie, BIRD, dropped);
    expect(tortie.peer(BIRD)?.session?.gracefulRestart).toBe(true);

    b1.signal("SIGKILL");
    await b1.exited;
    await waitFor(() => tortie.peer(BIRD)?.state !== "Established", { what: "session down" });
    expect(stale).toHaveLength(1);
    expect(stale[0]!.sort()).toEqual([kept, dropped].sort());
    expect(tortie.staleRoutes(BIRD).sort()).toEqual([kept, dropped].sort());
    expect(
      tortie
        .routes(BIRD)
        .map((r) => r.prefix)
        .sort(),
    ).toEqual([kept, dropped].sort());
    expect(tortie.peer(BIRD)?.prefixes.stale).toBe(2);
    expect(withdrawals).toEqual([]);

    // BIRD comes back in recovery mode, announcing only `kept`, with a short restart time.
    const b2 = tb.track(new BirdProcess(topo.host("bird"), ctl, conf([kept], 6), true));
    await established(tortie, BIRD, 60_000);
    await waitFor(() => tortie.staleRoutes(BIRD).length === 0, {
      what: "stale routes swept after BIRD's End-of-RIB",
      timeoutMs: 60_000,
    });
    expect(tortie.routes(BIRD).map((r) => r.prefix)).toEqual([kept]);
    expect(withdrawals.flatMap((w) => w.keys)).toEqual([dropped]);

    // Killed again and not restarted: its routes go after its restart time (6 s).
    b2.signal("SIGKILL");
    await b2.exited;
    const downAt = Date.now();
    await waitFor(() => tortie.peer(BIRD)?.state !== "Established", { what: "session down" });
    expect(tortie.staleRoutes(BIRD)).toEqual([kept]);
    await waitFor(() => tortie.routes(BIRD).length === 0, {
      what: "routes withdrawn after the restart time",
      timeoutMs: 40_000,
    });
    const last = withdrawals.at(-1)!;
    expect(last.keys).toEqual([kept]);
    // Not before the restart time (less a second for the time the close took to be noticed).
    expect(last.at - downAt).toBeGreaterThanOrEqual(5000);
    expect(tortie.staleRoutes(BIRD)).toEqual([]);
  });
});

describe.skipIf(skip)("graceful restart: Tortie as helper, FRR restarting (bgpd kill -9)", () => {
  const tb = useTestbed();

  it("keeps FRR's routes stale without a withdrawal, sweeps after End-of-RIB, withdraws when FRR does not return", async () => {
    const topo = await lanTopology(tb, { frr: FRR, tortie: TORTIE });
    const kept = "198.51.100.0/26";
    const dropped = "198.51.100.64/26";
    // Graceful restart with the F bit (`preserve-fw-state`), and FRR's Restart Time.
    const spec = (networks4: string[], restartTime: number): FrrSpec => ({
      as: 65001,
      routerId: FRR,
      networks4,
      neighbors: [
        {
          address: TORTIE,
          remoteAs: 65002,
          families: ["ipv4"],
          extra: [
            " bgp graceful-restart",
            " bgp graceful-restart preserve-fw-state",
            ` bgp graceful-restart restart-time ${restartTime}`,
          ].join("\n"),
        },
      ],
    });
    const tortie = await startTortie(tb, topo, {
      asn: 65002,
      gracefulRestart: { restartTime: 60, staleTime: 60 },
      peers: [{ address: FRR, asn: 65001, connectRetryTime: 1, errorWaitTime: [0, 1] }],
    });
    const withdrawals: { at: number; keys: readonly string[] }[] = [];
    const stale: string[][] = [];
    tortie.on("routes", (e) => {
      if (e.withdrawn.length) withdrawals.push({ at: Date.now(), keys: e.withdrawn });
    });
    tortie.on("routes-stale", (e) => stale.push([...e.stale]));

    const frr = tb.track(await startFrr(topo.host("frr"), spec([kept, dropped], 60)));
    await established(tortie, FRR, 30_000);
    await learned(tortie, FRR, kept);
    await learned(tortie, FRR, dropped);
    expect(tortie.peer(FRR)?.session?.gracefulRestart).toBe(true);

    // bgpd dies (zebra stays): no NOTIFICATION, the kernel closes its socket.
    frr.signal("SIGKILL");
    await frr.bgpd.exited;
    await waitFor(() => tortie.peer(FRR)?.state !== "Established", { what: "session down" });
    expect(stale).toHaveLength(1);
    expect(stale[0]!.sort()).toEqual([kept, dropped].sort());
    expect(tortie.staleRoutes(FRR).sort()).toEqual([kept, dropped].sort());
    expect(tortie.peer(FRR)?.prefixes.stale).toBe(2);
    expect(withdrawals).toEqual([]);

    // bgpd comes back (the F bit set: `preserve-fw-state`), announcing only
    // `kept`, with a short Restart Time. (FRR 8.4's bgpd has no `-K`.)
    const bgpd = (restartSpec: FrrSpec) => {
      writeFileSync(join(frr.dir, "bgpd.conf"), frrBgpdConfig(restartSpec));
      return tb.track(
        new Daemon({
          label: "bgpd (restarted)",
          host: topo.host("frr"),
          argv: [
            "/usr/lib/frr/bgpd",
            "-f",
            join(frr.dir, "bgpd.conf"),
            "-i",
            join(frr.dir, "bgpd.pid"),
            "--vty_socket",
            frr.dir,
            "-z",
            join(frr.dir, "zserv.api"),
            "-P",
            "0",
            "--log",
            "stdout",
          ],
        }),
      );
    };
    const b2 = bgpd(spec([kept], 6));
    await established(tortie, FRR, 60_000);
    expect(tortie.peer(FRR)?.session?.gracefulRestart).toBe(true);
    await waitFor(() => tortie.staleRoutes(FRR).length === 0, {
      what: "stale routes swept after FRR's End-of-RIB",
      // Well within our stale time (60 s): the End-of-RIB sweeps, not the timer.
      timeoutMs: 30_000,
    });
    expect(tortie.routes(FRR).map((r) => r.prefix)).toEqual([kept]);
    expect(withdrawals.flatMap((w) => w.keys)).toEqual([dropped]);

    // Killed again and not restarted: its routes go after its Restart Time (6 s).
    b2.signal("SIGKILL");
    await b2.exited;
    const downAt = Date.now();
    await waitFor(() => tortie.peer(FRR)?.state !== "Established", { what: "session down" });
    expect(tortie.staleRoutes(FRR)).toEqual([kept]);
    await waitFor(() => tortie.routes(FRR).length === 0, {
      what: "routes withdrawn after FRR's Restart Time",
      timeoutMs: 40_000,
    });
    const last = withdrawals.at(-1)!;
    expect(last.keys).toEqual([kept]);
    // Not before the Restart Time (less a second for the close to be noticed).
    expect(last.at - downAt).toBeGreaterThanOrEqual(5000);
    expect(tortie.staleRoutes(FRR)).toEqual([]);
  });
});

describe.skipIf(skip)("graceful restart: Tortie as helper, BIRD frozen (hold timer)", () => {
  const tb = useTestbed();

  it("keeps a silent peer's routes stale after its hold timer expires, withdraws them after its restart time", async () => {
    const topo = await lanTopology(tb, { bird: BIRD, tortie: TORTIE });
    const prefix = "198.51.100.128/26";
    const ctlDir = makeWorkDir("bird-gr-ctl");
    tb.defer(() => rmSync(ctlDir, { recursive: true, force: true }));
    const bird = tb.track(
      new BirdProcess(
        topo.host("bird"),
        join(ctlDir, "bird.ctl"),
        birdConfig({
          routerId: BIRD,
          localAs: 65003,
          static4: [prefix],
          direct: false,
          peers: [
            {
              name: "tortie",
              neighbor: TORTIE,
              neighborAs: 65002,
              ipv4: true,
              extra: "graceful restart on; graceful restart time 8;",
            },
          ],
        }),
        false,
      ),
    );
    const tortie = await startTortie(tb, topo, {
      asn: 65002,
      gracefulRestart: { restartTime: 60 },
      peers: [{ address: BIRD, asn: 65003, connectRetryTime: 1, holdTime: 3, keepaliveTime: 1 }],
    });
    const withdrawals: { at: number; keys: readonly string[] }[] = [];
    tortie.on("routes", (e) => {
      if (e.withdrawn.length) withdrawals.push({ at: Date.now(), keys: e.withdrawn });
    });
    await established(tortie, BIRD, 30_000);
    await learned(tortie, BIRD, prefix);

    bird.signal("SIGSTOP");
    tb.defer(() => bird.signal("SIGCONT"));
    await waitFor(() => tortie.peer(BIRD)?.state !== "Established", {
      what: "hold timer expired",
      timeoutMs: 20_000,
    });
    const downAt = Date.now();
    expect(tortie.peer(BIRD)?.lastError?.sent?.code).toBe(4); // Hold Timer Expired
    expect(tortie.staleRoutes(BIRD)).toEqual([prefix]);
    expect(withdrawals).toEqual([]);
    await waitFor(() => tortie.routes(BIRD).length === 0, {
      what: "withdrawn after BIRD's restart time (8 s)",
      timeoutMs: 40_000,
    });
    expect(withdrawals.flatMap((w) => w.keys)).toEqual([prefix]);
    expect(withdrawals[0]!.at - downAt).toBeGreaterThanOrEqual(7000);
  });
});
