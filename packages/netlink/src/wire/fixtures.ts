// Loads the captured kernel bytes in fixtures/ (see test/capture-fixtures.ts
// for the command and the namespace set-up that produced them). Test-only.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const dir = join(dirname(fileURLToPath(import.meta.url)), "fixtures");

/** One captured dump: every datagram the kernel sent, and how the namespace was built. */
export interface DumpFixture {
  readonly name: string;
  readonly kernel: string;
  readonly setup: readonly string[];
  readonly datagrams: readonly Uint8Array[];
}

/** Every dump fixture (all files but requests.json). */
export function dumpFixtures(): DumpFixture[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json") && f !== "requests.json")
    .map((f) => {
      const j = JSON.parse(readFileSync(join(dir, f), "utf8")) as {
        kernel: string;
        setup: string[];
        datagrams: string[];
      };
      return {
        name: f.replace(/\.json$/, ""),
        kernel: j.kernel,
        setup: j.setup,
        datagrams: j.datagrams.map((h) => new Uint8Array(Buffer.from(h, "hex"))),
      };
    });
}

/** iproute2's requests captured with strace. */
export function requestFixtures(): { command: string; bytes: Uint8Array }[] {
  const j = JSON.parse(readFileSync(join(dir, "requests.json"), "utf8")) as {
    command: string;
    hex: string;
  }[];
  return j.map((r) => ({ command: r.command, bytes: new Uint8Array(Buffer.from(r.hex, "hex")) }));
}
