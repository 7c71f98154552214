// The lab end to end, as `bash scripts/lab.sh --once` runs it, plus what an
// operator does to it: a pod deleted, a fourth node added, and the lab taken
// down leaving nothing behind. `tortiectl dashboard` in Chromium is looked at
// on the same lab, after the summary's checks and before anything changes it
// (examples/tortiectl/src/dashboard/dashboard-on-lab.ts): one lab up instead
// of two.

import { execFileSync, execSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { listTestbedNamespaces, requirePrereqs, waitFor } from "@tortie/testbed";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dashboardOnLab } from "../../tortiectl/src/dashboard/dashboard-on-lab.js";
import { formatChecks, runChecks } from "./checks.js";
import { Lab } from "./cluster.js";
import { BIGIP_IP } from "./plan.js";

const skip = requirePrereqs(["root", "frr", "haproxy", "cni-plugins", "nft"]);

describe.skipIf(skip)("F5's Kubernetes + Calico + BIG-IP lab on the Tortie agent", () => {
  let lab: Lab;
  beforeAll(async () => {
    // A folder of its own: a lab an operator runs meanwhile is not touched.
    lab = await Lab.up({
      nodes: 3,
      datastore: "embedded",
      dir: join(mkdtempSync(join(tmpdir(), "lab-test-")), "lab"),
    });
  }, 240_000);
  afterAll(async () => {
    await lab?.down();
    if (lab) rmSync(dirname(lab.dir), { recursive: true, force: true });
  });

  it("every check of the summary passes", async () => {
    const checks = await runChecks(lab);
    const failed = checks.filter((c) => !c.ok);
    expect(failed, formatChecks(checks)).toEqual([]);
    // sessions ×4, blocks ×3, pool, HTTP, pod-to-pod ×3, the denied flow
    expect(checks.length).toBe(13);
  });

  // The lab as it came up: three nodes, two pods each, every session up.
  dashboardOnLab(() => lab);

  it("kill -9 of a node's agent drops no request from BIG-IP to a pod on that node (graceful restart)", async () => {
    const node = lab.nodes.get("node2")!;
    const pod = [...node.pods.values()][0]!;
    // BIG-IP asks the pod every 100 ms (1 s per request at most) while the
    // agent is killed and started again.
    const loop = lab.bigipHost.exec(
      [
        "bash",
        "-c",
        `ok=0; bad=0; end=$((SECONDS+25)); while [ $SECONDS -lt $end ]; do if curl -s -o /dev/null --max-time 1 http://${pod.ip}:8080/; then ok=$((ok+1)); else bad=$((bad+1)); fi; sleep 0.1; done; echo "$ok $bad"`,
      ],
      { timeoutMs: 60_000 },
    );
    await new Promise((r) => setTimeout(r, 2000));
    await lab.killAgent("node2");
    await new Promise((r) => setTimeout(r, 3000));
    await lab.restartAgent("node2");
    const [ok, bad] = (await loop).stdout.trim().split(" ").map(Number);
    expect(bad, `${ok} answered, ${bad} failed`).toBe(0);
    expect(ok).toBeGreaterThan(50);
    // And the node is whole again: its sessions are back.
    await waitFor(
      async () => (await lab.bigip.neighbor(node.plan.ip))?.bgpState === "Established",
      {
        what: "node2 Established with BIG-IP again",
        timeoutMs: 30_000,
      },
    );
  });

  it("a deleted pod's address is released and it leaves the virtual server's pool", async () => {
    const node = lab.nodes.get("node2")!;
    const pod = [...node.pods.values()][1]!;
    const ip = pod.ip!;
    await lab.deletePod(pod.plan.name);
    expect(await lab.ctl(["ipam", "show", "--ip", ip])).toMatch(/is not assigned/);
    await waitFor(async () => !(pod.plan.name in (await lab.haproxyPool())), {
      what: `${pod.plan.name} gone from the virtual server's pool`,
      timeoutMs: 15_000,
    });
    expect((await lab.poolMembers()).map((m) => m.name)).not.toContain(pod.plan.name);
  });

  it("a fourth node gets a block that BIG-IP and every node learn via it", async () => {
    const n = await lab.addNode(4);
    const ip = await lab.addPod(n.pods[0]!);
    await waitFor(
      async () => (await lab.ctl(["ipam", "show", "--ip", ip])).includes("affine to node4"),
      {
        what: "node4's pod address in a block affine to node4",
      },
    );
    const block = /Block: (\S+)/.exec(await lab.ctl(["ipam", "show", "--ip", ip]))![1]!;
    await lab.bigip.waitEstablished(n.ip, { timeoutMs: 60_000 });
    await waitFor(
      async () =>
        (await lab.bigip.routes("ipv4"))[block]?.some((p) =>
          p.nexthops?.some((h) => h.ip === n.ip),
        ),
      { what: `BIG-IP routes ${block} via node4`, timeoutMs: 30_000 },
    );
    for (const other of ["node1", "node2", "node3"]) {
      const host = lab.nodes.get(other)!.host;
      await waitFor(
        async () =>
          (await host.ipJson<{ gateway?: string }[]>(["route", "get", ip]))[0]?.gateway === n.ip,
        { what: `${other} routes ${ip} via node4`, timeoutMs: 30_000 },
      );
    }
    expect(await lab.httpFromClient()).toMatch(/^web-/);
    expect(n.ip).not.toBe(BIGIP_IP);
  });

  it("an address a node borrows from another node's block is announced as a /32 and withdrawn when its pod goes", async () => {
    // A small second pool with a single /30 block: the first pod (on node1)
    // claims the block; a pod on node2 then finds no free block and borrows
    // an address from node1's (strictAffinity is off, as Calico's default).
    const poolFile = join(lab.dir, "borrow-pool.yaml");
    writeFileSync(
      poolFile,
      "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: borrow-demo\nspec:\n  cidr: 203.0.113.240/30\n  blockSize: 30\n  nodeSelector: all()\n",
    );
    await lab.ctl(["apply", "-f", poolFile]);
    const pools = ["borrow-demo"];
    const base = lab.nodes.get("node1")!.plan.pods[0]!;
    const owner = await waitFor(
      () =>
        lab
          .addPod({ ...base, name: "borrow-a", host: "p4x2", node: "node1" }, { ipv4Pools: pools })
          .catch(() => undefined),
      {
        what: "a pod from the borrow-demo pool on node1 (once the agents have the pool)",
        timeoutMs: 30_000,
      },
    );
    const borrower = await lab.addPod(
      { ...base, name: "borrow-b", host: "p2x2", node: "node2" },
      { ipv4Pools: pools },
    );
    expect(await lab.ctl(["ipam", "show", "--ip", owner])).toContain("affine to node1");
    expect(await lab.ctl(["ipam", "show", "--show-borrowed"])).toMatch(
      new RegExp(
        `${borrower.replace(/\./g, "\\.")} +\\| node2 +\\| 203\\.0\\.113\\.240/30 \\| node1`,
      ),
    );
    const at = (prefix: string, via: string) => async () =>
      (await lab.bigip.routes("ipv4"))[prefix]?.some((p) =>
        p.nexthops?.some((h) => h.ip === via),
      ) === true;
    await waitFor(at("203.0.113.240/30", "192.0.2.11"), {
      what: "BIG-IP: the block via node1",
      timeoutMs: 30_000,
    });
    await waitFor(at(`${borrower}/32`, "192.0.2.12"), {
      what: "BIG-IP: the borrowed /32 via node2",
      timeoutMs: 30_000,
    });
    await lab.deletePod("borrow-b");
    await waitFor(async () => !(await lab.bigip.routes("ipv4"))[`${borrower}/32`], {
      what: "BIG-IP: the borrowed /32 withdrawn",
      timeoutMs: 30_000,
    });
    await lab.deletePod("borrow-a");
  });

  it("down removes every namespace, process and file", async () => {
    const namespaces = lab.topo.namespaces();
    await lab.down();
    const left = readdirSync("/var/run/netns").filter((n) => namespaces.includes(n));
    expect(left).toEqual([]);
    expect(() => readdirSync(lab.dir)).toThrow();
    // No agent, HAProxy or pod server of this lab is left: their command
    // lines name the lab's folder or run in its namespaces.
    const ps = execSync("ps -eo args", { encoding: "utf8" });
    expect(ps.split("\n").filter((l) => l.includes(lab.dir))).toEqual([]);
    for (const ns of namespaces) expect(ps).not.toContain(ns);
  });
});

