// The dashboard server over loopback HTTP on the fixed topology of
// graph.test.ts (a memory store): what it serves, what it refuses, the
// headers it sends, and a change in the store pushed as an event.

import { execFileSync } from "node:child_process";
import { type ClientRequest, request } from "node:http";
import { connect } from "node:net";
import { fileURLToPath } from "node:url";
import { type Datastore, EtcdStore, MemoryStore } from "@tortie/datastore";
import { type Etcd, requirePrereqs, startEtcd } from "@tortie/testbed";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pageDir } from "../commands/dashboard.js";
import { NODE_STATUS_PREFIX } from "../commands/node.js";
import { runCli } from "../program.js";
import { fixtureStore } from "./fixture.js";
import {
  CSP,
  type Dashboard,
  isLoopback,
  MAX_STREAMS,
  parseListen,
  startDashboard,
} from "./server.js";

const PKG = fileURLToPath(new URL("../../", import.meta.url));

function get(
  port: number,
  path: string,
  opts: { method?: string; host?: string } = {},
): Promise<{
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        path,
        method: opts.method ?? "GET",
        headers: { Host: opts.host ?? `127.0.0.1:${port}` },
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (d) => {
          body += d;
        });
        res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      },
    );
    req.on("error", reject);
    req.end();
  });
}

const backends: { name: string; prereqs: Parameters<typeof requirePrereqs>[0] }[] = [
  { name: "memory", prereqs: [] },
  { name: "etcd", prereqs: ["etcd"] },
];

