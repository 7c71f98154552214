/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// `tortiectl dashboard` against the running lab (3 nodes with tortie-node
// agents, FRR as BIG-IP, pods through the CNI plugin), looked at in a real
// browser: Debian's headless Chromium driven by playwright-core (nothing is
// downloaded; the system browser is launched). The dashboard runs as its own
// process, as an operator runs it. Screenshots of each state are written to
// the test's temp folder (and, outside CI, the first one to docs/img/).
//
// Not a test file of its own: examples/lab/src/lab.int.test.ts calls
// `dashboardOnLab` inside its lab's suite, so both run on one lab (a lab takes
// tens of seconds to come up). The lab must be as `Lab.up({ nodes: 3 })`
// leaves it; the dashboard's pods are deleted again afterwards.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { SqliteStore } from "@tortie/datastore";
import { inCI } from "@tortie/testbed";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Lab } from "../../../lab/src/cluster.js";
import { CHROMIUM, chromiumMissing } from "./chromium.js";

const PKG = fileURLToPath(new URL("../../", import.meta.url));
const REPO = fileURLToPath(new URL("../../../../", import.meta.url));
const TORTIECTL = join(PKG, "src/main.ts");

const GREEN = "#2e7d32";
const HOSTILE = `<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">`;

/**
 * Registers the dashboard's suite on a running 3-node embedded-store lab
 * (`getLab` is read once the suite starts). Call inside the lab's `describe`,
 * after its prerequisites are checked; Chromium is checked here.
 */