describe.skipIf(skip || requirePrereqs(["etcd"]))("the lab on etcd", () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await Lab.up({
      nodes: 2,
      datastore: "etcd",
      dir: join(mkdtempSync(join(tmpdir(), "lab-test-")), "lab"),
    });
  }, 240_000);
  afterAll(async () => {
    await lab?.down();
    if (lab) rmSync(dirname(lab.dir), { recursive: true, force: true });
  });

  it("passes every check, and etcd stopped and started again drops no request; the cluster then converges", async () => {
    const checks = await runChecks(lab);
    expect(
      checks.filter((c) => !c.ok),
      formatChecks(checks),
    ).toEqual([]);
    // The client asks the virtual server every 100 ms while etcd is down for 5 s.
    const loop = lab.client.exec(
      [
        "bash",
        "-c",
        `ok=0; bad=0; end=$((SECONDS+20)); while [ $SECONDS -lt $end ]; do if curl -s -o /dev/null --max-time 1 http://203.0.113.100/; then ok=$((ok+1)); else bad=$((bad+1)); fi; sleep 0.1; done; echo "$ok $bad"`,
      ],
      { timeoutMs: 60_000 },
    );
    await new Promise((r) => setTimeout(r, 2000));
    await lab.restartEtcd(5000);
    const [ok, bad] = (await loop).stdout.trim().split(" ").map(Number);
    expect(bad, `${ok} answered, ${bad} failed`).toBe(0);
    expect(ok).toBeGreaterThan(50);
    // Converged: a pod deleted and made again after the outage gets an
    // address and joins the virtual server's pool.
    const again = lab.nodes.get("node1")!.plan.pods[1]!;
    await lab.deletePod(again.name);
    const ip = await lab.addPod(again);
    await waitFor(async () => (await lab.poolMembers()).some((m) => m.ip === ip), {
      what: "the new pod in the pool",
      timeoutMs: 20_000,
    });
    expect(await lab.ctl(["ipam", "show", "--ip", ip])).toMatch(/is in use/);
  });
});

