// The control socket as another local process uses it to load a table:
// many `originate-prefixes` lines on one connection, each answered; a
// malformed or oversized bulk request refused with a clear error and
// nothing originated; a client that sends without reading the answers is
// not read from until it does (answers cannot pile up in the daemon). A
// real Speaker (no listener) behind a real unix socket.
import { mkdtempSync, rmSync } from "node:fs";
import { createConnection, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseSpeakerConfig } from "../speaker/config.js";
import { Speaker } from "../speaker/speaker.js";
import { MAX_REQUEST_BYTES } from "./control.js";
import { serveStatus } from "./daemon.js";

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function daemon() {
  const input = {
    asn: 64512,
    routerId: "192.0.2.2",
    listen: false as const,
    peers: [{ address: "192.0.2.1", asn: 64512, passive: true }],
  };
  const speaker = await Speaker.start(input);
  const dir = mkdtempSync(join(tmpdir(), "tortie-ctl-"));
  const path = join(dir, "c.sock");
  const server: Server = await serveStatus(speaker, path, { config: parseSpeakerConfig(input) });
  cleanup.push(
    () => speaker.close(),
    () => new Promise((r) => server.close(r)),
    () => rmSync(dir, { recursive: true, force: true }),
  );
  return { speaker, path };
}

/** A connection reading answer lines. */
function client(path: string) {
  const c: Socket = createConnection(path);
  cleanup.push(() => c.destroy());
  const lines: string[] = [];
  let buf = "";
  c.setEncoding("utf8");
  c.on("data", (d: string) => {
    buf += d;
    for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
      lines.push(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
    }
  });
  const closed = new Promise<void>((r) => c.on("close", () => r()));
  const until = async (n: number) => {
    const t = Date.now();
    while (lines.length < n) {
      if (Date.now() - t > 20_000) throw new Error(`${lines.length} of ${n} answers`);
      await new Promise((r) => setTimeout(r, 10));
    }
    return lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  };
  return { c, lines, until, closed };
}

const prefix = (i: number) => `198.18.${(i >> 8) & 255}.${i & 255}/32`; // 198.18.0.0/15: benchmark range

describe("control socket: bulk origination", () => {
  it("many originate-prefixes lines on one connection, each answered; status counts, not lists", async () => {
    const { speaker, path } = await daemon();
    const { c, until } = client(path);
    const per = 3000;
    for (let k = 0; k < 20; k++) {
      const prefixes = Array.from({ length: per }, (_, i) => prefix(k * per + i));
      const line = JSON.stringify({ cmd: "originate-prefixes", prefixes, attributes: { med: 5 } });
      expect(Buffer.byteLength(line)).toBeLessThanOrEqual(MAX_REQUEST_BYTES);
      c.write(`${line}\n`);
    }
    c.write('{"cmd":"status"}\n');
    const answers = await until(21);
    expect(answers.slice(0, 20)).toEqual(Array(20).fill({ ok: true, originated: per }));
    expect(answers[20]).toMatchObject({ originated: [], originatedCount: 60_000 });
    expect(speaker.originatedCount).toBe(60_000);
    expect(speaker.routes({ peer: "local", prefix: prefix(59_999) })[0]?.med).toBe(5);
  });

  it("malformed bulk requests: a clear error, nothing originated; an oversized line closes the connection", async () => {
    const { speaker, path } = await daemon();
    const { c, until, closed } = client(path);
    const ask = [
      { cmd: "originate-prefixes", prefixes: ["198.51.100.0/24", "198.51.100.1/24"] },
      { cmd: "originate-prefixes", prefixes: "198.51.100.0/24" },
      { cmd: "originate-prefixes", prefixes: ["198.51.100.0/24"], attributes: { mde: 1 } },
      { cmd: "originate-prefixes", prefixes: ["198.51.100.0/24"], attributes: [1] },
      { cmd: "originate-prefixes", prefixes: ["2001:db8::/32"] },
      { cmd: "originate-prefixes", prefixes: [7] },
      { cmd: "originate-prefixes", prefixes: ["198.51.100.0/24"], attrs: {} },
    ];
    for (const a of ask) c.write(`${JSON.stringify(a)}\n`);
    const errors = (await until(ask.length)).map((a) => a.error);
    expect(errors[0]).toBe(
      "prefixes.1: host bits set in 198.51.100.1/24 (did you mean 198.51.100.0/24?)",
    );
    expect(errors[1]).toMatch(/^prefixes: required, a list of prefixes/);
    expect(errors[2]).toMatch(/^attributes\.mde: unknown key "mde" \(did you mean "med"\?\)/);
    expect(errors[3]).toMatch(/^attributes: an object/);
    expect(errors[4]).toMatch(
      /^prefixes: 2001:db8::\/32 is ipv6-unicast, which no peer negotiates/,
    );
    expect(errors[5]).toMatch(/^prefixes\.0: /);
    expect(errors[6]).toMatch(
      /^attrs: unknown key "attrs" for originate-prefixes; valid keys: cmd, prefixes, attributes/,
    );
    expect(speaker.originatedCount).toBe(0);
    // A line past the limit is not buffered on: one error, the connection closed.
    c.write(`{"cmd":"originate-prefixes","prefixes":["${"1".repeat(MAX_REQUEST_BYTES)}`);
    await closed;
    expect((await until(ask.length + 1))[ask.length]).toEqual({
      error: `request larger than ${MAX_REQUEST_BYTES} bytes`,
    });
    expect(speaker.originatedCount).toBe(0);
  });

  it("a client that does not read its answers is not read from until it does", async () => {
    const { speaker, path } = await daemon();
    const { c, until } = client(path);
    c.pause(); // read nothing
    const n = 30_000;
    let text = "";
    for (let i = 0; i < n; i++)
      text += `${JSON.stringify({ cmd: "originate-prefixes", prefixes: [prefix(i)] })}\n`;
    c.write(text);
    // The daemon stops reading once its answers are not taken (what the
    // kernel and the client's stream buffer hold, a few hundred KiB): the
    // count settles far below n.
    let held = -1;
    for (let i = 0; i < 50 && held !== speaker.originatedCount; i++) {
      held = speaker.originatedCount;
      await new Promise((r) => setTimeout(r, 300));
    }
    expect(held).toBeGreaterThan(0);
    expect(held).toBeLessThan(n / 2);
    await new Promise((r) => setTimeout(r, 500));
    expect(speaker.originatedCount).toBe(held);
    c.resume();
    const answers = await until(n);
    expect(answers.every((a) => a.ok === true)).toBe(true);
    expect(speaker.originatedCount).toBe(n);
  });
});
