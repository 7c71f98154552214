// The agent's local edges under abuse: the control socket (oversized, broken
// and unknown requests; a path that is not a socket), the HTTP server
// (unknown paths, methods), and the secret resolver (paths that would leave
// its folder, files with newlines, the environment fallback).
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { secretResolver } from "../bgp-config/secrets.js";
import { ControlSocketError, controlRequest, startControlSocket } from "./control.js";
import { startHttp } from "./http.js";

const dir = mkdtempSync(join(tmpdir(), "tortie-node-edges-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function raw(path: string, data: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = createConnection(path);
    let out = "";
    s.on("connect", () => s.write(data));
    s.on("data", (d) => {
      out += d.toString();
    });
    s.on("close", () => resolve(out));
    s.on("error", reject);
  });
}

describe("control socket", () => {
  it("answers status and ping; refuses unknown commands, bad JSON and oversized requests; mode 0600", async () => {
    const path = join(dir, "run", "node.sock");
    const cs = await startControlSocket(path, { status: () => ({ node: "n1" }) });
    try {
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(await controlRequest(path, { command: "status" })).toEqual({
        ok: true,
        status: { node: "n1" },
      });
      expect(await controlRequest(path, { command: "ping" })).toEqual({ ok: true });
      expect(await controlRequest(path, { command: "shutdown" })).toMatchObject({
        ok: false,
        error: expect.stringContaining("unknown command"),
      });
      expect(JSON.parse(await raw(path, "{nope\n"))).toEqual({
        ok: false,
        error: "request is not JSON",
      });
      expect(JSON.parse(await raw(path, "x".repeat(10_000)))).toMatchObject({
        ok: false,
        error: expect.stringContaining("4096"),
      });
    } finally {
      await cs.close();
    }
  });

  it("replaces a stale socket of an earlier run but never a file that is not a socket", async () => {
    const path = join(dir, "stale.sock");
    // a process that dies with SIGKILL leaves its socket file behind
    spawnSync(process.execPath, [
      "-e",
      `require("node:net").createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, "SIGKILL"))`,
    ]);
    expect(statSync(path).isSocket()).toBe(true);
    const b = await startControlSocket(path, { status: () => 2 });
    expect(await controlRequest(path, { command: "status" })).toEqual({ ok: true, status: 2 });
    await b.close();
    const file = join(dir, "not-a-socket");
    writeFileSync(file, "precious");
    await expect(startControlSocket(file, { status: () => 0 })).rejects.toThrow(ControlSocketError);
    expect(statSync(file).isFile()).toBe(true);
  });
});

describe("HTTP health and metrics", () => {
  it("liveness, readiness, metrics; 404 and 405 for anything else", async () => {
    let ready = false;
    const h = await startHttp("127.0.0.1:0", {
      live: () => true,
      ready: () => ready,
      metrics: async () => ({ contentType: "text/plain", body: "m 1\n" }),
      status: () => ({ ok: 1 }),
    });
    const url = (p: string) => `http://127.0.0.1:${h.port}${p}`;
    try {
      expect((await fetch(url("/liveness"))).status).toBe(200);
      expect((await fetch(url("/readiness"))).status).toBe(503);
      ready = true;
      expect((await fetch(url("/readiness"))).status).toBe(200);
      expect(await (await fetch(url("/metrics"))).text()).toBe("m 1\n");
      expect(await (await fetch(url("/status"))).json()).toEqual({ ok: 1 });
      expect((await fetch(url("/../../etc/passwd"))).status).toBe(404);
      expect((await fetch(url("/metrics"), { method: "POST", body: "x" })).status).toBe(405);
    } finally {
      await h.close();
    }
  });
});

describe("secrets", () => {
  it("reads <dir>/<name>/<key> without its trailing newline, else the environment; never leaves the folder", () => {
    const sdir = join(dir, "secrets");
    mkdirSync(join(sdir, "bgp-secrets"), { recursive: true });
    writeFileSync(join(sdir, "bgp-secrets", "bigip"), "s3cret\n");
    writeFileSync(join(dir, "outside"), "leak");
    const get = secretResolver(sdir, { TORTIE_SECRET_OTHER_PW: "from-env" });
    expect(get({ name: "bgp-secrets", key: "bigip" })).toBe("s3cret");
    expect(get({ name: "other", key: "pw" })).toBe("from-env");
    expect(get({ name: "..", key: "outside" })).toBeUndefined();
    expect(get({ name: "bgp-secrets", key: "../../outside" })).toBeUndefined();
    expect(get({ name: "missing", key: "x" })).toBeUndefined();
  });
});
