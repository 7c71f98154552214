// tortie-bgp's control socket against BIRD: a daemon started with no peer at
// all gets one at run time (through `tortie-bgp control`, the command line
// a user types), the session comes up with BIRD, a route originated at run
// time reaches BIRD with its community and a withdraw removes it there;
// disable and enable take the session down (BIRD shows the message) and up;
// remove leaves no peer. Bad requests are refused with the closest name,
// an oversized one closes the connection, and the socket is its owner's only.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Daemon, requirePrereqs, startBird, useTestbed, waitFor } from "@tortie/testbed";
import { describe, expect, it } from "vitest";
import type { SpeakerStatus } from "../speaker/speaker.js";
import { MAX_REQUEST_BYTES } from "./control.js";
import { queryStatus } from "./daemon.js";

const skip = requirePrereqs(["root", "bird"]);
const ENTRY = join(import.meta.dirname, "tortie-bgp.ts");
const TSX = import.meta.resolve("tsx");

describe.skipIf(skip)("tortie-bgp control socket", () => {
  const tb = useTestbed();

  it("adds a peer, originates and withdraws a route, disables, enables and removes the peer at run time, with BIRD", async () => {
    const topo = await tb.topology({
      hosts: ["bird", "tortie"],
      segments: { lan: { members: { bird: ["192.0.2.1/24"], tortie: ["192.0.2.2/24"] } } },
    });
    const bird = tb.track(
      await startBird(topo.host("bird"), {
        routerId: "192.0.2.1",
        localAs: 64512,
        direct: false,
        peers: [{ name: "tortie", neighbor: "192.0.2.2", neighborAs: 64512, ipv4: true }],
      }),
    );
    const dir = mkdtempSync(join(tmpdir(), "tortie-bgp-ctl-"));
    tb.defer(() => rmSync(dir, { recursive: true, force: true }));
    const config = join(dir, "bgp.yaml");
    const socket = join(dir, "control.sock");
    writeFileSync(config, "asn: 64512\nrouterId: 192.0.2.2\n");
    const d = tb.track(
      new Daemon({
        label: "tortie-bgp",
        host: topo.host("tortie"),
        dir,
        argv: [process.execPath, "--import", TSX, ENTRY, "--config", config, "--socket", socket],
      }),
    );
    const ask = (req: Record<string, unknown>) =>
      queryStatus(socket, req) as Promise<Record<string, unknown>>;
    await d.waitFor(
      async () => (await ask({ cmd: "status" }).catch(() => ({}) as Record<string, unknown>)).peers,
      {
        what: "control socket answering",
      },
    );
    expect(statSync(socket).mode & 0o777).toBe(0o600);
    expect(((await ask({ cmd: "status" })) as unknown as SpeakerStatus).peers).toEqual([]);

    // the command line a user types
    const control = (req: object) =>
      spawnSync(
        process.execPath,
        ["--import", TSX, ENTRY, "control", "--socket", socket, JSON.stringify(req)],
        {
          encoding: "utf8",
        },
      );
    const added = control({
      cmd: "add-peer",
      peer: { address: "192.0.2.1", asn: 64512, connectRetryTime: 1 },
    });
    expect(added.stderr).toBe("");
    expect(added.status).toBe(0);
    expect(JSON.parse(added.stdout)).toEqual({ ok: true, added: "192.0.2.1" });
    await bird.waitEstablished("tortie");
    const peerState = async () =>
      ((await ask({ cmd: "status" })) as unknown as SpeakerStatus).peers.find(
        (p) => p.address === "192.0.2.1",
      )?.state;
    await waitFor(async () => (await peerState()) === "Established", {
      what: "tortie sees Established",
    });

    // originate at run time: BIRD receives it with its community
    expect(
      await ask({
        cmd: "originate",
        routes: [{ prefix: "203.0.113.0/26", communities: ["64512:300"] }],
      }),
    ).toEqual({ ok: true, originated: ["203.0.113.0/26"] });
    const at = await bird.waitFor(async () =>
      (await bird.routes()).find((r) => r.prefix === "203.0.113.0/26"),
    );
    expect(at.attrs["BGP.community"]).toBe("(64512,300)");

    // refused requests change nothing
    expect(await ask({ cmd: "originate", routes: [{ prefix: "203.0.113.1/26" }] })).toMatchObject({
      error: expect.stringContaining("routes.0.prefix"),
    });
    expect(await ask({ cmd: "withdrw", prefixes: ["203.0.113.0/26"] })).toMatchObject({
      error: expect.stringMatching(/^unknown command "withdrw" \(did you mean "withdraw"\?\)/),
    });
    const bad = control({
      cmd: "add-peer",
      peer: { address: "192.0.2.9", asn: 64512, md5Password: "x" },
    });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(
      /peer\.md5Password: unknown key "md5Password" \(did you mean "password"\?\)/,
    );
    expect((await bird.routes()).some((r) => r.prefix === "203.0.113.0/26")).toBe(true);

    // withdraw at run time: gone from BIRD
    expect(await ask({ cmd: "withdraw", prefixes: ["203.0.113.0/26"] })).toEqual({
      ok: true,
      withdrawn: ["203.0.113.0/26"],
    });
    await waitFor(async () => !(await bird.routes()).some((r) => r.prefix === "203.0.113.0/26"), {
      what: "BIRD loses 203.0.113.0/26",
    });

    // disable: BIRD sees the administrative shutdown with our message; enable: up again
    expect(
      await ask({ cmd: "disable-peer", address: "192.0.2.1", message: "maintenance 42" }),
    ).toEqual({
      ok: true,
      disabled: "192.0.2.1",
    });
    await waitFor(async () => (await bird.protocolDetails("tortie")).includes("maintenance 42"), {
      what: "BIRD shows the shutdown communication",
    });
    expect(await peerState()).not.toBe("Established");
    expect(await ask({ cmd: "enable-peer", address: "192.0.2.1" })).toEqual({
      ok: true,
      enabled: "192.0.2.1",
    });
    await bird.waitEstablished("tortie");

    // remove: no peer left, BIRD's session goes down
    expect(await ask({ cmd: "remove-peer", address: "192.0.2.1" })).toEqual({
      ok: true,
      removed: "192.0.2.1",
    });
    expect(((await ask({ cmd: "status" })) as unknown as SpeakerStatus).peers).toEqual([]);
    await waitFor(async () => (await bird.protocol("tortie"))?.info !== "Established", {
      what: "BIRD session down",
    });
    expect(await ask({ cmd: "enable-peer", address: "192.0.2.1" })).toMatchObject({
      error: expect.stringMatching(/^no peer 192\.0\.2\.1/),
    });

    // an oversized line: one error, connection closed, the daemon keeps answering
    const reply = await new Promise<string>((resolve, reject) => {
      const c = createConnection(socket);
      let buf = "";
      c.setEncoding("utf8");
      c.on("data", (x: string) => {
        buf += x;
      });
      c.on("close", () => resolve(buf));
      c.on("error", reject);
      c.write(`{"cmd":"status","x":"${"a".repeat(MAX_REQUEST_BYTES + 10)}`);
    });
    expect(JSON.parse(reply)).toEqual({ error: `request larger than ${MAX_REQUEST_BYTES} bytes` });
    expect(await ask({ cmd: "status" })).toHaveProperty("peers");

    // SIGHUP: the file is the truth again; a peer added at run time and absent from it goes
    expect(
      await ask({
        cmd: "add-peer",
        peer: { address: "192.0.2.1", asn: 64512, connectRetryTime: 1 },
      }),
    ).toEqual({ ok: true, added: "192.0.2.1" });
    await bird.waitEstablished("tortie");
    d.signal("SIGHUP");
    await d.waitFor(() => d.logs().includes('"event":"reloaded"'), { what: "reloaded event" });
    const reloaded = d
      .logs()
      .split("\n")
      .find((l) => l.includes('"event":"reloaded"'));
    expect(JSON.parse(reloaded!)).toMatchObject({ removed: ["192.0.2.1"], added: [] });
    expect(((await ask({ cmd: "status" })) as unknown as SpeakerStatus).peers).toEqual([]);

    d.signal("SIGTERM");
    expect((await d.exited).code).toBe(0);
  }, 120_000);
});