for (const b of backends)
  describe.skipIf(requirePrereqs(b.prereqs))(`the dashboard server on the ${b.name} store`, () => {
    let store: Datastore;
    let etcd: Etcd | undefined;
    let d: Dashboard;
    beforeAll(async () => {
      execFileSync("npm", ["run", "build:page"], { cwd: PKG, stdio: "ignore" });
      if (b.name === "etcd") etcd = await startEtcd();
      store = await fixtureStore(
        etcd ? new EtcdStore({ hosts: [etcd.endpoint] }) : new MemoryStore(),
      );
      d = await startDashboard({ store, host: "127.0.0.1", port: 0, pageDir: pageDir() });
    }, 60_000);
    afterAll(async () => {
      await d?.close();
      await store?.close();
      await etcd?.stop();
    });

    it("serves the page and the model with a strict CSP", async () => {
      const page = await get(d.port, "/");
      expect(page.status).toBe(200);
      expect(page.headers["content-security-policy"]).toBe(CSP);
      expect(page.headers["x-content-type-options"]).toBe("nosniff");
      expect(page.body).toContain('<script src="/app.js" defer></script>');
      const js = await get(d.port, "/app.js");
      expect(js.status).toBe(200);
      expect(js.headers["content-type"]).toMatch(/^text\/javascript/);
      expect(js.body).not.toContain("innerHTML");
      const g = JSON.parse((await get(d.port, "/api/graph")).body);
      expect(g.graph.nodes.map((n: { name: string }) => n.name)).toEqual([
        "node1",
        "node2",
        "node3",
      ]);
      expect(g.scene.items.length).toBeGreaterThan(10);
    });

    it("is read-only and answers only to loopback names", async () => {
      expect((await get(d.port, "/api/graph", { method: "POST" })).status).toBe(405);
      expect((await get(d.port, "/api/graph", { method: "DELETE" })).status).toBe(405);
      expect((await get(d.port, "/", { host: "attacker.example:80" })).status).toBe(421);
      expect((await get(d.port, "/", { host: `localhost:${d.port}` })).status).toBe(200);
      expect((await get(d.port, "/nope")).status).toBe(404);
    });

    it("refuses an oversized request head and streams beyond MAX_STREAMS", async () => {
      // A 32 KiB header: Node's limit (16 KiB) answers 431 and closes.
      const big = await new Promise<string>((resolve) => {
        const sock = connect(d.port, "127.0.0.1", () =>
          sock.write(
            `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${"a".repeat(32 * 1024)}\r\n\r\n`,
          ),
        );
        let got = "";
        sock.setEncoding("utf8");
        sock.on("data", (x) => {
          got += x;
        });
        sock.on("close", () => resolve(got));
        sock.on("error", () => resolve(got));
      });
      expect(big).toMatch(/^HTTP\/1\.1 431/);
      // MAX_STREAMS open event streams; one more is refused, nothing else is.
      const open: ClientRequest[] = [];
      try {
        for (let i = 0; i < MAX_STREAMS; i++) {
          await new Promise<void>((resolve, reject) => {
            const req = request(
              {
                host: "127.0.0.1",
                port: d.port,
                path: "/api/stream",
                headers: { Host: `127.0.0.1:${d.port}` },
              },
              (res) => {
                expect(res.statusCode).toBe(200);
                resolve();
              },
            );
            req.on("error", reject);
            req.end();
            open.push(req);
          });
        }
        expect((await get(d.port, "/api/stream")).status).toBe(503);
        expect((await get(d.port, "/api/graph")).status).toBe(200);
      } finally {
        for (const r of open) r.destroy();
      }
    });

    it("node and pod panels, and the policy engine's verdict", async () => {
      const n = JSON.parse((await get(d.port, "/api/node?name=node1")).body);
      expect(n.routes.blackholes).toEqual(["198.51.100.0/26"]);
      expect(n.routes.perPeer).toHaveLength(3);
      const p = JSON.parse(
        (await get(d.port, `/api/pod?id=${encodeURIComponent("default/node1-k8s-web--1--1-eth0")}`))
          .body,
      );
      expect(p.endpoint.spec.pod).toBe("web-1-1");
      const e = await get(
        d.port,
        `/api/explain?from=203.0.113.10&to=${encodeURIComponent("default/web-1-1")}&port=8080%2FTCP`,
      );
      expect(e.status).toBe(200);
      expect(JSON.parse(e.body).verdict).toMatch(/^(allow|deny|no-endpoint)$/);
      const bad = await get(d.port, "/api/explain?from=default/nobody&to=default/web-1-1");
      expect(bad.status).toBe(400);
      expect(JSON.parse(bad.body).error).toContain("no workload endpoint");
    });

    it("pushes session states and the new picture when an agent's record changes", async () => {
      const got: string[] = [];
      const done = new Promise<void>((resolve, reject) => {
        const req = request(
          {
            host: "127.0.0.1",
            port: d.port,
            path: "/api/stream",
            headers: { Host: `127.0.0.1:${d.port}` },
          },
          (res) => {
            res.setEncoding("utf8");
            res.on("data", (chunk: string) => {
              got.push(chunk);
              const all = got.join("");
              if (all.includes("event: states") && all.split("event: graph").length >= 3) {
                req.destroy();
                resolve();
              }
            });
          },
        );
        req.on("error", (e) => (got.join("").includes("event: states") ? resolve() : reject(e)));
        req.end();
      });
      // Wait for the first (current) picture, then node3 loses BIG-IP.
      await new Promise((r) => setTimeout(r, 200));
      const kv = (await store.get(`${NODE_STATUS_PREFIX}node3`))!;
      const rec = JSON.parse(kv.value);
      rec.bgp.peers = rec.bgp.peers.map((p: { address: string; state: string; since: number }) =>
        p.address === "192.0.2.250" ? { ...p, state: "Idle", since: Date.now() } : p,
      );
      const t0 = performance.now();
      await store.update(kv.key, JSON.stringify(rec), kv.modRevision);
      await done;
      expect(performance.now() - t0).toBeLessThan(2000);
      const states = got.join("").split("event: states\ndata: ")[1]!.split("\n")[0]!;
      expect(JSON.parse(states).sessions["node:node3|peer:192.0.2.250"]).toEqual(["Idle", "down"]);
    });
  });

