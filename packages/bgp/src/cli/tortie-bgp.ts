// tortie-bgp — a BGP speaker as a daemon.
//
//   tortie-bgp --config bgp.yaml [--socket /run/tortie-bgp.sock]
//              [--log-level debug|info|warn|error] [--log-interval SECONDS]
//       runs the speaker; events are JSON lines on stdout, each with a
//       level: at info (the default) routes are summarised per peer every
//       --log-interval seconds (10) and at End-of-RIB; one line per route
//       only at debug (log.ts). SIGTERM/SIGINT shut every session down with
//       an RFC 9003 message.
//   tortie-bgp status [--socket PATH] [--table] [--routes [PEER]]
//       asks a running daemon (JSON by default).
//   tortie-bgp control [--socket PATH] REQUEST
//       sends one control request (JSON, control.ts): add-peer, remove-peer,
//       disable-peer, enable-peer, originate, originate-prefixes, withdraw;
//       prints the answer.
//   tortie-bgp --version
// SIGHUP re-reads the configuration and applies only the difference (reload.ts).
// The speaker runs with one helper thread for V8 (its garbage collector's),
// compiles on the main thread and a daemon's starting heap: `run`
// re-executes itself once with `node --v8-pool-size=1
// --initial-old-space-size=64 --no-concurrent-recompilation` (same PID;
// jit-tuning.ts says why); TORTIE_BGP_V8_THREADS=default runs as Node
// starts (four helper threads). Before the first session it warms its RIB
// up on scratch tables (warm-up.ts).
// Every start-up failure is one line on stderr naming the address, port or
// path and the likely cause (startup-errors.ts), exit status 1; a wrong
// command line is one line and the usage, exit status 2.
import { accessSync, constants, existsSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import { parseArgs } from "node:util";
import { type SpeakerConfig, SpeakerConfig as SpeakerConfigSchema } from "../speaker/config.js";
import type { OriginateBatch } from "../speaker/originate-batch.js";
import { Speaker } from "../speaker/speaker.js";
import { closest } from "../speaker/suggest.js";
import type { ControlState } from "./control.js";
import { loadDaemonConfig, queryStatus, serveStatus, streamEvents } from "./daemon.js";
import { describeConfig } from "./help-config.js";
import { REEXECUTED_ENV, reexecArgv, tuneJit, V8_PROCESS_FLAGS } from "./jit-tuning.js";
import { enabled, LOG_LEVELS, type LogLevel, levelOf } from "./log.js";
import { reexec } from "./reexec.js";
import { planReload } from "./reload.js";
import { type StartupContext, startupMessage } from "./startup-errors.js";
import { warmUpRib } from "./warm-up.js";

// V8 flags first, before the speaker's code has run (jit-tuning.ts).
tuneJit();

const DEFAULT_SOCKET = "/run/tortie-bgp.sock";
const USAGE = `usage:
  tortie-bgp --config FILE [--socket PATH]     run the speaker (YAML or JSON config)
      [--log-level debug|info|warn|error]      info (default): routes as per-peer counts; debug: one line per route
      [--log-interval SECONDS]                 how often the per-peer route counts are written (10; 0: at End-of-RIB only)
      environment: TORTIE_BGP_V8_THREADS=one   (the default) one helper thread for V8, re-executing with
                                               node --v8-pool-size=1 --initial-old-space-size=64
                                               --no-concurrent-recompilation
                   TORTIE_BGP_V8_THREADS=default  run as node starts (V8's background threads and heap sizing)
  tortie-bgp status [--socket PATH] [--table] [--routes [PEER]]
  tortie-bgp control [--socket PATH] '{"cmd":"add-peer","peer":{"address":"192.0.2.1","asn":64512}}'
      commands: add-peer {peer}, remove-peer {address, message?}, disable-peer {address, message?},
      enable-peer {address}, originate {routes: [{prefix, …}]},
      originate-prefixes {prefixes: [...], attributes?: {med, communities, …}}, withdraw {prefixes: [...]}
  tortie-bgp --help-config                     every configuration field: type, default, meaning
  tortie-bgp --version`;

/** The package's version (package.json is two levels up from src/cli and dist/cli). */
function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"));
    return `tortie-bgp ${pkg.version}`;
  } catch {
    return "tortie-bgp (version unknown)";
  }
}

