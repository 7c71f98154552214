/// <reference lib="dom" />
// The page in Chromium, on the fixture store: what it draws when two agents
// report a session down one after the other. The server sends a picture's
// session states at once and its layout when the layout worker is done, so
// a layout started before the second report can land after that report's
// states. The page used to draw that older layout with its own (older)
// colours: node2|node3 went Established → Active → Established → Active,
// the wrong colour on screen for 50–310 ms — the lab's kill -9 test caught
// it once in six CI runs (dashboard-on-lab.ts). The page now paints the
// newest states it has over any layout it draws.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { Datastore } from "@tortie/datastore";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pageDir } from "../commands/dashboard.js";
import { NODE_STATUS_PREFIX } from "../commands/node.js";
import { CHROMIUM, chromiumMissing } from "./chromium.js";
import { fixtureStore } from "./fixture.js";
import { type Dashboard, startDashboard } from "./server.js";

const PKG = fileURLToPath(new URL("../../", import.meta.url));
const SESSION = 'g[data-kind="session"][data-id="node:node2|node:node3"]';

interface Peer {
  address: string;
  state: string;
  since: number;
}

describe.skipIf(chromiumMissing())("dashboard page: the order of what it draws", () => {
  let store: Datastore;
  let d: Dashboard;
  let browser: Browser;
  let page: Page;
  const key = (n: string) => `${NODE_STATUS_PREFIX}${n}`;
  const read = async (n: string) =>
    JSON.parse((await store.get(key(n)))!.value) as { bgp: { peers: Peer[] } };
  const write = (n: string, r: unknown) =>
    store.txn({ compare: [], ops: [{ type: "put", key: key(n), value: JSON.stringify(r) }] });
  /** Sets node `n`'s session to `address` (node2 is 192.0.2.12). */
  const report = async (n: string, address: string, state: string, since: number) => {
    const r = await read(n);
    const p = r.bgp.peers.find((x) => x.address === address)!;
    p.state = state;
    p.since = since;
    await write(n, r);
  };

  beforeAll(async () => {
    // The page as `npm run build` bundles it, from the sources under test.
    execFileSync("npm", ["run", "build:page"], { cwd: PKG, stdio: "ignore" });
    store = await fixtureStore();
    // Every session up an hour ago (the fixture has node2 down already).
    const t0 = Date.now() - 3_600_000;
    for (const n of ["node1", "node2", "node3"]) {
      const r = await read(n);
      for (const p of r.bgp.peers) Object.assign(p, { state: "Established", since: t0 });
      await write(n, r);
    }
    d = await startDashboard({ store, host: "127.0.0.1", port: 0, pageDir: pageDir() });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    page = await browser.newPage();
    await page.goto(d.url);
    await page.waitForSelector(SESSION);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await d?.close();
    await store?.close();
  });

  it("node2 killed: node1 then node3 report it down 30 ms apart — the session is never drawn up again", async () => {
    expect(await page.getAttribute(SESSION, "data-state")).toBe("Established");
    // Every state the session is drawn in, at the end of every change of the drawing.
    await page.evaluate(`(() => {
      window.seen = [];
      const look = () => {
        const st = document.querySelector(${JSON.stringify(SESSION)})?.getAttribute("data-state") ?? "-";
        if (window.seen.at(-1) !== st) window.seen.push(st);
      };
      look();
      new MutationObserver(look).observe(document.getElementById("graph"),
        { subtree: true, childList: true, attributes: true });
    })()`);
    const kill = Date.now();
    await report("node1", "192.0.2.12", "Active", kill);
    await new Promise((r) => setTimeout(r, 30));
    await report("node3", "192.0.2.12", "Active", kill + 30);
    // Both reports drawn, and every layout the server started since has landed.
    await page.waitForFunction(
      `document.querySelector(${JSON.stringify(SESSION)})?.getAttribute("data-state") === "Active"`,
      undefined,
      { timeout: 5000 },
    );
    await new Promise((r) => setTimeout(r, 1500));
    const seen = (await page.evaluate("window.seen")) as string[];
    // Established until node3's report, then not up again (node1's report
    // alone leaves node2|node3 up: node3 still vouches for it).
    expect(seen).toEqual(["Established", "Active"]);
  }, 30_000);
});
