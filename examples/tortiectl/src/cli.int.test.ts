// tortiectl end to end: F5's lab YAML applied unchanged, every verb's output
// compared with golden files, on the embedded store and on a real etcd; a few
// runs as real processes for what only a process shows (exit codes, stdin,
// no stack traces). The golden checks call the CLI's own entry function
// (runCli, what main.ts runs) in this process with captured stdout/stderr: the
// same command tree, store and output code as the binary, without a Node
// start-up per command.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { ResourceClient } from "@tortie/api";
import { EtcdStore, SqliteStore } from "@tortie/datastore";
import { Ipam, loadIpamConfig } from "@tortie/ipam";
import { type Etcd, requirePrereqs, startEtcd } from "@tortie/testbed";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nodeStatus as agentStatusRecord } from "../../node-agent/src/rooms/status/record.js";
import { runCli } from "./program.js";

const run = promisify(execFile);
const here = new URL(".", import.meta.url).pathname;
const manifests = join(here, "../../lab/manifests");
const testdata = join(here, "../testdata");
const golden = (name: string) => readFileSync(join(testdata, "golden", name), "utf8");

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

// Every command runs through runCli, as main.ts runs it, with the environment
// a process test gives (PATH only), stdin from `stdin` (empty when not given),
// and stdout/stderr captured; the exit code is runCli's answer.
async function cli(args: readonly string[], stdin?: string): Promise<Result> {
  let stdout = "";
  let stderr = "";
  const code = await runCli(args, {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    readStdin: () => stdin ?? "",
  });
  return { code, stdout, stderr };
}

const backends: { name: string; prereqs: Parameters<typeof requirePrereqs>[0] }[] = [
  { name: "embedded", prereqs: [] },
  { name: "etcd", prereqs: ["etcd"] },
];

