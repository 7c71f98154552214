import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { parseSpeakerConfig } from "../speaker/config.js";
import { type OriginateBatch, v4Text } from "../speaker/originate-batch.js";
import { Speaker } from "../speaker/speaker.js";
import { formatPrefix } from "../wire/prefix.js";
import {
  applyControl,
  CONTROL_COMMANDS,
  ControlError,
  type ControlState,
  controlAnswer,
  MAX_REQUEST_BYTES,
  parseControlRequest,
  STATUS_LIST_LIMIT,
} from "./control.js";

const refused = (line: string) => {
  try {
    parseControlRequest(line);
  } catch (e) {
    expect(e).toBeInstanceOf(ControlError);
    return (e as Error).message;
  }
  throw new Error(`accepted: ${line}`);
};

describe("parseControlRequest", () => {
  it("reads each command with its keys, and a bare word", () => {
    expect(parseControlRequest("status")).toEqual({ cmd: "status" });
    expect(parseControlRequest('{"cmd":"routes","peer":"192.0.2.1"}')).toEqual({
      cmd: "routes",
      peer: "192.0.2.1",
    });
    expect(
      parseControlRequest('{"cmd":"add-peer","peer":{"address":"192.0.2.1","asn":64512}}'),
    ).toMatchObject({ cmd: "add-peer", peer: { address: "192.0.2.1", asn: 64512 } });
    expect(
      parseControlRequest('{"cmd":"originate","routes":[{"prefix":"203.0.113.0/26"}]}'),
    ).toMatchObject({ cmd: "originate", prefixes: ["203.0.113.0/26"], routes: { size: 1 } });
    expect(parseControlRequest('{"cmd":"withdraw","prefixes":"203.0.113.0/26"}')).toEqual({
      cmd: "withdraw",
      prefixes: ["203.0.113.0/26"],
    });
    expect(
      parseControlRequest('{"cmd":"disable-peer","address":"192.0.2.1","message":"maint"}'),
    ).toEqual({
      cmd: "disable-peer",
      address: "192.0.2.1",
      message: "maint",
    });
  });

  it("refuses an unknown command with the closest one", () => {
    expect(refused('{"cmd":"add_peer"}')).toMatch(
      /^unknown command "add_peer" \(did you mean "add-peer"\?\)/,
    );
    expect(refused('{"cmd":"announce"}')).toMatch(/^unknown command "announce"; commands: status,/);
    expect(refused('{"peer":{}}')).toMatch(/^cmd: required/);
  });

  it("refuses an unknown key with its path and the closest one", () => {
    expect(refused('{"cmd":"remove-peer","adress":"192.0.2.1"}')).toMatch(
      /^adress: unknown key "adress" for remove-peer \(did you mean "address"\?\)/,
    );
    expect(
      refused('{"cmd":"add-peer","peer":{"address":"192.0.2.1","asn":64512,"md5Password":"x"}}'),
    ).toMatch(/^peer\.md5Password: unknown key "md5Password" \(did you mean "password"\?\)/);
    expect(
      refused('{"cmd":"originate","routes":[{"prefix":"203.0.113.0/26"},{"prefx":"x"}]}'),
    ).toContain("routes.1.prefx");
  });

  it("refuses a prefix with host bits, bad values, non-JSON and oversized requests", () => {
    expect(refused('{"cmd":"originate","routes":[{"prefix":"203.0.113.1/26"}]}')).toContain(
      "routes.0.prefix",
    );
    expect(refused('{"cmd":"withdraw","prefixes":[]}')).toMatch(/^prefixes: required/);
    expect(refused('{"cmd":"enable-peer"}')).toMatch(/^address: must be a string/);
    expect(refused("{nope")).toBe("request is not JSON");
    expect(refused("[1]")).toBe("request is not a JSON object");
    expect(refused(`{"cmd":"status","x":"${"a".repeat(MAX_REQUEST_BYTES)}"}`)).toBe(
      `request larger than ${MAX_REQUEST_BYTES} bytes`,
    );
  });
});