/** parseArgs that turns a bad command line into one line and the usage (exit 2). */
function args<T>(parse: () => T): T | number {
  try {
    return parse();
  } catch (e) {
    const text = (e as Error).message.split("\n")[0] ?? "";
    const unknown = /Unknown option '([^']+)'/.exec(text);
    console.error(
      unknown
        ? `tortie-bgp: unknown option ${unknown[1]} (see the usage below)\n${USAGE}`
        : `tortie-bgp: ${text}\n${USAGE}`,
    );
    return 2;
  }
}

async function run(argv: string[]): Promise<number> {
  const parsed = args(() =>
    parseArgs({
      args: argv,
      options: {
        config: { type: "string", short: "c" },
        socket: { type: "string", short: "s" },
        help: { type: "boolean", short: "h" },
        version: { type: "boolean", short: "V" },
        "help-config": { type: "boolean" },
        "log-level": { type: "string" },
        "log-interval": { type: "string" },
      },
    }),
  );
  if (typeof parsed === "number") return parsed;
  const { values } = parsed;
  const level = values["log-level"] ?? "info";
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    const near = closest(level, LOG_LEVELS);
    console.error(
      `tortie-bgp: --log-level ${level} is not a level${near ? ` (did you mean "${near}"?)` : ""}; levels: ${LOG_LEVELS.join(", ")}`,
    );
    return 2;
  }
  const interval = Number(values["log-interval"] ?? "10");
  if (!Number.isFinite(interval) || interval < 0 || interval > 86_400) {
    console.error(
      `tortie-bgp: --log-interval ${values["log-interval"]} must be a number of seconds from 0 to 86400`,
    );
    return 2;
  }
  if (values["help-config"]) {
    console.log(describeConfig(SpeakerConfigSchema).join("\n"));
    return 0;
  }
  if (values.version) {
    console.log(version());
    return 0;
  }
  if (values.help || !values.config) {
    if (!values.help) console.error("tortie-bgp: --config FILE is required");
    console.error(USAGE);
    return values.help ? 0 : 2;
  }
  // One helper thread for V8 (BIRD has one thread in all), and a daemon's starting heap
  // (jit-tuning.ts): the first start re-executes itself with the flags,
  // keeping its PID and descriptors.
  let again: string[] | undefined;
  try {
    again = reexecArgv(process.execPath, process.execArgv, process.argv, process.env);
  } catch (e) {
    console.error(`tortie-bgp: ${(e as Error).message}`);
    return 2;
  }
  if (again) {
    const why = reexec(again, { ...process.env, [REEXECUTED_ENV]: "1" });
    console.error(
      `tortie-bgp: could not restart with ${V8_PROCESS_FLAGS.join(" ")} (${why}); running with V8's background threads`,
    );
  }
  const socketPath = values.socket ?? DEFAULT_SOCKET;
  const ctx: { -readonly [K in keyof StartupContext]: StartupContext[K] } = {
    configPath: values.config,
    socketPath,
    stage: "config",
  };
  let speaker: Speaker | undefined;
  let state: ControlState;
  let server: Awaited<ReturnType<typeof serveStatus>> | undefined;
  try {
    const { config, routes } = await loadDaemonConfig(values.config);
    state = { config, notes: new Map() };
    ctx.listen = config.listen;
    if (config.netns) {
      ctx.stage = "netns";
      ctx.netns = config.netns;
      if (!existsSync(config.netns))
        throw Object.assign(new Error("no such namespace"), { code: "ENOENT" });
    }
    // The status socket first: whoever sees a session come up can ask at once.
    ctx.stage = "socket";
    accessSync(dirname(socketPath), constants.W_OK);
    server = await serveStatus(() => speaker, socketPath, state);
    // The RIB's hot paths optimised before the first session (warm-up.ts);
    // an optimisation only, so a failure is reported and the daemon goes on.
    try {
      warmUpRib();
    } catch (e) {
      console.error(`tortie-bgp: warm-up skipped: ${(e as Error).message}`);
    }
    ctx.stage = "listen";
    speaker = await Speaker.start(config);
    speaker.originateBatch(routes);
  } catch (e) {
    server?.close();
    console.error(startupMessage(e, ctx));
    return 1;
  }
  const running: Speaker = speaker;
  // Subscribed before anything else is awaited: a session may come up at once.
  const stopStream = streamEvents(running, (line) => process.stdout.write(`${line}\n`), {
    level: level as LogLevel,
    summaryIntervalMs: interval * 1000,
    config: () => state.config,
    ...(state.notes ? { notes: state.notes } : {}),
  });
  const emit = (o: { event: string } & Record<string, unknown>) => {
    const l = levelOf(o.event);
    if (enabled(level as LogLevel, l))
      process.stdout.write(
        `${JSON.stringify({ time: new Date().toISOString(), level: l, ...o })}\n`,
      );
  };
  // SIGHUP: re-read the file and change only what changed.
  const configPath = values.config;
  process.on("SIGHUP", () => {
    void (async () => {
      let next: SpeakerConfig;
      let routes: OriginateBatch;
      try {
        ({ config: next, routes } = await loadDaemonConfig(configPath));
      } catch (e) {
        emit({ event: "reload-failed", error: startupMessage(e, { stage: "config", configPath }) });
        return;
      }
      const plan = planReload(state.config, next);
      if (plan.needsRestart.length) {
        emit({
          event: "reload-refused",
          error: `${plan.needsRestart.join(", ")} changed: restart tortie-bgp to apply; nothing was changed`,
        });
        return;
      }
      // the static routes may change: status reads the originated list afresh
      state.originated = undefined;
      try {
        for (const a of plan.removePeers) running.removePeer(a, "peer de-configured");
        for (const p of plan.replacePeers) {
          running.removePeer(p.address, "peer re-configured");
          running.addPeer(p);
        }
        for (const p of plan.addPeers) running.addPeer(p);
        // The static routes: only the difference goes out (an unchanged route is not re-sent).
        const diff = running.applyOriginated(routes);
        state.config = next;
        emit({
          event: "reloaded",
          added: plan.addPeers.map((p) => p.address),
          removed: plan.removePeers,
          replaced: plan.replacePeers.map((p) => p.address),
          unchanged: plan.unchangedPeers,
          originated: diff.originated,
          withdrawn: diff.withdrawn,
        });
      } catch (e) {
        emit({ event: "reload-failed", error: `tortie-bgp: ${(e as Error).message}` });
      }
    })();
  });
  await new Promise<void>((resolve) => {
    for (const sig of ["SIGTERM", "SIGINT"] as const) process.once(sig, () => resolve());
  });
  await running.close("tortie-bgp stopping");
  stopStream();
  server.close();
  return 0;
}