for (const b of backends) {
  const skip = requirePrereqs(b.prereqs);
  describe.skipIf(skip)(`tortiectl on the ${b.name} store`, () => {
    let dir: string;
    let etcd: Etcd | undefined;
    let store: string[];
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), "tortiectl-"));
      if (b.name === "etcd") {
        etcd = await startEtcd();
        store = ["--datastore-type", "etcdv3", "--etcd-endpoints", etcd.endpoint];
      } else {
        store = ["--datastore-path", join(dir, "store.db")];
      }
    });
    afterAll(async () => {
      await etcd?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it("applies F5's lab YAML unchanged, a directory at a time", async () => {
      const r = await cli([...store, "apply", "-f", manifests]);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(
        "Successfully applied 1 'IPPool' resource(s), 1 'BGPConfiguration' resource(s), 1 'BGPPeer' resource(s), 1 'GlobalNetworkPolicy' resource(s)\n",
      );
      // Calico fields Tortie stores without acting on them are noted, not refused.
      expect(r.stderr.split("\n").filter(Boolean)).toEqual([
        `tortiectl: note: ${manifests}/01-ippool.yaml#1: IPPool default-ipv4-ippool: spec.ipipMode is stored but Tortie does not act on it`,
        `tortiectl: note: ${manifests}/01-ippool.yaml#1: IPPool default-ipv4-ippool: spec.vxlanMode is stored but Tortie does not act on it`,
        `tortiectl: note: ${manifests}/01-ippool.yaml#1: IPPool default-ipv4-ippool: spec.natOutgoing is stored but Tortie does not act on it`,
        `tortiectl: note: ${manifests}/02-bgpconfiguration.yaml#1: BGPConfiguration default: spec.logSeverityScreen is stored but Tortie does not act on it`,
      ]);
      expect((await cli([...store, "apply", "-f", join(testdata, "nodes/nodes.yaml")])).code).toBe(
        0,
      );
    });

    it("gets resources in every output form", async () => {
      expect((await cli([...store, "get", "ippools"])).stdout).toBe(golden("get-ippools.txt"));
      expect((await cli([...store, "get", "ippool", "-o", "wide"])).stdout).toBe(
        golden("get-ippools-wide.txt"),
      );
      expect((await cli([...store, "get", "bgppeers", "-o", "wide"])).stdout).toBe(
        golden("get-bgppeers-wide.txt"),
      );
      const y = await cli([...store, "get", "bgpconfig", "default", "-o", "yaml"]);
      expect(y.stdout.replace(/resourceVersion: "\d+"/, 'resourceVersion: "N"')).toBe(
        golden("get-bgpconfig.yaml"),
      );
      const j = JSON.parse((await cli([...store, "get", "nodes", "-o", "json"])).stdout);
      expect(j.kind).toBe("NodeList");
      expect(j.items.map((n: { metadata: { name: string } }) => n.metadata.name)).toEqual([
        "node1",
        "node2",
        "node3",
      ]);
      const c = await cli([
        ...store,
        "get",
        "nodes",
        "-o",
        "custom-columns=NAME:.metadata.name,IP:.spec.bgp.ipv4Address",
      ]);
      expect(c.stdout).toBe(golden("get-nodes-custom.txt"));
    });

    it("prints BIG-IP's configuration and the FRR equivalent", async () => {
      expect((await cli([...store, "bigip", "config"])).stdout).toBe(
        golden("bigip-f5-lab.tmsh.txt"),
      );
      expect((await cli([...store, "bigip", "config", "--format", "frr"])).stdout).toBe(
        golden("bigip-f5-lab.frr.txt"),
      );
    });

    it("labels and patches, and refuses what would lose data", async () => {
      expect((await cli([...store, "label", "nodes", "node1", "rack=r1"])).code).toBe(0);
      const again = await cli([...store, "label", "nodes", "node1", "rack=r2"]);
      expect(again).toMatchObject({
        code: 1,
        stderr: "tortiectl: Node(node1): label rack is already r1; use --overwrite\n",
      });
      expect(
        (await cli([...store, "label", "nodes", "node1", "rack=r2", "--overwrite"])).code,
      ).toBe(0);
      const sel = await cli([
        ...store,
        "get",
        "nodes",
        "-o",
        "custom-columns=NAME:.metadata.name,RACK:.metadata.labels.rack",
      ]);
      expect(sel.stdout).toContain("node1   r2");
      expect((await cli([...store, "label", "nodes", "node1", "rack", "--remove"])).code).toBe(0);
      const p = await cli([
        ...store,
        "patch",
        "ippool",
        "default-ipv4-ippool",
        "-p",
        '{"spec":{"disabled":true}}',
      ]);
      expect(p).toEqual({
        code: 0,
        stdout: "Successfully patched 1 'IPPool' resource\n",
        stderr: "",
      });
      const w = await cli([
        ...store,
        "get",
        "ippool",
        "-o",
        "custom-columns=D:.spec.disabled,CIDR:.spec.cidr",
      ]);
      expect(w.stdout).toBe("D      CIDR\ntrue   198.51.100.0/24\n");
      const bad = await cli([
        ...store,
        "patch",
        "ippool",
        "default-ipv4-ippool",
        "-p",
        '{"spec":{"blockSize":"x"}}',
      ]);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(/^tortiectl: IPPool\(default-ipv4-ippool\): .*spec\.blockSize/);
    });

    it("validates a whole file before writing any of it", async () => {
      const r = await cli([...store, "apply", "-f", join(testdata, "bad/typo.yaml")]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        /typo\.yaml, document 2: IPPool typo-pool: .*spec\.cidrr: unknown field "cidrr" \(did you mean "cidr"\?\)/,
      );
      const g = await cli([...store, "get", "ippool", "good-pool"]);
      expect(g).toMatchObject({
        code: 1,
        stderr: "tortiectl: IPPool(good-pool): resource does not exist\n",
      });
    });

    it("explains a policy verdict with the tier, policy and rule that decided", async () => {
      expect((await cli([...store, "apply", "-f", join(testdata, "policy")])).code).toBe(0);
      const allow = await cli([
        ...store,
        "policy",
        "explain",
        "--from",
        "web-1",
        "--to",
        "default/db-1",
        "--port",
        "5432/TCP",
      ]);
      expect(allow).toEqual({ code: 0, stdout: golden("explain-allow.txt"), stderr: "" });
      const deny = await cli([
        ...store,
        "policy",
        "explain",
        "--from",
        "web-1",
        "--to",
        "db-1",
        "--port",
        "22",
      ]);
      expect(deny.stdout).toBe(golden("explain-deny.txt"));
      const none = await cli([
        ...store,
        "policy",
        "explain",
        "--from",
        "203.0.113.10",
        "--to",
        "203.0.113.11",
        "--port",
        "80",
      ]);
      expect(none.stdout).toMatch(/verdict: no-endpoint\n$/);
      const bad = await cli([...store, "policy", "explain", "--from", "nosuchpod", "--to", "db-1"]);
      expect(bad).toEqual({
        code: 1,
        stdout: "",
        stderr: "tortiectl: no workload endpoint for pod default/nosuchpod\n",
      });
      expect(
        (
          await cli([
            ...store,
            "policy",
            "explain",
            "--from",
            "web-1",
            "--to",
            "db-1",
            "--port",
            "99999",
          ])
        ).code,
      ).toBe(2);
    });

    it("ipam show, check, release, configure and split, as calicoctl's", async () => {
      // IPAM state as the agent and the CNI plugin leave it: the pool from
      // the lab's IPPool, two pods on node1 (one with its endpoint, one whose
      // endpoint is gone: a leak) and one address node2 borrowed.
      const storeObj =
        b.name === "etcd"
          ? new EtcdStore({ hosts: [etcd!.endpoint] })
          : new SqliteStore({ path: join(dir, "store.db") });
      try {
        // (an earlier test disabled the pool)
        await cli([
          ...store,
          "patch",
          "ippool",
          "default-ipv4-ippool",
          "-p",
          '{"spec":{"disabled":false}}',
        ]);
        const ipam = new Ipam({ store: storeObj });
        const cfg = await loadIpamConfig(new ResourceClient(storeObj) as never);
        await ipam.updateConfig(() => cfg);
        const a = await ipam.autoAssign({
          handleId: "h-web",
          hostname: "node1",
          num4: 1,
          attrs: { node: "node1", namespace: "default", pod: "web" },
        });
        const leak = await ipam.autoAssign({
          handleId: "h-gone",
          hostname: "node1",
          num4: 1,
          attrs: { node: "node1", namespace: "default", pod: "gone" },
        });
        const webIp = a.ipv4[0]!.ip;
        const leakIp = leak.ipv4[0]!.ip;
        writeFileSync(
          join(dir, "wep.yaml"),
          `apiVersion: projectcalico.org/v3\nkind: WorkloadEndpoint\nmetadata: {name: node1-k8s-web-eth0, namespace: default}\nspec: {node: node1, orchestrator: k8s, pod: web, endpoint: eth0, interfaceName: cali0123456789a, ipNetworks: [${webIp}/32]}\n`,
        );
        expect((await cli([...store, "apply", "-f", join(dir, "wep.yaml")])).code).toBe(0);

        expect((await cli([...store, "ipam", "show", "--show-blocks"])).stdout).toBe(
          golden("ipam-show-blocks.txt"),
        );
        expect((await cli([...store, "ipam", "show", "--ip", webIp])).stdout).toBe(
          `IP ${webIp} is in use\nBlock: 198.51.100.0/26 (affine to node1)\nHandle: h-web\nAttributes:\n  namespace: default\n  node: node1\n  pod: web\n`,
        );
        expect((await cli([...store, "ipam", "show", "--ip", "198.51.100.60"])).stdout).toBe(
          "IP 198.51.100.60 is not assigned (block 198.51.100.0/26).\n",
        );
        expect((await cli([...store, "ipam", "show", "--ip", "203.0.113.1"])).stdout).toBe(
          "IP 203.0.113.1 is not in any IP pool.\n",
        );
        expect((await cli([...store, "ipam", "show", "--show-configuration"])).stdout).toContain(
          "| StrictAffinity     | false |",
        );

        // check finds the leak and never the address a live endpoint holds.
        const report = join(dir, "report.json");
        const c = await cli([...store, "ipam", "check", "-o", report, "--grace-period", "0"]);
        expect(c.code).toBe(0);
        expect(c.stdout).toContain(
          `Found 1 leaked address(es):\n  ${leakIp} in 198.51.100.0/26 (handle h-gone)`,
        );
        expect(c.stdout).not.toContain(`  ${webIp} in`);
        // Releasing an address a pod holds is refused.
        const refused = await cli([...store, "ipam", "release", "--ip", webIp]);
        expect(refused).toMatchObject({ code: 1 });
        expect((await cli([...store, "ipam", "release", "--from-report", report])).stdout).toBe(
          "Released 1 address(es).\n",
        );
        expect((await cli([...store, "ipam", "show", "--ip", leakIp])).stdout).toMatch(
          /is not assigned/,
        );
        expect((await cli([...store, "ipam", "show", "--ip", webIp])).stdout).toMatch(/is in use/);
        // A report whose grace period has not passed is not acted on.
        const young = join(dir, "young.json");
        await cli([...store, "ipam", "check", "-o", young]);
        expect((await cli([...store, "ipam", "release", "--from-report", young])).stderr).toMatch(
          /grace period/,
        );

        // configure: Calico's rule — maxBlocksPerHost needs strictAffinity.
        const bad = await cli([...store, "ipam", "configure", "--max-blocks-per-host", "2"]);
        expect(bad.code).toBe(1);
        expect(
          (
            await cli([
              ...store,
              "ipam",
              "configure",
              "--strictaffinity",
              "true",
              "--max-blocks-per-host",
              "2",
            ])
          ).code,
        ).toBe(0);
        expect((await cli([...store, "ipam", "show", "--show-configuration"])).stdout).toContain(
          "| StrictAffinity     | true  |",
        );

        // split: refused while the pool is enabled, then two /25 pools.
        expect(
          (await cli([...store, "ipam", "split", "--name", "default-ipv4-ippool", "2"])).stderr,
        ).toMatch(/must be disabled/);
        await cli([
          ...store,
          "patch",
          "ippool",
          "default-ipv4-ippool",
          "-p",
          '{"spec":{"disabled":true}}',
        ]);
        const split = await cli([...store, "ipam", "split", "--name", "default-ipv4-ippool", "2"]);
        expect(split.stdout).toContain("default-ipv4-ippool-split-1 198.51.100.0/25");
        expect((await cli([...store, "get", "ippools"])).stdout).toBe(
          "NAME                          CIDR                SELECTOR\ndefault-ipv4-ippool-split-1   198.51.100.0/25     all()\ndefault-ipv4-ippool-split-2   198.51.100.128/25   all()\n",
        );
      } finally {
        await storeObj.close();
      }
    });

    it("node status prints what the node's agent reported, and says when it stopped reporting", async () => {
      // The record exactly as the node agent builds it (its own function).
      const rec = agentStatusRecord({
        node: "node1",
        now: new Date(),
        startedAt: new Date(Date.now() - 60_000),
        ready: true,
        datastoreConnected: true,
        speaker: {
          asn: 64512,
          routerId: "192.0.2.11",
          peers: [
            {
              address: "192.0.2.12",
              state: "Established",
              since: Date.UTC(2026, 11, 2, 9, 12, 33),
              prefixes: { received: 1, advertised: 1 },
            },
            {
              address: "192.0.2.250",
              state: "Active",
              since: Date.UTC(2026, 11, 2, 9, 12, 30),
              prefixes: { received: 0, advertised: 0 },
            },
          ],
          originated: ["198.51.100.0/26"],
        } as never,
        peerSources: new Map([
          ["192.0.2.12", "mesh"],
          ["192.0.2.250", "BGPPeer/bgppeer-global-bigip1"],
        ]),
        blocks: ["198.51.100.0/26"],
        workloads: 2,
        learned: 1,
        snapshotIssues: [],
        configIssues: [],
      });
      const storeObj =
        b.name === "etcd"
          ? new EtcdStore({ hosts: [etcd!.endpoint] })
          : new SqliteStore({ path: join(dir, "store.db") });
      try {
        await storeObj.txn({
          compare: [],
          ops: [{ type: "put", key: "/tortie/nodestatus/v1/node1", value: JSON.stringify(rec) }],
        });
      } finally {
        await storeObj.close();
      }
      const r = await cli([...store, "node", "status", "--node", "node1"]);
      // One peer is not up: printed, and exit 1 for scripts.
      expect(r.code).toBe(1);
      expect(r.stdout).toBe(golden("node-status.txt"));
      const missing = await cli([...store, "node", "status", "--node", "node9"]);
      expect(missing).toEqual({
        code: 1,
        stdout: "",
        stderr:
          "tortiectl: no status from node node9 (is tortie-node running there?); nodes reporting: node1\n",
      });
      const tarDir = mkdtempSync(join(tmpdir(), "diags-"));
      const d = await cli([...store, "node", "diags", "--node", "node1", "--output-dir", tarDir]);
      expect(d.code).toBe(0);
      const tarball = /written to (\S+\.tar\.gz)/.exec(d.stdout)![1]!;
      const { stdout: list } = await run("tar", ["-tzf", tarball]);
      for (const f of [
        "status.json",
        "ipam-blocks.json",
        "routes.json",
        "addresses.json",
        "links.json",
        "README.txt",
      ]) {
        expect(list).toMatch(new RegExp(`/${f.replace(".", "\\.")}$`, "m"));
      }
      rmSync(tarDir, { recursive: true, force: true });
    });

    it("applies the Calico documentation corpus and F5's lab files unchanged", async () => {
      const corpus = join(here, "../../../packages/api/corpus");
      for (const d of ["calico-docs", "f5-lab"]) {
        const r = await cli([...store, "apply", "-f", join(corpus, d)]);
        expect(
          r.stderr.split("\n").filter((l) => l && !l.startsWith("tortiectl: note: ")),
          d,
        ).toEqual([]);
        expect(r.code, d).toBe(0);
        expect(r.stdout, d).toMatch(/^Successfully applied /);
      }
    });

    it("create, replace and delete say what they did and fail when they cannot", async () => {
      const f = join(dir, "pool2.yaml");
      writeFileSync(
        f,
        "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata: {name: pool2}\nspec: {cidr: 203.0.113.128/26}\n",
      );
      expect((await cli([...store, "replace", "-f", f])).stderr).toMatch(
        /pool2\.yaml#1: IPPool\(pool2\): resource does not exist/,
      );
      expect((await cli([...store, "create", "-f", f])).code).toBe(0);
      const dup = await cli([...store, "create", "-f", f]);
      expect(dup).toMatchObject({ code: 1 });
      expect(dup.stderr).toMatch(/resource already exists/);
      expect((await cli([...store, "replace", "-f", f])).stdout).toBe(
        "Successfully replaced 1 'IPPool' resource(s)\n",
      );
      expect((await cli([...store, "delete", "-f", f])).stdout).toBe(
        "Successfully deleted 1 'IPPool' resource(s)\n",
      );
      expect((await cli([...store, "delete", "ippool", "pool2"])).code).toBe(1);
      const fromStdin = await cli([...store, "apply", "-f", "-"], readFileSync(f, "utf8"));
      expect(fromStdin.code).toBe(0);
      expect((await cli([...store, "delete", "ippools", "pool2"])).stdout).toBe(
        "Successfully deleted 1 'IPPool' resource(s)\n",
      );
    });
  });
}