/** A speaker stand-in recording calls (the socket's pure core only; the daemon test uses BIRD). */
function recorder(peers: string[], originated = new Set(["203.0.113.0/26"])) {
  const calls: unknown[][] = [];
  const known = new Set(peers);
  const s = {
    peer: (a: string) => (known.has(a) ? { address: a } : undefined),
    status: () => ({
      peers: [...known].map((address) => ({ address })),
      originated: [...originated],
    }),
    addPeer: (p: { address: string }) => {
      calls.push(["addPeer", p.address]);
      known.add(p.address);
    },
    removePeer: (a: string, m: string) => {
      calls.push(["removePeer", a, m]);
      known.delete(a);
    },
    shutdownPeer: (a: string, m: string) => calls.push(["shutdownPeer", a, m]),
    startPeer: (a: string) => calls.push(["startPeer", a]),
    originateBatch: (b: OriginateBatch) =>
      calls.push([
        "originateBatch",
        b.groups.flatMap((g) => [...g.v4.map(v4Text), ...g.other.map(formatPrefix)]),
      ]),
    isOriginated: (p: string) => originated.has(p),
    get originatedCount() {
      return originated.size;
    },
    withdraw: (p: string[]) => calls.push(["withdraw", p]),
  };
  return { speaker: s as unknown as Speaker, calls };
}

describe("applyControl", () => {
  const base = () =>
    parseSpeakerConfig({
      asn: 64512,
      routerId: "192.0.2.2",
      peers: [{ address: "192.0.2.1", asn: 64512 }],
      originate: [{ prefix: "203.0.113.0/26" }],
    });

  it("changes the speaker and the daemon's picture of its configuration", () => {
    const { speaker, calls } = recorder(["192.0.2.1"]);
    const state: ControlState = { config: base() };
    const run = (line: string) => applyControl(speaker, parseControlRequest(line), state);
    expect(run('{"cmd":"add-peer","peer":{"address":"192.0.2.3","asn":64513}}')).toEqual({
      ok: true,
      added: "192.0.2.3",
    });
    run('{"cmd":"originate","routes":[{"prefix":"198.51.100.0/24"}]}');
    run('{"cmd":"withdraw","prefixes":["203.0.113.0/26"]}');
    run('{"cmd":"disable-peer","address":"192.0.2.3"}');
    run('{"cmd":"enable-peer","address":"192.0.2.3"}');
    run('{"cmd":"remove-peer","address":"192.0.2.1","message":"bye"}');
    expect(calls).toEqual([
      ["addPeer", "192.0.2.3"],
      ["originateBatch", ["198.51.100.0/24"]],
      ["withdraw", ["203.0.113.0/26"]],
      ["shutdownPeer", "192.0.2.3", "peer disabled by tortie-bgp control"],
      ["startPeer", "192.0.2.3"],
      ["removePeer", "192.0.2.1", "bye"],
    ]);
    expect(state.config.peers.map((p) => p.address)).toEqual(["192.0.2.3"]);
  });

  it("refuses, changing nothing: unknown peer, duplicate peer, family no peer carries, not originated, read-only", () => {
    const { speaker, calls } = recorder(["192.0.2.1"]);
    const state: ControlState = { config: base() };
    const answer = (line: string, readOnly = false) =>
      JSON.parse(controlAnswer(speaker, line, readOnly ? undefined : state)) as { error?: string };
    expect(answer('{"cmd":"disable-peer","address":"192.0.2.11"}').error).toBe(
      'no peer 192.0.2.11 (did you mean "192.0.2.1"?); peers: 192.0.2.1',
    );
    expect(answer('{"cmd":"add-peer","peer":{"address":"192.0.2.1","asn":64512}}').error).toBe(
      "peer 192.0.2.1 already exists",
    );
    expect(answer('{"cmd":"originate","routes":[{"prefix":"2001:db8:1::/48"}]}').error).toContain(
      "routes.0.prefix: 2001:db8:1::/48 is ipv6-unicast, which no peer negotiates",
    );
    expect(answer('{"cmd":"withdraw","prefixes":["203.0.113.64/26"]}').error).toMatch(
      /^not originated: 203\.0\.113\.64\/26/,
    );
    expect(answer('{"cmd":"remove-peer","address":"192.0.2.1"}', true).error).toBe(
      "remove-peer: this socket is read-only",
    );
    expect(calls).toEqual([]);
    expect(state.config).toEqual(base());
  });
});