async function status(argv: string[]): Promise<number> {
  const parsed = args(() =>
    parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        socket: { type: "string", short: "s" },
        table: { type: "boolean" },
        routes: { type: "boolean" },
      },
    }),
  );
  if (typeof parsed === "number") return parsed;
  const { values, positionals } = parsed;
  const path = values.socket ?? DEFAULT_SOCKET;
  try {
    if (values.table) {
      const r = (await queryStatus(path, { cmd: "table" })) as { table: string };
      console.log(r.table);
    } else if (values.routes) {
      console.log(
        JSON.stringify(
          await queryStatus(path, {
            cmd: "routes",
            ...(positionals[0] ? { peer: positionals[0] } : {}),
          }),
          null,
          2,
        ),
      );
    } else console.log(JSON.stringify(await queryStatus(path, { cmd: "status" }), null, 2));
    return 0;
  } catch (e) {
    console.error(`tortie-bgp status: ${(e as Error).message}`);
    return 1;
  }
}

async function control(argv: string[]): Promise<number> {
  const parsed = args(() =>
    parseArgs({
      args: argv,
      allowPositionals: true,
      options: { socket: { type: "string", short: "s" } },
    }),
  );
  if (typeof parsed === "number") return parsed;
  const { values, positionals } = parsed;
  if (positionals.length !== 1) {
    console.error(`tortie-bgp control: one request expected (JSON)\n${USAGE}`);
    return 2;
  }
  let req: Record<string, unknown>;
  try {
    req = JSON.parse(positionals[0]!) as Record<string, unknown>;
  } catch {
    console.error("tortie-bgp control: the request is not JSON");
    return 2;
  }
  try {
    const answer = (await queryStatus(values.socket ?? DEFAULT_SOCKET, req)) as { error?: string };
    if (answer && typeof answer === "object" && "error" in answer) {
      console.error(`tortie-bgp control: ${answer.error}`);
      return 1;
    }
    console.log(JSON.stringify(answer, null, 2));
    return 0;
  } catch (e) {
    console.error(`tortie-bgp control: ${(e as Error).message}`);
    return 1;
  }
}

const [cmd, ...rest] = process.argv.slice(2);
let code: number;
try {
  code =
    cmd === "status"
      ? await status(rest)
      : cmd === "control"
        ? await control(rest)
        : await run(cmd === "run" ? rest : process.argv.slice(2));
} catch (e) {
  // Nothing reaches the user as a stack trace.
  console.error(`tortie-bgp: ${(e as Error)?.message?.split("\n")[0] ?? String(e)}`);
  code = 1;
}
process.exit(code);
