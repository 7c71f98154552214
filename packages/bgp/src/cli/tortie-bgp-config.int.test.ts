// tortie-bgp's configuration without surprises, run as a user would: the
// `md5Password:` typo that used to bring a session up WITHOUT TCP-MD5 now
// stops the daemon with the key, its path and `password`; with `password:`
// the session comes up with TCP-MD5 against BIRD. --version, an unknown
// flag and every start-up failure are one line, never a stack trace.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  Daemon,
  type Host,
  requirePrereqs,
  sameBirdInstant,
  startBird,
  useTestbed,
} from "@tortie/testbed";
import { describe, expect, it } from "vitest";
import type { SpeakerStatus } from "../speaker/speaker.js";
import { queryStatus } from "./daemon.js";

const skip = requirePrereqs(["root", "bird"]);
const ENTRY = join(import.meta.dirname, "tortie-bgp.ts");
const TSX = import.meta.resolve("tsx");

describe.skipIf(skip)("tortie-bgp: configuration and start-up failures", () => {
  const tb = useTestbed();
  const dir = mkdtempSync(join(tmpdir(), "tortie-bgp-cfg-"));
  tb.defer(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;

  /** Runs tortie-bgp (in `host`, or with no network at all) and returns its daemon. */
  function run(argv: string[], host?: Host): Daemon {
    return tb.track(
      new Daemon({
        label: `tortie-bgp-${++n}`,
        host,
        argv: [process.execPath, "--import", TSX, ENTRY, ...argv],
      }),
    );
  }
  function file(name: string, lines: string[]): string {
    const p = join(dir, name);
    writeFileSync(p, `${lines.join("\n")}\n`);
    return p;
  }
  /** Waits for exit; returns the status and what it printed. */
  async function outcome(d: Daemon) {
    const { code } = await d.exited;
    const out = d.logs().split("\n").slice(1).join("\n").trim();
    return { code, out };
  }
  const oneLine = (out: string) => {
    expect(out).not.toMatch(/\n\s+at /);
    expect(out).not.toContain("Error:");
  };

  it("md5Password instead of password: refused, naming the key and `password`; with password the session is up with TCP-MD5", async () => {
    const topo = await tb.topology({
      hosts: ["bird", "tortie"],
      segments: { lan: { members: { bird: ["192.0.2.1/24"], tortie: ["192.0.2.2/24"] } } },
    });
    const bird = tb.track(
      await startBird(topo.host("bird"), {
        routerId: "192.0.2.1",
        localAs: 64512,
        direct: false,
        peers: [
          {
            name: "tortie",
            neighbor: "192.0.2.2",
            neighborAs: 64512,
            ipv4: true,
            password: "s3cret",
          },
        ],
      }),
    );
    const cfg = (key: string) =>
      file(`md5-${key}.yaml`, [
        "asn: 64512",
        "routerId: 192.0.2.2",
        "peers:",
        "  - address: 192.0.2.1",
        "    asn: 64512",
        "    connectRetryTime: 1",
        `    ${key}: s3cret`,
      ]);
    const typo = run(
      ["--config", cfg("md5Password"), "--socket", join(dir, "a.sock")],
      topo.host("tortie"),
    );
    const r = await outcome(typo);
    expect(r.code).toBe(1);
    expect(r.out).toContain(
      'peers.0.md5Password: unknown key "md5Password" (did you mean "password"?)',
    );
    expect(r.out.split("\n")).toHaveLength(1);
    expect((await bird.protocol("tortie"))?.info.startsWith("Established")).toBe(false);

    const good = run(
      ["--config", cfg("password"), "--socket", join(dir, "b.sock")],
      topo.host("tortie"),
    );
    await bird.waitEstablished("tortie", { timeoutMs: 30_000 });
    expect(good.running).toBe(true);

    // A second daemon on the same port in the same namespace: one line naming it.
    const second = run(
      ["--config", cfg("password"), "--socket", join(dir, "c.sock")],
      topo.host("tortie"),
    );
    const s = await outcome(second);
    expect(s.code).toBe(1);
    expect(s.out).toMatch(/^tortie-bgp: cannot listen on \[::\]:179: address in use/);
    expect(s.out.split("\n")).toHaveLength(1);

    // The running daemon's status socket is not taken over (or removed) by another.
    const third = await outcome(
      run(["--config", cfg("password"), "--socket", join(dir, "b.sock")], topo.host("tortie")),
    );
    expect(third).toEqual({
      code: 1,
      out: `tortie-bgp: cannot create the status socket ${join(dir, "b.sock")}: in use by a running tortie-bgp`,
    });
    const st = (await queryStatus(join(dir, "b.sock"), { cmd: "status" })) as SpeakerStatus;
    expect(st.peers[0]?.state).toBe("Established");
  });

  it("--version, an unknown flag, a missing netns, a socket directory that is not there, host bits, an unnegotiated family", async () => {
    const v = await outcome(run(["--version"]));
    const pkg = JSON.parse(
      readFileSync(new URL("../../package.json", import.meta.url), "utf8"),
    ) as { version: string };
    expect(v).toEqual({ code: 0, out: `tortie-bgp ${pkg.version}` });

    const u = await outcome(run(["--confg", "x.yaml"]));
    expect(u.code).toBe(2);
    expect(u.out.split("\n")[0]).toBe("tortie-bgp: unknown option --confg (see the usage below)");
    oneLine(u.out);

    const base = ["asn: 64512", "routerId: 192.0.2.2", "listen: false"];
    const ns = await outcome(
      run([
        "--config",
        file("ns.yaml", [...base, "netns: tortie-no-such-namespace"]),
        "--socket",
        join(dir, "d.sock"),
      ]),
    );
    expect(ns.code).toBe(1);
    expect(ns.out).toBe(
      'tortie-bgp: network namespace /var/run/netns/tortie-no-such-namespace does not exist (create it with "ip netns add tortie-no-such-namespace", or give a path such as /proc/PID/ns/net)',
    );

    const sock = await outcome(
      run(["--config", file("ok.yaml", base), "--socket", join(dir, "no-such-dir", "t.sock")]),
    );
    expect(sock.code).toBe(1);
    expect(sock.out).toBe(
      `tortie-bgp: cannot create the status socket ${join(dir, "no-such-dir", "t.sock")}: directory ${join(dir, "no-such-dir")} does not exist (use --socket PATH)`,
    );

    const hb = await outcome(
      run([
        "--config",
        file("hb.yaml", [
          ...base,
          "peers: [{ address: 192.0.2.1, asn: 64512 }]",
          "originate: [{ prefix: 203.0.113.1/26 }]",
        ]),
        "--socket",
        join(dir, "e.sock"),
      ]),
    );
    expect(hb.code).toBe(1);
    expect(hb.out).toContain(
      "originate.0.prefix: host bits set in 203.0.113.1/26 (did you mean 203.0.113.0/26?)",
    );

    const fam = await outcome(
      run([
        "--config",
        file("fam.yaml", [
          ...base,
          "peers: [{ address: 192.0.2.1, asn: 64512 }]",
          "originate: [{ prefix: '2001:db8:7::/48' }]",
        ]),
        "--socket",
        join(dir, "f.sock"),
      ]),
    );
    expect(fam.code).toBe(1);
    expect(fam.out).toContain("2001:db8:7::/48 is ipv6-unicast, which no peer negotiates");

    const missing = await outcome(run(["--config", join(dir, "absent.yaml")]));
    expect(missing).toEqual({
      code: 1,
      out: `tortie-bgp: cannot read the configuration ${join(dir, "absent.yaml")}: no such file`,
    });
    for (const o of [ns, sock, hb, fam, missing]) oneLine(o.out);
  });

  it("SIGHUP changes only what changed: no Cease to an unchanged peer; a bad file changes nothing", async () => {
    const topo = await tb.topology({
      hosts: ["bird", "bird2", "tortie"],
      segments: {
        lan: {
          members: { bird: ["192.0.2.1/24"], bird2: ["192.0.2.3/24"], tortie: ["192.0.2.2/24"] },
        },
      },
    });
    const one = (host: string, id: string, name: string) =>
      startBird(topo.host(host), {
        routerId: id,
        localAs: 64512,
        direct: false,
        peers: [{ name, neighbor: "192.0.2.2", neighborAs: 64512, ipv4: true }],
      });
    const bird = tb.track(await one("bird", "192.0.2.1", "a"));
    const bird2 = tb.track(await one("bird2", "192.0.2.3", "b"));
    const peers = (holdB: number) => [
      "peers:",
      "  - { address: 192.0.2.1, asn: 64512, connectRetryTime: 1 }",
      `  - { address: 192.0.2.3, asn: 64512, connectRetryTime: 1, holdTime: ${holdB} }`,
    ];
    const head = ["asn: 64512", "routerId: 192.0.2.2"];
    const path = file("reload.yaml", [
      ...head,
      ...peers(90),
      "originate: [{ prefix: 203.0.113.0/26 }]",
    ]);
    const d = run(["--config", path, "--socket", join(dir, "r.sock")], topo.host("tortie"));
    await bird.waitEstablished("a", { timeoutMs: 30_000 });
    await bird2.waitEstablished("b", { timeoutMs: 30_000 });
    await bird.waitFor(async () =>
      (await bird.routes()).some((r) => r.prefix === "203.0.113.0/26"),
    );
    const sinceA = (await bird.protocol("a"))!.since;
    const sinceB = (await bird2.protocol("b"))!.since;
    // BIRD prints `since` to the second: let a second pass so that a re-establishment shows.
    await new Promise((r) => setTimeout(r, 1100));
    const lines = () =>
      d
        .logs()
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .map(
          (l) =>
            JSON.parse(l) as {
              event: string;
              error?: string;
              replaced?: string[];
              unchanged?: string[];
            },
        );

    writeFileSync(
      path,
      [...head, ...peers(60), "originate: [{ prefix: 203.0.113.64/26 }]", ""].join("\n"),
    );
    d.signal("SIGHUP");
    const done = await d.waitFor(() => lines().find((l) => l.event === "reloaded"), {
      what: "reloaded",
    });
    expect(done.replaced).toEqual(["192.0.2.3"]);
    expect(done.unchanged).toEqual(["192.0.2.1"]);
    await bird.waitFor(async () => {
      const r = await bird.routes();
      return (
        r.some((x) => x.prefix === "203.0.113.64/26") &&
        !r.some((x) => x.prefix === "203.0.113.0/26")
      );
    });
    await bird2.waitEstablished("b", { timeoutMs: 30_000 });
    expect((await bird2.protocol("b"))!.since).not.toBe(sinceB);
    // The unchanged peer's session never went down, and BIRD got no NOTIFICATION on it.
    expect(sameBirdInstant((await bird.protocol("a"))!.since, sinceA)).toBe(true);
    expect((await bird.protocol("a"))!.info).toBe("Established");
    expect(await bird.protocolDetails("a")).not.toContain("Received: Administrative");

    // A typo in the new file: one line, the old configuration keeps running.
    writeFileSync(path, [...head, "peer: []", ""].join("\n"));
    d.signal("SIGHUP");
    const bad = await d.waitFor(() => lines().find((l) => l.event === "reload-failed"), {
      what: "reload-failed",
    });
    expect(bad.error).toContain('peer: unknown key "peer" (did you mean "peers"?)');
    // Speaker-wide changes are refused, nothing changed.
    writeFileSync(path, ["asn: 64513", "routerId: 192.0.2.2", ...peers(60), ""].join("\n"));
    d.signal("SIGHUP");
    const refused = await d.waitFor(() => lines().find((l) => l.event === "reload-refused"), {
      what: "reload-refused",
    });
    expect(refused.error).toContain("asn changed: restart tortie-bgp to apply");
    expect(sameBirdInstant((await bird.protocol("a"))!.since, sinceA)).toBe(true);
    expect(d.running).toBe(true);
  });
});