describe("control requests, fuzzed", () => {
  const keys = [
    "cmd",
    "peer",
    "address",
    "message",
    "routes",
    "prefixes",
    "attributes",
    "adress",
    "x",
  ];
  const cmds = [
    "status",
    "table",
    "routes",
    "add-peer",
    "remove-peer",
    "disable-peer",
    "enable-peer",
    "originate",
    "originate-prefixes",
    "withdraw",
    "bogus",
  ];
  const request = fc.dictionary(
    fc.constantFrom(...keys),
    fc.oneof(fc.constantFrom(...cmds), fc.jsonValue({ maxDepth: 3 })),
    { maxKeys: 4 },
  );

  it("any line is a request or a ControlError, never another exception", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 200 }),
          request.map((o) => JSON.stringify(o)),
        ),
        (line) => {
          try {
            const r = parseControlRequest(line);
            expect(Object.keys(CONTROL_COMMANDS)).toContain(r.cmd);
          } catch (e) {
            expect(e).toBeInstanceOf(ControlError);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("an answer is always one JSON line, and a refused change changes nothing", () => {
    fc.assert(
      fc.property(request, (o) => {
        const { speaker, calls } = recorder(["192.0.2.1"]);
        const config = parseSpeakerConfig({
          asn: 64512,
          routerId: "192.0.2.2",
          peers: [{ address: "192.0.2.1", asn: 64512 }],
        });
        const state: ControlState = { config };
        const line = controlAnswer(speaker, JSON.stringify(o), state);
        expect(line).not.toContain("\n");
        const a = JSON.parse(line) as { error?: string };
        if (a && typeof a === "object" && "error" in a) {
          expect(calls).toEqual([]);
          expect(state.config).toBe(config);
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe("status costs the number of peers, not of routes", () => {
  // Listing the originated prefixes walks the whole Loc-RIB (a full table
  // received from peers): `status` does it once per change of what is
  // originated, never when nothing or more than STATUS_LIST_LIMIT is.
  it("walks for the originated list only after a change, and never with none or too many", async () => {
    const input = {
      asn: 64512,
      routerId: "192.0.2.2",
      listen: false as const,
      peers: [{ address: "192.0.2.1", asn: 64512, passive: true }],
    };
    const speaker = await Speaker.start(input);
    try {
      const walks = vi.spyOn(speaker, "status");
      const walked = () => walks.mock.calls.filter(([o]) => o?.originated !== false).length;
      const state: ControlState = { config: parseSpeakerConfig(input) };
      const ask = (o: object) =>
        JSON.parse(controlAnswer(speaker, JSON.stringify(o), state)) as {
          originated: string[];
          originatedCount: number;
          peers: { address: string }[];
        };
      for (let i = 0; i < 3; i++) expect(ask({ cmd: "status" }).originated).toEqual([]);
      expect(walked()).toBe(0);
      ask({
        cmd: "originate",
        routes: [{ prefix: "203.0.113.0/26" }, { prefix: "203.0.113.64/26" }],
      });
      for (let i = 0; i < 3; i++) {
        const st = ask({ cmd: "status" });
        expect(st).toMatchObject({ originatedCount: 2, peers: [{ address: "192.0.2.1" }] });
        expect(st.originated.sort()).toEqual(["203.0.113.0/26", "203.0.113.64/26"]);
      }
      expect((ask({ cmd: "table" }) as unknown as { table: string }).table).toContain("192.0.2.1");
      expect(walked()).toBe(1);
      ask({ cmd: "withdraw", prefixes: ["203.0.113.0/26"] });
      expect(ask({ cmd: "status" }).originated).toEqual(["203.0.113.64/26"]);
      expect(walked()).toBe(2);
      // a change made elsewhere (the daemon's SIGHUP) clears the kept list
      speaker.originate({ prefix: "203.0.113.128/26" });
      state.originated = undefined;
      expect(ask({ cmd: "status" }).originated.sort()).toEqual([
        "203.0.113.128/26",
        "203.0.113.64/26",
      ]);
      expect(walked()).toBe(3);
      // more than STATUS_LIST_LIMIT: only the count, no walk
      const many = Array.from(
        { length: STATUS_LIST_LIMIT },
        (_, i) => `198.51.${i >> 8}.${i & 255}/32`,
      );
      ask({ cmd: "originate-prefixes", prefixes: many });
      expect(ask({ cmd: "status" })).toMatchObject({
        originated: [],
        originatedCount: STATUS_LIST_LIMIT + 2,
      });
      expect(walked()).toBe(3);
    } finally {
      await speaker.close();
    }
  });
});
