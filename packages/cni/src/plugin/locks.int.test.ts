// Attachment locks on real files with flock(2): one call at a time per
// attachment, a waiting DEL seen by the ADD that holds the lock, DEL marks,
// files removed by the last DEL out, and a dead holder's lock released.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FileAttachmentLocks } from "./locks.js";

const dir = mkdtempSync(join(tmpdir(), "tortie-locks-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("attachment locks", () => {
  const locks = new FileAttachmentLocks(dir);

  it("serialises calls of one attachment and lets others run", async () => {
    const a = await locks.lock("net", "c1", "eth0", "add");
    let second = false;
    const b = locks.lock("net", "c1", "eth0", "other").then((l) => {
      second = true;
      return l;
    });
    const other = await locks.lock("net", "c2", "eth0", "add"); // another attachment: at once
    other.release();
    await sleep(50);
    expect(second).toBe(false);
    a.release();
    (await b).release();
    expect(second).toBe(true);
  });

  it("an ADD holding the lock sees a DEL waiting; DEL marks tell when a DEL began", async () => {
    const t0 = Date.now();
    const add = await locks.lock("net", "c3", "eth0", "add");
    expect(add.delWaiting()).toBe(false);
    expect(add.deletedSince(t0)).toBe(false);
    const del = locks.lock("net", "c3", "eth0", "del");
    await sleep(30);
    expect(add.delWaiting()).toBe(true);
    expect(add.deletedSince(t0)).toBe(true);
    expect(add.deletedSince(Date.now() + 1000)).toBe(false);
    add.release();
    const d = await del;
    d.release();
    // the last DEL out removed the lock files; the mark stays
    const files = readdirSync(join(dir, ".locks", "net")).filter((f) => f.startsWith("c3_"));
    expect(files).toEqual(["c3_eth0.gone"]);
    const again = await locks.lock("net", "c3", "eth0", "add");
    expect(again.delWaiting()).toBe(false);
    again.release();
  });

  it("a killed holder's lock is released by the kernel", async () => {
    // another process takes the lock through the same code, then is killed
    const script = `
      import { FileAttachmentLocks } from ${JSON.stringify(join(import.meta.dirname, "locks.ts"))};
      await new FileAttachmentLocks(${JSON.stringify(dir)}).lock("net", "c4", "eth0", "add");
      console.log("locked");
      setInterval(() => {}, 1000);
    `;
    const file = join(dir, "holder.mts");
    writeFileSync(file, script);
    const p = spawn("npx", ["tsx", "--conditions=source", file], {
      stdio: ["ignore", "pipe", "inherit"],
      detached: true,
    });
    await new Promise<void>((r) => p.stdout!.once("data", () => r()));
    let got = false;
    const l = locks.lock("net", "c4", "eth0", "add").then((x) => {
      got = true;
      return x;
    });
    await sleep(100);
    expect(got).toBe(false);
    process.kill(-p.pid!, "SIGKILL");
    (await l).release();
    expect(got).toBe(true);
    expect(existsSync(join(dir, ".locks", "net", "c4_eth0.op"))).toBe(true);
  }, 60_000);
});
