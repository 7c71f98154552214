// tortie-bgp's static routes (the file's `originate:` list, like BIRD's
// `protocol static`) reloaded on SIGHUP against a real BIRD receiver: only
// the difference is sent — one route's MED changed is one UPDATE for that
// prefix, a route removed is one withdrawal — and the session never resets.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Daemon, requirePrereqs, sameBirdInstant, startBird, useTestbed } from "@tortie/testbed";
import { describe, expect, it } from "vitest";
import { queryStatus } from "./daemon.js";

const skip = requirePrereqs(["root", "bird"]);
const ENTRY = join(import.meta.dirname, "tortie-bgp.ts");
const TSX = import.meta.resolve("tsx");
const N = 200;

describe.skipIf(skip)("tortie-bgp: static routes reloaded by difference", () => {
  const tb = useTestbed();
  const dir = mkdtempSync(join(tmpdir(), "tortie-bgp-static-"));
  tb.defer(() => rmSync(dir, { recursive: true, force: true }));

  it("a changed route reaches BIRD as exactly that change; no session reset", async () => {
    const topo = await tb.topology({
      hosts: ["bird", "tortie"],
      segments: { lan: { members: { bird: ["192.0.2.1/24"], tortie: ["192.0.2.2/24"] } } },
    });
    const bird = tb.track(
      await startBird(topo.host("bird"), {
        routerId: "192.0.2.1",
        localAs: 64512,
        direct: false,
        peers: [{ name: "tortie", neighbor: "192.0.2.2", neighborAs: 64513, ipv4: true }],
      }),
    );
    const path = join(dir, "bgp.yaml");
    /** The file with N /32s of 203.0.113.0/24; `med` for some, `drop` left out. */
    const write = (med: Record<number, number> = {}, drop: number[] = []) =>
      writeFileSync(
        path,
        [
          "asn: 64513",
          "routerId: 192.0.2.2",
          "peers: [{ address: 192.0.2.1, asn: 64512, connectRetryTime: 1 }]",
          "originate:",
          ...Array.from({ length: N }, (_, i) => i)
            .filter((i) => !drop.includes(i))
            .map((i) => `  - { prefix: 203.0.113.${i}/32${med[i] ? `, med: ${med[i]}` : ""} }`),
          "",
        ].join("\n"),
      );
    write();
    const socket = join(dir, "s.sock");
    const d = tb.track(
      new Daemon({
        label: "tortie-bgp-static",
        host: topo.host("tortie"),
        argv: [process.execPath, "--import", TSX, ENTRY, "--config", path, "--socket", socket],
      }),
    );
    await bird.waitEstablished("tortie", { timeoutMs: 30_000 });
    await bird.waitFor(async () => (await bird.routes({ protocol: "tortie" })).length === N, {
      what: `BIRD holds ${N} routes`,
    });
    const stats = async () => {
      const t = await bird.protocolDetails("tortie");
      return {
        updates: Number(/Import updates:\s+(\d+)/.exec(t)?.[1]),
        withdraws: Number(/Import withdraws:\s+(\d+)/.exec(t)?.[1]),
      };
    };
    const before = await stats();
    expect(before.updates).toBe(N);
    // What `status` lists as originated (the daemon keeps the list between requests).
    const originated = async () =>
      ((await queryStatus(socket, { cmd: "status" })) as { originated: string[] }).originated;
    const listed = (i: number) => async () => (await originated()).includes(`203.0.113.${i}/32`);
    expect(await originated()).toHaveLength(N);
    const since = (await bird.protocol("tortie"))!.since;
    // BIRD prints `since` to the second: let one pass so that a reset would show.
    await new Promise((r) => setTimeout(r, 1100));
    const reloaded = async (k: number) => {
      await d.waitFor(
        () =>
          d
            .logs()
            .split("\n")
            .filter((l) => l.includes('"event":"reloaded"')).length >= k,
        { what: `reload ${k}` },
      );
      const all = d
        .logs()
        .split("\n")
        .filter((l) => l.includes('"event":"reloaded"'));
      return JSON.parse(all[k - 1]!) as { originated: number; withdrawn: number };
    };

    // One route's MED changes: one update at BIRD, for that prefix.
    write({ 7: 50 });
    d.signal("SIGHUP");
    expect(await reloaded(1)).toMatchObject({
      originated: 1,
      withdrawn: 0,
      unchanged: ["192.0.2.1"],
    });
    await bird.waitFor(async () => (await stats()).updates === N + 1, {
      what: "BIRD received one update",
    });
    const seven = (await bird.routes({ protocol: "tortie" })).find(
      (r) => r.prefix === "203.0.113.7/32",
    );
    expect(seven?.attrs["BGP.med"]).toBe("50");
    // One route removed: one withdrawal, nothing else re-sent.
    write({ 7: 50 }, [9]);
    d.signal("SIGHUP");
    expect(await reloaded(2)).toMatchObject({ originated: 0, withdrawn: 1 });
    await bird.waitFor(async () => (await stats()).withdraws === 1, {
      what: "BIRD received one withdrawal",
    });
    // A moment for anything else that might still come.
    await new Promise((r) => setTimeout(r, 500));
    expect(await stats()).toEqual({ updates: N + 1, withdraws: 1 });
    const routes = await bird.routes({ protocol: "tortie" });
    expect(routes).toHaveLength(N - 1);
    expect(routes.some((r) => r.prefix === "203.0.113.9/32")).toBe(false);
    expect(await originated()).toHaveLength(N - 1);
    expect(await listed(9)()).toBe(false);
    // One route for another (as many as before): status lists the new one, not the kept list.
    write({ 7: 50 }, [10]);
    d.signal("SIGHUP");
    expect(await reloaded(3)).toMatchObject({ originated: 1, withdrawn: 1 });
    expect(await originated()).toHaveLength(N - 1);
    expect([await listed(9)(), await listed(10)()]).toEqual([true, false]);
    // The same session all along.
    const p = (await bird.protocol("tortie"))!;
    expect(p.info).toBe("Established");
    expect(sameBirdInstant(p.since, since), `since ${since} → ${p.since}`).toBe(true);
    d.signal("SIGTERM");
    expect((await d.exited).code).toBe(0);
  }, 120_000);
});