describe("the lab's command line", () => {
  const main = new URL("./main.ts", import.meta.url).pathname;
  const lab = (args: string[], prefix: string[] = []) => {
    try {
      const out = execFileSync(
        prefix[0] ?? process.execPath,
        [
          ...prefix.slice(1),
          ...(prefix.length ? [process.execPath] : []),
          "--import",
          "tsx",
          main,
          ...args,
        ],
        {
          encoding: "utf8",
          stdio: ["ignore", "pipe", "pipe"],
          cwd: join(dirname(main), ".."),
        },
      );
      return { code: 0, out, err: "" };
    } catch (e) {
      const x = e as { status: number; stdout: string; stderr: string };
      return { code: x.status, out: x.stdout, err: x.stderr };
    }
  };

  it("--help prints the usage and starts nothing; a bad flag is a usage error", () => {
    const before = new Set(readdirSync("/var/run/netns"));
    const h = lab(["--help"]);
    expect(h.code).toBe(0);
    expect(h.out).toMatch(/^usage: lab \[up\]/);
    // Other test files make namespaces meanwhile (their processes live on);
    // one the lab made would be named for the lab's process, gone by now.
    const alive = (pid: number) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch (e) {
        return (e as NodeJS.ErrnoException).code === "EPERM";
      }
    };
    expect(listTestbedNamespaces().filter((n) => !before.has(n.name) && !alive(n.pid))).toEqual([]);
    expect(lab(["--nodes", "9"])).toMatchObject({ code: 2, err: "lab: --nodes must be 1-4\n" });
  });

  it.skipIf(skip)("as non-root: one line saying root is needed", () => {
    const r = lab(
      ["up"],
      ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all"],
    );
    expect(r).toMatchObject({
      code: 1,
      err: "lab: needs root (it creates network namespaces); run it with sudo\n",
    });
  });
});
