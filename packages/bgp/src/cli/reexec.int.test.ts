// The daemon's re-execution with one helper thread for V8 (jit-tuning.ts, reexec.ts),
// on real processes: the PID that was started is the one that runs with
// the flag, its log still reaches the file it was given (Node marks the
// standard streams close-on-exec), and TORTIE_BGP_V8_THREADS=default keeps
// the process as it was started. The only traffic is to a closed port on
// loopback.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitFor } from "@tortie/testbed";
import { afterEach, describe, expect, it } from "vitest";

const ENTRY = join(import.meta.dirname, "tortie-bgp.ts");
const TSX = import.meta.resolve("tsx");

describe("tortie-bgp runs with one helper thread for V8", () => {
  const started: { child: ChildProcess; dir: string }[] = [];
  afterEach(async () => {
    for (const { child, dir } of started.splice(0)) {
      if (child.exitCode === null && child.signalCode === null) {
        const gone = new Promise((r) => child.once("exit", r));
        child.kill("SIGKILL");
        await gone;
      }
      rmSync(dir, { recursive: true, force: true });
    }
  });

  /** Starts the daemon with stdout to a file; a peer on a closed loopback port makes it log. */
  function start(env: Record<string, string>) {
    const dir = mkdtempSync(join(tmpdir(), "tortie-reexec-"));
    const config = join(dir, "bgp.yaml");
    writeFileSync(
      config,
      [
        "asn: 64512",
        "routerId: 192.0.2.2",
        "listen: false",
        "peers:",
        "  - address: 127.0.0.1",
        "    asn: 64513",
        "    port: 1",
        "    connectRetryTime: 1",
        "",
      ].join("\n"),
    );
    const log = join(dir, "stdout.jsonl");
    const out = openSync(log, "w");
    const child = spawn(
      process.execPath,
      ["--import", TSX, ENTRY, "--config", config, "--socket", join(dir, "s.sock")].concat([
        "--log-level",
        "debug",
      ]),
      { stdio: ["ignore", out, "pipe"], env: { ...process.env, ...env } },
    );
    started.push({ child, dir });
    let stderr = "";
    child.stderr!.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const cmdline = () =>
      readFileSync(`/proc/${child.pid}/cmdline`, "utf8").split("\0").filter(Boolean);
    const lines = () =>
      readFileSync(log, "utf8")
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .map((l) => JSON.parse(l) as { event: string });
    return { child, cmdline, lines, stderr: () => stderr };
  }

  it("re-executes itself with its V8 flags in the same process, its log intact", async () => {
    const d = start({});
    // The log goes on after the re-execution: connect attempts, one a second.
    await waitFor(() => d.lines().filter((l) => l.event === "peer-state").length >= 3, {
      what: "peer-state lines in the daemon's log",
      timeoutMs: 20_000,
    });
    expect(d.child.exitCode).toBeNull();
    const argv = d.cmdline();
    expect(argv.slice(1, 4)).toEqual([
      "--v8-pool-size=1",
      "--initial-old-space-size=64",
      "--no-concurrent-recompilation",
    ]);
    // Node's own flags and the script's arguments survive, in order.
    expect(argv.slice(4)).toEqual([
      "--import",
      TSX,
      ENTRY,
      "--config",
      expect.stringMatching(/bgp\.yaml$/),
      "--socket",
      expect.stringMatching(/s\.sock$/),
      "--log-level",
      "debug",
    ]);
    // …and it is marked, so that it would not re-execute again
    const environ = readFileSync(`/proc/${d.child.pid}/environ`, "utf8").split("\0");
    expect(environ).toContain("TORTIE_BGP_REEXECUTED=1");
    expect(d.stderr()).toBe("");
  }, 30_000);

  it("keeps V8's threads with TORTIE_BGP_V8_THREADS=default", async () => {
    const d = start({ TORTIE_BGP_V8_THREADS: "default" });
    await waitFor(() => d.lines().some((l) => l.event === "peer-state"), {
      what: "a peer-state line",
      timeoutMs: 20_000,
    });
    expect(d.cmdline()).not.toContain("--v8-pool-size=1");
    expect(d.cmdline()).not.toContain("--initial-old-space-size=64");
    expect(d.cmdline()).not.toContain("--no-concurrent-recompilation");
  }, 30_000);

  it("refuses a misspelt setting before anything starts (exit 2)", async () => {
    const d = start({ TORTIE_BGP_V8_THREADS: "won" });
    const code = await new Promise<number | null>((r) => d.child.once("close", (c) => r(c)));
    expect(code).toBe(2);
    expect(d.stderr()).toMatch(
      /TORTIE_BGP_V8_THREADS=won is not a setting \(did you mean "one"\?\)/,
    );
    expect(d.lines()).toEqual([]);
  }, 30_000);
});