describe("a stream client that stops reading", () => {
  let store: Datastore;
  let d: Dashboard;
  beforeAll(async () => {
    execFileSync("npm", ["run", "build:page"], { cwd: PKG, stdio: "ignore" });
    store = await fixtureStore(new MemoryStore());
    // A small allowance, so that the kernel's socket buffers (a few hundred
    // KiB on loopback) and not the 4 MiB default set the test's length.
    d = await startDashboard({
      store,
      host: "127.0.0.1",
      port: 0,
      pageDir: pageDir(),
      maxUnsentBytes: 64 * 1024,
    });
  }, 60_000);
  afterAll(async () => {
    await d?.close();
    await store?.close();
  });

  it("is dropped once its unsent events pass the limit; a reading client keeps its stream", async () => {
    // The stalled client: asks for the stream, then never reads a byte.
    const stalled = connect(d.port, "127.0.0.1", () => {
      stalled.write(`GET /api/stream HTTP/1.1\r\nHost: 127.0.0.1:${d.port}\r\n\r\n`);
      stalled.pause();
    });
    stalled.on("error", () => {});
    let graphs = 0;
    let bytes = 0;
    const reader = request(
      {
        host: "127.0.0.1",
        port: d.port,
        path: "/api/stream",
        headers: { Host: `127.0.0.1:${d.port}` },
      },
      (res) => {
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          graphs += chunk.split("event: graph").length - 1;
          bytes += chunk.length;
        });
      },
    );
    reader.on("error", () => {});
    reader.end();
    try {
      await expect.poll(() => d.streams(), { timeout: 5000 }).toBe(2);
      // Each change of node3's record is a new picture for every stream.
      const kv = (await store.get(`${NODE_STATUS_PREFIX}node3`))!;
      const rec = JSON.parse(kv.value);
      let rev = kv.modRevision;
      let changes = 0;
      // A long lastError (it is shown in the picture) makes each picture
      // ≈ 256 KiB, so the kernel's buffers (the sender's grows to a few MiB
      // on loopback) fill in a few dozen changes.
      const long = "x".repeat(256 * 1024);
      for (; changes < 200 && d.streams() === 2; changes++) {
        rec.bgp.peers = rec.bgp.peers.map((p: { address: string; state: string }) =>
          p.address === "192.0.2.250"
            ? { ...p, state: "Idle", since: Date.now(), lastError: `${long} ${changes}` }
            : p,
        );
        rev = (await store.update(kv.key, JSON.stringify(rec), rev)).modRevision;
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(
        d.streams(),
        `still 2 streams after ${changes} changes, ${graphs} graphs, ${bytes} bytes`,
      ).toBe(1);
      // The reading client is the one left, and it still gets pictures.
      const before = graphs;
      rec.bgp.peers = rec.bgp.peers.map((p: { address: string }) =>
        p.address === "192.0.2.250" ? { ...p, state: "Connect", since: Date.now() } : p,
      );
      await store.update(kv.key, JSON.stringify(rec), rev);
      await expect.poll(() => graphs, { timeout: 10_000 }).toBeGreaterThan(before);
      expect(d.streams()).toBe(1);
    } finally {
      stalled.destroy();
      reader.destroy();
    }
  });
});

describe("tortiectl dashboard's command line", () => {
  it("refuses a non-loopback --listen without --allow-remote (exit 2)", async () => {
    const err: string[] = [];
    const code = await runCli(["dashboard", "--listen", "0.0.0.0:9099"], {
      env: { DATASTORE_TYPE: "embedded", TORTIE_DATASTORE_PATH: "/nonexistent/store.db" },
      stdout: { write: () => true },
      stderr: { write: (s: string) => err.push(s) },
    });
    expect(code).toBe(2);
    expect(err.join("")).toContain("not a loopback address");
    expect(isLoopback("0.0.0.0")).toBe(false);
    expect(isLoopback("127.0.0.1")).toBe(true);
    expect(isLoopback("[::1]")).toBe(true);
    expect(parseListen("[::1]:9099")).toEqual({ host: "::1", port: 9099 });
    expect(() => parseListen("9099")).toThrow(/HOST:PORT/);
  });
});