export function dashboardOnLab(getLab: () => Lab): void {
  describe.skipIf(chromiumMissing())("tortiectl dashboard in Chromium, on the lab", () => {
    let lab: Lab;
    let top: string;
    let shots: string;
    let dash: ChildProcess;
    let url: string;
    let browser: Browser;
    let page: Page;
    const timings: Record<string, number> = {};

    beforeAll(async () => {
      top = mkdtempSync(join(tmpdir(), "dashboard-test-"));
      shots = join(top, "screenshots");
      mkdirSync(shots);
      // The page as `npm run build` bundles it (esbuild), from the sources under test.
      execFileSync("npm", ["run", "build:page"], { cwd: PKG, stdio: "ignore" });
      lab = getLab();
      dash = spawn(
        process.execPath,
        [
          "--import",
          "tsx",
          "--conditions",
          "source",
          TORTIECTL,
          "--datastore-type",
          "sqlite",
          "--datastore-path",
          join(lab.dir, "store.db"),
          "dashboard",
          "--listen",
          "127.0.0.1:0",
        ],
        { cwd: REPO, stdio: ["ignore", "pipe", "inherit"] },
      );
      url = await new Promise<string>((resolve, reject) => {
        let seen = "";
        dash.stdout!.on("data", (d: Buffer) => {
          seen += d.toString();
          const m = /serving (http:\/\/\S+)/.exec(seen);
          if (m) resolve(m[1]!);
        });
        dash.once("exit", (c) => reject(new Error(`tortiectl dashboard exited (${c}): ${seen}`)));
      });
      browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
      page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      await page.goto(url);
    }, 300_000);

    afterAll(async () => {
      await browser?.close();
      if (dash && dash.exitCode === null) {
        dash.kill("SIGTERM");
        await new Promise((r) => dash.once("exit", r));
      }
      // The lab goes on to the lab's own tests: this suite's pods go again.
      for (const name of ["web-new", "odd-1"]) {
        if ([...(lab?.nodes.values() ?? [])].some((n) => n.pods.has(name)))
          await lab.deletePod(name);
      }
      console.log(`dashboard test: screenshots in ${shots}; timings ${JSON.stringify(timings)}`);
    });

    const sessionStates = () =>
      page.$$eval('g[data-kind="session"]', (gs) =>
        Object.fromEntries(
          gs.map((g) => [g.getAttribute("data-id")!, g.getAttribute("data-state")!]),
        ),
      );
    // The colours a session is drawn in (its edges, its box), by session id.
    const colours = () =>
      page.$$eval('g[data-kind="session"]', (gs) => {
        const out: Record<string, string[]> = {};
        for (const g of gs) {
          const id = g.getAttribute("data-id")!;
          const list = out[id] ?? [];
          for (const e of g.querySelectorAll("path, rect")) list.push(e.getAttribute("stroke")!);
          out[id] = list;
        }
        return out;
      });

    it("shows three nodes, BIG-IP and every session Established", async () => {
      await page.waitForFunction(
        () => {
          const nodes = [...document.querySelectorAll('g[data-kind="node"]')];
          const sessions = [...document.querySelectorAll('g[data-kind="session"]')];
          const ids = new Set(sessions.map((g) => g.getAttribute("data-id")));
          return (
            nodes.length === 3 &&
            nodes.every((n) => n.getAttribute("data-state") === "ok") &&
            ids.size === 6 &&
            sessions.every((g) => g.getAttribute("data-state") === "Established")
          );
        },
        undefined,
        { timeout: 60_000 },
      );
      expect(
        await page.$$eval('g[data-kind="node"]', (gs) => gs.map((g) => g.getAttribute("data-id"))),
      ).toEqual(["node1", "node2", "node3"]);
      expect(await page.locator('g[data-kind="peer"][data-id="192.0.2.250"]').count()).toBe(1);
      const states = await sessionStates();
      expect(Object.keys(states).sort()).toEqual([
        "node:node1|node:node2",
        "node:node1|node:node3",
        "node:node1|peer:192.0.2.250",
        "node:node2|node:node3",
        "node:node2|peer:192.0.2.250",
        "node:node3|peer:192.0.2.250",
      ]);
      for (const cs of Object.values(await colours()))
        expect(new Set(cs)).toEqual(new Set([GREEN]));
      // Each node's block with its two pods.
      const pods = await page.$$eval('g[data-kind="pod"] text:first-of-type', (ts) =>
        ts.map((t) => t.textContent),
      );
      expect(pods.sort()).toEqual([
        "web-1-1",
        "web-1-2",
        "web-2-1",
        "web-2-2",
        "web-3-1",
        "web-3-2",
      ]);
      await page.screenshot({ path: join(shots, "1-established.png"), fullPage: true });
      // The same picture as a file, from `tortiectl graph` run as a process.
      const svg = await lab.ctl(["graph", "-o", "svg"]);
      writeFileSync(join(shots, "lab.svg"), svg);
      expect(svg.match(/<g data-kind="node" /g)).toHaveLength(3);
      expect(svg).toContain('<g data-kind="peer" data-id="192.0.2.250">');
      expect(svg).not.toMatch(/data-kind="session" [^>]*data-state="(?!Established")/);
      expect(await lab.ctl(["graph", "-o", "dot"])).toMatch(/^digraph tortie \{\n/);
      // The README's picture: written by a local run when missing (committed
      // once), or again with UPDATE_SCREENSHOT=1.
      const readme = join(REPO, "docs/img/dashboard.png");
      if (!inCI() && (!existsSync(readme) || process.env.UPDATE_SCREENSHOT === "1"))
        copyFileSync(join(shots, "1-established.png"), readme);
    });

    it("kill -9 of node2's agent turns every one of its sessions' colour within 2 s", async () => {
      const before = await colours();
      const mine = Object.keys(before).filter((id) => id.includes("node:node2"));
      expect(mine).toHaveLength(3);
      // When node2's peers write that they lost it (the input the page reacts to).
      const store = new SqliteStore({ path: join(lab.dir, "store.db") });
      const reported: Record<string, number> = {};
      const w = store.watch(
        "/tortie/nodestatus/v1/",
        {},
        {
          onEvents: (evs) => {
            for (const e of evs) {
              if (e.type !== "put") continue;
              const r = JSON.parse(e.kv.value) as {
                node: string;
                bgp: { peers: { address: string; state: string }[] };
              };
              if (
                r.node !== "node2" &&
                reported[r.node] === undefined &&
                r.bgp.peers.some((p) => p.address === "192.0.2.12" && p.state !== "Established")
              )
                reported[r.node] = performance.now();
            }
          },
        },
      );
      await w.ready;
      const t0 = performance.now();
      await lab.killAgent("node2");
      timings.killExitedMs = Math.round(performance.now() - t0);
      await page.waitForFunction(
        (ids) =>
          ids.every((id) =>
            [...document.querySelectorAll(`g[data-kind="session"][data-id="${id}"]`)].every((g) =>
              [...g.querySelectorAll("path, rect")].every(
                (e) => e.getAttribute("stroke") !== "#2e7d32",
              ),
            ),
          ),
        mine,
        { timeout: 10_000, polling: 20 },
      );
      timings.killToColourMs = Math.round(performance.now() - t0);
      // node1's and node3's records saying they lost node2 (−1: not seen).
      timings.killToNode1RecordMs = Math.round((reported.node1 ?? t0 - 1) - t0);
      timings.killToNode3RecordMs = Math.round((reported.node3 ?? t0 - 1) - t0);
      await w.close();
      await store.close();
      await page.screenshot({ path: join(shots, "2-node2-agent-killed.png"), fullPage: true });
      expect(timings.killToColourMs).toBeLessThan(2000);
      // The page recolours as soon as one live end reports; the model settles
      // when both node1 and node3 have written their side down.
      await expect
        .poll(
          async () => {
            const s = await sessionStates();
            return [
              s["node:node1|node:node2"] !== "Established",
              s["node:node2|node:node3"] !== "Established",
              s["node:node2|peer:192.0.2.250"],
            ];
          },
          { timeout: 10_000, interval: 100 },
        )
        .toEqual([true, true, "Unknown"]);
      const states = await sessionStates();
      // node1 and node3 report their sessions to node2 down; nobody alive
      // reports node2's BIG-IP session, so it is Unknown; the others stay up.
      expect(states["node:node1|node:node2"]).not.toBe("Established");
      expect(states["node:node2|node:node3"]).not.toBe("Established");
      expect(states["node:node2|peer:192.0.2.250"]).toBe("Unknown");
      expect(states["node:node1|node:node3"]).toBe("Established");
      expect(states["node:node1|peer:192.0.2.250"]).toBe("Established");
      expect(states["node:node3|peer:192.0.2.250"]).toBe("Established");
      // The page draws the model's state a moment after the model has it
      // (states are pushed, then drawn): poll the drawing.
      await expect
        .poll(() => page.getAttribute('g[data-kind="node"][data-id="node2"]', "data-state"), {
          timeout: 5_000,
          interval: 50,
        })
        .toBe("silent");
      // The agent back: its sessions turn green again.
      await lab.restartAgent("node2");
      await page.waitForFunction(
        () =>
          [...document.querySelectorAll('g[data-kind="session"]')].every(
            (g) => g.getAttribute("data-state") === "Established",
          ) &&
          document
            .querySelector('g[data-kind="node"][data-id="node2"]')
            ?.getAttribute("data-state") === "ok",
        undefined,
        { timeout: 90_000 },
      );
    }, 120_000);

    it("a pod created through the CNI plugin appears within 2 s, in node1's block", async () => {
      const t0 = performance.now();
      await lab.addPod({
        name: "web-new",
        namespace: "default",
        host: "p4x2",
        node: "node1",
        labels: { app: "web" },
      });
      const created = performance.now();
      await page.waitForFunction(
        () =>
          [...document.querySelectorAll('g[data-kind="pod"] text:first-of-type')].some(
            (t) => t.textContent === "web-new",
          ),
        undefined,
        { timeout: 10_000, polling: 20 },
      );
      timings.podCreatedToShownMs = Math.round(performance.now() - created);
      timings.podAddTotalMs = Math.round(performance.now() - t0);
      await page.screenshot({ path: join(shots, "3-pod-created.png"), fullPage: true });
      expect(timings.podCreatedToShownMs).toBeLessThan(2000);
      const podId = await page.$$eval('g[data-kind="pod"]', (gs) =>
        gs.find((g) => g.querySelector("text")?.textContent === "web-new")?.getAttribute("data-id"),
      );
      expect(podId).toMatch(/^default\/node1-k8s-web--new-/);
    }, 120_000);

    it("the reachability box gives the same verdict and trace as `tortiectl policy explain`", async () => {
      await page
        .locator('g[data-kind="pod"]', { has: page.locator("text", { hasText: /^web-1-1$/ }) })
        .click();
      await page.waitForSelector("#reach");
      for (const [from, verdict] of [
        ["203.0.113.10", "deny"],
        ["192.0.2.250", "allow"],
      ] as const) {
        await page.fill('#reach input[name="from"]', from);
        await page.fill('#reach input[name="port"]', "8080/TCP");
        await page.click('#reach button[type="submit"]');
        await page.waitForFunction(
          (f) => document.querySelector("#reach-result pre.trace")?.textContent?.includes(f),
          from,
        );
        const shown = await page.textContent("#reach-result pre.trace");
        const cli = await lab.ctl([
          "policy",
          "explain",
          "--from",
          from,
          "--to",
          "default/web-1-1",
          "--port",
          "8080/TCP",
        ]);
        expect(shown).toBe(cli);
        expect(await page.getAttribute("#reach-result .verdict", "data-verdict")).toBe(verdict);
        await page.screenshot({ path: join(shots, `4-reach-from-${from}.png`), fullPage: true });
      }
      // The policies selecting the pod are the engine's plan: the lab's one GNP.
      expect(await page.textContent("#panel")).toContain("web-from-bigip-only");
    });

    it("a label holding <script> is shown as text and runs nothing (CSP off, to test the escaping)", async () => {
      await lab.addPod({
        name: "odd-1",
        namespace: "default",
        host: "p4x1",
        node: "node3",
        labels: { app: "web", note: HOSTILE },
      });
      // A page without the server's CSP: were the label parsed as markup, the
      // script or the onerror handler would run and set the flag.
      const ctx = await browser.newContext({
        bypassCSP: true,
        viewport: { width: 1400, height: 900 },
      });
      const p = await ctx.newPage();
      await p.goto(url);
      const pod = p.locator('g[data-kind="pod"]', {
        has: p.locator("text", { hasText: /^odd-1$/ }),
      });
      await pod.waitFor({ timeout: 10_000 });
      await pod.click();
      await p.waitForSelector("#panel ul.labels li");
      const labels = await p.$$eval("#panel ul.labels li", (ls) => ls.map((l) => l.textContent));
      expect(labels).toContain(`note=${HOSTILE}`);
      expect(await p.$$eval("#panel script, #panel img, svg script", (x) => x.length)).toBe(0);
      await p.waitForTimeout(300); // an image's error event would have fired by now
      expect(await p.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBe(
        undefined,
      );
      await p.screenshot({ path: join(shots, "5-hostile-label.png"), fullPage: true });
      await ctx.close();
      // And the real page is served with the CSP.
      const r = await page.request.get(url);
      expect(r.headers()["content-security-policy"]).toContain("default-src 'self'");
    });
  });
}