describe("tortiectl as a process", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "tortiectl-proc-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const proc = async (args: string[], input?: string): Promise<Result> => {
    const main = join(here, "main.ts");
    const child = run(
      process.execPath,
      ["--import", "tsx", "--conditions", "source", main, ...args],
      {
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
        cwd: join(here, ".."),
      },
    );
    if (input !== undefined) {
      child.child.stdin?.end(input);
    } else {
      child.child.stdin?.end();
    }
    try {
      const { stdout, stderr } = await child;
      return { code: 0, stdout, stderr };
    } catch (e) {
      const x = e as { code: number; stdout: string; stderr: string };
      return { code: x.code, stdout: x.stdout, stderr: x.stderr };
    }
  };

  it("exit codes: 0 done, 1 failed operation, 2 usage; one line on stderr, no stack trace", async () => {
    const store = ["--datastore-path", join(dir, "s.db")];
    const ok = await proc(
      [...store, "apply", "-f", "-"],
      readFileSync(join(manifests, "01-ippool.yaml"), "utf8"),
    );
    expect(ok.code).toBe(0);
    expect(ok.stderr).toMatch(
      /^(tortiectl: note: <stdin>#1: IPPool default-ipv4-ippool: spec\.\w+ is stored but Tortie does not act on it\n)+$/,
    );
    // A golden command as a process prints what runCli prints in-process.
    const got = await proc([...store, "get", "ippools"]);
    expect(got).toEqual({
      code: 0,
      stdout: await cli([...store, "get", "ippools"]).then((r) => r.stdout),
      stderr: "",
    });
    expect(got.stdout).toMatch(
      /^NAME +CIDR +SELECTOR\ndefault-ipv4-ippool +198\.51\.100\.0\/24 +all\(\)\n$/,
    );
    const missing = await proc([...store, "get", "ippool", "nope"]);
    expect(missing).toEqual({
      code: 1,
      stdout: "",
      stderr: "tortiectl: IPPool(nope): resource does not exist\n",
    });
    const typo = await proc([...store, "gte", "ippools"]);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain("(Did you mean get?)");
    const badKind = await proc([...store, "get", "ipoool"]);
    expect(badKind).toEqual({
      code: 2,
      stdout: "",
      stderr: 'tortiectl: unknown resource kind "ipoool" (did you mean "IPPool"?)\n',
    });
    const noStore = await proc(["--datastore-path", join(dir, "absent", "s.db"), "get", "ippools"]);
    expect(noStore.code).toBe(1);
    expect(noStore.stderr.split("\n")).toHaveLength(2);
    expect(noStore.stderr).not.toMatch(/\n\s+at /);
    const cfg = join(dir, "tortiectl.cfg");
    writeFileSync(
      cfg,
      "apiVersion: projectcalico.org/v3\nkind: CalicoAPIConfig\nspec:\n  datastoreTyp: etcdv3\n",
    );
    const badCfg = await proc(["--config", cfg, "version"]);
    expect(badCfg).toEqual({
      code: 2,
      stdout: "",
      stderr: `tortiectl: config file ${cfg}: unknown key "spec.datastoreTyp" (did you mean "datastoreType"?)\n`,
    });
  });

  it("--help on every command carries an example", async () => {
    // One as a process: the same text on stdout and exit 0 as runCli gives.
    const asProcess = await proc(["apply", "--help"]);
    expect(asProcess).toEqual(await cli(["apply", "--help"]));
    for (const c of [
      ["apply"],
      ["create"],
      ["replace"],
      ["get"],
      ["delete"],
      ["patch"],
      ["label"],
      ["node", "status"],
      ["node", "diags"],
      ["ipam", "show"],
      ["ipam", "check"],
      ["ipam", "release"],
      ["ipam", "configure"],
      ["ipam", "split"],
      ["policy", "explain"],
      ["bigip", "config"],
      ["version"],
      ["completion"],
    ]) {
      const h = await cli([...c, "--help"]);
      expect(h.code, c.join(" ")).toBe(0);
      expect(h.stdout, c.join(" ")).toMatch(/Examples?:\n {2}(tortiectl |source <\(tortiectl )/);
    }
  });

  it("completion scripts name the commands and load in bash", async () => {
    const bash = await proc(["completion", "bash"]);
    expect(bash.code).toBe(0);
    const { stdout } = await run("bash", [
      "-c",
      `${bash.stdout}\nCOMP_WORDS=(tortiectl bigip ""); COMP_CWORD=2; _tortiectl; echo "\${COMPREPLY[@]}"`,
    ]);
    expect(stdout.trim().split(" ")).toContain("config");
  });
});
